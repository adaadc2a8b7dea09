/**
 * The read model over a real EntryStore: which entries refer to which, whom they notify, latest
 * profiles and tombstones, and the watermark that lets it catch up from the logs without indexing
 * anything twice. The model gets a datastore of its own, apart from the store's, so only its keys
 * are under test.
 */
import { beforeAll, describe, expect, test } from 'vitest'
import { MemoryBlockstore } from 'blockstore-core'
import { MemoryDatastore } from 'datastore-core'
import { Key } from 'interface-datastore'
import type { CID } from 'multiformats/cid'
import { createEntry, type Author, type Bodies, type EntryKind, type VerifiedEntry } from '../../src/lib/core/index.js'
import { ReadModel, type LogSource as LogReader } from '../../src/lib/app/read-model.js'
import { EntryStore } from '../../src/lib/p2p/store.js'
import { T0, authorFromSeed, cborCid } from '../core/helpers.js'

/** One author's log as the tests sign it, each entry following the last. */
class Writer {
  #head: VerifiedEntry | null = null
  constructor (readonly author: Author) {}

  get id (): string {
    return this.author.id
  }

  async next<K extends EntryKind> (kind: K, body: Bodies[K], ts: number): Promise<VerifiedEntry<K>> {
    const v = await createEntry(this.author, this.#head, kind, body, ts)
    this.#head = v
    return v
  }
}

interface World {
  store: EntryStore
  index: MemoryDatastore
  model: ReadModel
  /** Append entries to the store and hand them to the model, as the node's 'entry' events do. */
  deliver: (...entries: VerifiedEntry[]) => Promise<void>
}

function world (reader: (store: EntryStore) => LogReader = store => store): World {
  const store = new EntryStore(new MemoryBlockstore(), new MemoryDatastore())
  const index = new MemoryDatastore()
  const model = new ReadModel(index, reader(store))
  return {
    store,
    index,
    model,
    deliver: async (...entries) => {
      for (const v of entries) await store.append(v)
      model.add(entries)
    }
  }
}

/** A LogReader over `store` whose calls a test can watch or break. */
function watched (store: EntryStore, hooks: { get?: (cid: CID) => void, authors?: () => Promise<void> }): LogReader {
  return {
    get: async cid => {
      hooks.get?.(cid)
      return await store.get(cid)
    },
    head: async author => await store.head(author),
    logsOf: async author => await store.logsOf(author),
    range: (author, from, to) => store.range(author, from, to),
    authors: async () => {
      await hooks.authors?.()
      return await store.authors()
    }
  }
}

async function allKeys (index: MemoryDatastore): Promise<string[]> {
  const out: string[] = []
  for await (const key of index.queryKeys({})) out.push(key.toString())
  return out.sort()
}

const cids = (vs: VerifiedEntry[]): string[] => vs.map(v => v.cid.toString())
const strings = (cs: CID[]): string[] => cs.map(c => c.toString()).sort()

let identities: [Author, Author, Author]
beforeAll(async () => {
  identities = [await authorFromSeed(1), await authorFromSeed(2), await authorFromSeed(3)]
})

/** Three fresh logs of fixed authors; each test starts its own, since a Writer keeps its head. */
function writers (): [Writer, Writer, Writer] {
  return [new Writer(identities[0]), new Writer(identities[1]), new Writer(identities[2])]
}

describe('references and notifications', () => {
  test('replies, quotes, mentions, likes, reposts and follows notify their target', async () => {
    const [a, b, c] = writers()
    const { model, deliver } = world()
    const root = await b.next('post', { text: 'root' }, T0)
    await deliver(root)
    const reply = await a.next('post', { text: 'reply', reply: { root: root.cid, parent: root.cid }, mentions: [c.id] }, T0 + 1000)
    const quote = await a.next('post', { text: 'quote', quote: root.cid }, T0 + 2000)
    const like = await a.next('like', { subject: root.cid, author: b.id }, T0 + 3000)
    const repost = await a.next('repost', { subject: root.cid, author: b.id }, T0 + 4000)
    const follow = await a.next('follow', { author: b.id }, T0 + 5000)
    const unfollow = await a.next('unfollow', { author: b.id }, T0 + 6000)
    await deliver(reply, quote, like, repost, follow, unfollow)

    expect(strings(await model.refs(root.cid, 'reply'))).toEqual([reply.cid.toString()])
    expect(strings(await model.refs(root.cid, 'quote'))).toEqual([quote.cid.toString()])
    expect(strings(await model.refs(root.cid, 'like'))).toEqual([like.cid.toString()])
    expect(strings(await model.refs(root.cid, 'repost'))).toEqual([repost.cid.toString()])
    expect(await model.refs(reply.cid, 'reply')).toEqual([])
    expect(cids(await model.notifications(b.id))).toEqual(cids([follow, repost, like, quote, reply]))
    expect(cids(await model.notifications(b.id, 2))).toEqual(cids([follow, repost]))
    expect(cids(await model.notifications(c.id))).toEqual(cids([reply]))
    expect(await model.notifications(a.id)).toEqual([])
  })

  test('acting on one\'s own entries or mentioning oneself notifies no one, but still counts', async () => {
    const [a] = writers()
    const { model, deliver } = world()
    const root = await a.next('post', { text: 'mine' }, T0)
    const reply = await a.next('post', { text: 'me again', reply: { root: root.cid, parent: root.cid }, quote: root.cid, mentions: [a.id] }, T0 + 1)
    const like = await a.next('like', { subject: root.cid, author: a.id }, T0 + 2)
    const repost = await a.next('repost', { subject: root.cid, author: a.id }, T0 + 3)
    await deliver(root, reply, like, repost)
    expect(await model.notifications(a.id)).toEqual([])
    expect(strings(await model.refs(root.cid, 'reply'))).toEqual([reply.cid.toString()])
    expect(strings(await model.refs(root.cid, 'quote'))).toEqual([reply.cid.toString()])
    expect(strings(await model.refs(root.cid, 'like'))).toEqual([like.cid.toString()])
  })

  test('a notification arriving later with an older ts is ordered by ts', async () => {
    const [a, b, c] = writers()
    const { model, deliver } = world()
    const root = await b.next('post', { text: 'root' }, T0)
    const late = await c.next('like', { subject: root.cid, author: b.id }, T0 + 5000)
    const early = await a.next('like', { subject: root.cid, author: b.id }, T0 + 1000)
    await deliver(root)
    await deliver(late)
    expect(cids(await model.notifications(b.id))).toEqual(cids([late]))
    await deliver(early)
    expect(cids(await model.notifications(b.id))).toEqual(cids([late, early]))
  })

  test('a reply and its parent in one batch: the parent\'s author is found in the batch, not read back', async () => {
    const [a, b] = writers()
    const gets: string[] = []
    const { model, deliver } = world(store => watched(store, { get: cid => { gets.push(cid.toString()) } }))
    const root = await b.next('post', { text: 'root' }, T0)
    const reply = await a.next('post', { text: 'reply', reply: { root: root.cid, parent: root.cid } }, T0 + 1)
    // The reply first: the batch is looked up as a whole, not only what came before in it.
    await deliver(reply, root)
    await model.idle()
    expect(gets).toEqual([])
    expect(strings(await model.refs(root.cid, 'reply'))).toEqual([reply.cid.toString()])
    expect(cids(await model.notifications(b.id))).toEqual(cids([reply]))
  })

  test('a reply to an entry that is not held still counts as a reply', async () => {
    const [a] = writers()
    const { model, deliver } = world()
    const missing = await cborCid('not held')
    const reply = await a.next('post', { text: 'reply', reply: { root: missing, parent: missing } }, T0)
    await deliver(reply)
    expect(strings(await model.refs(missing, 'reply'))).toEqual([reply.cid.toString()])
  })
})

describe('profiles and tombstones', () => {
  test('the latest profile wins, whether it came alone or with an older one in one batch', async () => {
    const [a, b] = writers()
    const { model, deliver } = world()
    expect(await model.profile(a.id)).toBeUndefined()
    const first = await a.next('profile', { name: 'Ann', bio: '' }, T0)
    await deliver(first)
    expect((await model.profile(a.id))?.cid.toString()).toBe(first.cid.toString())
    const second = await a.next('profile', { name: 'Ann B', bio: 'two' }, T0 + 1)
    await deliver(second)
    expect((await model.profile(a.id))?.entry.body.name).toBe('Ann B')

    const older = await b.next('profile', { name: 'Bo', bio: '' }, T0)
    const post = await b.next('post', { text: 'between' }, T0 + 1)
    const newer = await b.next('profile', { name: 'Bob', bio: '' }, T0 + 2)
    await deliver(older, post, newer)
    expect((await model.profile(b.id))?.cid.toString()).toBe(newer.cid.toString())
  })

  test('a tombstone counts only when the subject\'s author deleted it', async () => {
    const [a, b] = writers()
    const { model, deliver } = world()
    const kept = await a.next('post', { text: 'kept' }, T0)
    const gone = await a.next('post', { text: 'gone' }, T0 + 1)
    await deliver(kept, gone)
    await deliver(await b.next('delete', { subject: kept.cid }, T0 + 2))
    await deliver(await a.next('delete', { subject: gone.cid }, T0 + 3))
    expect(await model.isDeleted(kept.cid)).toBe(false)
    expect(await model.isDeleted(gone.cid)).toBe(true)
    // The subject and its deletion in one batch.
    const brief = await a.next('post', { text: 'brief' }, T0 + 4)
    await deliver(brief, await a.next('delete', { subject: brief.cid }, T0 + 5))
    expect(await model.isDeleted(brief.cid)).toBe(true)
    expect(await model.isDeleted(await cborCid('never held'))).toBe(false)
  })
})

describe('watermark and queue', () => {
  async function history (): Promise<{ entries: VerifiedEntry[], root: VerifiedEntry, b: Writer }> {
    const [a, b] = writers()
    const root = await b.next('post', { text: 'root' }, T0)
    const profile = await b.next('profile', { name: 'Bo', bio: '' }, T0 + 1)
    const reply = await a.next('post', { text: 'reply', reply: { root: root.cid, parent: root.cid } }, T0 + 2)
    const like = await a.next('like', { subject: root.cid, author: b.id }, T0 + 3)
    const own = await a.next('post', { text: 'own' }, T0 + 4)
    const del = await a.next('delete', { subject: own.cid }, T0 + 5)
    return { entries: [root, profile, reply, like, own, del], root, b }
  }

  test('catchUp indexes entries stored before the model existed, and a second catchUp adds nothing', async () => {
    const { entries, root, b } = await history()
    const store = new EntryStore(new MemoryBlockstore(), new MemoryDatastore())
    for (const v of entries) await store.append(v)
    const index = new MemoryDatastore()
    const model = new ReadModel(index, store)
    await model.catchUp()
    const [, profile, reply, like, own] = entries as [VerifiedEntry, VerifiedEntry, VerifiedEntry, VerifiedEntry, VerifiedEntry]
    expect(strings(await model.refs(root.cid, 'reply'))).toEqual([reply.cid.toString()])
    expect(strings(await model.refs(root.cid, 'like'))).toEqual([like.cid.toString()])
    expect(cids(await model.notifications(b.id))).toEqual(cids([like, reply]))
    expect((await model.profile(b.id))?.cid.toString()).toBe(profile.cid.toString())
    expect(await model.isDeleted(own.cid)).toBe(true)
    expect(await index.has(new Key(`/flock/indexed/${b.id}`))).toBe(true)

    const keys = await allKeys(index)
    await model.catchUp()
    // A restarted model reads the watermark from the datastore, not from memory.
    await new ReadModel(index, store).catchUp()
    expect(await allKeys(index)).toEqual(keys)
    expect(await model.refs(root.cid, 'reply')).toHaveLength(1)
    expect(await model.refs(root.cid, 'like')).toHaveLength(1)
  })

  test('catchUp picks up entries stored while no event was seen, and rebuilds a wiped index alike', async () => {
    const { entries, root } = await history()
    const { store, index, model, deliver } = world()
    await deliver(...entries.slice(0, 3))
    for (const v of entries.slice(3)) await store.append(v)
    await model.catchUp()
    expect(await model.refs(root.cid, 'like')).toHaveLength(1)

    const fresh = new MemoryDatastore()
    await new ReadModel(fresh, store).catchUp()
    expect(await allKeys(fresh)).toEqual(await allKeys(index))
  })

  test('add() of entries at or below the watermark writes nothing', async () => {
    const { entries, root } = await history()
    const { index, model, deliver } = world()
    await deliver(...entries)
    await model.idle()
    const reply = entries[2] as VerifiedEntry
    // Remove one derived key by hand: if the repeated add indexed anything, it would come back.
    const replyKey = new Key(`/flock/ref/${root.cid.toString()}/reply/${reply.cid.toString()}`)
    expect(await index.has(replyKey)).toBe(true)
    await index.delete(replyKey)
    const keys = await allKeys(index)
    model.add(entries)
    model.add([reply])
    await model.idle()
    expect(await allKeys(index)).toEqual(keys)
  })

  test('an entry past a gap after the watermark indexes the gap from the log first', async () => {
    const { entries, root } = await history()
    const { store, model } = world()
    for (const v of entries) await store.append(v)
    const [rootEntry, , reply, like] = entries as [VerifiedEntry, VerifiedEntry, VerifiedEntry, VerifiedEntry]
    model.add([rootEntry])
    // A's seq 2 without its seq 1: the reply must not be skipped for good.
    model.add([like])
    expect(strings(await model.refs(root.cid, 'reply'))).toEqual([reply.cid.toString()])
    expect(strings(await model.refs(root.cid, 'like'))).toEqual([like.cid.toString()])
  })

  test('idle() waits for a catchUp in flight and the entries queued behind it', async () => {
    const { entries, root } = await history()
    let release = (): void => {}
    const gate = new Promise<void>(resolve => { release = resolve })
    let entered = (): void => {}
    const catchingUp = new Promise<void>(resolve => { entered = resolve })
    const { store, index, model, deliver } = world(store => watched(store, {
      authors: async () => {
        entered()
        await gate
      }
    }))
    for (const v of entries.slice(0, 2)) await store.append(v)
    const caughtUp = model.catchUp()
    await catchingUp
    await deliver(...entries.slice(2))
    let done = false
    const idle = model.idle().then(() => { done = true })
    await new Promise(resolve => setImmediate(resolve))
    expect(done).toBe(false)
    expect(await allKeys(index)).toEqual([])
    release()
    await idle
    await caughtUp
    // Read the datastore directly: a query would wait for idle() itself.
    const likes: string[] = []
    for await (const key of index.queryKeys({ prefix: `/flock/ref/${root.cid.toString()}/like/` })) likes.push(key.toString())
    expect(likes).toHaveLength(1)
  })

  test('a failed add is logged, never thrown, and the next catchUp indexes what it missed', async () => {
    const { entries, root } = await history()
    let fail = true
    const { model, deliver } = world(store => watched(store, {
      get: () => {
        if (fail) throw Object.assign(new Error('EIO: read failed'), { name: 'ReadError' })
      }
    }))
    const [rootEntry, profile, reply] = entries as [VerifiedEntry, VerifiedEntry, VerifiedEntry]
    await deliver(rootEntry, profile)
    await model.idle()
    // Another add, so the reply's parent is read back from the log, where the read fails.
    await deliver(reply)
    expect(await model.refs(root.cid, 'reply')).toEqual([])
    fail = false
    await model.catchUp()
    expect(strings(await model.refs(root.cid, 'reply'))).toEqual([reply.cid.toString()])
  })
})
