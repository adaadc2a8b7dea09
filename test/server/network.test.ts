/**
 * The P2P network end to end, with real processes on 127.0.0.1: a relay, headless peers, gossip,
 * catch-up sync, faults. Peers run without WebRTC here (TCP between Node peers), so no ICE traffic
 * is produced and no network namespace is needed.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { join } from 'node:path'
import {
  api, events, killAll, metric, start, tempDir, until, type PeerReady, type Proc, type RelayReady
} from './harness.js'

interface Status {
  author: string
  peerId: string
  connections: Array<{ peerId: string, remoteAddr: string, direct: boolean, bytesIn: number, bytesOut: number }>
  following: string[]
  topicPeers: string[]
  scores: Record<string, number>
  multiaddrs: string[]
}
interface EntriesBody { entries: Array<{ cid: string, author: string, seq: number, kind: string, text?: string, prev: string | null }> }

let root: Awaited<ReturnType<typeof tempDir>>
let relay: Proc<RelayReady>
const peers: Array<Proc<PeerReady>> = []

async function startRelay (dir = join(root.path, 'relay'), port = 0): Promise<Proc<RelayReady>> {
  return await start<RelayReady>('relay', ['--data', dir, '--ws-port', String(port), '--webrtc-direct-port', '0', '--http-port', '0', '--ip-colocation-weight', '0'])
}

function wsAddr (r: Proc<RelayReady>): string {
  const addr = r.ready.multiaddrs.find(a => a.includes('/ws/'))
  if (addr === undefined) throw new Error('relay announces no WebSocket address')
  return addr
}

async function startPeer (name: string, relayAddr = wsAddr(relay)): Promise<Proc<PeerReady>> {
  const p = await start<PeerReady>('peer', ['--data', join(root.path, name), '--relay', relayAddr, '--no-webrtc', '--ip-colocation-weight', '0'])
  peers.push(p)
  return p
}

async function status (p: Proc<PeerReady>): Promise<Status> {
  return (await api<Status>(p.ready.api, 'GET', '/status')).body
}

async function directTo (p: Proc<PeerReady>, other: Proc<PeerReady>): Promise<void> {
  await until(`${p.ready.author} direct to ${other.ready.author}`, async () =>
    (await status(p)).connections.some(c => c.peerId === other.ready.peerId && c.direct) ? true : undefined)
}

async function relayedBytes (): Promise<number> {
  const text = await (await fetch(`${relay.ready.http}/metrics`)).text()
  const value = metric(text, 'flock_relay_relayed_bytes_total')
  if (value === undefined) throw new Error('relay has no flock_relay_relayed_bytes_total')
  return value
}

beforeAll(async () => {
  root = await tempDir()
  relay = await startRelay()
})

afterAll(async () => {
  killAll()
  await root.remove()
})

describe('relay and three peers', () => {
  test('B and C follow A, A posts, both receive it directly and the relay carries none of it', async () => {
    const [a, b, c] = await Promise.all([startPeer('a'), startPeer('b'), startPeer('c')])
    for (const f of [b, c]) {
      expect((await api(f.ready.api, 'POST', '/follows', { author: a.ready.author })).status).toBe(201)
    }
    await Promise.all([directTo(b, a), directTo(c, a)])
    await until('A to see both followers on its topic', async () => {
      const s = await status(a)
      return s.topicPeers.includes(b.ready.peerId) && s.topicPeers.includes(c.ready.peerId) ? true : undefined
    })
    const before = await relayedBytes()
    const [eb, ec] = await Promise.all([events(b.ready.api), events(c.ready.api)])
    const posted = await api<{ cid: string, seq: number }>(a.ready.api, 'POST', '/posts', { text: 'hello flock' })
    expect(posted.status).toBe(201)
    await Promise.all([eb, ec].map(async e => await e.next(ev => ev.event === 'entry' && ev.data.cid === posted.body.cid)))
    eb.close()
    ec.close()
    for (const f of [b, c]) {
      const timeline = await api<EntriesBody>(f.ready.api, 'GET', '/timeline?limit=10')
      expect(timeline.body.entries.find(e => e.cid === posted.body.cid)?.text).toBe('hello flock')
    }
    expect(await relayedBytes()).toBe(before)
  })
})
