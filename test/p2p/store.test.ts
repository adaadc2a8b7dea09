import { afterEach, describe, expect, test } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemoryBlockstore } from 'blockstore-core'
import { MemoryDatastore } from 'datastore-core'
import { LevelBlockstore } from 'blockstore-level'
import { LevelDatastore } from 'datastore-level'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import {
  authorFromPrivateKey, createEntry, type Author, type VerifiedEntry
} from '../../src/lib/core/index.js'
import { EntryStore } from '../../src/lib/p2p/store.js'

async function author (seed: number): Promise<Author> {
  return authorFromPrivateKey(await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(seed)))
}

async function chain (a: Author, n: number, start: VerifiedEntry | null = null, text = 'post'): Promise<VerifiedEntry[]> {
  const out: VerifiedEntry[] = []
  let head = start
  for (let i = 0; i < n; i++) {
    head = await createEntry(a, head, 'post', { text: `${text} ${i}` }, 1_700_000_000_000 + i)
    out.push(head)
  }
  return out
}

interface Backend { name: string, open: () => Promise<{ store: EntryStore, reopen: () => Promise<EntryStore>, close: () => Promise<void> }> }

const dirs: string[] = []
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

const backends: Backend[] = [
  {
    name: 'memory',
    open: async () => {
      const blocks = new MemoryBlockstore()
      const index = new MemoryDatastore()
      return { store: new EntryStore(blocks, index), reopen: async () => new EntryStore(blocks, index), close: async () => {} }
    }
  },
  {
    name: 'level',
    open: async () => {
      const dir = await mkdtemp(join(tmpdir(), 'flock-store-'))
      dirs.push(dir)
      let blocks = new LevelBlockstore(join(dir, 'blocks'))
      let index = new LevelDatastore(join(dir, 'index'))
      await blocks.open()
      await index.open()
      return {
        store: new EntryStore(blocks, index),
        reopen: async () => {
          await blocks.close()
          await index.close()
          blocks = new LevelBlockstore(join(dir, 'blocks'))
          index = new LevelDatastore(join(dir, 'index'))
          await blocks.open()
          await index.open()
          return new EntryStore(blocks, index)
        },
        close: async () => {
          await blocks.close()
          await index.close()
        }
      }
    }
  }
]

describe.each(backends)('EntryStore on $name', ({ open }) => {
  test('appends a chain, reads it back by seq and range, and keeps it across reopen', async () => {
    const a = await author(1)
    const entries = await chain(a, 50)
    const { store, reopen, close } = await open()
    expect((await store.appendMany(entries.slice(0, 20))).added).toEqual(entries.slice(0, 20))
    for (const v of entries.slice(20)) expect(await store.append(v)).toBe('added')
    const again = await reopen()
    expect((await again.head(a.id))?.seq).toBe(50)
    expect((await again.head(a.id))?.cid.equals(entries[49]?.cid)).toBe(true)
    const range: Uint8Array[] = []
    for await (const bytes of again.range(a.id, 10, 12)) range.push(bytes)
    expect(range).toEqual(entries.slice(9, 12).map(v => v.bytes))
    expect((await again.at(a.id, 7))?.cid.toString()).toBe(entries[6]?.cid.toString())
    expect(await again.authors()).toEqual([a.id])
    await close()
  })

  test('ranges read the same entries whether scanned or looked up by seq, and stop at the end of the log', async () => {
    const [a, b] = [await author(11), await author(12)]
    const as = await chain(a, 200)
    const bs = await chain(b, 60)
    const { store, close } = await open()
    // Interleave the two authors' appends, so one log's keys sit among the other's writes.
    for (let i = 0; i < 200; i++) {
      await store.append(as[i] as VerifiedEntry)
      if (i < 60) await store.append(bs[i] as VerifiedEntry)
    }
    const read = async (author: Author, from: number, to: number): Promise<Uint8Array[]> => {
      const out: Uint8Array[] = []
      for await (const bytes of store.range(author.id, from, to)) out.push(bytes)
      return out
    }
    const cases: Array<[number, number]> = [[1, 200], [1, 100], [150, 200], [190, 200], [195, 300], [40, 199], [200, 200], [5, 4], [201, 400]]
    for (const [from, to] of cases) {
      expect(await read(a, from, to), `range ${from}..${to}`).toEqual(as.slice(from - 1, Math.min(to, 200)).map(v => v.bytes))
    }
    expect(await read(b, 1, 1000)).toEqual(bs.map(v => v.bytes))
    await close()
  })

  test('a block read failing ahead of a slow reader surfaces at that entry, never as an unhandled rejection', async () => {
    const a = await author(13)
    const entries = await chain(a, 40)
    const blocks = new MemoryBlockstore()
    const index = new MemoryDatastore()
    const broken = entries[9]?.cid.toString()
    const failing = new Proxy(blocks, {
      get (target, prop, receiver) {
        if (prop !== 'get') return Reflect.get(target, prop, receiver) as unknown
        return (cid: { toString: () => string }, options?: unknown) => {
          if (cid.toString() === broken) throw Object.assign(new Error('EIO: read failed'), { name: 'ReadError' })
          return target.get(cid as Parameters<typeof target.get>[0], options as Parameters<typeof target.get>[1])
        }
      }
    })
    const flaky = new EntryStore(failing, index)
    await flaky.appendMany(entries)
    const got: Uint8Array[] = []
    await expect((async () => {
      for await (const bytes of flaky.range(a.id, 1, 40)) {
        got.push(bytes)
        // A reader that yields to the event loop while read-ahead is in flight.
        for (let i = 0; i < 5; i++) await new Promise(resolve => setImmediate(resolve))
      }
    })()).rejects.toThrow('EIO')
    expect(got).toEqual(entries.slice(0, 9).map(v => v.bytes))
  })

  test('duplicates are reported, gaps and wrong prev are refused without damaging the log', async () => {
    const a = await author(2)
    const entries = await chain(a, 5)
    const { store, close } = await open()
    await store.appendMany(entries.slice(0, 3))
    expect(await store.append(entries[1] as VerifiedEntry)).toBe('duplicate')
    await expect(store.append(entries[4] as VerifiedEntry)).rejects.toMatchObject({ name: 'SeqGapError' })
    // seq 4 of another history: its prev is not our seq 3
    const other = await chain(a, 3, entries[0] as VerifiedEntry, 'other')
    const wrongPrev = other[2] as VerifiedEntry
    expect(wrongPrev.entry.seq).toBe(4)
    await expect(store.append(wrongPrev)).rejects.toMatchObject({ name: 'PrevMismatchError' })
    expect((await store.head(a.id))?.seq).toBe(3)
    await close()
  })

  test('a second entry at a held seq is kept as fork evidence', async () => {
    const a = await author(3)
    const entries = await chain(a, 3)
    const forked = await chain(a, 1, entries[0] as VerifiedEntry, 'forked')
    const { store, close } = await open()
    await store.appendMany(entries)
    const err = await store.append(forked[0] as VerifiedEntry).catch((e: unknown) => e)
    expect(err).toMatchObject({ name: 'ForkError', seq: 2 })
    const forks = await store.forks(a.id)
    expect(forks).toHaveLength(1)
    expect(forks[0]?.cids.map(c => c.toString())).toEqual([entries[1]?.cid.toString(), forked[0]?.cid.toString()])
    expect(await store.hasBlock((forked[0] as VerifiedEntry).cid)).toBe(true)
    expect((await store.head(a.id))?.seq).toBe(3)
    await close()
  })

  test('a batch that breaks midway keeps the valid prefix', async () => {
    const a = await author(4)
    const entries = await chain(a, 6)
    const { store, close } = await open()
    const batch = [...entries.slice(0, 3), entries[4] as VerifiedEntry]
    expect((await store.appendMany(batch)).refused?.error).toMatchObject({ name: 'SeqGapError' })
    expect((await store.head(a.id))?.seq).toBe(3)
    await close()
  })

  test('concurrent appends of one author are serialised', async () => {
    const a = await author(5)
    const entries = await chain(a, 30)
    const { store, close } = await open()
    const results = await Promise.allSettled(entries.map(async v => await store.append(v)))
    expect(results.every(r => r.status === 'fulfilled')).toBe(true)
    expect((await store.head(a.id))?.seq).toBe(30)
    await close()
  })
})
