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
  MAX_SYNC_FRAME_BYTES, MAX_SYNC_LOGS, SYNC_PROTOCOL, SYNC_PROTOCOL_V1, DeviceLimitError, ForkError, FutureTimestampError,
  PrevMismatchError, RevokedDeviceError, SyncFrameError, WrongAuthorError, authorTopic, decodeFrame, encodeFrame,
  isFlockError, logOf, verifyEntry, type SyncVersion, type VerifiedEntry, type Want
} from '../core/index.js'
import type { EntryStore } from './store.js'
import type { Intake } from './intake.js'
import type { FlockNodeEvents, SyncProgress } from './events.js'
import { Timers } from './timers.js'
import { ServeBudget, type ServeBudgetInit, type ServeCharge } from './serve-budget.js'
import {
  ANTI_ENTROPY_MS, DIAL_TIMEOUT_MS, SYNC_MAX_BYTES_PER_EXCHANGE, SYNC_MAX_ENTRIES_PER_AUTHOR,
  SYNC_MAX_INBOUND_STREAMS, SYNC_MAX_OUTBOUND_STREAMS, SYNC_MAX_SERVING, SYNC_MAX_SERVING_PER_PEER, SYNC_PENALTY_MS,
  SYNC_RETRY_ATTEMPTS, SYNC_RETRY_MAX_MS, SYNC_RETRY_MIN_MS, SYNC_TIMEOUT_MS,
  SYNC_WANTS_PER_REQUEST, SYNC_WANT_FRAME_BYTES, SYNC_WRITE_BATCH
} from './constants.js'

const log = logger('flock:sync')

/** This node is serving as many exchanges as it will, for that peer or in all: ask again later. */
export class SyncBusyError extends Error {
  override readonly name = 'SyncBusyError'
}

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

export interface ServeOptions {
  signal?: AbortSignal
  /** Bytes of entries sent in one exchange at most (SYNC_MAX_BYTES_PER_EXCHANGE); the rest waits for the next want. */
  maxBytes?: number
  /** Paces what this requester may pull: every write waits for its frames to be charged. */
  budget?: ServeCharge
  /** Which protocol the stream speaks (2 by default). Version 1 gets root logs only, and only their version-1 entries. */
  version?: SyncVersion
}

/** A version-1 entry's bytes start with its map header and `v: 1`: an 8-key map, text "v", 1. */
function isV1Entry (bytes: Uint8Array): boolean {
  return bytes[0] === 0xa8 && bytes[1] === 0x61 && bytes[2] === 0x76 && bytes[3] === 0x01
}

/**
 * Answer one sync request on `stream` from `store`; resolves with the number of entries sent.
 *
 * What one exchange costs us is bounded whatever the request says: a want naming an author (or one
 * of its logs) twice is refused, and the entries of all ranges together stop at `maxBytes` (the
 * ranges say so with `to` below `head`, so an honest requester asks again). The requester's read
 * buffer then never holds more than that either, however slowly it stores what it read.
 */
export async function serveSync (stream: Stream, store: Pick<EntryStore, 'head' | 'range' | 'logsOf' | 'revokedAfter'>, options: ServeOptions = {}): Promise<number> {
  const lp = lpStream(stream, { maxDataLength: MAX_SYNC_FRAME_BYTES })
  const { signal, budget } = options
  const version = options.version ?? 2
  let left = options.maxBytes ?? SYNC_MAX_BYTES_PER_EXCHANGE
  let sent = 0
  try {
    const request = decodeFrame((await lp.read({ signal })).subarray(), version)
    if (request.t !== 'want') throw new SyncFrameError(`expected a want frame, got ${request.t}`)
    if (new Set(request.want.map(w => w.author)).size !== request.want.length) throw new SyncFrameError('a want names an author twice')
    for (const { author, logs: listed } of request.want) {
      if (new Set(listed.map(l => l.log)).size !== listed.length) throw new SyncFrameError('a want names a log twice')
      // The listed logs in request order, then the others held of that author: how a requester
      // learns of devices it did not know. Version 1 knows the root log only.
      const held = version === 1 ? [author] : await store.logsOf(author)
      const logs = version === 1 ? listed : [...listed, ...held.filter(l => !listed.some(w => w.log === l)).map(log => ({ log, after: 0 }))]
      for (const { log, after } of logs) {
        const stored = held.includes(log) ? await store.head(log) : null
        // Entries after a device's revocation do not count: not served either.
        const revoked = await store.revokedAfter(log)
        let head = Math.min(stored?.seq ?? 0, revoked ?? Infinity)
        // A listed log with nothing newer is left out in version 2: an empty range tells nothing.
        if (version === 2 && head <= after) continue
        const from = after + 1
        const last = Math.max(after, Math.min(head, after + SYNC_MAX_ENTRIES_PER_AUTHOR))
        // Read before announcing the range, so `to` says exactly what follows.
        const entries: Uint8Array[] = []
        if (left > 0) {
          for await (const bytes of store.range(log, from, last, { signal })) {
            // A version-1 requester cannot read past a log's first version-2 entry: for it the log ends there.
            if (version === 1 && !isV1Entry(bytes)) {
              head = after + entries.length
              break
            }
            // At least one entry per exchange, or a budget smaller than an entry would stall the requester.
            if (bytes.length > left && sent + entries.length > 0) {
              left = 0
              break
            }
            entries.push(bytes)
            left -= bytes.length
          }
        }
        const range = encodeFrame({ t: 'range', author, log, from, to: after + entries.length, head: Math.max(head, after + entries.length) }, version)
        // Every frame is charged, or a want of many empty ranges would be free.
        await budget?.charge(log, [{ seq: 0, bytes: range.length }], signal)
        await lp.write(range, { signal })
        for (let i = 0; i < entries.length; i += SYNC_WRITE_BATCH) {
          const frames = entries.slice(i, i + SYNC_WRITE_BATCH).map(bytes => encodeFrame({ t: 'entry', bytes }, version))
          await budget?.charge(log, frames.map((f, k) => ({ seq: from + i + k, bytes: f.length })), signal)
          await lp.writeV(frames, { signal })
          sent += frames.length
        }
      }
    }
    await lp.write(encodeFrame({ t: 'end' }, version), { signal })
    await stream.close({ signal })
  } catch (err) {
    stream.abort(err as Error)
  }
  return sent
}

/**
 * Stores what sync received: consecutive entries of one log, through the node's one intake
 * pipeline (duplicates included, as harmless); throws the typed error of the first one refused.
 */
export type SyncIngest = (log: string, entries: VerifiedEntry[]) => Promise<void>

/**
 * Ask the peer behind `stream` for everything after `wants` and store what arrives. Every entry's
 * signature is verified here; intake then judges it against the local log (author of the range,
 * chain, timestamp) before it is kept. On any error the entries already stored stay, so asking again
 * resumes with no gap and no duplicate.
 *
 * Every frame is held against the want (PROTOCOL.md §9): at most one range per log of a wanted
 * author, starting right after what we hold of it (from 1 for a log we did not list), with exactly
 * the entries it announces, each of that author and log. Anything else — an author we did not ask
 * for, a log twice, a range that skips or overlaps, extra or missing entries — is a SyncFrameError
 * and ends the exchange, so a responder can make us store only what we asked for.
 */
export async function requestSync (
  stream: Stream, ingest: SyncIngest, wants: Want[],
  options: { signal?: AbortSignal, onProgress?: (p: SyncProgress) => void, version?: SyncVersion } = {}
): Promise<SyncResult> {
  const lp = lpStream(stream, { maxDataLength: MAX_SYNC_FRAME_BYTES })
  const version = options.version ?? 2
  const progress: SyncResult = { received: 0, expected: 0, more: [] }
  let current: { author: string, log: string } | undefined
  let batch: Uint8Array[] = []
  // What is still wanted in this exchange: per author, what we hold of each listed log, and the
  // logs that came already. For the range being received: how many entry frames it announced,
  // and how many came so far.
  const open = new Map(wants.map(w => [w.author, { listed: new Map(w.logs.map(l => [l.log, l.after])), came: new Set<string>() }]))
  let announced = 0
  let arrived = 0
  // Batches are stored strictly in order, one after another; once one fails, no later one is stored.
  let stored: Promise<void> = Promise.resolve()
  // Signatures of a batch are checked all at once (on every core where the runtime allows), while
  // the batch before it is being stored; the entries before the first bad one are kept, exactly as
  // if they had been checked one by one. Resolves when this batch and every earlier one are stored.
  const flush = async (): Promise<void> => {
    if (batch.length === 0 || current === undefined) return await stored
    const frames = batch
    const { author, log } = current
    batch = []
    const verifying = settleInChunks(frames, VERIFY_IN_FLIGHT, async (bytes) => {
      const v = await verifyEntry(bytes, { parallel: true })
      if (v.entry.author !== author || logOf(v.entry) !== log) throw new WrongAuthorError(`an entry of log ${logOf(v.entry)} by ${v.entry.author} in the range of log ${log} by ${author}`)
      return v
    })
    stored = stored.then(async () => {
      const results = await verifying
      const bad = results.findIndex(r => r.status === 'rejected')
      const entries = (bad < 0 ? results : results.slice(0, bad)).map(r => (r as PromiseFulfilledResult<VerifiedEntry>).value)
      if (entries.length > 0) {
        await ingest(log, entries)
        progress.received += entries.length
        options.onProgress?.({ received: progress.received, expected: progress.expected })
      }
      if (bad >= 0) throw (results[bad] as PromiseRejectedResult).reason
    })
    // Whoever waits next sees a failure; until then it must not count as unhandled.
    stored.catch(() => {})
    return await stored
  }
  const rangeComplete = (): void => {
    if (current !== undefined && arrived !== announced) throw new SyncFrameError(`range of ${current.log} announced ${announced} entries, sent ${arrived}`)
  }
  try {
    await lp.write(encodeFrame({ t: 'want', want: wants }, version), options)
    while (true) {
      const frame = decodeFrame((await lp.read(options)).subarray(), version)
      if (frame.t === 'end') {
        rangeComplete()
        break
      }
      if (frame.t === 'range') {
        rangeComplete()
        const want = open.get(frame.author)
        if (want === undefined) throw new SyncFrameError(`range of ${frame.author}, which was not wanted here`)
        if (want.came.has(frame.log)) throw new SyncFrameError(`a second range of log ${frame.log}`)
        if (want.came.size >= MAX_SYNC_LOGS || (version === 1 && frame.log !== frame.author)) throw new SyncFrameError(`more logs of ${frame.author} than an author may have`)
        want.came.add(frame.log)
        const after = want.listed.get(frame.log) ?? 0
        if (frame.from !== after + 1 || frame.to < after || frame.to > Math.max(frame.head, after)) {
          throw new SyncFrameError(`range ${frame.from}–${frame.to} (head ${frame.head}) does not answer a want after ${after}`)
        }
        await flush()
        current = { author: frame.author, log: frame.log }
        announced = frame.to - after
        arrived = 0
        progress.expected += announced
        if (frame.head > frame.to && !progress.more.includes(frame.author)) progress.more.push(frame.author)
        options.onProgress?.({ received: progress.received, expected: progress.expected })
        continue
      }
      if (frame.t !== 'entry' || current === undefined) throw new SyncFrameError(`unexpected ${frame.t} frame`)
      if (++arrived > announced) throw new SyncFrameError(`range of ${current.log} announced ${announced} entries, sent more`)
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

/**
 * Whether a failed exchange proves the responder broke the protocol (a bad frame, a forged or
 * malformed entry, a log that breaks its own rules), rather than a network failure or a difference
 * an honest peer may have with us: another branch of a forked log, or an author's clock ahead of ours.
 */
export function isViolation (err: unknown): boolean {
  return isFlockError(err) && !(err instanceof ForkError || err instanceof PrevMismatchError || err instanceof FutureTimestampError ||
    // We may know of a revoke, or of more devices of that author, than the responder does yet.
    err instanceof RevokedDeviceError || err instanceof DeviceLimitError || (err instanceof WrongAuthorError && err.bound))
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
  /** Exchanges one peer may have us serve at once, over all its connections (SYNC_MAX_SERVING_PER_PEER). */
  maxServingPerPeer?: number
  /** Exchanges served at once, all peers together (SYNC_MAX_SERVING). */
  maxServing?: number
  /** Bytes of entries one exchange sends at most (SYNC_MAX_BYTES_PER_EXCHANGE). */
  maxBytesPerExchange?: number
  /** What serving may cost us: repeats per peer, and everything for all peers together (serve-budget.ts). */
  serveBudget?: ServeBudgetInit
  /** How long a peer that broke the protocol is neither served nor asked (SYNC_PENALTY_MS). */
  penaltyMs?: number
  /** Backoff before asking a peer again after a failed exchange, and how often (SYNC_RETRY_*). */
  retryMinMs?: number
  retryMaxMs?: number
  retryAttempts?: number
}

export interface SyncComponents {
  libp2p: Pick<Libp2p, 'handle' | 'unhandle' | 'getConnections' | 'hangUp' | 'addEventListener' | 'removeEventListener'>
  pubsub: Pick<GossipSub, 'getSubscribers' | 'addEventListener' | 'removeEventListener'>
  /** Served from, and read for our heads. */
  store: Pick<EntryStore, 'head' | 'range' | 'logsOf' | 'revokedAfter'>
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
 *
 * Serving is budgeted (DESIGN §6): streams per connection and per peer, exchanges at once, bytes per
 * exchange and bytes per second per peer. A peer whose answers break the protocol is disconnected and
 * neither served nor asked for a while; a failed exchange is retried with backoff, and another
 * holder is asked meanwhile.
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
  /** Exchanges being served, per peer, oldest first. */
  readonly #serving = new Map<string, AbortController[]>()
  #servingTotal = 0
  readonly #maxServingPerPeer: number
  readonly #maxServing: number
  readonly #maxBytesPerExchange: number
  readonly #pull: ServeBudget
  readonly #penaltyMs: number
  readonly #penalised = new Map<string, number>()
  readonly #retryMinMs: number
  readonly #retryMaxMs: number
  readonly #retryAttempts: number
  readonly #failures = new Map<string, number>()
  #served = 0
  #started = false

  constructor (init: SyncInit, components: SyncComponents) {
    this.#c = components
    this.#antiEntropyMs = init.antiEntropyMs ?? ANTI_ENTROPY_MS
    this.#timeoutMs = init.timeoutMs ?? SYNC_TIMEOUT_MS
    this.#maxInbound = init.maxInboundStreams ?? SYNC_MAX_INBOUND_STREAMS
    this.#maxOutbound = init.maxOutboundStreams ?? SYNC_MAX_OUTBOUND_STREAMS
    this.#maxServingPerPeer = init.maxServingPerPeer ?? SYNC_MAX_SERVING_PER_PEER
    this.#maxServing = init.maxServing ?? SYNC_MAX_SERVING
    this.#maxBytesPerExchange = init.maxBytesPerExchange ?? SYNC_MAX_BYTES_PER_EXCHANGE
    this.#pull = new ServeBudget(init.serveBudget)
    this.#penaltyMs = init.penaltyMs ?? SYNC_PENALTY_MS
    this.#retryMinMs = init.retryMinMs ?? SYNC_RETRY_MIN_MS
    this.#retryMaxMs = init.retryMaxMs ?? SYNC_RETRY_MAX_MS
    this.#retryAttempts = init.retryAttempts ?? SYNC_RETRY_ATTEMPTS
  }

  /** Whether `peer` broke the protocol recently. */
  penalised (peer: string): boolean {
    const until = this.#penalised.get(peer)
    if (until === undefined) return false
    if (until > Date.now()) return true
    this.#penalised.delete(peer)
    return false
  }

  /** Entries this node has sent to peers. */
  get served (): number {
    return this.#served
  }

  async start (): Promise<void> {
    if (this.#started) return
    this.#started = true
    this.#timers.start()
    for (const [protocol, version] of [[SYNC_PROTOCOL, 2], [SYNC_PROTOCOL_V1, 1]] as const) {
      await this.#c.libp2p.handle(protocol, (stream, connection) => { this.#serve(stream, connection.remotePeer.toString(), version) }, { maxInboundStreams: this.#maxInbound, maxOutboundStreams: this.#maxOutbound, runOnLimitedConnection: false })
    }
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
    await this.#c.libp2p.unhandle(SYNC_PROTOCOL_V1)
  }

  /**
   * Answer one exchange, if all peers together are within their budget. A peer already at its own
   * cap gets its oldest exchange cancelled for the new one: an honest requester runs one exchange at a
   * time, so an older one is abandoned (a tab that reloaded keeps its peer id, while its old
   * connection may take a while to be noticed dead), and a hostile one only cancels its own work.
   */
  #serve (stream: Stream, peer: string, version: SyncVersion): void {
    if (this.penalised(peer) || this.#servingTotal >= this.#maxServing) {
      stream.abort(new SyncBusyError(`not serving ${peer} now`))
      return
    }
    const mine = this.#serving.get(peer) ?? []
    while (mine.length >= this.#maxServingPerPeer) mine.shift()?.abort(new SyncBusyError(`a newer exchange of ${peer} replaced this one`))
    const exchange = new AbortController()
    mine.push(exchange)
    this.#serving.set(peer, mine)
    this.#servingTotal++
    void serveSync(stream, this.#c.store, {
      signal: AbortSignal.any([AbortSignal.timeout(this.#timeoutMs), exchange.signal]),
      maxBytes: this.#maxBytesPerExchange,
      budget: this.#pull.forPeer(peer),
      version
    }).then(n => { this.#served += n }).finally(() => {
      this.#servingTotal--
      const left = (this.#serving.get(peer) ?? []).filter(e => e !== exchange)
      if (left.length > 0) this.#serving.set(peer, left)
      else this.#serving.delete(peer)
    })
  }

  readonly #onIdentify = (evt: CustomEvent<{ peerId: PeerId, protocols: string[], connection: Connection }>): void => {
    const { peerId, protocols, connection } = evt.detail
    if ((protocols.includes(SYNC_PROTOCOL) || protocols.includes(SYNC_PROTOCOL_V1)) && connection.limits === undefined) this.syncWith(peerId)
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
  #antiEntropy (except?: string): void {
    const candidates = new Set<string>()
    for (const author of this.#c.feeds.authors) {
      for (const p of this.#c.pubsub.getSubscribers(authorTopic(author))) candidates.add(p.toString())
    }
    if (except !== undefined) candidates.delete(except)
    const direct = this.#c.libp2p.getConnections().filter(c => isDirect(c) && candidates.has(c.remotePeer.toString()))
    const pick = direct[Math.floor(Math.random() * direct.length)]
    if (pick !== undefined) this.syncWith(pick.remotePeer)
  }

  /** What to do after an exchange with `peer` failed with `err`. */
  #failed (peer: PeerId, err: Error): void {
    const key = peer.toString()
    if (isViolation(err)) {
      log('%s broke the sync protocol (%s): disconnecting, and no sync with it for %d ms', key, err.message, this.#penaltyMs)
      this.#penalised.set(key, Date.now() + this.#penaltyMs)
      this.#failures.delete(key)
      void this.#c.libp2p.hangUp(peer).catch(() => {})
    } else {
      log('sync with %s failed: %s', key, err.message)
      const failures = (this.#failures.get(key) ?? 0) + 1
      this.#failures.set(key, failures)
      if (failures <= this.#retryAttempts) {
        const delay = Math.min(this.#retryMaxMs, this.#retryMinMs * 2 ** (failures - 1))
        this.#timers.later(delay, () => { this.syncWith(peer) })
      } else {
        this.#failures.delete(key)
      }
    }
    // Whatever went wrong with this one, another holder may have what we are missing.
    this.#antiEntropy(key)
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
    if (this.penalised(key)) return
    if (this.#syncing.has(key)) {
      this.#again.add(key)
      return
    }
    const run = (async () => {
      do {
        this.#again.delete(key)
        await this.#syncOnce(peer).then(() => { this.#failures.delete(key) }, (err: Error) => { this.#failed(peer, err) })
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
    const ingest: SyncIngest = async (log, entries) => {
      const { refused } = await this.#c.intake.ingest(log, entries, 'sync')
      if (refused !== undefined) throw refused.error
    }
    let pending = this.#c.feeds.authors
    let total = 0
    for (let round = 0; pending.length > 0 && round < 1000 && this.#started; round++) {
      // Version 2 when the peer speaks it; a version-1 peer serves root logs only.
      const stream = await conn.newStream([SYNC_PROTOCOL, SYNC_PROTOCOL_V1], { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })
      const version: SyncVersion = stream.protocol === SYNC_PROTOCOL_V1 ? 1 : 2
      // A want frame must fit in one sync frame: ask for a bounded batch of authors per exchange.
      const wants: Want[] = []
      let size = 0
      while (pending.length > 0 && wants.length < SYNC_WANTS_PER_REQUEST) {
        const author = pending[0] as string
        const logs = []
        for (const log of version === 1 ? [author] : await this.#c.store.logsOf(author)) {
          logs.push({ log, after: (await this.#c.store.head(log))?.seq ?? 0 })
        }
        const want = { author, logs }
        const itemSize = encodeFrame({ t: 'want', want: [want] }, version).length
        if (wants.length > 0 && size + itemSize > SYNC_WANT_FRAME_BYTES) break
        wants.push(want)
        size += itemSize
        pending = pending.slice(1)
      }
      const result = await requestSync(stream, ingest, wants, {
        version,
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
