/**
 * The local entry store: entry blocks in a Helia blockstore (so bitswap can serve them by CID) and an
 * index in a datastore: each author's log by seq, its head, and fork evidence. The same code runs on
 * LevelDB (Node) and IndexedDB (browser) because both implement the interface-store contracts.
 *
 * Appends are serialised per author: gossip and sync may deliver the same author's entries at once,
 * and the chain check must see the head the previous append wrote.
 *
 * Only the replicated log lives here. What the app derives from it (threads, counts, notifications,
 * profiles, tombstones) is the read model in app/read-model.ts, fed by the node's entry events.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { Key, type Datastore } from 'interface-datastore'
import type { Blockstore } from 'interface-blockstore'
import { CID } from 'multiformats/cid'
import {
  FlockError, MAX_DEVICE_LOGS, decide, logOf, refusalError, restoreVerified, type HeldLog, type LogHead, type Refusal,
  type VerifiedEntry
} from '../core/index.js'

export interface StoredHead extends LogHead {
  seq: number
  cid: CID
  ts: number
  v: number
  /** The author the log speaks for: its own id for a root log, the genesis' author for a device log. */
  author: string
}

export type AppendResult = 'added' | 'duplicate'

/** What appendMany did with a batch. */
export interface Appended {
  added: VerifiedEntry[]
  duplicates: number
  /** The first entry not stored, why (core's decision), and its typed error; nothing after it was looked at. */
  refused?: { entry: VerifiedEntry, decision: Refusal, error: FlockError }
}

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

// Logs are kept by log id (PROTOCOL.md §1): the author id for root logs — so stores written before
// version 2 read unchanged — and the device id for device logs, which are also listed per author.
const headKey = (log: string): Key => new Key(`/flock/head/${log}`)
const logKey = (log: string, seq: number): Key => new Key(`/flock/log/${log}/${seqKey(seq)}`)
const forkKey = (log: string, seq: number): Key => new Key(`/flock/fork/${log}/${seqKey(seq)}`)
const deviceKey = (author: string, device: string): Key => new Key(`/flock/devices/${author}/${device}`)
// By author and device: a revoke counts only for a device of the author that signed it.
const revokedKey = (author: string, device: string): Key => new Key(`/flock/revoked/${author}/${device}`)

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

/** A datastore value, or undefined when the key is absent: one read rather than has() then get(). */
export async function readOptional (index: Datastore, key: Key): Promise<Uint8Array | undefined> {
  try {
    return await index.get(key)
  } catch (err) {
    if (isNotFound(err)) return undefined
    throw err
  }
}

/**
 * What may read the replicated logs without writing them: the node's face, the app's read model.
 * `log` is a log id (an author's root log has the author's id); logsOf lists an author's logs.
 */
export interface LogReader {
  head: (log: string) => Promise<StoredHead | null>
  get: (cid: CID) => Promise<VerifiedEntry | undefined>
  at: (log: string, seq: number) => Promise<VerifiedEntry | undefined>
  range: (log: string, from: number, to: number, options?: { signal?: AbortSignal }) => AsyncGenerator<Uint8Array>
  newestFirst: (log: string, firstBatch?: number) => AsyncGenerator<VerifiedEntry>
  forks: (log: string) => Promise<Array<{ seq: number, cids: [CID, CID] }>>
  /** Authors this store holds any log of. */
  authors: () => Promise<string[]>
  /** The logs held of `author`: its root log first when held, then its device logs by id. */
  logsOf: (author: string) => Promise<string[]>
  /** The seq after which the author revoked device log `log`, if it did. */
  revokedAfter: (log: string) => Promise<number | undefined>
}

export class EntryStore implements LogReader {
  readonly #blocks: Blockstore
  readonly #index: Datastore
  readonly #heads = new Map<string, StoredHead | null>()
  readonly #locks = new Map<string, Promise<unknown>>()
  readonly #devices = new Map<string, string[]>()
  readonly #revoked = new Map<string, number | null>()

  constructor (blocks: Blockstore, index: Datastore) {
    this.#blocks = blocks
    this.#index = index
  }

  async head (log: string): Promise<StoredHead | null> {
    if (this.#heads.has(log)) return this.#heads.get(log) ?? null
    let head: StoredHead | null = null
    const stored = await this.#read(headKey(log))
    if (stored !== undefined) {
      // Heads written before version 2 have neither v nor author: a version-1 root log.
      const raw = dagCbor.decode<{ seq: number, cid: CID, ts: number, v?: number, author?: string }>(stored)
      head = { seq: raw.seq, cid: CID.asCID(raw.cid) as CID, ts: raw.ts, v: raw.v ?? 1, author: raw.author ?? log }
    }
    this.#heads.set(log, head)
    return head
  }

  async logsOf (author: string): Promise<string[]> {
    const root = await this.head(author)
    return [...(root !== null && root.author === author ? [author] : []), ...await this.#devicesOf(author)]
  }

  async #devicesOf (author: string): Promise<string[]> {
    let devices = this.#devices.get(author)
    if (devices === undefined) {
      devices = []
      for await (const key of this.#index.queryKeys({ prefix: `/flock/devices/${author}/` })) devices.push(key.baseNamespace())
      devices.sort()
      this.#devices.set(author, devices)
    }
    return devices
  }

  async revokedAfter (log: string): Promise<number | undefined> {
    const author = (await this.head(log))?.author
    return author === undefined ? undefined : await this.#revokedAfter(author, log)
  }

  async #revokedAfter (author: string, log: string): Promise<number | undefined> {
    const id = `${author}/${log}`
    let after = this.#revoked.get(id)
    if (after === undefined) {
      const stored = await this.#read(revokedKey(author, log))
      after = stored === undefined ? null : dagCbor.decode<number>(stored)
      this.#revoked.set(id, after)
    }
    return after ?? undefined
  }

  async cidAt (author: string, seq: number): Promise<CID | undefined> {
    const stored = await this.#read(logKey(author, seq))
    return stored === undefined ? undefined : CID.decode(stored)
  }

  async #read (key: Key): Promise<Uint8Array | undefined> {
    return await readOptional(this.#index, key)
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
   * Append one verified entry to its author's log; a refusal is thrown as its typed error (after a
   * fork's evidence is recorded).
   */
  async append (v: VerifiedEntry): Promise<AppendResult> {
    const { added, refused } = await this.appendMany([v])
    if (refused !== undefined) throw refused.error
    return added.length > 0 ? 'added' : 'duplicate'
  }

  /**
   * Append consecutive entries of one author in one index batch (sync delivers them that way), as
   * core's decide() says: duplicates are skipped, a fork's second entry is kept as evidence, and the
   * first refusal stops the batch. The entries before it are written either way. `log` is the log
   * they must belong to (by default the first entry's).
   */
  async appendMany (entries: VerifiedEntry[], log: string | undefined = entries[0] === undefined ? undefined : logOf(entries[0].entry)): Promise<Appended> {
    if (log === undefined) return { added: [], duplicates: 0 }
    return await this.#locked(log, async () => {
      const out: Appended = { added: [], duplicates: 0 }
      let head = await this.head(log)
      // Looked up once per batch: a batch is one log, and a revoke of it is written to another log.
      const first = entries[0] as VerifiedEntry
      const revokedAfter = await this.#revokedAfter(head?.author ?? first.entry.author, log)
      for (const v of entries) {
        // A root log speaks for its own key; a device log for the author its first entry names.
        const held: HeldLog = { log, head }
        if (head !== null) held.author = head.author
        else if (v.entry.device === undefined) held.author = log
        else held.deviceLimit = (await this.#devicesOf(v.entry.author)).length >= MAX_DEVICE_LOGS
        if (revokedAfter !== undefined) held.revokedAfter = revokedAfter
        if (head !== null && v.entry.seq <= head.seq) {
          const atSeq = await this.cidAt(log, v.entry.seq) ?? out.added.find(a => a.entry.seq === v.entry.seq)?.cid
          if (atSeq !== undefined) held.atSeq = atSeq
        }
        const d = decide(v, held)
        if (d.kind === 'duplicate') {
          out.duplicates++
          continue
        }
        if (d.kind === 'append') {
          out.added.push(v)
          head = { seq: v.entry.seq, cid: v.cid, ts: v.entry.ts, v: v.entry.v, author: v.entry.author }
          continue
        }
        let evidence: VerifiedEntry | undefined
        if (d.kind === 'fork') {
          const heldCid = d.held as CID
          await this.#recordFork(log, d.seq, heldCid, v)
          evidence = out.added.find(a => a.cid.equals(heldCid)) ?? await this.get(heldCid)
          if (evidence === undefined) {
            out.refused = { entry: v, decision: d, error: new StoreCorruptionError(`index names ${heldCid.toString()} but its block is missing`) }
            break
          }
        }
        out.refused = { entry: v, decision: d, error: refusalError(v, held, d, evidence) }
        break
      }
      if (out.added.length > 0) await this.#write(log, out.added)
      return out
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

  /** Every author this store holds a log of (device logs are listed under their author). */
  async authors (): Promise<string[]> {
    const out = new Set<string>()
    for await (const key of this.#index.queryKeys({ prefix: '/flock/head/' })) {
      const log = key.baseNamespace()
      out.add((await this.head(log))?.author ?? log)
    }
    return [...out]
  }

  async #write (log: string, accepted: VerifiedEntry[]): Promise<void> {
    // Blocks first: an index entry must never point at a block that is not there. Blocks are
    // independent of each other, so they are written concurrently.
    await Promise.all(accepted.map(async v => { await this.#blocks.put(v.cid, v.bytes) }))
    const last = accepted[accepted.length - 1] as VerifiedEntry
    const author = last.entry.author
    const batch = this.#index.batch()
    for (const v of accepted) {
      batch.put(logKey(log, v.entry.seq), v.cid.bytes)
      if (v.entry.kind === 'device') batch.put(deviceKey(author, log), new Uint8Array(0))
    }
    const revokes = new Map<string, number>()
    for (const v of accepted) {
      if (v.entry.kind !== 'revoke') continue
      const { device, after } = v.entry.body
      const held = revokes.get(device) ?? await this.#revokedAfter(author, device)
      if (held === undefined || after < held) revokes.set(device, after)
    }
    for (const [device, after] of revokes) batch.put(revokedKey(author, device), dagCbor.encode(after))
    const head: StoredHead = { seq: last.entry.seq, cid: last.cid, ts: last.entry.ts, v: last.entry.v, author }
    batch.put(headKey(log), dagCbor.encode({ seq: head.seq, cid: head.cid, ts: head.ts, v: head.v, author }))
    await batch.commit()
    this.#heads.set(log, head)
    for (const [device, after] of revokes) this.#revoked.set(`${author}/${device}`, after)
    if (log !== author && accepted[0]?.entry.kind === 'device') {
      this.#devices.set(author, [...new Set([...await this.#devicesOf(author), log])].sort())
    }
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
