/**
 * The Flock node: the composition root of libp2p + Helia (bitswap) and Flock's services, one
 * definition for both runtimes. Runtimes (runtime-node.ts, runtime-browser.ts) pass transports,
 * listen addresses and stores; everything else is decided here once.
 *
 * Services, each `service(init)(components)` in the shape of js-libp2p's own:
 * - feeds (feeds.ts): author topics, their gossip validators, publishing, the follow set
 * - sync (sync.ts): the catch-up protocol, both sides, and when to run it
 * - discovery (discovery.ts): the announcement topic, relay keep-alive, dialling peers we hear of
 * - media (media.ts): media blocks over bitswap and the count of blocks served
 * and the one intake pipeline (intake.ts) every arriving or written entry passes through.
 *
 * The app and the headless API use this class only through its public methods and typed events
 * (events.ts); `libp2p` stays reachable for tests and benchmarks that drive the network itself.
 */
import { identify } from '@libp2p/identify'
import { noise } from '@libp2p/noise'
import { ping } from '@libp2p/ping'
import { yamux } from '@libp2p/yamux'
import type { GossipSub } from '@libp2p/gossipsub'
import { TypedEventEmitter } from '@libp2p/interface'
import type { ConnectionGater, Ed25519PrivateKey, Libp2p, PeerId, PrivateKey } from '@libp2p/interface'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { withBitswap } from '@helia/bitswap'
import { withLibp2pLight } from '@helia/libp2p'
import { createHeliaLight } from 'helia'
import { MemoryDatastore } from 'datastore-core'
import type { Blockstore } from 'interface-blockstore'
import type { Datastore } from 'interface-datastore'
import type { Libp2pOptions } from 'libp2p'
import type { CID } from 'multiformats/cid'
import {
  createEntry, deviceBody, isAuthorId, logOf, revokeBody, InvalidAuthorError, type Author, type Bodies, type EntryKind,
  type Signer, type SignerKey, type VerifiedEntry
} from '../core/index.js'
import { EntryStore, type LogReader } from './store.js'
import { followStateOf, homeTimeline } from './timeline.js'
import { flockGossip } from './gossip.js'
import { Intake } from './intake.js'
import { Feeds, feeds } from './feeds.js'
import { SyncService, isDirect, sync, type SyncInit } from './sync.js'
import { Discovery, discovery } from './discovery.js'
import { Media, countServedBlocks, media } from './media.js'
import { TrafficAccounting } from './accounting.js'
import type { FlockNodeEvents } from './events.js'
import { FEEDS_ABUSE_BAN_MS, FEEDS_FORWARDERS_KEPT } from './constants.js'

export type { FlockNodeEvents, EntrySource, SyncProgress } from './events.js'
export { isDirect } from './sync.js'

export interface FlockNodeOptions {
  /** The author key: signs this device in (its log's first entry) and revokes others. */
  author: Author
  /**
   * This device's key, which signs its own log (PROTOCOL.md §1, Devices). Without one the node
   * writes the author's root log with the author key: a profile from before version 2 does.
   */
  device?: SignerKey
  /** A name for this device, shown in its author's device list. */
  deviceName?: string
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
  /** See FlockGossipInit. */
  ipColocationFactorWeight?: number
  maxConnections?: number
  /** How often to sync with a random peer carrying a followed author (ANTI_ENTROPY_MS by default). */
  antiEntropyMs?: number
  /** Bytes per second all peers together may pull from us over sync (SYNC_SERVE_TOTAL_BYTES_PER_S by default). */
  syncServeBytesPerSecond?: number
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

type Services = { pubsub: GossipSub, identify: unknown, ping: unknown }

interface Parts {
  author: Author
  device: SignerKey | undefined
  deviceName: string | undefined
  store: EntryStore
  libp2p: Libp2p<Services>
  traffic: TrafficAccounting
  media: Media
  stop: () => Promise<void>
  syncInit: SyncInit
  discovery: { nodeKey: Ed25519PrivateKey, relays: string[] }
}

/** One device log of an author, as a device list shows it. */
export interface DeviceInfo {
  /** The device id; the author id for the root log, written with the author key. */
  id: string
  name?: string
  /** Entries held of its log. */
  entries: number
  /** Time of its newest entry held. */
  lastTs: number | null
  /** Its entries after this seq no longer count. */
  revokedAfter?: number
  /** This node writes it. */
  current: boolean
}

export class FlockNode extends TypedEventEmitter<FlockNodeEvents> {
  readonly author: Author
  /** The log this node writes: its device's, or the author's root log. */
  readonly logId: string
  readonly #signer: Signer
  readonly #deviceName: string | undefined
  readonly libp2p: Libp2p<Services>
  /** Read-only view of the replicated logs: writes go through publish, sync, gossip or importEntries. */
  readonly logs: LogReader
  readonly #store: EntryStore
  readonly #traffic: TrafficAccounting
  readonly #intake: Intake
  readonly #feeds: Feeds
  readonly #sync: SyncService
  readonly #discovery: Discovery
  readonly #media: Media
  readonly #stopHelia: () => Promise<void>
  #stopped = false
  #publishing: Promise<unknown> = Promise.resolve()

  private constructor (parts: Parts) {
    super()
    this.author = parts.author
    this.#signer = parts.device === undefined ? { author: parts.author.id, key: parts.author } : { author: parts.author.id, key: parts.device }
    this.logId = this.#signer.key.id
    this.#deviceName = parts.deviceName
    this.libp2p = parts.libp2p
    this.#store = parts.store
    this.logs = parts.store
    this.#traffic = parts.traffic
    this.#stopHelia = parts.stop
    const pubsub = parts.libp2p.services.pubsub
    this.#intake = new Intake({ store: parts.store, events: this, self: parts.author.id, onOwn: (v) => { this.#feeds.applyOwn(v) } })
    this.#feeds = feeds()({
      pubsub,
      intake: this.#intake,
      self: parts.author.id,
      onBehind: (peer) => { this.#sync.syncWith(peer) },
      onAbuse: (peer) => { this.#shun(peer) }
    })
    this.#sync = sync(parts.syncInit)({ libp2p: parts.libp2p, pubsub, store: parts.store, intake: this.#intake, feeds: this.#feeds, events: this })
    this.#discovery = discovery(parts.discovery)({ libp2p: parts.libp2p, pubsub })
    this.#media = parts.media
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
    const counted = countServedBlocks(options.blockstore)
    const helia = withBitswap(withLibp2pLight(createHeliaLight({ blockstore: counted.blockstore, datastore: new MemoryDatastore() }), {
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
        pubsub: flockGossip(options.ipColocationFactorWeight === undefined ? {} : { ipColocationFactorWeight: options.ipColocationFactorWeight }),
        identify: identify(),
        ping: ping({ maxOutboundStreams: 8 })
      }
    }))
    await helia.start()
    const libp2p = helia.libp2p as unknown as Libp2p<Services>
    const node = new FlockNode({
      author: options.author,
      device: options.device,
      deviceName: options.deviceName,
      store: new EntryStore(options.blockstore, options.datastore),
      libp2p,
      traffic,
      media: media()({ blocks: helia.blockstore, served: counted.served }),
      syncInit: {
        ...(options.antiEntropyMs !== undefined ? { antiEntropyMs: options.antiEntropyMs } : {}),
        ...(options.syncServeBytesPerSecond !== undefined ? { serveBudget: { totalBytesPerSecond: options.syncServeBytesPerSecond } } : {})
      },
      discovery: { nodeKey, relays: options.relays ?? [] },
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
      await node.#stopServices()
      await helia.stop()
      throw err
    }
    return node
  }

  get peerId (): PeerId {
    return this.libp2p.peerId
  }

  get following (): string[] {
    return this.#feeds.following
  }

  async #start (): Promise<void> {
    if (this.logId !== this.author.id && await this.#store.head(this.logId) === null) {
      // A new device's log opens with the author key's consent to it; nothing touches the root log,
      // so a restored backup never forks anything.
      const genesis = await createEntry(this.#signer, null, 'device', await deviceBody(this.author, this.logId, this.#deviceName))
      const { refused } = await this.#intake.ingest(this.logId, [genesis], 'local')
      if (refused !== undefined) throw refused.error
    }
    this.#feeds.start(await followStateOf(this.#store, this.author.id))
    await this.#sync.start()
    this.#discovery.start()
    this.libp2p.addEventListener('connection:open', this.#onConnection)
    this.libp2p.addEventListener('connection:close', this.#onConnection)
  }

  /** Peers that flooded us, until when: their connections are closed as they open. */
  readonly #shunned = new Map<string, number>()

  #shun (peer: PeerId): void {
    this.#shunned.set(peer.toString(), Date.now() + FEEDS_ABUSE_BAN_MS)
    if (this.#shunned.size > FEEDS_FORWARDERS_KEPT) this.#shunned.delete(this.#shunned.keys().next().value as string)
    void this.libp2p.hangUp(peer).catch(() => {})
  }

  readonly #onConnection = (evt: CustomEvent<{ remotePeer: PeerId, status: string }>): void => {
    const peer = evt.detail.remotePeer
    const until = this.#shunned.get(peer.toString())
    if (until !== undefined && evt.detail.status === 'open') {
      if (until > Date.now()) {
        void this.libp2p.hangUp(peer).catch(() => {})
        return
      }
      this.#shunned.delete(peer.toString())
    }
    this.dispatchEvent(new CustomEvent('connection', { detail: { peer: evt.detail.remotePeer.toString(), open: evt.detail.status === 'open' } }))
  }

  async #stopServices (): Promise<void> {
    this.#stopped = true
    this.libp2p.removeEventListener('connection:open', this.#onConnection)
    this.libp2p.removeEventListener('connection:close', this.#onConnection)
    this.#discovery.stop()
    await this.#sync.stop().catch(() => {})
    this.#feeds.stop()
  }

  async stop (): Promise<void> {
    if (this.#stopped) return
    await this.#stopServices()
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
    const head = await this.#store.head(this.logId)
    const prev = head === null ? null : await this.#store.get(head.cid) ?? null
    const v = await createEntry(this.#signer, prev, kind, body)
    const { refused } = await this.#intake.ingest(this.logId, [v], 'local')
    if (refused !== undefined) throw refused.error
    await this.#feeds.publish(v)
    return v
  }

  /** The logs that speak for us: the root log if it has entries, and every device's. */
  async devices (): Promise<DeviceInfo[]> {
    const out: DeviceInfo[] = []
    for (const log of await this.#store.logsOf(this.author.id)) {
      const head = await this.#store.head(log)
      const first = log === this.author.id ? undefined : await this.#store.at(log, 1)
      const revokedAfter = await this.#store.revokedAfter(log)
      out.push({
        id: log,
        ...(first?.entry.kind === 'device' && first.entry.body.name !== undefined ? { name: first.entry.body.name } : {}),
        entries: head?.seq ?? 0,
        lastTs: head?.ts ?? null,
        ...(revokedAfter === undefined ? {} : { revokedAfter }),
        current: log === this.logId
      })
    }
    return out
  }

  /**
   * Withdraw another device of ours: its entries after the last one held here stop counting, for
   * us and for every follower that gets this revoke. Null when it is already revoked.
   */
  async revokeDevice (device: string): Promise<VerifiedEntry<'revoke'> | null> {
    if (device === this.logId) throw new InvalidAuthorError('this device cannot revoke itself')
    if (device === this.author.id) throw new InvalidAuthorError('the author key cannot be revoked')
    if (!(await this.#store.logsOf(this.author.id)).includes(device)) throw new InvalidAuthorError(`${device} is not one of our devices`)
    if (await this.#store.revokedAfter(device) !== undefined) return null
    const after = (await this.#store.head(device))?.seq ?? 0
    return await this.publish('revoke', await revokeBody(this.author, device, after))
  }

  /** Follow `author`: null when already following (or it is us), else the follow entry written. */
  async follow (author: string): Promise<VerifiedEntry | null> {
    if (!isAuthorId(author)) throw new InvalidAuthorError(`"${author}" is not an author id`)
    if (author === this.author.id || this.#feeds.isFollowing(author)) return null
    const v = await this.publish('follow', { author })
    this.#sync.syncAll()
    return v
  }

  /** Unfollow `author`: null when not following, else the unfollow entry written. */
  async unfollow (author: string): Promise<VerifiedEntry | null> {
    if (!this.#feeds.isFollowing(author)) return null
    return await this.publish('unfollow', { author })
  }

  /**
   * Take in entries from outside the network (a CAR backup): grouped by author and ordered by seq,
   * each group through the intake pipeline like any other. As with sync, only our own log and the
   * logs of authors we follow are kept — our own first, so the follows it holds count. Returns how
   * many were new, and how many belonged to anyone else and were left out.
   */
  async importEntries (entries: VerifiedEntry[]): Promise<{ added: number, otherAuthors: number }> {
    const byLog = new Map<string, VerifiedEntry[]>()
    for (const v of entries) {
      const log = logOf(v.entry)
      const list = byLog.get(log) ?? []
      list.push(v)
      byLog.set(log, list)
    }
    // Our own logs first, so the follows they hold decide what else is kept.
    const logs = [...byLog].sort(([, a], [, b]) => Number(b[0]?.entry.author === this.author.id) - Number(a[0]?.entry.author === this.author.id))
    let added = 0
    let otherAuthors = 0
    for (const [log, list] of logs) {
      const author = list[0]?.entry.author as string
      if (author !== this.author.id && !this.#feeds.isFollowing(author)) {
        otherAuthors += list.length
        continue
      }
      list.sort((a, b) => a.entry.seq - b.entry.seq)
      added += (await this.#intake.ingest(log, list, 'import')).added.length
    }
    return { added, otherAuthors }
  }

  /** Newest-first entries of us and the authors we follow. */
  async timeline (limit = 50): Promise<VerifiedEntry[]> {
    return await homeTimeline(this.#store, this.#feeds.authors, limit)
  }

  connections (): ConnectionInfo[] {
    return this.libp2p.getConnections().map(c => {
      const counter = this.#traffic.forConnection(c)
      return {
        peerId: c.remotePeer.toString(),
        remoteAddr: c.remoteAddr.toString(),
        direct: isDirect(c),
        bytesIn: counter.bytesIn,
        bytesOut: counter.bytesOut
      }
    })
  }

  /** Bytes through every connection since the node started. */
  totals (): { bytesIn: number, bytesOut: number } {
    return { ...this.#traffic.totals }
  }

  /** Entries sent to peers over sync and blocks sent over bitswap: what this node contributed. */
  served (): { entries: number, blocks: number } {
    return { entries: this.#sync.served, blocks: this.#media.served }
  }

  /** Peers subscribed to `author`'s topic right now: who receives that author's next post live. */
  topicPeers (author: string): string[] {
    return this.#feeds.subscribers(author)
  }

  multiaddrs (): string[] {
    return this.libp2p.getMultiaddrs().map(a => a.toString())
  }

  /** Peer ids of our bootstrap relays. */
  relayIds (): string[] {
    return this.#discovery.relayIds
  }

  gossipScore (peerId: string): number {
    // The gossipsub class exposes peers' scores; its public interface does not.
    return (this.libp2p.services.pubsub as unknown as { getScore: (id: string) => number }).getScore(peerId)
  }

  /** Catch up with every connected peer that speaks the sync protocol over a direct connection. */
  syncAll (): void {
    this.#sync.syncAll()
  }

  /** Catch up with one peer; concurrent requests for the same peer collapse into one more round. */
  syncWith (peer: PeerId): void {
    this.#sync.syncWith(peer)
  }

  /** Sync in flight, summed over peers. */
  syncSummary (): { active: boolean, received: number, expected: number, peers: number } {
    return this.#sync.summary()
  }

  /** Resolves when every sync in flight has finished. */
  async idle (): Promise<void> {
    await this.#sync.idle()
  }

  /** Store a media file (one raw block) and return its CID. */
  async addMedia (bytes: Uint8Array): Promise<CID> {
    return await this.#media.add(bytes)
  }

  /** A block (media file or entry) by CID: from our store, or fetched from connected peers over bitswap. */
  async block (cid: CID, signal?: AbortSignal): Promise<Uint8Array> {
    return await this.#media.get(cid, signal)
  }
}
