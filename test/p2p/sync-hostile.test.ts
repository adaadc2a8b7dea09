/**
 * Sync against hostile peers, both ways (DESIGN §6): a responder cannot make us store what we did not
 * ask for, a requester cannot make us send without bound, and an honest catch-up of long entries
 * completes however slowly it stores. Real libp2p nodes on loopback, inside the test's namespace.
 */
import { afterAll, describe, expect, test } from 'vitest'
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { lpStream } from '@libp2p/utils'
import { MemoryBlockstore } from 'blockstore-core'
import { MemoryDatastore } from 'datastore-core'
import {
  MAX_SYNC_FRAME_BYTES, SYNC_PROTOCOL, createEntry, decodeFrame, encodeFrame, type Author, type VerifiedEntry, type Want
} from '../../src/lib/core/index.js'
import { createNodeFlockNode } from '../../src/lib/p2p/runtime-node.js'
import type { FlockNode } from '../../src/lib/p2p/node.js'
import { EntryStore } from '../../src/lib/p2p/store.js'
import { serveSync } from '../../src/lib/p2p/sync.js'
import { ServeBudget } from '../../src/lib/p2p/serve-budget.js'
import { authorFromSeed } from '../core/helpers.js'
import { tempDir, until } from '../server/harness.js'

const cleanup: Array<() => Promise<void>> = []
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn()
})

async function plainNode (): Promise<Libp2p> {
  const node = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()]
  })
  cleanup.push(async () => { await node.stop() })
  return node
}

async function flockNode (seed: number): Promise<FlockNode> {
  const dir = await tempDir()
  const node = await createNodeFlockNode({ author: await authorFromSeed(seed), dataDir: dir.path })
  cleanup.push(dir.remove, async () => { await node.stop() })
  return node
}

async function chain (author: Author, n: number, text: (i: number) => string = i => `n${i}`): Promise<VerifiedEntry[]> {
  const out: VerifiedEntry[] = []
  const start = Date.now() - n - 60_000
  for (let i = 0; i < n; i++) out.push(await createEntry(author, out.at(-1) ?? null, 'post', { text: text(i) }, start + i))
  return out
}

async function dial (from: FlockNode, to: Libp2p): Promise<void> {
  await from.libp2p.dial(to.getMultiaddrs()[0] as Parameters<typeof from.libp2p.dial>[0])
}

describe('a hostile responder', () => {
  test('cannot plant logs of authors we did not ask for, nor get asked again for them', async () => {
    const [followed, stranger] = await Promise.all([authorFromSeed(31), authorFromSeed(32)])
    const [ours, theirs] = await Promise.all([chain(followed, 3), chain(stranger, 50)])
    const hostile = await plainNode()
    const wants: unknown[] = []
    await hostile.handle(SYNC_PROTOCOL, async (stream) => {
      const lp = lpStream(stream)
      const want = decodeFrame((await lp.read()).subarray())
      wants.push(want)
      // The stranger's log first, claiming far more is held, then what was asked for.
      await lp.write(encodeFrame({ t: 'range', author: stranger.id, log: stranger.id, from: 1, to: 50, head: 10_000 }))
      for (const v of theirs) await lp.write(encodeFrame({ t: 'entry', bytes: v.bytes }))
      await lp.write(encodeFrame({ t: 'range', author: followed.id, log: followed.id, from: 1, to: 3, head: 3 }))
      for (const v of ours) await lp.write(encodeFrame({ t: 'entry', bytes: v.bytes }))
      await lp.write(encodeFrame({ t: 'end' }))
      await stream.close()
    }, { maxInboundStreams: 8 })

    const me = await flockNode(30)
    await me.follow(followed.id)
    await dial(me, hostile)
    me.syncWith(hostile.peerId)
    await me.idle()

    expect(wants.length).toBeGreaterThanOrEqual(1)
    expect(await me.logs.head(stranger.id)).toBeNull()
    expect(await me.logs.authors()).not.toContain(stranger.id)
    for (const v of theirs.slice(0, 3)) expect(await me.logs.get(v.cid)).toBeUndefined()
    // It broke the protocol: disconnected, and not asked again however we are prompted.
    await until('the hostile responder to be disconnected', () => me.libp2p.getConnections(hostile.peerId).length === 0 ? true : undefined, 10_000)
    const asked = wants.length
    await dial(me, hostile)
    me.syncWith(hostile.peerId)
    await me.idle()
    expect(wants.length).toBe(asked)
  })

  test('cannot send more entries than its range announced', async () => {
    const followed = await authorFromSeed(34)
    const log = await chain(followed, 5)
    const hostile = await plainNode()
    await hostile.handle(SYNC_PROTOCOL, async (stream) => {
      const lp = lpStream(stream)
      await lp.read()
      await lp.write(encodeFrame({ t: 'range', author: followed.id, log: followed.id, from: 1, to: 2, head: 2 }))
      for (const v of log) await lp.write(encodeFrame({ t: 'entry', bytes: v.bytes }))
      await lp.write(encodeFrame({ t: 'end' }))
      await stream.close()
    }, { maxInboundStreams: 8 })
    const me = await flockNode(33)
    await me.follow(followed.id)
    await dial(me, hostile)
    me.syncWith(hostile.peerId)
    await me.idle()
    expect((await me.logs.head(followed.id))?.seq).toBe(2)
    expect(await me.logs.get((log[2] as VerifiedEntry).cid)).toBeUndefined()
  })
})

describe('a hostile requester', () => {
  /** Send `want` on a new sync stream to `victim` and count the bytes that come back until it ends. */
  async function pull (from: Libp2p, victim: Libp2p, want: Want[]): Promise<{ bytes: number, ended: 'end' | 'reset' }> {
    const stream = await from.dialProtocol(victim.getMultiaddrs(), SYNC_PROTOCOL)
    const lp = lpStream(stream, { maxDataLength: MAX_SYNC_FRAME_BYTES })
    await lp.write(encodeFrame({ t: 'want', want }))
    let bytes = 0
    try {
      while (true) {
        const frame = (await lp.read({ signal: AbortSignal.timeout(20_000) })).subarray()
        bytes += frame.length
        if (decodeFrame(frame).t === 'end') return { bytes, ended: 'end' }
      }
    } catch {
      return { bytes, ended: 'reset' }
    }
  }

  test('naming one author many times in a want gets nothing', async () => {
    const victim = await flockNode(40)
    const log = await chain(victim.author, 200)
    expect((await victim.importEntries(log)).added).toBe(200)
    const hostile = await plainNode()
    const once = await pull(hostile, victim.libp2p, [{ author: victim.author.id, logs: [{ log: victim.author.id, after: 0 }] }])
    expect(once.ended).toBe('end')
    const repeated = await pull(hostile, victim.libp2p, Array.from({ length: 100 }, () => ({ author: victim.author.id, logs: [{ log: victim.author.id, after: 0 }] })))
    expect(repeated.ended).toBe('reset')
    expect(repeated.bytes).toBeLessThan(once.bytes)
  })

  test('pulling the same log again and again is paced by the per-peer budget for repeats', async () => {
    const author = await authorFromSeed(41)
    const store = new EntryStore(new MemoryBlockstore(), new MemoryDatastore())
    const log = await chain(author, 400, i => `${i} `.padEnd(480, 'x'))
    await store.appendMany(log)
    const rate = 128 * 1024
    const burst = 64 * 1024
    const budget = new ServeBudget({ repeatBytesPerSecond: rate, repeatBurstBytes: burst })
    const victim = await plainNode()
    await victim.handle(SYNC_PROTOCOL, (stream, connection) => {
      void serveSync(stream, store, { budget: budget.forPeer(connection.remotePeer.toString()), signal: AbortSignal.timeout(20_000) })
    }, { maxInboundStreams: 8 })
    const hostile = await plainNode()
    const first = await pull(hostile, victim, [{ author: author.id, logs: [{ log: author.id, after: 0 }] }])
    const started = Date.now()
    const again = await pull(hostile, victim, [{ author: author.id, logs: [{ log: author.id, after: 0 }] }])
    const seconds = (Date.now() - started) / 1000
    // The whole ~220 KB log came once; the same log again is paced after its burst.
    expect(first.bytes).toBeGreaterThan(200_000)
    expect(again.bytes).toBe(first.bytes)
    expect(seconds).toBeGreaterThan((again.bytes - burst) / rate * 0.8)
  })

  test('more sync streams at once than the per-peer cap are refused', async () => {
    const victim = await flockNode(42)
    // About 3 MB: more than one exchange's worth, so a stream that is not read stays busy.
    const log = await chain(victim.author, 600, i => `${i} `.padEnd(480, 'y'))
    expect((await victim.importEntries(log)).added).toBe(600)
    const hostile = await plainNode()
    const streams = await Promise.all(Array.from({ length: 6 }, async () => {
      const stream = await hostile.dialProtocol(victim.libp2p.getMultiaddrs(), SYNC_PROTOCOL).catch(() => undefined)
      if (stream === undefined) return undefined
      await lpStream(stream).write(encodeFrame({ t: 'want', want: [{ author: victim.author.id, logs: [{ log: victim.author.id, after: 0 }] }] })).catch(() => {})
      return stream
    }))
    // Nobody reads: the served ones stay open, waiting for window; the others are refused.
    await until('the victim to refuse the streams beyond its cap', () =>
      streams.filter(s => s === undefined || s.status !== 'open').length >= 4 ? true : undefined, 10_000)
    expect(streams.filter(s => s !== undefined && s.status === 'open').length).toBeLessThanOrEqual(2)
  })
})

test('a peer whose old exchanges hang (a reloaded tab, same peer id) is served on its new connection', async () => {
  const holder = await flockNode(44)
  const log = await chain(holder.author, 600, i => `${i} `.padEnd(480, 'z'))
  expect((await holder.importEntries(log)).added).toBe(600)
  const requester = await plainNode()
  const want = encodeFrame({ t: 'want', want: [{ author: holder.author.id, logs: [{ log: holder.author.id, after: 0 }] }] })
  // Two exchanges nobody reads: they fill this peer's share and stay open, waiting for window.
  const old = await requester.dial(holder.libp2p.getMultiaddrs()[0] as Parameters<typeof requester.dial>[0])
  for (let i = 0; i < 2; i++) await lpStream(await old.newStream(SYNC_PROTOCOL)).write(want)
  const fresh = await requester.dial(holder.libp2p.getMultiaddrs()[0] as Parameters<typeof requester.dial>[0], { force: true })
  expect(fresh.id).not.toBe(old.id)
  const lp = lpStream(await fresh.newStream(SYNC_PROTOCOL), { maxDataLength: MAX_SYNC_FRAME_BYTES })
  await lp.write(want)
  let entries = 0
  for (let t = decodeFrame((await lp.read({ signal: AbortSignal.timeout(20_000) })).subarray()).t; t !== 'end'; t = decodeFrame((await lp.read({ signal: AbortSignal.timeout(20_000) })).subarray()).t) {
    if (t === 'entry') entries++
  }
  expect(entries).toBeGreaterThan(0)
})

test('an honest catch-up of long entries completes, exchange after exchange', async () => {
  const holder = await flockNode(50)
  // Family emoji are one grapheme of 25 bytes: 300 of them make an entry of about 7.6 KB.
  const family = '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}\u200D\u{1F466}'
  const log = await chain(holder.author, 1_200, i => `${i}`.padEnd(4, '.') + family.repeat(299))
  expect(log[0]?.bytes.length).toBeGreaterThan(7_000)
  expect((await holder.importEntries(log)).added).toBe(1_200)

  const fresh = await flockNode(51)
  await fresh.follow(holder.author.id)
  await fresh.libp2p.dial(holder.libp2p.getMultiaddrs()[0] as Parameters<typeof fresh.libp2p.dial>[0])
  await until('the fresh peer to hold all 1,200 long entries', async () =>
    (await fresh.logs.head(holder.author.id))?.seq === 1_200 ? true : undefined, 50_000, 200)
}, 60_000)
