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
interface EntriesBody<N = number> { entries: Array<{ cid: string, author: string, seq: number, kind: string, text?: string, prev: string | null }>, next?: N }

let root: Awaited<ReturnType<typeof tempDir>>
let relay: Proc<RelayReady>
const peers: Array<Proc<PeerReady>> = []

async function startRelay (dir = join(root.path, 'relay'), port = 0): Promise<Proc<RelayReady>> {
  // Every peer of this test comes from 127.0.0.1: the per-IP caps would count them as one host.
  return await start<RelayReady>('relay', [
    '--data', dir, '--ws-port', String(port), '--webrtc-direct-port', '0', '--http-port', '0', '--ip-colocation-weight', '0',
    '--max-reservations-per-ip', '128', '--max-connections-per-ip', '512'
  ])
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
  return (await api<Status>(p.ready, 'GET', '/status')).body
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
      expect((await api(f.ready, 'POST', '/follows', { author: a.ready.author })).status).toBe(201)
    }
    await Promise.all([directTo(b, a), directTo(c, a)])
    await until('A to see both followers on its topic', async () => {
      const s = await status(a)
      return s.topicPeers.includes(b.ready.peerId) && s.topicPeers.includes(c.ready.peerId) ? true : undefined
    })
    const before = await relayedBytes()
    const [eb, ec] = await Promise.all([events(b.ready), events(c.ready)])
    const posted = await api<{ cid: string, seq: number }>(a.ready, 'POST', '/posts', { text: 'hello flock' })
    expect(posted.status).toBe(201)
    await Promise.all([eb, ec].map(async e => await e.next(ev => ev.event === 'entry' && ev.data.cid === posted.body.cid)))
    eb.close()
    ec.close()
    for (const f of [b, c]) {
      const timeline = await api<EntriesBody>(f.ready, 'GET', '/timeline?limit=10')
      expect(timeline.body.entries.find(e => e.cid === posted.body.cid)?.text).toBe('hello flock')
    }
    expect(await relayedBytes()).toBe(before)
  })
})

/** Every entry of log `log` (a peer's device log) that `p` holds, page by page. */
async function logEntries (p: Proc<PeerReady>, log: string): Promise<EntriesBody['entries']> {
  const entries: EntriesBody['entries'] = []
  let after = 0
  for (;;) {
    const page = (await api<EntriesBody>(p.ready, 'GET', `/authors/${log}/entries?limit=500&after=${after}`)).body
    entries.push(...page.entries)
    if (page.next === undefined) return entries
    after = page.next
  }
}

/** CIDs of `p`'s whole timeline, read `limit` entries at a time. */
async function timelineByPages (p: Proc<PeerReady>, limit: number): Promise<string[]> {
  const cids: string[] = []
  let after: string | undefined
  do {
    const page = (await api<EntriesBody<string>>(p.ready, 'GET', `/timeline?limit=${limit}${after !== undefined ? `&after=${after}` : ''}`)).body
    cids.push(...page.entries.map(e => e.cid))
    after = page.next
  } while (after !== undefined)
  return cids
}

async function postMany (p: Proc<PeerReady>, n: number): Promise<void> {
  // Eight requests in flight: the API serialises appends, this only keeps the socket busy.
  let next = 0
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < n) {
      const i = next++
      const res = await api(p.ready, 'POST', '/posts', { text: `entry number ${i}` })
      if (res.status !== 201) throw new Error(`post ${i} failed with ${res.status}`)
    }
  }))
}

/** `entries` are a device log's first `n` posts: its opening device entry, then seq 2 … n + 1. */
function expectWholeLog (entries: EntriesBody['entries'], n: number): void {
  expect(entries[0]?.kind).toBe('device')
  expect(entries.map(e => e.seq)).toEqual(Array.from({ length: n + 1 }, (_, i) => i + 1))
  for (let i = 1; i < entries.length; i++) expect(entries[i]?.prev).toBe(entries[i - 1]?.cid)
}

describe('catch-up', () => {
  test('a late joiner follows A and receives all 1,000 entries, verified and in order', async () => {
    const a = await startPeer('late-a')
    await postMany(a, 999)
    const d = await startPeer('late-d')
    const ev = await events(d.ready)
    expect((await api(d.ready, 'POST', '/follows', { author: a.ready.author })).status).toBe(201)
    await ev.next(e => e.event === 'sync' && (e.data.received as number) > 0, 60_000)
    ev.close()
    const entries = await logEntries(d, a.ready.device)
    expectWholeLog(entries, 999)
    expect(entries[999]?.text).toBe('entry number 998')
    // The 1,000th entry is the live one: it arrives over gossip on the now-direct connection.
    const ev2 = await events(d.ready)
    const last = await api<{ cid: string }>(a.ready, 'POST', '/posts', { text: 'the thousandth' })
    await ev2.next(e => e.event === 'entry' && e.data.cid === last.body.cid)
    ev2.close()
    expectWholeLog(await logEntries(d, a.ready.device), 1000)
  }, 180_000)

  test('a peer killed in the middle of a sync resumes after restart with no gap and no duplicate', async () => {
    const a = await startPeer('kill-a')
    await postMany(a, 3000)
    const first = await startPeer('kill-d')
    const ev = await events(first.ready)
    await api(first.ready, 'POST', '/follows', { author: a.ready.author })
    await ev.next(e => e.event === 'entry' && e.data.source === 'sync' && e.data.author === a.ready.author, 60_000)
    await first.stop('SIGKILL')
    ev.close()
    const again = await startPeer('kill-d')
    expect(again.ready.author).toBe(first.ready.author)
    const partial = await logEntries(again, a.ready.device)
    expect(partial.length).toBeGreaterThan(0)
    expectWholeLog(partial, partial.length - 1)
    const ev2 = await events(again.ready)
    await ev2.next(e => e.event === 'sync' && e.data.peer === a.ready.peerId, 60_000)
    ev2.close()
    expectWholeLog(await logEntries(again, a.ready.device), 3000)
  }, 240_000)
})

describe('faults', () => {
  test('with the relay down, direct connections keep carrying posts; peers reconnect when it returns', async () => {
    const a = await startPeer('fault-a')
    const b = await startPeer('fault-b')
    await api(b.ready, 'POST', '/follows', { author: a.ready.author })
    await directTo(b, a)
    await until('A to see B on its topic', async () => (await status(a)).topicPeers.includes(b.ready.peerId) ? true : undefined)
    const relayPeer = relay.ready.peerId
    const port = /\/tcp\/(\d+)\/ws\//.exec(wsAddr(relay))?.[1] ?? '0'
    expect(await relay.stop()).toBe(0)
    await until('both peers to notice the relay is gone', async () => {
      const [sa, sb] = await Promise.all([status(a), status(b)])
      return [sa, sb].every(s => !s.connections.some(c => c.peerId === relayPeer)) ? true : undefined
    })
    const ev = await events(b.ready)
    const posted = await api<{ cid: string }>(a.ready, 'POST', '/posts', { text: 'the relay is down' })
    await ev.next(e => e.event === 'entry' && e.data.cid === posted.body.cid)
    ev.close()
    // Same key and port: the peers' configured relay address is valid again.
    relay = await startRelay(join(root.path, 'relay'), Number(port))
    expect(relay.ready.peerId).toBe(relayPeer)
    await until('both peers to reconnect to the relay', async () => {
      const [sa, sb] = await Promise.all([status(a), status(b)])
      return [sa, sb].every(s => s.connections.some(c => c.peerId === relayPeer)) ? true : undefined
    }, 60_000)
  })

  test('a restarted peer keeps its identity, log, follows and replicated entries', async () => {
    const a = await startPeer('keep-a')
    const b = await startPeer('keep-b')
    await api(b.ready, 'POST', '/follows', { author: a.ready.author })
    await directTo(b, a)
    await until('A to see B on its topic', async () => (await status(a)).topicPeers.includes(b.ready.peerId) ? true : undefined)
    const ev = await events(b.ready)
    const posted = await api<{ cid: string }>(a.ready, 'POST', '/posts', { text: 'keep me' })
    await ev.next(e => e.event === 'entry' && e.data.cid === posted.body.cid)
    ev.close()
    await api(b.ready, 'POST', '/posts', { text: 'my own' })
    const before = await api<EntriesBody>(b.ready, 'GET', '/timeline?limit=50')
    expect(await b.stop()).toBe(0)
    const again = await startPeer('keep-b')
    expect(again.ready.author).toBe(b.ready.author)
    expect(again.ready.peerId).toBe(b.ready.peerId)
    expect((await status(again)).following).toEqual([a.ready.author])
    const after = await api<EntriesBody>(again.ready, 'GET', '/timeline?limit=50')
    expect(after.body.entries.map(e => e.cid)).toEqual(before.body.entries.map(e => e.cid))
    expect(after.body.entries.some(e => e.text === 'keep me')).toBe(true)
    // Paging interleaves both authors' logs in the same order as one page does.
    expect(await timelineByPages(again, 1)).toEqual(after.body.entries.map(e => e.cid))
  })
})
