/**
 * The client of a starting tab: the home timeline read from the stored logs must be the one the
 * node's client gives, and the switch to the node's client must happen once, cleanly.
 */
import { afterAll, describe, expect, test, vi, type Mock } from 'vitest'
import { join } from 'node:path'
import { MemoryBlockstore } from 'blockstore-core'
import { MemoryDatastore } from 'datastore-core'
import { LevelBlockstore } from 'blockstore-level'
import { LevelDatastore } from 'datastore-level'
import { createEntry, type Author, type Bodies, type EntryKind, type VerifiedEntry } from '../../src/lib/core/index.js'
import type { ClientEvent, FlockClient } from '../../src/lib/app/client.js'
import { LocalClient } from '../../src/lib/app/local-client.js'
import {
  StartingClient, storedTimeline, type TimelineReader
} from '../../src/lib/app/starting-client.js'
import { EntryStore } from '../../src/lib/p2p/store.js'
import { followsInLog, mergeNewestFirst } from '../../src/lib/p2p/timeline.js'
import { createNodeFlockNode } from '../../src/lib/p2p/runtime-node.js'
import type { FlockNode } from '../../src/lib/p2p/node.js'
import { T0, authorFromSeed } from '../core/helpers.js'
import { tempDir } from '../server/harness.js'
import { fakeClient, post, type FakeClient } from '../state/fake-client.js'

const cleanup: Array<() => Promise<void>> = []
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn()
})

async function * items (...ts: number[]): AsyncGenerator<{ id: string, entry: { ts: number } }> {
  for (const [i, t] of ts.entries()) yield { id: `${t}.${i}`, entry: { ts: t } }
}

/** Write a new log of `author` into `target` (a store, or a node's intake): each entry on top of the previous. */
async function log (target: EntryStore | FlockNode, author: Author, entries: Array<[EntryKind, unknown, number]>): Promise<VerifiedEntry[]> {
  const out: VerifiedEntry[] = []
  let head: VerifiedEntry | null = null
  for (const [kind, body, ts] of entries) {
    head = await createEntry(author, head, kind, body as Bodies[typeof kind], ts)
    out.push(head)
  }
  if (target instanceof EntryStore) await target.appendMany(out)
  else await target.importEntries(out)
  return out
}

describe('reading the stored logs', () => {
  test('mergeNewestFirst merges by timestamp, earlier sources first on ties, up to the limit', async () => {
    const merged = await mergeNewestFirst([items(9, 5, 1), items(8, 5, 2), items()], 10)
    expect(merged.map(m => m.id)).toEqual(['9.0', '8.0', '5.1', '5.1', '2.2', '1.2'])
    expect(merged.map(m => m.entry.ts)).toEqual([9, 8, 5, 5, 2, 1])
    expect((await mergeNewestFirst([items(9, 5, 1), items(8, 5, 2)], 3)).map(m => m.entry.ts)).toEqual([9, 8, 5])
    expect(await mergeNewestFirst([], 5)).toEqual([])
  })

  test('newestFirst yields every entry from the head down, whatever the first batch', async () => {
    const store = new EntryStore(new MemoryBlockstore(), new MemoryDatastore())
    const me = await authorFromSeed(1)
    const entries = await log(store, me, Array.from({ length: 70 }, (_, i) => ['post', { text: `p${i}` }, T0 + i]))
    const expected = entries.map(v => v.cid.toString()).reverse()
    for (const first of [1, 3, 32, 100]) {
      const got: string[] = []
      for await (const v of store.newestFirst(me.id, first)) got.push(v.cid.toString())
      expect(got).toEqual(expected)
    }
    const none: VerifiedEntry[] = []
    for await (const v of store.newestFirst((await authorFromSeed(2)).id)) none.push(v)
    expect(none).toEqual([])
  })

  test('followsInLog replays follows and unfollows in order, as the node does', async () => {
    const store = new EntryStore(new MemoryBlockstore(), new MemoryDatastore())
    const [me, b, c] = await Promise.all([authorFromSeed(1), authorFromSeed(2), authorFromSeed(3)])
    await log(store, me, [
      ['follow', { author: b.id }, T0], ['follow', { author: c.id }, T0 + 1], ['post', { text: 'hi' }, T0 + 2],
      ['unfollow', { author: b.id }, T0 + 3], ['follow', { author: b.id }, T0 + 4], ['follow', { author: c.id }, T0 + 5]
    ])
    expect(await followsInLog(store, me.id)).toEqual([c.id, b.id])
    expect(await followsInLog(store, b.id)).toEqual([])
  })

  test('the stored timeline is the node client\'s timeline', async () => {
    const dir = await tempDir()
    cleanup.push(dir.remove)
    const [me, b, c] = await Promise.all([authorFromSeed(1), authorFromSeed(2), authorFromSeed(3)])
    const node = await createNodeFlockNode({ author: me, dataDir: dir.path })
    let stopped = false
    cleanup.push(async () => { if (!stopped) await node.stop() })
    const views = new LevelDatastore(join(dir.path, 'views'))
    await views.open()
    cleanup.push(async () => { await views.close() })
    const live = await LocalClient.open(node, views, [])
    const now = Date.now()
    // Only logs of authors we follow are taken in from outside the network.
    await live.follow(b.id)
    const [, b1, b2] = await log(node, b, [
      ['profile', { name: 'Bea', bio: '' }, now - 10_000], ['post', { text: 'from b' }, now - 9_000], ['post', { text: 'b again' }, now - 1_000]
    ])
    // Someone we never follow: their posts stay out of the home timeline.
    await log(node, c, [['post', { text: 'from c' }, now - 5_000]])
    await live.post({ text: 'mine first' })
    await live.like((b1 as VerifiedEntry).cid.toString())
    await live.repost((b2 as VerifiedEntry).cid.toString())
    const { cid: gone } = await live.post({ text: 'deleted later' })
    await live.post({ text: 'a reply', replyTo: (b1 as VerifiedEntry).cid.toString() })
    await live.remove(gone)
    const expected = [await live.timeline(50), await live.timeline(2)]
    expect(expected[0]?.map(p => p.text ?? p.kind)).toEqual(['a reply', 'repost', 'mine first', 'b again', 'from b'])
    await node.stop()
    stopped = true

    const blocks = new LevelBlockstore(join(dir.path, 'blocks'))
    const index = new LevelDatastore(join(dir.path, 'index'))
    await blocks.open()
    await index.open()
    cleanup.push(async () => {
      await blocks.close()
      await index.close()
    })
    const stored = await storedTimeline(me.id, { store: new EntryStore(blocks, index), views })
    expect([await stored.timeline(50), await stored.timeline(2)]).toEqual(expected)
  })
})

/** A stored view whose reads finish when the test says so. */
function storedView (client: FakeClient): { reader: TimelineReader, release: () => void, close: Mock<() => Promise<void>> } {
  let release = (): void => {}
  const gate = new Promise<void>(resolve => { release = resolve })
  return {
    reader: { timeline: async (limit) => { await gate; return await client.timeline(limit) } },
    release: () => { release() },
    close: vi.fn(async () => {})
  }
}

function deferred (): { promise: Promise<FlockClient>, resolve: (c: FlockClient) => void, reject: (e: Error) => void } {
  let resolve!: (c: FlockClient) => void
  let reject!: (e: Error) => void
  const promise = new Promise<FlockClient>((res, rej) => { resolve = res; reject = rej })
  return { promise, resolve, reject }
}

describe('StartingClient', () => {
  test('answers the timeline from the stored logs, then switches to the node once it is up', async () => {
    const stored = fakeClient()
    stored.posts = [post('p1', 'stored')]
    const node = fakeClient()
    node.posts = [post('p1', 'stored'), post('p2', 'new')]
    const view = storedView(stored)
    const live = deferred()
    const client = new StartingClient(node.author, live.promise, { value: view.reader, close: view.close })
    const events: ClientEvent[] = []
    const off = client.subscribe(e => { events.push(e) })

    const first = client.timeline(50)
    let posted: string | undefined
    void client.post({ text: 'hi' }).then(w => { posted = w.cid })
    live.resolve(node)
    await vi.waitFor(() => { expect(events).toEqual([{ type: 'live' }]) })
    // The read that started on the stored logs finishes there, and only then are they closed.
    expect(view.close).not.toHaveBeenCalled()
    view.release()
    expect((await first).map(p => p.cid)).toEqual(['p1'])
    await vi.waitFor(() => { expect(view.close).toHaveBeenCalledOnce() })
    await vi.waitFor(() => { expect(posted).toBe('bafyNew') })
    expect(node.calls).toContainEqual(['post', { text: 'hi' }])

    expect((await client.timeline(50)).map(p => p.cid)).toEqual(['p1', 'p2'])
    expect(stored.calls.filter(c => c[0] === 'timeline')).toHaveLength(1)
    const entry: ClientEvent = { type: 'network' }
    node.emit(entry)
    expect(events).toEqual([{ type: 'live' }, entry])
    off()
    expect(node.listeners).toBe(0)
  })

  test('falls back to the node when the stored logs cannot be read', async () => {
    const node = fakeClient()
    node.posts = [post('p9')]
    const close = vi.fn(async () => {})
    const client = new StartingClient(node.author, Promise.resolve(node), {
      value: { timeline: async () => { throw new Error('IndexedDB is gone') } },
      close
    })
    expect((await client.timeline()).map(p => p.cid)).toEqual(['p9'])
    await client.live
    await vi.waitFor(() => { expect(close).toHaveBeenCalledOnce() })
  })

  test('a node that fails to start fails every call that needs it, and the stored logs are closed', async () => {
    const stored = fakeClient()
    const view = storedView(stored)
    view.release()
    const live = deferred()
    const client = new StartingClient(stored.author, live.promise, { value: view.reader, close: view.close })
    await client.timeline()
    live.reject(new Error('no transports'))
    await expect(client.live).rejects.toThrow('no transports')
    await expect(client.post({ text: 'x' })).rejects.toThrow('no transports')
    expect(view.close).toHaveBeenCalledOnce()
  })
})
