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
  DeviceLimitError, DuplicateEntryError, FlockError, ForkError, FutureTimestampError, PrevMismatchError,
  RevokedDeviceError, SeqGapError, TimestampRegressionError, VersionRegressionError, WrongAuthorError
} from './errors.js'
import { logOf, verifyEntry, type VerifiedEntry } from './entry.js'

/** What a log needs to know about its latest entry to check the next one. */
export interface LogHead {
  seq: number
  cid: { equals: (other: unknown) => boolean, toString: () => string }
  ts: number
  /** Entry version of the head; 1 when not recorded (heads stored before version 2). */
  v?: number
}

export function headOf (v: VerifiedEntry): LogHead {
  return { seq: v.entry.seq, cid: v.cid, ts: v.entry.ts, v: v.entry.v }
}

/**
 * What is held of one log when an entry of it arrives: its latest entry, and the CID held at the
 * arriving entry's seq when that seq is at or below the head (undefined when none is recorded).
 */
export interface HeldLog {
  /** The log id: the device id of a device log, the author id of a root log. */
  log: string
  /** The author the log speaks for, once known (a device log's first entry names it). */
  author?: string
  head: LogHead | null
  atSeq?: LogHead['cid']
  /** The author revoked this device log after this seq (the smallest of its revokes). */
  revokedAfter?: number
  /** This would be a new device log of an author that already has MAX_DEVICE_LOGS of them. */
  deviceLimit?: boolean
}

/**
 * What an arriving verified entry means for the log it claims to extend (PROTOCOL.md §6.2 steps 5–6,
 * §7). Every intake path (gossip, sync, CAR import, our own publish) and the in-memory AuthorLog
 * decide with this one function, so the duplicate, fork and chain rules exist once.
 */
export type Decision =
  | { kind: 'append' }
  | { kind: 'duplicate' }
  | { kind: 'fork', seq: number, held: LogHead['cid'] }
  /** `bound`: the log is held as another author's (see WrongAuthorError). */
  | { kind: 'wrong-author', bound?: boolean }
  | { kind: 'gap', expected: number }
  | { kind: 'prev-mismatch' }
  | { kind: 'regression', headTs: number }
  | { kind: 'version-regression', headV: number }
  | { kind: 'revoked', after: number }
  | { kind: 'device-limit' }
  | { kind: 'future', skewMs: number, now: number }

/** Every decision but append and duplicate: the entry is not stored. */
export type Refusal = Exclude<Decision, { kind: 'append' | 'duplicate' }>

/**
 * Decide what `v` means against `held`. `now` (ms since epoch) judges the timestamp last, as the
 * validation order says; null leaves time to the caller (AuthorLog checks the chain only).
 */
export function decide (v: VerifiedEntry, held: HeldLog, now: number | null = Date.now(), skewMs: number = MAX_FUTURE_SKEW_MS): Decision {
  const e = v.entry
  if (logOf(e) !== held.log) return { kind: 'wrong-author' }
  if (held.author !== undefined && e.author !== held.author) return { kind: 'wrong-author', bound: true }
  const head = held.head
  // Before the chain: entries of a log that will not be kept are not worth a sync to fill a gap.
  if (head === null && held.deviceLimit === true) return { kind: 'device-limit' }
  if (held.revokedAfter !== undefined && e.seq > held.revokedAfter) return { kind: 'revoked', after: held.revokedAfter }
  const expected = (head?.seq ?? 0) + 1
  if (e.seq < expected) {
    // A seq already held: the same CID again is harmless, another one is proof of two histories.
    if (held.atSeq === undefined || held.atSeq.equals(v.cid)) return { kind: 'duplicate' }
    return { kind: 'fork', seq: e.seq, held: held.atSeq }
  }
  if (e.seq > expected) return { kind: 'gap', expected }
  if (head !== null) {
    if (e.prev === null || !head.cid.equals(e.prev)) return { kind: 'prev-mismatch' }
    if (e.v < (head.v ?? 1)) return { kind: 'version-regression', headV: head.v ?? 1 }
    if (e.ts < head.ts) return { kind: 'regression', headTs: head.ts }
  }
  if (now !== null && e.ts > now + skewMs) return { kind: 'future', skewMs, now }
  return { kind: 'append' }
}

/**
 * The typed error of a refusal, for callers that throw. A fork needs the held entry itself as
 * evidence, so the caller passes it.
 */
export function refusalError<E extends VerifiedEntry> (v: E, held: HeldLog, d: Refusal, heldEntry?: E): FlockError {
  const e = v.entry
  switch (d.kind) {
    case 'wrong-author': return new WrongAuthorError(`entry of log ${logOf(e)} by ${e.author} offered to the log ${held.log}${held.author === undefined || held.author === held.log ? '' : ` of ${held.author}`}`, d.bound === true)
    case 'fork': {
      if (heldEntry === undefined) throw new TypeError('a fork error needs the held entry as evidence')
      return new ForkError(held.log, d.seq, [heldEntry, v] as const)
    }
    case 'version-regression': return new VersionRegressionError(`seq ${e.seq} is version ${e.v}, after a version-${d.headV} entry`)
    case 'revoked': return new RevokedDeviceError(`device ${held.log} was revoked after seq ${d.after}; this is seq ${e.seq}`)
    case 'device-limit': return new DeviceLimitError(`author ${e.author} already has the most device logs kept here`)
    case 'gap': return new SeqGapError(d.expected, e.seq)
    case 'prev-mismatch': return new PrevMismatchError(`seq ${e.seq} names prev ${String(e.prev)}, the log has ${held.head?.cid.toString() ?? 'nothing'}`)
    case 'regression': return new TimestampRegressionError(`seq ${e.seq} has ts ${e.ts}, before its predecessor's ${d.headTs}`)
    case 'future': return new FutureTimestampError(`ts ${e.ts} is ${e.ts - d.now} ms in the future (allowed ${d.skewMs})`)
  }
}

/** How a gossip validator answers a decision (PROTOCOL.md §8's verdict table). */
export type GossipVerdict = 'accept' | 'ignore' | 'reject'

/**
 * Forged or rule-breaking → reject (the sender loses score); stale, early, or a sign that we miss
 * entries → ignore (not forwarded, no penalty); a new entry that extends the log → accept.
 */
export function gossipVerdict (d: Decision): GossipVerdict {
  switch (d.kind) {
    case 'append': return 'accept'
    case 'wrong-author': return d.bound === true ? 'ignore' : 'reject'
    case 'version-regression':
    case 'regression': return 'reject'
    // A peer forwarding it may not have seen the revoke or hold as many device logs yet: no penalty.
    case 'revoked':
    case 'device-limit':
    case 'duplicate':
    case 'future':
    case 'gap':
    case 'prev-mismatch':
    case 'fork': return 'ignore'
  }
}

/**
 * Check that `next` directly extends a log whose latest entry is `head` (null: empty log), throwing
 * the refusal's typed error. Entries at or below the head are DuplicateEntryError here: only a
 * caller holding the log can tell duplicates from forks (AuthorLog, the entry store).
 */
export function checkNext (log: string, head: LogHead | null, next: VerifiedEntry): void {
  const d = decide(next, { log, head }, null)
  if (d.kind === 'duplicate') throw new DuplicateEntryError(`seq ${next.entry.seq} is at or below the head ${head?.seq ?? 0}`)
  if (d.kind !== 'append') throw refusalError(next, { log, head }, d)
}

/** Reject entries dated more than `skewMs` after `now` (both ms since epoch). */
export function checkTimestamp (v: VerifiedEntry, now: number = Date.now(), skewMs: number = MAX_FUTURE_SKEW_MS): void {
  if (v.entry.ts > now + skewMs) throw refusalError(v, { log: logOf(v.entry), head: null }, { kind: 'future', skewMs, now })
}

/**
 * An in-memory log — an author's root log, or one of its device logs (`author` is then the device
 * id: the log id) — for replication and for tests.
 */
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
    const head = this.head
    const held: HeldLog = { log: this.author, head: head === null ? null : headOf(head) }
    const first = this.#entries[0]
    if (first !== undefined) held.author = first.entry.author
    const at = this.get(v.entry.seq)
    if (at !== undefined) held.atSeq = at.cid
    const d = decide(v, held, null)
    if (d.kind === 'duplicate') throw new DuplicateEntryError(`seq ${v.entry.seq} is already held`)
    if (d.kind !== 'append') throw refusalError(v, held, d, at)
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
