/**
 * The node's typed events: what the app, the headless API and tests may listen to. Each carries what
 * a listener needs, so an incoming entry never has to be read back from the store.
 */
import type { ForkError, VerifiedEntry } from '../core/index.js'

/** Where a stored entry came from. */
export type EntrySource = 'local' | 'gossip' | 'sync' | 'import'

export interface SyncProgress {
  /** Entries received and stored so far in this exchange. */
  received: number
  /** Entries the responder announced it would send so far. */
  expected: number
}

export interface FlockNodeEvents {
  /** A new entry was stored, from whichever intake path. */
  entry: CustomEvent<{ entry: VerifiedEntry, source: EntrySource }>
  /** An author signed two entries at one seq. */
  fork: CustomEvent<ForkError<VerifiedEntry>>
  'sync:progress': CustomEvent<SyncProgress & { peer: string }>
  'sync:done': CustomEvent<{ peer: string, received: number }>
  /** A connection opened or closed. */
  connection: CustomEvent<{ peer: string, open: boolean }>
}
