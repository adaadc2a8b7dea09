/**
 * The one way an entry enters this node, whatever brought it: gossip, sync, a CAR import or our own
 * publish. Core's decide() judges it against the held log (inside the store, under its per-author
 * lock); what is stored is announced once as an `entry` event, a fork once as a `fork` event, and an
 * entry of our own log updates the follow set. Callers verify signatures first (each its own way:
 * sync in parallel batches, gossip one message at a time) and map the decision to their protocol.
 */
import type { TypedEventTarget } from '@libp2p/interface'
import { ForkError, type Decision, type VerifiedEntry } from '../core/index.js'
import type { Appended, EntryStore } from './store.js'
import type { EntrySource, FlockNodeEvents } from './events.js'

export interface IntakeComponents {
  store: Pick<EntryStore, 'appendMany'>
  events: TypedEventTarget<FlockNodeEvents>
  /** Our author id: entries of our own logs may change whom we follow. */
  self: string
  /** Called with each stored entry of any of our own logs (this device's or another's), in order. */
  onOwn: (v: VerifiedEntry) => void
}

export class Intake {
  readonly #c: IntakeComponents

  constructor (components: IntakeComponents) {
    this.#c = components
  }

  /**
   * Store consecutive entries of one log (`log`: its id), in order. Entries before the first refusal
   * are stored and announced; the refusal (with its decision and typed error) is returned, not thrown.
   */
  async ingest (log: string, entries: VerifiedEntry[], source: EntrySource): Promise<Appended> {
    const result = await this.#c.store.appendMany(entries, log)
    for (const v of result.added) {
      if (v.entry.author === this.#c.self) this.#c.onOwn(v)
      this.#c.events.dispatchEvent(new CustomEvent('entry', { detail: { entry: v, source } }))
    }
    if (result.refused?.error instanceof ForkError) {
      this.#c.events.dispatchEvent(new CustomEvent('fork', { detail: result.refused.error as ForkError<VerifiedEntry> }))
    }
    return result
  }

  /** Store one entry of log `log`; the decision says what became of it. */
  async ingestOne (log: string, v: VerifiedEntry, source: EntrySource): Promise<Decision> {
    const result = await this.ingest(log, [v], source)
    if (result.refused !== undefined) return result.refused.decision
    return { kind: result.added.length > 0 ? 'append' : 'duplicate' }
  }
}
