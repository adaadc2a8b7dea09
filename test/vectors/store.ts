/**
 * The store that PROTOCOL.md §11's chain vectors are appended to: an empty store of one author, in
 * which each entry goes to the log its log id (`device ?? author`) names, with the version-2 rules
 * that span logs (§1.1): a device log is bound to the author of its genesis, a revoke held in any
 * log of the author refuses its device's entries above `after` (the smallest `after` wins), and at
 * most MAX_DEVICE_LOGS device logs are kept. Every chain rule itself is decide() (log.ts), as in
 * every intake path of the reference; only what decide() is told (HeldLog) is worked out here.
 * Timestamps against a clock (§6.2 step 6) are not part of chains.
 *
 * ```ts
 * const store = new VectorStore(author)
 * for (const bytes of chain.entries) store.append(await verifyEntry(bytes))   // throws the step-5 error
 * ```
 */
import {
  DuplicateEntryError, ForkError, MAX_DEVICE_LOGS, WrongAuthorError, decide, headOf, logOf, refusalError,
  type HeldLog, type VerifiedEntry
} from '../../src/lib/core/index.js'

interface HeldLogState {
  /** The author the log speaks for: the root log's own id, or the author of a device log's genesis. */
  author: string
  entries: VerifiedEntry[]
}

export class VectorStore {
  readonly #logs = new Map<string, HeldLogState>()
  /** Device id → the smallest `after` of the revokes of it held in any log. */
  readonly #revoked = new Map<string, number>()
  readonly #forks: Array<readonly [VerifiedEntry, VerifiedEntry]> = []

  constructor (readonly author: string) {}

  /** Fork evidence seen so far. */
  get forks (): ReadonlyArray<readonly [VerifiedEntry, VerifiedEntry]> {
    return this.#forks
  }

  /** The log held under `id` (empty when none). */
  log (id: string): readonly VerifiedEntry[] {
    return this.#logs.get(id)?.entries ?? []
  }

  /** Every entry held, in every log. */
  get size (): number {
    let n = 0
    for (const log of this.#logs.values()) n += log.entries.length
    return n
  }

  get deviceLogs (): number {
    return [...this.#logs.keys()].filter(id => id !== this.author).length
  }

  /** What decide() needs to know of the log `v` names. */
  held (v: VerifiedEntry): HeldLog {
    const e = v.entry
    const id = logOf(e)
    const log = this.#logs.get(id)
    const head = log?.entries.at(-1)
    const held: HeldLog = { log: id, head: head === undefined ? null : headOf(head) }
    // A root log belongs to the author its id names; a device log to the author of its genesis.
    const bound = log?.author ?? (e.device === undefined ? id : undefined)
    if (bound !== undefined) held.author = bound
    const at = log?.entries[e.seq - 1]
    if (at !== undefined) held.atSeq = at.cid
    if (e.device !== undefined) {
      const after = this.#revoked.get(e.device)
      if (after !== undefined) held.revokedAfter = after
      if (log === undefined && this.deviceLogs >= MAX_DEVICE_LOGS) held.deviceLimit = true
    }
    return held
  }

  /** Append `v` to its log, or throw the typed error of §6.2 step 5 (fork evidence is recorded first). */
  append (v: VerifiedEntry): void {
    const e = v.entry
    // Step 5.1, first half: the store is one author's (its topic, or the sync range's author).
    if (e.author !== this.author) throw new WrongAuthorError(`entry by ${e.author} offered to the store of ${this.author}`)
    const held = this.held(v)
    const d = decide(v, held, null)
    if (d.kind === 'duplicate') throw new DuplicateEntryError(`seq ${e.seq} of log ${held.log} is already held`)
    if (d.kind !== 'append') {
      const heldEntry = d.kind === 'fork' ? this.#logs.get(held.log)?.entries[e.seq - 1] : undefined
      const err = refusalError(v, held, d, heldEntry)
      if (err instanceof ForkError) this.#forks.push(err.evidence as [VerifiedEntry, VerifiedEntry])
      throw err
    }
    const log = this.#logs.get(held.log) ?? { author: e.author, entries: [] }
    log.entries.push(v)
    this.#logs.set(held.log, log)
    if (e.kind === 'revoke') {
      const before = this.#revoked.get(e.body.device)
      this.#revoked.set(e.body.device, Math.min(before ?? Infinity, e.body.after))
    }
  }
}
