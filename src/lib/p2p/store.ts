/**
 * The local entry store: entry blocks in a Helia blockstore (so bitswap can serve them by CID) and an
 * index in a datastore: each author's log by seq, its head, and fork evidence. The same code runs on
 * LevelDB (Node) and IndexedDB (browser) because both implement the interface-store contracts.
 *
 * Appends are serialised per author: gossip and sync may deliver the same author's entries at once,
 * and the chain check must see the head the previous append wrote.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { Key, type Datastore } from 'interface-datastore'
import type { Blockstore } from 'interface-blockstore'
import { CID } from 'multiformats/cid'
import {
  FlockError, ForkError, checkNext, restoreVerified, type LogHead, type VerifiedEntry
} from '../core/index.js'

export interface StoredHead extends LogHead {
  seq: number
  cid: CID
  ts: number
}

export type AppendResult = 'added' | 'duplicate'

/** The index names a block the blockstore does not hold: storage was damaged outside this code. */
export class StoreCorruptionError extends FlockError {
  readonly code = 'STORE_CORRUPTION'
  override readonly name = 'StoreCorruptionError'
}

const SEQ_DIGITS = 16
/** Block reads in flight ahead of the entry a range is yielding. */
const RANGE_READ_AHEAD = 16
/** Most entries newestFirst reads at once. */
const NEWEST_FIRST_MAX_BATCH = 32

function seqKey (seq: number): string {
  return String(seq).padStart(SEQ_DIGITS, '0')
}

const headKey = (author: string): Key => new Key(`/flock/head/${author}`)
const logKey = (author: string, seq: number): Key => new Key(`/flock/log/${author}/${seqKey(seq)}`)
const forkKey = (author: string, seq: number): Key => new Key(`/flock/fork/${author}/${seqKey(seq)}`)
const refKey = (subject: CID, kind: RefKind, cid: CID): Key => new Key(`/flock/ref/${subject.toString()}/${kind}/${cid.toString()}`)
const notifyKey = (target: string, v: VerifiedEntry): Key => new Key(`/flock/notify/${target}/${seqKey(v.entry.ts)}-${v.cid.toString()}`)
const profileKey = (author: string): Key => new Key(`/flock/profile/${author}`)
const deletedKey = (subject: CID): Key => new Key(`/flock/deleted/${subject.toString()}`)

/** How one entry can refer to another: the secondary indexes threads, counts and notifications use. */
export type RefKind = 'reply' | 'like' | 'repost' | 'quote'

export async function collect (chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  let size = 0
  for await (const chunk of chunks) {
    parts.push(chunk)
    size += chunk.length
  }
  if (parts.length === 1) return parts[0] as Uint8Array
  const out = new Uint8Array(size)
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

// A read of an absent key throws interface-store's NotFoundError on every backend.
function isNotFound (err: unknown): boolean {
  return err instanceof Error && err.name === 'NotFoundError'
}

export class EntryStore {
  readonly #blocks: Blockstore
  readonly #index: Datastore
  readonly #heads = new Map<string, StoredHead | null>()
  readonly #locks = new Map<string, Promise<unknown>>()

  constructor (blocks: Blockstore, index: Datastore) {
    this.#blocks = blocks
    this.#index = index
  }

  async head (author: string): Promise<StoredHead | null> {
    if (this.#heads.has(author)) return this.#heads.get(author) ?? null
    let head: StoredHead | null = null
    const stored = await this.#read(headKey(author))
    if (stored !== undefined) {
      const raw = dagCbor.decode<{ seq: number, cid: CID, ts: number }>(stored)
      head = { seq: raw.seq, cid: CID.asCID(raw.cid) as CID, ts: raw.ts }
    }
    this.#heads.set(author, head)
    return head
  }

  async cidAt (author: string, seq: number): Promise<CID | undefined> {
    const stored = await this.#read(logKey(author, seq))
    return stored === undefined ? undefined : CID.decode(stored)
  }

  /** An index value, or undefined when the key is absent: one read rather than has() then get(). */
  async #read (key: Key): Promise<Uint8Array | undefined> {
    try {
      return await this.#index.get(key)
    } catch (err) {
      if (isNotFound(err)) return undefined
      throw err
    }
  }

  async hasBlock (cid: CID): Promise<boolean> {
    return await this.#blocks.has(cid)
  }

  async getBytes (cid: CID): Promise<Uint8Array | undefined> {
    try {
      return await collect(this.#blocks.get(cid))
    } catch (err) {
      if (isNotFound(err)) return undefined
      throw err
    }
  }

  async get (cid: CID): Promise<VerifiedEntry | undefined> {
    const bytes = await this.getBytes(cid)
    return bytes === undefined ? undefined : restoreVerified(bytes, cid)
  }

  async at (author: string, seq: number): Promise<VerifiedEntry | undefined> {
    const cid = await this.cidAt(author, seq)
    return cid === undefined ? undefined : await this.get(cid)
  }

  /** Entry bytes of `author` from seq `from` to `to` inclusive, in order; stops at the first missing one. */
  async * range (author: string, from: number, to: number, options: { signal?: AbortSignal } = {}): AsyncGenerator<Uint8Array> {
    // Each entry takes two reads, its CID from the index and then its block, and each is a round trip
    // to the store's I/O (LevelDB's threads, IndexedDB's transactions). In order, one at a time, they
    // would dominate serving a long range, so reads run a few entries ahead of the one yielded.
    const read = async (seq: number): Promise<Uint8Array | undefined> => {
      const cid = await this.cidAt(author, seq)
      return cid === undefined ? undefined : await this.getBytes(cid)
    }
    const ahead: Array<Promise<Uint8Array | undefined>> = []
    let next = from
    while (next <= to || ahead.length > 0) {
      while (next <= to && ahead.length < RANGE_READ_AHEAD) {
        const pending = read(next++)
        // A failure surfaces where the read is awaited below; until then, or if the range stops
        // early, it must not count as an unhandled rejection.
        pending.catch(() => {})
        ahead.push(pending)
      }
      options.signal?.throwIfAborted()
      const bytes = await ahead.shift()
      if (bytes === undefined) return
      yield bytes
    }
  }

  /**
   * Entries of `author`, newest first. They are read in batches of parallel reads that double from
   * `firstBatch` up to NEWEST_FIRST_MAX_BATCH: one store round trip per batch rather than per entry,
   * and little read ahead for an author a timeline takes few entries of.
   */
  async * newestFirst (author: string, firstBatch = 1): AsyncGenerator<VerifiedEntry> {
    let seq = (await this.head(author))?.seq ?? 0
    for (let batch = Math.min(Math.max(1, firstBatch), NEWEST_FIRST_MAX_BATCH); seq >= 1; batch = Math.min(batch * 2, NEWEST_FIRST_MAX_BATCH)) {
      const seqs = Array.from({ length: Math.min(batch, seq) }, (_, i) => seq - i)
      seq -= seqs.length
      for (const v of await Promise.all(seqs.map(async s => await this.at(author, s)))) {
        if (v !== undefined) yield v
      }
    }
  }

  /**
   * Append a verified entry to its author's log. Throws the chain errors of core/log.ts; a second
   * entry at a held seq is stored as fork evidence and then thrown as ForkError.
   */
  async append (v: VerifiedEntry): Promise<AppendResult> {
    const results = await this.appendMany([v])
    return results[0] ?? 'duplicate'
  }

  /**
   * Append consecutive entries of one author in one index batch (sync delivers them that way).
   * Entries before the first failing one are kept; the failure is thrown after they are written.
   */
  async appendMany (entries: VerifiedEntry[]): Promise<AppendResult[]> {
    const first = entries[0]
    if (first === undefined) return []
    const author = first.entry.author
    return await this.#locked(author, async () => {
      let head = await this.head(author)
      const accepted: VerifiedEntry[] = []
      const results: AppendResult[] = []
      let failure: unknown
      for (const v of entries) {
        try {
          if (head !== null && v.entry.seq <= head.seq && v.entry.author === author) {
            const held = await this.cidAt(author, v.entry.seq) ?? accepted.find(a => a.entry.seq === v.entry.seq)?.cid
            if (held !== undefined && held.equals(v.cid)) {
              results.push('duplicate')
              continue
            }
            if (held !== undefined) {
              await this.#recordFork(author, v.entry.seq, held, v)
              const heldEntry = accepted.find(a => a.cid.equals(held)) ?? await this.get(held)
              if (heldEntry === undefined) throw new StoreCorruptionError(`index names ${held.toString()} but its block is missing`)
              throw new ForkError(author, v.entry.seq, [heldEntry, v] as const)
            }
          }
          checkNext(author, head, v)
          accepted.push(v)
          results.push('added')
          head = { seq: v.entry.seq, cid: v.cid, ts: v.entry.ts }
        } catch (err) {
          failure = err
          break
        }
      }
      if (accepted.length > 0) await this.#write(author, accepted)
      if (failure !== undefined) throw failure
      return results
    })
  }

  /** Fork evidence held for `author`: pairs of CIDs signed at one seq. */
  async forks (author: string): Promise<Array<{ seq: number, cids: [CID, CID] }>> {
    const out: Array<{ seq: number, cids: [CID, CID] }> = []
    for await (const { key, value } of this.#index.query({ prefix: `/flock/fork/${author}/` })) {
      const cids = dagCbor.decode<[CID, CID]>(value)
      out.push({ seq: Number(key.baseNamespace()), cids: [CID.asCID(cids[0]) as CID, CID.asCID(cids[1]) as CID] })
    }
    return out
  }

  /** Every author this store holds a log for. */
  async authors (): Promise<string[]> {
    const out: string[] = []
    for await (const key of this.#index.queryKeys({ prefix: '/flock/head/' })) out.push(key.baseNamespace())
    return out
  }

  async #write (author: string, accepted: VerifiedEntry[]): Promise<void> {
    // Blocks first: an index entry must never point at a block that is not there. Blocks are
    // independent of each other, so they are written concurrently.
    await Promise.all(accepted.map(async v => { await this.#blocks.put(v.cid, v.bytes) }))
    const last = accepted[accepted.length - 1] as VerifiedEntry
    const batch = this.#index.batch()
    for (const v of accepted) {
      batch.put(logKey(author, v.entry.seq), v.cid.bytes)
      for (const key of await this.#derivedKeys(v, accepted)) batch.put(key, v.cid.bytes)
    }
    const head: StoredHead = { seq: last.entry.seq, cid: last.cid, ts: last.entry.ts }
    batch.put(headKey(author), dagCbor.encode({ seq: head.seq, cid: head.cid, ts: head.ts }))
    await batch.commit()
    this.#heads.set(author, head)
  }

  /**
   * Secondary index keys of one entry: what it refers to, whom it notifies, the author's latest
   * profile, and tombstones. Written in the same batch as the log, so they never disagree.
   */
  async #derivedKeys (v: VerifiedEntry, batch: VerifiedEntry[]): Promise<Key[]> {
    const e = v.entry
    const keys: Key[] = []
    const notify = (target: string | undefined): void => {
      if (target !== undefined && target !== e.author) keys.push(notifyKey(target, v))
    }
    switch (e.kind) {
      case 'post': {
        if (e.body.reply !== undefined) {
          keys.push(refKey(e.body.reply.parent, 'reply', v.cid))
          notify((await this.#authorOf(e.body.reply.parent, batch)))
        }
        if (e.body.quote !== undefined) {
          keys.push(refKey(e.body.quote, 'quote', v.cid))
          notify(await this.#authorOf(e.body.quote, batch))
        }
        for (const m of e.body.mentions ?? []) notify(m)
        break
      }
      case 'like':
      case 'repost':
        keys.push(refKey(e.body.subject, e.kind, v.cid))
        notify(e.body.author)
        break
      case 'follow':
        notify(e.body.author)
        break
      case 'profile':
        keys.push(profileKey(e.author))
        break
      case 'delete':
        // Only an author may retract its own entries; a tombstone for anyone else's is inert.
        if (await this.#authorOf(e.body.subject, batch) === e.author) keys.push(deletedKey(e.body.subject))
        break
    }
    return keys
  }

  async #authorOf (cid: CID, batch: VerifiedEntry[]): Promise<string | undefined> {
    return (batch.find(b => b.cid.equals(cid)) ?? await this.get(cid))?.entry.author
  }

  /** CIDs of entries that refer to `subject` as `kind` (replies, likes, reposts, quotes). */
  async refs (subject: CID, kind: RefKind): Promise<CID[]> {
    const out: CID[] = []
    for await (const { value } of this.#index.query({ prefix: `/flock/ref/${subject.toString()}/${kind}/` })) out.push(CID.decode(value))
    return out
  }

  /** Entries that reply to, mention, like, repost, quote or follow `author`, newest first. */
  async notifications (author: string, limit = 50): Promise<VerifiedEntry[]> {
    const keys: Array<{ key: string, cid: CID }> = []
    for await (const { key, value } of this.#index.query({ prefix: `/flock/notify/${author}/` })) keys.push({ key: key.toString(), cid: CID.decode(value) })
    keys.sort((a, b) => a.key < b.key ? 1 : a.key > b.key ? -1 : 0)
    const out: VerifiedEntry[] = []
    for (const { cid } of keys.slice(0, limit)) {
      const v = await this.get(cid)
      if (v !== undefined) out.push(v)
    }
    return out
  }

  /** The author's latest profile entry, if any is held. */
  async profile (author: string): Promise<VerifiedEntry<'profile'> | undefined> {
    const stored = await this.#read(profileKey(author))
    return stored === undefined ? undefined : await this.get(CID.decode(stored)) as VerifiedEntry<'profile'> | undefined
  }

  async isDeleted (cid: CID): Promise<boolean> {
    return await this.#index.has(deletedKey(cid))
  }

  async #recordFork (author: string, seq: number, held: CID, other: VerifiedEntry): Promise<void> {
    await this.#blocks.put(other.cid, other.bytes)
    await this.#index.put(forkKey(author, seq), dagCbor.encode([held, other.cid]))
  }

  async #locked<T> (author: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(author) ?? Promise.resolve()
    const run = previous.then(fn, fn)
    const settled = run.catch(() => {})
    this.#locks.set(author, settled)
    try {
      return await run
    } finally {
      if (this.#locks.get(author) === settled) this.#locks.delete(author)
    }
  }
}
