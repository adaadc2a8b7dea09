/**
 * What serving sync may cost this node (DESIGN §6). Two budgets, charged before a batch of frames is
 * written, both waiting rather than refusing, so honest traffic is paced, never failed:
 *
 * - Repeats, per peer: entries of an author at or below the highest seq of that author we already
 *   sent this peer, and range frames (which carry no entry). Asking for the same log again and again
 *   is all a hostile requester can do once it has everything, so this is the rate it gets
 *   (SYNC_SERVE_REPEAT_BYTES_PER_S).
 * - Everything, all peers together (SYNC_SERVE_TOTAL_BYTES_PER_S): a first catch-up runs at the
 *   speed of the link, and however many identities ask, our upload for others stays bounded.
 *
 * A first catch-up is therefore not paced per peer: what one peer can get at that speed is bounded
 * by what we hold, once.
 */
import { BudgetMap, TokenBucket } from './budget.js'
import {
  SYNC_BUDGET_PEERS_KEPT, SYNC_SERVED_MARKS_KEPT, SYNC_SERVE_REPEAT_BURST_BYTES, SYNC_SERVE_REPEAT_BYTES_PER_S,
  SYNC_SERVE_TOTAL_BURST_BYTES, SYNC_SERVE_TOTAL_BYTES_PER_S
} from './constants.js'

/** One frame about to be sent: its size, and the seq of the entry it carries (0 when it carries none). */
export interface ServedFrame { seq: number, bytes: number }

/** Charges one requester's frames; serveSync waits on it before every write. */
export interface ServeCharge {
  charge: (author: string, frames: ServedFrame[], signal?: AbortSignal) => Promise<void>
}

export interface ServeBudgetInit {
  totalBytesPerSecond?: number
  totalBurstBytes?: number
  repeatBytesPerSecond?: number
  repeatBurstBytes?: number
  /** (peer, author) pairs whose highest served seq is remembered; a forgotten pair counts as new again. */
  marksKept?: number
  peersKept?: number
  now?: () => number
}

export class ServeBudget {
  readonly #total: TokenBucket
  readonly #repeats: BudgetMap
  /** Highest seq of an author sent to a peer, keyed "peer author", oldest first. */
  readonly #marks = new Map<string, number>()
  readonly #marksKept: number

  constructor (init: ServeBudgetInit = {}) {
    const now = init.now ?? Date.now
    this.#total = new TokenBucket(init.totalBytesPerSecond ?? SYNC_SERVE_TOTAL_BYTES_PER_S, init.totalBurstBytes ?? SYNC_SERVE_TOTAL_BURST_BYTES, now)
    const rate = init.repeatBytesPerSecond ?? SYNC_SERVE_REPEAT_BYTES_PER_S
    const burst = init.repeatBurstBytes ?? SYNC_SERVE_REPEAT_BURST_BYTES
    this.#repeats = new BudgetMap(() => new TokenBucket(rate, burst, now), init.peersKept ?? SYNC_BUDGET_PEERS_KEPT)
    this.#marksKept = init.marksKept ?? SYNC_SERVED_MARKS_KEPT
  }

  /** Remembered (peer, author) marks: bounded by marksKept. */
  get marks (): number {
    return this.#marks.size
  }

  forPeer (peer: string): ServeCharge {
    return { charge: async (author, frames, signal) => { await this.charge(peer, author, frames, signal) } }
  }

  async charge (peer: string, author: string, frames: ServedFrame[], signal?: AbortSignal): Promise<void> {
    // Decided and marked before waiting, so two exchanges of one peer at once cannot both count the
    // same entries as new.
    const key = `${peer} ${author}`
    const mark = this.#marks.get(key) ?? 0
    let repeated = 0
    let all = 0
    let highest = mark
    for (const f of frames) {
      all += f.bytes
      if (f.seq <= mark) repeated += f.bytes
      else highest = Math.max(highest, f.seq)
    }
    if (highest > mark) this.#mark(key, highest)
    if (repeated > 0) await this.#repeats.get(peer).take(repeated, { signal })
    await this.#total.take(all, { signal })
  }

  #mark (key: string, seq: number): void {
    this.#marks.delete(key)
    this.#marks.set(key, seq)
    if (this.#marks.size > this.#marksKept) this.#marks.delete(this.#marks.keys().next().value as string)
  }
}
