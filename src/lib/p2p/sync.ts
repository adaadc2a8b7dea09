/**
 * The catch-up sync protocol (PROTOCOL.md §9): one stream per exchange, the requester names the
 * authors it wants and the seq it holds of each, the responder streams every missing entry in order.
 * History therefore moves in one round trip per batch of authors, never one per entry.
 */
import { lpStream } from '@libp2p/utils'
import { logger } from '@libp2p/logger'
import type { Connection, Libp2p, PeerId, Stream, TypedEventTarget } from '@libp2p/interface'
import type { GossipSub } from '@libp2p/gossipsub'
import {
  MAX_SYNC_FRAME_BYTES, SYNC_PROTOCOL, SyncFrameError, authorTopic, decodeFrame, encodeFrame, verifyEntry,
  type VerifiedEntry, type Want
} from '../core/index.js'
import type { EntryStore } from './store.js'
import type { Intake } from './intake.js'
import type { FlockNodeEvents, SyncProgress } from './events.js'
import { Timers } from './timers.js'
import {
  ANTI_ENTROPY_MS, DIAL_TIMEOUT_MS, SYNC_MAX_ENTRIES_PER_AUTHOR, SYNC_MAX_INBOUND_STREAMS, SYNC_MAX_OUTBOUND_STREAMS,
  SYNC_TIMEOUT_MS, SYNC_WANTS_PER_REQUEST, SYNC_WRITE_BATCH
} from './constants.js'

const log = logger('flock:sync')

/**
 * Signatures checked at once. The store's reads and writes share the runtime's I/O threads (libuv's
 * four in Node) with them, so a whole batch at once would hold storing back.
 */
const VERIFY_IN_FLIGHT = 16

/** Promise.allSettled over `items`, at most `size` of `fn` running at a time, results in order. */
async function settleInChunks<T, R> (items: T[], size: number, fn: (item: T) => Promise<R>): Promise<Array<PromiseSettledResult<R>>> {
  const out: Array<PromiseSettledResult<R>> = []
  for (let i = 0; i < items.length; i += size) out.push(...await Promise.allSettled(items.slice(i, i + size).map(fn)))
  return out
}

export type { SyncProgress }

export interface SyncResult extends SyncProgress {
  /** Authors the responder holds more of than it sent in this exchange: ask again. */
  more: string[]
}

/** Answer one sync request on `stream` from `store`; resolves with the number of entries sent. */
export async function serveSync (stream: Stream, store: Pick<EntryStore, 'head' | 'range'>, options: { signal?: AbortSignal } = {}): Promise<number> {
  const lp = lpStream(stream, { maxDataLength: MAX_SYNC_FRAME_BYTES })
  let sent = 0
  try {
    const request = decodeFrame((await lp.read(options)).subarray())
    if (request.t !== 'want') throw new SyncFrameError(`expected a want frame, got ${request.t}`)
    for (const { author, after } of request.want) {
      const head = (await store.head(author))?.seq ?? 0
      const from = after + 1
      const to = Math.max(after, Math.min(head, after + SYNC_MAX_ENTRIES_PER_AUTHOR))
      await lp.write(encodeFrame({ t: 'range', author, from, to, head }), options)
      let pending: Uint8Array[] = []
      for await (const bytes of store.range(author, from, to, options)) {
        pending.push(encodeFrame({ t: 'entry', bytes }))
        sent++
        if (pending.length >= SYNC_WRITE_BATCH) {
          await lp.writeV(pending, options)
          pending = []
        }
      }
      if (pending.length > 0) await lp.writeV(pending, options)
    }
    await lp.write(encodeFrame({ t: 'end' }), options)
    await stream.close(options)
  } catch (err) {
    stream.abort(err as Error)
  }
  return sent
}

/**
 * Stores what sync received: consecutive entries of `author`'s log, through the node's one intake
 * pipeline (duplicates included, as harmless); throws the typed error of the first one refused.
 */
export type SyncIngest = (author: string, entries: VerifiedEntry[]) => Promise<void>

/**
 * Ask the peer behind `stream` for everything after `wants` and store what arrives. Every entry's
 * signature is verified here; intake then judges it against the local log (author of the range,
 * chain, timestamp) before it is kept. On any error the entries already stored stay, so asking again
 * resumes with no gap and no duplicate.
 */
export async function requestSync (
  stream: Stream, ingest: SyncIngest, wants: Want[],
  options: { signal?: AbortSignal, onProgress?: (p: SyncProgress) => void } = {}
): Promise<SyncResult> {
  const lp = lpStream(stream, { maxDataLength: MAX_SYNC_FRAME_BYTES })
  const progress: SyncResult = { received: 0, expected: 0, more: [] }
  let author: string | undefined
  let batch: Uint8Array[] = []
  // Batches are stored strictly in order, one after another; once one fails, no later one is stored.
  let stored: Promise<void> = Promise.resolve()
  // Signatures of a batch are checked all at once (on every core where the runtime allows), while
  // the batch before it is being stored; the entries before the first bad one are kept, exactly as
  // if they had been checked one by one. Resolves when this batch and every earlier one are stored.
  const flush = async (): Promise<void> => {
    if (batch.length === 0 || author === undefined) return await stored
    const frames = batch
    const expectedAuthor = author
    batch = []
    const verifying = settleInChunks(frames, VERIFY_IN_FLIGHT, async (bytes) => await verifyEntry(bytes, { parallel: true }))
    stored = stored.then(async () => {
      const results = await verifying
      const bad = results.findIndex(r => r.status === 'rejected')
      const entries = (bad < 0 ? results : results.slice(0, bad)).map(r => (r as PromiseFulfilledResult<VerifiedEntry>).value)
      if (entries.length > 0) {
        await ingest(expectedAuthor, entries)
        progress.received += entries.length
        options.onProgress?.({ received: progress.received, expected: progress.expected })
      }
      if (bad >= 0) throw (results[bad] as PromiseRejectedResult).reason
    })
    // Whoever waits next sees a failure; until then it must not count as unhandled.
    stored.catch(() => {})
    return await stored
  }
  try {
    await lp.write(encodeFrame({ t: 'want', want: wants }), options)
    while (true) {
      const frame = decodeFrame((await lp.read(options)).subarray())
      if (frame.t === 'end') break
      if (frame.t === 'range') {
        await flush()
        author = frame.author
        progress.expected += Math.max(0, frame.to - frame.from + 1)
        if (frame.head > frame.to) progress.more.push(frame.author)
        options.onProgress?.({ received: progress.received, expected: progress.expected })
        continue
      }
      if (frame.t !== 'entry' || author === undefined) throw new SyncFrameError(`unexpected ${frame.t} frame`)
      batch.push(frame.bytes)
      if (batch.length >= SYNC_WRITE_BATCH) {
        // Keep reading while this batch is verified, but no further than one batch ahead.
        const previous = stored
        void flush().catch(() => {})
        await previous
      }
    }
    await flush()
    await stream.close(options)
    return progress
  } catch (err) {
    await flush().catch(() => {})
    stream.abort(err as Error)
    throw err
  }
}

export interface SyncInit {
  /** How often to sync with one random direct peer carrying a followed author (ANTI_ENTROPY_MS). */
  antiEntropyMs?: number
  /** How long one exchange may take, either side (SYNC_TIMEOUT_MS). */
  timeoutMs?: number
  /** Sync streams a peer may have open to us at once, per connection (SYNC_MAX_INBOUND_STREAMS). */
  maxInboundStreams?: number
  /** Sync streams we open to one peer at once, per connection (SYNC_MAX_OUTBOUND_STREAMS). */
  maxOutboundStreams?: number
}

export interface SyncComponents {
  libp2p: Pick<Libp2p, 'handle' | 'unhandle' | 'getConnections' | 'addEventListener' | 'removeEventListener'>
  pubsub: Pick<GossipSub, 'getSubscribers' | 'addEventListener' | 'removeEventListener'>
  /** Served from, and read for our heads. */
  store: Pick<EntryStore, 'head' | 'range'>
  intake: Pick<Intake, 'ingest'>
  /** The logs we keep (us and whom we follow), and whether a topic is one of theirs. */
  feeds: { readonly authors: string[], carries: (topic: string) => boolean }
  /** Where sync:progress and sync:done go. */
  events: TypedEventTarget<FlockNodeEvents>
}

/**
 * The sync service (PROTOCOL.md §9): answers peers' wants, and catches up with a peer when it
 * connects directly, when it joins a topic we carry, when gossip shows a hole, and every so often
 * with one random peer (anti-entropy). Sync runs on direct connections only: a relayed one has a
 * small data limit meant for signalling.
 */
export class SyncService {
  readonly #c: SyncComponents
  readonly #antiEntropyMs: number
  readonly #timeoutMs: number
  readonly #maxInbound: number
  readonly #maxOutbound: number
  readonly #timers = new Timers()
  readonly #syncing = new Map<string, Promise<void>>()
  readonly #again = new Set<string>()
  readonly #progress = new Map<string, SyncProgress>()
  #served = 0
  #started = false

  constructor (init: SyncInit, components: SyncComponents) {
    this.#c = components
    this.#antiEntropyMs = init.antiEntropyMs ?? ANTI_ENTROPY_MS
    this.#timeoutMs = init.timeoutMs ?? SYNC_TIMEOUT_MS
    this.#maxInbound = init.maxInboundStreams ?? SYNC_MAX_INBOUND_STREAMS
    this.#maxOutbound = init.maxOutboundStreams ?? SYNC_MAX_OUTBOUND_STREAMS
  }

  /** Entries this node has sent to peers. */
  get served (): number {
    return this.#served
  }

  async start (): Promise<void> {
    if (this.#started) return
    this.#started = true
    this.#timers.start()
    await this.#c.libp2p.handle(SYNC_PROTOCOL, (stream) => {
      void serveSync(stream, this.#c.store, { signal: AbortSignal.timeout(this.#timeoutMs) }).then(n => { this.#served += n })
    }, { maxInboundStreams: this.#maxInbound, maxOutboundStreams: this.#maxOutbound, runOnLimitedConnection: false })
    this.#c.libp2p.addEventListener('peer:identify', this.#onIdentify)
    this.#c.pubsub.addEventListener('subscription-change', this.#onSubscriptions)
    this.#timers.every(this.#antiEntropyMs, () => { this.#antiEntropy() })
  }

  async stop (): Promise<void> {
    if (!this.#started) return
    this.#started = false
    this.#timers.stop()
    this.#c.libp2p.removeEventListener('peer:identify', this.#onIdentify)
    this.#c.pubsub.removeEventListener('subscription-change', this.#onSubscriptions)
    await this.#c.libp2p.unhandle(SYNC_PROTOCOL)
  }

  readonly #onIdentify = (evt: CustomEvent<{ peerId: PeerId, protocols: string[], connection: Connection }>): void => {
    const { peerId, protocols, connection } = evt.detail
    if (protocols.includes(SYNC_PROTOCOL) && connection.limits === undefined) this.syncWith(peerId)
  }

  // A post published before its author heard our subscription never reaches us by gossip, and the
  // sync on connecting may have run before it: ask again once the author's side has joined.
  readonly #onSubscriptions = (evt: CustomEvent<{ peerId: PeerId, subscriptions: Array<{ topic: string, subscribe: boolean }> }>): void => {
    const { peerId, subscriptions } = evt.detail
    if (subscriptions.some(s => s.subscribe && this.#c.feeds.carries(s.topic))) this.syncWith(peerId)
  }

  /**
   * Gossip alone can lose a post (published while a mesh was re-forming, or dropped under load) and
   * nothing else would fetch it until that author posts again; this bounds how long such a hole stays.
   */
  #antiEntropy (): void {
    const candidates = new Set<string>()
    for (const author of this.#c.feeds.authors) {
      for (const p of this.#c.pubsub.getSubscribers(authorTopic(author))) candidates.add(p.toString())
    }
    const direct = this.#c.libp2p.getConnections().filter(c => isDirect(c) && candidates.has(c.remotePeer.toString()))
    const pick = direct[Math.floor(Math.random() * direct.length)]
    if (pick !== undefined) this.syncWith(pick.remotePeer)
  }

  /** Catch up with every peer we hold a direct connection to. */
  syncAll (): void {
    const seen = new Set<string>()
    for (const c of this.#c.libp2p.getConnections()) {
      const id = c.remotePeer.toString()
      if (!seen.has(id) && isDirect(c)) {
        seen.add(id)
        this.syncWith(c.remotePeer)
      }
    }
  }

  /** Catch up with one peer; concurrent requests for the same peer collapse into one more round. */
  syncWith (peer: PeerId): void {
    const key = peer.toString()
    if (this.#syncing.has(key)) {
      this.#again.add(key)
      return
    }
    const run = (async () => {
      do {
        this.#again.delete(key)
        await this.#syncOnce(peer).catch((err: Error) => { log('sync with %s failed: %s', key, err.message) })
      } while (this.#again.has(key) && this.#started)
    })().finally(() => {
      this.#syncing.delete(key)
      this.#progress.delete(key)
    })
    this.#syncing.set(key, run)
  }

  /** Sync in flight, summed over peers: what a "syncing 340 of 1,000 entries from 2 peers" line needs. */
  summary (): { active: boolean, received: number, expected: number, peers: number } {
    let received = 0
    let expected = 0
    for (const p of this.#progress.values()) {
      received += p.received
      expected += p.expected
    }
    return { active: this.#progress.size > 0, received, expected, peers: this.#progress.size }
  }

  /** Resolves when every sync in flight has finished. */
  async idle (): Promise<void> {
    while (this.#syncing.size > 0) await Promise.all(this.#syncing.values())
  }

  async #syncOnce (peer: PeerId): Promise<void> {
    const conn = this.#c.libp2p.getConnections(peer).find(isDirect)
    if (conn === undefined || !this.#started) return
    const key = peer.toString()
    const ingest: SyncIngest = async (author, entries) => {
      const { refused } = await this.#c.intake.ingest(author, entries, 'sync')
      if (refused !== undefined) throw refused.error
    }
    let pending = this.#c.feeds.authors
    let total = 0
    for (let round = 0; pending.length > 0 && round < 1000 && this.#started; round++) {
      // A want frame must fit in one sync frame: ask for a bounded batch of authors per exchange.
      const batch = pending.slice(0, SYNC_WANTS_PER_REQUEST)
      pending = pending.slice(SYNC_WANTS_PER_REQUEST)
      const wants: Want[] = []
      for (const author of batch) wants.push({ author, after: (await this.#c.store.head(author))?.seq ?? 0 })
      const stream = await conn.newStream(SYNC_PROTOCOL, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })
      const result = await requestSync(stream, ingest, wants, {
        signal: AbortSignal.timeout(this.#timeoutMs),
        onProgress: (p) => {
          this.#progress.set(key, p)
          this.#c.events.dispatchEvent(new CustomEvent('sync:progress', { detail: { ...p, peer: key } }))
        }
      })
      total += result.received
      // The responder capped some ranges: ask again for those authors, from where we now are.
      pending.push(...result.more)
    }
    // Forget this peer's progress first, so a summary taken on sync:done no longer counts it.
    this.#progress.delete(key)
    this.#c.events.dispatchEvent(new CustomEvent('sync:done', { detail: { peer: key, received: total } }))
  }
}

export function sync (init: SyncInit = {}): (components: SyncComponents) => SyncService {
  return (components) => new SyncService(init, components)
}

/** Direct: not carried by a relay. A WebRTC address names the relay that signalled it, yet is direct. */
export function isDirect (c: Connection): boolean {
  const addr = c.remoteAddr.toString()
  return c.limits === undefined && (!addr.includes('/p2p-circuit') || addr.includes('/webrtc'))
}
