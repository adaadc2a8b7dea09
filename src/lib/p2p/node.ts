/**
 * One Flock node definition for both runtimes: libp2p + Helia (bitswap) with gossipsub, discovery,
 * the sync protocol and the entry store. Runtimes (runtime-node.ts, the browser's) pass transports,
 * listen addresses and stores; everything else is decided here once.
 *
 * Data flows network → validate (core) → store → events, and compose → sign (core) → store → publish.
 */
import { gossipsub, StrictNoSign, TopicValidatorResult, type GossipSub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { noise } from '@libp2p/noise'
import { ping } from '@libp2p/ping'
import { yamux } from '@libp2p/yamux'
import { logger } from '@libp2p/logger'
import { TypedEventEmitter } from '@libp2p/interface'
import type { Connection, ConnectionGater, Ed25519PrivateKey, Libp2p, PeerId, PrivateKey } from '@libp2p/interface'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { withBitswap } from '@helia/bitswap'
import { withLibp2pLight } from '@helia/libp2p'
import { createHeliaLight } from 'helia'
import { MemoryDatastore } from 'datastore-core'
import type { Blockstore } from 'interface-blockstore'
import type { Datastore } from 'interface-datastore'
import type { Libp2pOptions } from 'libp2p'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import {
  DISCOVERY_TOPIC, SYNC_PROTOCOL, TOPIC_PREFIX, authorTopic, checkTimestamp, createAnnouncement, createEntry, type Announcement,
  isAuthorId, isFlockError, verifyEntry, ForkError, FutureTimestampError, PrevMismatchError, SeqGapError,
  type Author, type Bodies, type EntryKind, type VerifiedEntry, type Want
} from '../core/index.js'
import { EntryStore, collect } from './store.js'
import { applyFollow, followsInLog, homeTimeline } from './timeline.js'
import { flockMsgId, joinDiscovery, scoreTopic } from './gossip.js'
import { requestSync, serveSync, type SyncProgress } from './sync.js'
import { TrafficAccounting } from './accounting.js'
import {
  ANNOUNCE_BURST_MS, ANTI_ENTROPY_MS, DIAL_ATTEMPTS, DIAL_TIMEOUT_MS, DISCOVERY_INTERVAL_MS, MAX_MEDIA_BYTES, RELAY_REDIAL_MAX_MS, RELAY_REDIAL_MIN_MS,
  SYNC_TIMEOUT_MS, SYNC_WANTS_PER_REQUEST
} from './constants.js'

const log = logger('flock:node')

export interface FlockNodeOptions {
  author: Author
  /** This device's libp2p key; the protocol never assumes it equals the author key. */
  nodeKey?: PrivateKey
  transports: NonNullable<Libp2pOptions['transports']>
  listen: string[]
  /** Where entry and media blocks live (served over bitswap). */
  blockstore: Blockstore
  /** Where the entry index lives. libp2p's own peer data stays in memory (DESIGN §5). */
  datastore: Datastore
  /** Bootstrap relays to keep a connection to. */
  relays?: string[]
  connectionGater?: ConnectionGater
  /**
   * Weight of gossipsub's IP-colocation penalty. Peers reached through one relay share its address,
   * and tests run every peer on 127.0.0.1, so callers tune it; the default is gossipsub's (-5 beyond
   * 10 peers per IP).
   */
  ipColocationFactorWeight?: number
  maxConnections?: number
  /** How often to sync with a random peer carrying a followed author (ANTI_ENTROPY_MS by default). */
  antiEntropyMs?: number
  /** Called after the node stopped, or when it failed to start, to close the stores (helia.stop() leaves them open). */
  closeStores?: () => Promise<void>
}

export interface ConnectionInfo {
  peerId: string
  remoteAddr: string
  direct: boolean
  bytesIn: number
  bytesOut: number
}

export interface FlockNodeEvents {
  /** A new entry was stored (from us, gossip or sync). */
  entry: CustomEvent<{ entry: VerifiedEntry, source: 'local' | 'gossip' | 'sync' }>
  /** An author signed two entries at one seq. */
  fork: CustomEvent<ForkError<VerifiedEntry>>
  'sync:progress': CustomEvent<SyncProgress & { peer: string }>
  'sync:done': CustomEvent<{ peer: string, received: number }>
}

/** The gossipsub class exposes peers' scores; its public interface does not. */
interface ScoredGossipSub {
  getScore: (peerId: string) => number
}

const RAW_CODE = 0x55

/** Helia's view of the blockstore: reads fall back to bitswap for blocks we don't hold. */
interface NetworkBlocks {
  put: (cid: CID, bytes: Uint8Array) => unknown
  get: (cid: CID, options?: { signal?: AbortSignal }) => AsyncIterable<Uint8Array> | Iterable<Uint8Array>
}

/**
 * Helia reads blocks from this store to answer bitswap wants; counting those reads (minus our own
 * media reads) tells how many blocks this node served to others.
 */
function countReads (store: Blockstore, served: { blocks: number }, ownReads: Set<string>): Blockstore {
  return new Proxy(store, {
    get (target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown
      if (prop !== 'get' || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value
      return (cid: CID, options?: unknown) => {
        if (!ownReads.has(cid.toString())) served.blocks++
        return (value as (c: CID, o?: unknown) => unknown).call(target, cid, options)
      }
    }
  })
}


type Services = { pubsub: GossipSub, identify: unknown, ping: unknown }

export class FlockNode extends TypedEventEmitter<FlockNodeEvents> {
  readonly author: Author
  readonly store: EntryStore
  readonly libp2p: Libp2p<Services>
  readonly traffic: TrafficAccounting
  readonly #following = new Set<string>()
  readonly #relays: Multiaddr[]
  readonly #syncing = new Map<string, Promise<void>>()
  readonly #syncAgain = new Set<string>()
  readonly #dialing = new Set<string>()
  readonly #timers = new Set<ReturnType<typeof setTimeout>>()
  readonly #stopHelia: () => Promise<void>
  #stopped = false

  readonly #nodeKey: Ed25519PrivateKey
  readonly #antiEntropyMs: number
  /** Entries sent to peers over sync and blocks sent over bitswap: what this node contributed. */
  readonly served: { entries: number, blocks: number }
  readonly #ownReads: Set<string>
  readonly #blocks: NetworkBlocks
  readonly #sync = new Map<string, SyncProgress>()
  #publishing: Promise<unknown> = Promise.resolve()

  private constructor (init: {
    author: Author, store: EntryStore, libp2p: Libp2p<Services>, traffic: TrafficAccounting, relays: Multiaddr[],
    served: { entries: number, blocks: number }, ownReads: Set<string>, blocks: NetworkBlocks, nodeKey: Ed25519PrivateKey,
    antiEntropyMs: number, stop: () => Promise<void>
  }) {
    super()
    this.author = init.author
    this.store = init.store
    this.libp2p = init.libp2p
    this.traffic = init.traffic
    this.#relays = init.relays
    this.#stopHelia = init.stop
    this.#nodeKey = init.nodeKey
    this.#antiEntropyMs = init.antiEntropyMs
    this.served = init.served
    this.#ownReads = init.ownReads
    this.#blocks = init.blocks
  }

  static async create (options: FlockNodeOptions): Promise<FlockNode> {
    try {
      return await FlockNode.#create(options)
    } catch (err) {
      // An open LevelDB stays locked, and an open IndexedDB blocks deleting it, until closed.
      await options.closeStores?.()
      throw err
    }
  }

  static async #create (options: FlockNodeOptions): Promise<FlockNode> {
    const traffic = new TrafficAccounting()
    const nodeKey = options.nodeKey ?? await generateKeyPair('Ed25519')
    if (nodeKey.type !== 'Ed25519') throw new TypeError('the node key must be Ed25519: it signs discovery announcements')
    const relays = (options.relays ?? []).map(a => multiaddr(a))
    const pubsub = gossipsub({
      // Entries and announcements carry their own signatures; a gossip-layer signature would be
      // verified again by every peer for each of its copies. The message id is the CID of the bytes,
      // so a re-announced entry is the same message.
      globalSignaturePolicy: StrictNoSign,
      msgIdFn: flockMsgId,
      allowPublishToZeroTopicPeers: true,
      ignoreDuplicatePublishError: true,
      // Small networks (a few followers) would otherwise never form a mesh of the default size.
      floodPublish: true,
      Dlo: 1,
      scoreParams: options.ipColocationFactorWeight === undefined ? {} : { IPColocationFactorWeight: options.ipColocationFactorWeight }
    })
    const served = { entries: 0, blocks: 0 }
    const ownReads = new Set<string>()
    const helia = withBitswap(withLibp2pLight(createHeliaLight({ blockstore: countReads(options.blockstore, served, ownReads), datastore: new MemoryDatastore() }), {
      privateKey: nodeKey,
      datastore: new MemoryDatastore(),
      addresses: { listen: options.listen },
      transports: options.transports,
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      ...(options.connectionGater !== undefined ? { connectionGater: options.connectionGater } : {}),
      connectionManager: {
        maxConnections: options.maxConnections ?? 300,
        inboundConnectionThreshold: 1000,
        maxIncomingPendingConnections: 100
      },
      metrics: () => traffic.metrics(),
      services: {
        pubsub,
        identify: identify(),
        ping: ping({ maxOutboundStreams: 8 })
      }
    }))
    await helia.start()
    const libp2p = helia.libp2p as unknown as Libp2p<Services>
    const node = new FlockNode({
      author: options.author,
      store: new EntryStore(options.blockstore, options.datastore),
      libp2p,
      traffic,
      relays,
      served,
      ownReads,
      blocks: helia.blockstore,
      nodeKey,
      antiEntropyMs: options.antiEntropyMs ?? ANTI_ENTROPY_MS,
      stop: async () => {
        await helia.stop()
        await options.closeStores?.()
      }
    })
    traffic.attach(() => libp2p.getConnections())
    try {
      await node.#start()
    } catch (err) {
      // Half started is worse than not started: listeners, relay connections and bitswap would go
      // on serving from stores that are about to close.
      node.#stopped = true
      for (const t of node.#timers) clearTimeout(t)
      await helia.stop()
      throw err
    }
    return node
  }

  get peerId (): PeerId {
    return this.libp2p.peerId
  }

  get following (): string[] {
    return [...this.#following]
  }

  async #start (): Promise<void> {
    await this.#loadFollows()
    await this.libp2p.handle(SYNC_PROTOCOL, (stream) => {
      void serveSync(stream, this.store, { signal: AbortSignal.timeout(SYNC_TIMEOUT_MS) }).then(n => { this.served.entries += n })
    })
    this.#subscribe(this.author.id)
    for (const a of this.#following) this.#subscribe(a)
    this.libp2p.addEventListener('peer:identify', (evt) => {
      const { peerId, protocols, connection } = evt.detail
      if (protocols.includes(SYNC_PROTOCOL) && connection.limits === undefined) this.syncWith(peerId)
    })
    this.libp2p.services.pubsub.addEventListener('subscription-change', (evt) => {
      const { peerId, subscriptions } = evt.detail
      // A post published before its author heard our subscription never reaches us by gossip, and
      // the sync on connecting may have run before it: ask again once the author's side has joined.
      if (subscriptions.some(s => s.subscribe && this.#followsTopic(s.topic))) this.syncWith(peerId)
    })
    // A browser is dialable only once a relay reservation gives it a circuit address; an announcement
    // made before that is useless to its readers, so tell them again as soon as our addresses change.
    this.libp2p.addEventListener('self:peer:update', (evt) => {
      const addrs = (p: { addresses: Array<{ multiaddr: Multiaddr }> } | undefined): string =>
        (p?.addresses ?? []).map(a => a.multiaddr.toString()).sort().join(' ')
      if (addrs(evt.detail.peer) !== addrs(evt.detail.previous)) this.#announce()
    })
    // A valid announcement of another peer is forwarded, and that peer dialled.
    joinDiscovery(this.libp2p.services.pubsub, (a) => {
      if (a.peerId !== this.peerId.toString()) void this.#discovered(a)
    })
    this.#announceEvery(DISCOVERY_INTERVAL_MS)
    this.libp2p.addEventListener('peer:disconnect', (evt) => {
      const relay = this.#relays.find(r => r.getComponents().some(c => c.value === evt.detail.toString()))
      if (relay !== undefined) this.#keepRelay(relay, RELAY_REDIAL_MIN_MS)
    })
    for (const relay of this.#relays) this.#keepRelay(relay, 0)
    this.#antiEntropy()
  }

  async #discovered (a: Announcement): Promise<void> {
    const id = peerIdFromString(a.peerId)
    // Its newest addresses replace older ones: a reservation that expired is no address to try first.
    await this.libp2p.peerStore.patch(id, { multiaddrs: a.addrs }).catch((err: Error) => { log('peer store refused %s: %s', a.peerId, err.message) })
    if (this.#stopped || this.libp2p.getConnections(id).length > 0 || this.#dialing.has(a.peerId)) return
    // Dial by id, so libp2p tries the addresses in its own order (direct before relayed).
    await this.#dial(id)
  }

  /** Tell the discovery topic how to reach us: our addresses, signed with the node key. */
  #announce (): void {
    if (this.#stopped) return
    const self = `/p2p/${this.peerId.toString()}`
    // Our own id at the end of each address is implied by the signing key.
    const addrs = this.libp2p.getMultiaddrs().map(ma => ma.toString().endsWith(self) ? ma.decapsulate(self) : ma)
    // Without an address (a browser before its first relay reservation) there is nothing to tell.
    if (addrs.length === 0) return
    void createAnnouncement(this.#nodeKey, addrs)
      .then(async bytes => await this.libp2p.services.pubsub.publish(DISCOVERY_TOPIC, bytes))
      .catch((err: Error) => { log('announcement not sent: %s', err.message) })
  }

  #announceEvery (ms: number): void {
    this.#later(ms, () => {
      this.#announce()
      this.#announceEvery(ms)
    })
  }

  /** Run `fn` after `ms` unless the node stops first (stop() clears every pending timer). */
  #later (ms: number, fn: () => void): void {
    if (this.#stopped) return
    const timer = setTimeout(() => {
      this.#timers.delete(timer)
      if (!this.#stopped) fn()
    }, ms)
    this.#timers.add(timer)
  }

  #followsTopic (topic: string): boolean {
    if (!topic.startsWith(TOPIC_PREFIX)) return false
    const author = topic.slice(TOPIC_PREFIX.length)
    return author === this.author.id || this.#following.has(author)
  }

  /**
   * Every so often, sync with one direct peer that carries an author we follow. Gossip alone can
   * lose a post (published while a mesh was re-forming, or dropped under load) and nothing else
   * would fetch it until that author posts again; this bounds how long such a hole stays open.
   */
  #antiEntropy (): void {
    this.#later(this.#antiEntropyMs, () => {
      const pubsub = this.libp2p.services.pubsub
      const candidates = new Set<string>()
      for (const author of [this.author.id, ...this.#following]) {
        for (const p of pubsub.getSubscribers(authorTopic(author))) candidates.add(p.toString())
      }
      const direct = this.libp2p.getConnections().filter(c => isDirect(c) && candidates.has(c.remotePeer.toString()))
      const pick = direct[Math.floor(Math.random() * direct.length)]
      if (pick !== undefined) this.syncWith(pick.remotePeer)
      this.#antiEntropy()
    })
  }

  async stop (): Promise<void> {
    if (this.#stopped) return
    this.#stopped = true
    for (const t of this.#timers) clearTimeout(t)
    this.#timers.clear()
    await this.#stopHelia()
  }

  /**
   * Sign an entry of ours, store it, and publish it on our author topic. Calls are queued: each entry
   * must name the one before it, so two concurrent publishes must not both build on the same head.
   */
  async publish<K extends EntryKind> (kind: K, body: Bodies[K]): Promise<VerifiedEntry<K>> {
    const run = this.#publishing.then(async () => await this.#publishNow(kind, body))
    this.#publishing = run.catch(() => {})
    return await run
  }

  async #publishNow<K extends EntryKind> (kind: K, body: Bodies[K]): Promise<VerifiedEntry<K>> {
    const head = await this.store.head(this.author.id)
    const prev = head === null ? null : await this.store.get(head.cid) ?? null
    const v = await createEntry(this.author, prev, kind, body)
    await this.store.append(v)
    this.#applyOwn(v)
    this.dispatchEvent(new CustomEvent('entry', { detail: { entry: v, source: 'local' } }))
    await this.libp2p.services.pubsub.publish(authorTopic(this.author.id), v.bytes).catch((err: Error) => {
      // No peer listening yet is normal: followers catch up through sync when they connect.
      log('publish of %s reached no peer: %s', v.cid, err.message)
    })
    return v
  }

  async follow (author: string): Promise<VerifiedEntry | null> {
    if (!isAuthorId(author)) throw new TypeError('not an author id')
    if (author === this.author.id || this.#following.has(author)) return null
    const v = await this.publish('follow', { author })
    this.syncAll()
    return v
  }

  async unfollow (author: string): Promise<VerifiedEntry | null> {
    if (!this.#following.has(author)) return null
    return await this.publish('unfollow', { author })
  }

  /** Newest-first entries of us and the authors we follow. */
  async timeline (limit = 50): Promise<VerifiedEntry[]> {
    return await homeTimeline(this.store, [this.author.id, ...this.#following], limit)
  }

  connections (): ConnectionInfo[] {
    return this.libp2p.getConnections().map(c => {
      const counter = this.traffic.forConnection(c)
      return {
        peerId: c.remotePeer.toString(),
        remoteAddr: c.remoteAddr.toString(),
        direct: isDirect(c),
        bytesIn: counter.bytesIn,
        bytesOut: counter.bytesOut
      }
    })
  }

  gossipScore (peerId: string): number {
    return (this.libp2p.services.pubsub as unknown as ScoredGossipSub).getScore(peerId)
  }

  /** Catch up with every connected peer that speaks the sync protocol over a direct connection. */
  syncAll (): void {
    const seen = new Set<string>()
    for (const c of this.libp2p.getConnections()) {
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
      this.#syncAgain.add(key)
      return
    }
    const run = (async () => {
      do {
        this.#syncAgain.delete(key)
        await this.#syncOnce(peer).catch((err: Error) => { log('sync with %s failed: %s', key, err.message) })
      } while (this.#syncAgain.has(key) && !this.#stopped)
    })().finally(() => {
      this.#syncing.delete(key)
      this.#sync.delete(key)
    })
    this.#syncing.set(key, run)
  }

  /** Sync in flight, summed over peers: what a "syncing 340 of 1,000 entries from 2 peers" line needs. */
  syncSummary (): { active: boolean, received: number, expected: number, peers: number } {
    let received = 0
    let expected = 0
    for (const p of this.#sync.values()) {
      received += p.received
      expected += p.expected
    }
    return { active: this.#sync.size > 0, received, expected, peers: this.#sync.size }
  }

  /** Store a media file (one raw block, a valid single-leaf UnixFS file) and return its CID. */
  async addMedia (bytes: Uint8Array): Promise<CID> {
    if (bytes.length > MAX_MEDIA_BYTES) throw new RangeError(`media of ${bytes.length} bytes exceeds ${MAX_MEDIA_BYTES}`)
    const cid = CID.createV1(RAW_CODE, await sha256.digest(bytes))
    await this.#blocks.put(cid, bytes)
    return cid
  }

  /** A block (media file or entry) by CID: from our store, or fetched from connected peers over bitswap. */
  async block (cid: CID, signal?: AbortSignal): Promise<Uint8Array> {
    const key = cid.toString()
    this.#ownReads.add(key)
    try {
      return await collect(this.#blocks.get(cid, { signal: signal ?? AbortSignal.timeout(30_000) }))
    } finally {
      this.#ownReads.delete(key)
    }
  }

  /** Resolves when every sync in flight has finished. */
  async idle (): Promise<void> {
    while (this.#syncing.size > 0) await Promise.all(this.#syncing.values())
  }

  async #syncOnce (peer: PeerId): Promise<void> {
    const conn = this.libp2p.getConnections(peer).find(isDirect)
    if (conn === undefined || this.#stopped) return
    let pending = [this.author.id, ...this.#following]
    let total = 0
    for (let round = 0; pending.length > 0 && round < 1000 && !this.#stopped; round++) {
      // A want frame must fit in one sync frame: ask for a bounded batch of authors per exchange.
      const batch = pending.slice(0, SYNC_WANTS_PER_REQUEST)
      pending = pending.slice(SYNC_WANTS_PER_REQUEST)
      const wants: Want[] = []
      for (const author of batch) wants.push({ author, after: (await this.store.head(author))?.seq ?? 0 })
      const stream = await conn.newStream(SYNC_PROTOCOL, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })
      const result = await requestSync(stream, this.store, wants, {
        signal: AbortSignal.timeout(SYNC_TIMEOUT_MS),
        onProgress: (p) => {
          this.#sync.set(peer.toString(), p)
          this.dispatchEvent(new CustomEvent('sync:progress', { detail: { ...p, peer: peer.toString() } }))
        },
        onEntries: (entries) => {
          for (const v of entries) {
            if (v.entry.author === this.author.id) this.#applyOwn(v)
            this.dispatchEvent(new CustomEvent('entry', { detail: { entry: v, source: 'sync' } }))
          }
        }
      })
      total += result.received
      // The responder capped some ranges: ask again for those authors, from where we now are.
      pending.push(...result.more)
    }
    // Forget this peer's progress first, so a summary taken on sync:done no longer counts it.
    this.#sync.delete(peer.toString())
    this.dispatchEvent(new CustomEvent('sync:done', { detail: { peer: peer.toString(), received: total } }))
  }

  #subscribe (author: string): void {
    const topic = authorTopic(author)
    const pubsub = this.libp2p.services.pubsub
    scoreTopic(pubsub, topic)
    pubsub.topicValidators.set(topic, async (from, msg) => await this.#validateGossip(author, msg.data, from))
    pubsub.subscribe(topic)
  }

  #unsubscribe (author: string): void {
    const topic = authorTopic(author)
    const pubsub = this.libp2p.services.pubsub
    pubsub.unsubscribe(topic)
    pubsub.topicValidators.delete(topic)
  }

  /**
   * Gossip verdicts (DESIGN §4): forged or malformed → reject, so the sender loses score; already
   * held, out of order or early → ignore; otherwise store and accept so it spreads.
   */
  async #validateGossip (author: string, data: Uint8Array, from: PeerId): Promise<TopicValidatorResult> {
    let v: VerifiedEntry
    try {
      v = await verifyEntry(data)
      if (v.entry.author !== author) return TopicValidatorResult.Reject
      checkTimestamp(v)
    } catch (err) {
      if (err instanceof FutureTimestampError) return TopicValidatorResult.Ignore
      return TopicValidatorResult.Reject
    }
    try {
      const result = await this.store.append(v)
      if (result === 'duplicate') return TopicValidatorResult.Ignore
    } catch (err) {
      if (err instanceof ForkError) {
        this.dispatchEvent(new CustomEvent('fork', { detail: err as ForkError<VerifiedEntry> }))
        return TopicValidatorResult.Ignore
      }
      if (err instanceof SeqGapError || err instanceof PrevMismatchError) {
        // We missed entries (or hold a different history): fetch the range from whoever sent this.
        this.syncWith(from)
        return TopicValidatorResult.Ignore
      }
      if (isFlockError(err)) return TopicValidatorResult.Reject
      throw err
    }
    if (v.entry.author === this.author.id) this.#applyOwn(v)
    this.dispatchEvent(new CustomEvent('entry', { detail: { entry: v, source: 'gossip' } }))
    return TopicValidatorResult.Accept
  }

  async #loadFollows (): Promise<void> {
    for (const author of await followsInLog(this.store, this.author.id)) this.#following.add(author)
  }

  /** Our own log changed (locally, or restored from another device): follow what it says. */
  #applyOwn (v: VerifiedEntry): void {
    if (!applyFollow(this.#following, this.author.id, v.entry)) return
    const e = v.entry
    if (e.kind === 'follow') this.#subscribe(e.body.author)
    if (e.kind === 'unfollow') this.#unsubscribe(e.body.author)
  }

  async #dial (peer: PeerId): Promise<Connection | undefined> {
    const key = peer.toString()
    this.#dialing.add(key)
    try {
      for (let attempt = 1; attempt <= DIAL_ATTEMPTS && !this.#stopped; attempt++) {
        try {
          return await this.libp2p.dial(peer, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })
        } catch (err) {
          log('dial %s attempt %d failed: %s', key, attempt, (err as Error).message)
        }
      }
      return undefined
    } finally {
      this.#dialing.delete(key)
    }
  }

  /** Announce soon after reaching a relay (ANNOUNCE_BURST_MS says when and why). */
  #announceBurst (): void {
    for (const delay of ANNOUNCE_BURST_MS) this.#later(delay, () => { this.#announce() })
  }

  /** Keep a connection to a bootstrap relay, redialling with exponential backoff while it is down. */
  #keepRelay (relay: Multiaddr, delay: number): void {
    this.#later(delay, () => {
      const id = relay.getComponents().findLast(c => c.name === 'p2p')?.value
      if (id !== undefined && this.libp2p.getConnections().some(c => c.remotePeer.toString() === id)) return
      this.libp2p.dial(relay, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) }).then(
        () => {
          log('connected to relay %s', relay)
          this.#announceBurst()
        },
        (err: Error) => {
          const next = Math.min(RELAY_REDIAL_MAX_MS, Math.max(RELAY_REDIAL_MIN_MS, delay * 2))
          log('relay %s unreachable (%s); retrying in %d ms', relay, err.message, next)
          this.#keepRelay(relay, next)
        }
      )
    })
  }
}

/** Direct: not carried by a relay. A WebRTC address names the relay that signalled it, yet is direct. */
export function isDirect (c: Connection): boolean {
  const addr = c.remoteAddr.toString()
  return c.limits === undefined && (!addr.includes('/p2p-circuit') || addr.includes('/webrtc'))
}


