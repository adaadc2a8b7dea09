/**
 * Per-author log rules: an author's entries form a chain seq 1, 2, 3… where each entry's prev is the
 * CID of the one before and timestamps never go backwards. Two valid entries with one seq and two
 * CIDs are a fork and are returned as evidence, never resolved by picking one.
 *
 * ```ts
 * const log = new AuthorLog(authorId)
 * for (const bytes of incoming) log.append(await verifyEntry(bytes))   // throws SeqGapError, ForkError…
 * ```
 *
 * Spec: PROTOCOL.md §6 (chain and timestamp steps) and §7 (forks).
 */
import { MAX_FUTURE_SKEW_MS } from './constants.js'
import {
  DuplicateEntryError, ForkError, FutureTimestampError, PrevMismatchError, SeqGapError,
  TimestampRegressionError, WrongAuthorError
} from './errors.js'
import { verifyEntry, type VerifiedEntry } from './entry.js'

/** What a log needs to know about its latest entry to check the next one. */
export interface LogHead {
  seq: number
  cid: { equals: (other: unknown) => boolean, toString: () => string }
  ts: number
}

export function headOf (v: VerifiedEntry): LogHead {
  return { seq: v.entry.seq, cid: v.cid, ts: v.entry.ts }
}

/**
 * Check that `next` directly extends a log whose latest entry is `head` (null: empty log).
 * Entries at or below the head are not judged here: AuthorLog tells duplicates from forks.
 */
export function checkNext (author: string, head: LogHead | null, next: VerifiedEntry): void {
  const e = next.entry
  if (e.author !== author) throw new WrongAuthorError(`entry by ${e.author} offered to the log of ${author}`)
  const expected = (head?.seq ?? 0) + 1
  if (e.seq > expected) throw new SeqGapError(expected, e.seq)
  if (e.seq < expected) throw new DuplicateEntryError(`seq ${e.seq} is at or below the head ${expected - 1}`)
  if (head !== null) {
    if (e.prev === null || !head.cid.equals(e.prev)) {
      throw new PrevMismatchError(`seq ${e.seq} names prev ${String(e.prev)}, the log has ${head.cid.toString()}`)
    }
    if (e.ts < head.ts) throw new TimestampRegressionError(`seq ${e.seq} has ts ${e.ts}, before its predecessor's ${head.ts}`)
  }
}

/** Reject entries dated more than `skewMs` after `now` (both ms since epoch). */
export function checkTimestamp (v: VerifiedEntry, now: number = Date.now(), skewMs: number = MAX_FUTURE_SKEW_MS): void {
  if (v.entry.ts > now + skewMs) {
    throw new FutureTimestampError(`ts ${v.entry.ts} is ${v.entry.ts - now} ms in the future (allowed ${skewMs})`)
  }
}

/** An in-memory log of one author, for replication and for tests. */
export class AuthorLog {
  readonly #entries: VerifiedEntry[] = []
  readonly #forks: Array<readonly [VerifiedEntry, VerifiedEntry]> = []

  constructor (readonly author: string) {}

  get length (): number {
    return this.#entries.length
  }

  get head (): VerifiedEntry | null {
    return this.#entries.at(-1) ?? null
  }

  /** Fork evidence seen so far: pairs of entries with one seq and two CIDs. */
  get forks (): ReadonlyArray<readonly [VerifiedEntry, VerifiedEntry]> {
    return this.#forks
  }

  get (seq: number): VerifiedEntry | undefined {
    return this.#entries[seq - 1]
  }

  entries (fromSeq = 1): VerifiedEntry[] {
    return this.#entries.slice(Math.max(0, fromSeq - 1))
  }

  /**
   * Check `v` against the log without changing it. A second entry at a seq already held is a
   * ForkError carrying both entries; the same entry again is a DuplicateEntryError.
   */
  check (v: VerifiedEntry): void {
    if (v.entry.author !== this.author) throw new WrongAuthorError(`entry by ${v.entry.author} offered to the log of ${this.author}`)
    const held = this.get(v.entry.seq)
    if (held !== undefined) {
      if (held.cid.equals(v.cid)) throw new DuplicateEntryError(`seq ${v.entry.seq} is already held`)
      throw new ForkError(this.author, v.entry.seq, [held, v] as const)
    }
    const head = this.head
    checkNext(this.author, head === null ? null : headOf(head), v)
  }

  /** Append `v` if it extends the log; fork evidence is recorded before the ForkError is thrown. */
  append (v: VerifiedEntry): void {
    try {
      this.check(v)
    } catch (err) {
      if (err instanceof ForkError) this.#forks.push(err.evidence as [VerifiedEntry, VerifiedEntry])
      throw err
    }
    this.#entries.push(v)
  }
}

export interface ValidateOptions {
  /** The log the entry must extend; without it the chain step is skipped. */
  log?: AuthorLog
  now?: number
}

/**
 * The whole validation pipeline in the fixed order of PROTOCOL.md §6:
 * size → decode → schema → signature → chain → timestamp. Returns the verified entry; does not append.
 */
export async function validateEntry (bytes: Uint8Array, options: ValidateOptions = {}): Promise<VerifiedEntry> {
  const v = await verifyEntry(bytes)
  options.log?.check(v)
  checkTimestamp(v, options.now)
  return v
}
