/**
 * FlockClient over a FlockNode in this JavaScript realm: turns the UI's requests into entries written
 * through the node, reads into views (post-views.ts) over the node's logs and the app's read model,
 * and node events into plain ClientEvents. It uses the node only through its public methods and
 * events. Works the same in the browser and in the headless peer, whose HTTP API is built on it.
 *
 * ```ts
 * const client = await LocalClient.open(node, viewsDatastore, relays)
 * const { cid } = await client.post({ text: 'hello' })
 * ```
 */
import { CarWriter } from '@ipld/car'
import type { Datastore } from 'interface-datastore'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import {
  DAG_CBOR_CODE, EntrySchemaError, MAX_ENTRY_BYTES, entryView, equalBytes, isAuthorId, isHandle, postBody, verifyEntry, type Media, type VerifiedEntry
} from '../core/index.js'
import type { FlockNode, FlockNodeEvents } from '../p2p/node.js'
import { collect } from '../p2p/store.js'
import { MAX_MEDIA_BYTES } from '../p2p/constants.js'
import type {
  ClientEvent, DeviceView, EditView, FlockClient, ForkView, ImportReport, NetworkView, NotificationView, PostInput, PostView,
  ProfileInput, ProfileView, Written
} from './client.js'
import { InvalidAuthorError, InvalidCidError, NotOwnEntryError, SelfFollowError, UnknownEntryError } from './errors.js'
import { openCar } from './car.js'
import { PostViews } from './post-views.js'
import { ReadModel } from './read-model.js'

const RAW_CODE = 0x55
/** How long a write or a thread waits for a peer to send an entry we don't hold. */
const ENTRY_FETCH_TIMEOUT_MS = 10_000
/** How long an export waits for each media file it doesn't hold. */
const EXPORT_MEDIA_TIMEOUT_MS = 5_000

/** What the client uses of a node: its public face, nothing of libp2p or the store. */
export type ClientNode = Pick<FlockNode,
  'author' | 'logId' | 'peerId' | 'logs' | 'following' | 'timeline' | 'publish' | 'follow' | 'unfollow' | 'importEntries' |
  'devices' | 'revokeDevice' |
  'addMedia' | 'block' | 'connections' | 'totals' | 'served' | 'topicPeers' | 'relayIds' | 'syncSummary' |
  'addEventListener' | 'removeEventListener'>

function written (v: VerifiedEntry): Written {
  return { cid: v.cid.toString(), seq: v.entry.seq }
}

function parseCid (cid: string): CID {
  try {
    return CID.parse(cid)
  } catch {
    throw new InvalidCidError(cid)
  }
}

export class LocalClient implements FlockClient {
  readonly #node: ClientNode
  readonly #relays: string[]
  readonly #views: PostViews

  constructor (node: ClientNode, model: ReadModel, relays: string[]) {
    this.#node = node
    this.#relays = relays
    this.#views = new PostViews({
      self: node.author.id,
      logs: node.logs,
      timeline: async (limit) => await node.timeline(limit),
      following: () => node.following,
      entry: async (cid) => await this.#entry(cid)
    }, model)
  }

  /**
   * The client of `node`, with its read model kept in `index`: fed by every entry the node stores
   * from now on, after catching up with what the logs hold that the index does not.
   */
  static async open (node: ClientNode, index: Datastore, relays: string[]): Promise<LocalClient> {
    const model = new ReadModel(index, node.logs)
    node.addEventListener('entry', (evt) => { model.add([evt.detail.entry]) })
    await model.catchUp()
    return new LocalClient(node, model, relays)
  }

  get author (): string {
    return this.#node.author.id
  }

  async timeline (limit = 50): Promise<PostView[]> {
    return await this.#views.timeline(limit)
  }

  async authorPosts (author: string, limit = 50): Promise<PostView[]> {
    return await this.#views.authorPosts(author, limit)
  }

  async thread (cid: string): Promise<{ ancestors: PostView[], focus: PostView | null, replies: PostView[] }> {
    return await this.#views.thread(cid)
  }

  async post (input: PostInput): Promise<Written> {
    const media: Media[] = []
    for (const m of input.media ?? []) media.push({ cid: await this.#node.addMedia(m.bytes), mime: m.mime, alt: m.alt, size: m.bytes.length })
    const replyTo = input.replyTo === undefined ? undefined : await this.#entry(input.replyTo)
    const body = postBody(input.text, {
      ...(replyTo !== undefined ? { replyTo } : {}),
      ...(input.quote !== undefined ? { quote: parseCid(input.quote) } : {}),
      media
    })
    return written(await this.#node.publish('post', body))
  }

  async like (cid: string): Promise<Written> {
    const subject = await this.#entry(cid)
    return written(await this.#node.publish('like', { subject: subject.cid, author: subject.entry.author }))
  }

  async repost (cid: string): Promise<Written> {
    const subject = await this.#entry(cid)
    return written(await this.#node.publish('repost', { subject: subject.cid, author: subject.entry.author }))
  }

  async remove (cid: string): Promise<Written> {
    const subject = await this.#entry(cid)
    if (subject.entry.author !== this.author) throw new NotOwnEntryError()
    return written(await this.#node.publish('delete', { subject: subject.cid }))
  }

  async edit (cid: string, text: string): Promise<Written> {
    const subject = await this.#entry(cid)
    if (subject.entry.author !== this.author || subject.entry.kind !== 'post') throw new NotOwnEntryError()
    const { tags, mentions } = postBody(text, {})
    return written(await this.#node.publish('edit', {
      subject: subject.cid,
      text,
      ...(mentions !== undefined ? { mentions } : {}),
      ...(tags !== undefined ? { tags } : {})
    }))
  }

  async edits (cid: string): Promise<EditView[]> {
    return await this.#views.edits(cid)
  }

  async devices (): Promise<DeviceView[]> {
    return (await this.#node.devices()).map(d => ({ ...d, root: d.id === this.author }))
  }

  async revokeDevice (id: string): Promise<Written | null> {
    if (!isAuthorId(id)) throw new InvalidAuthorError()
    const v = await this.#node.revokeDevice(id)
    return v === null ? null : written(v)
  }

  async follow (author: string): Promise<Written | null> {
    if (!isAuthorId(author)) throw new InvalidAuthorError()
    if (author === this.author) throw new SelfFollowError()
    const v = await this.#node.follow(author)
    return v === null ? null : written(v)
  }

  async unfollow (author: string): Promise<Written | null> {
    if (!isAuthorId(author)) throw new InvalidAuthorError()
    const v = await this.#node.unfollow(author)
    return v === null ? null : written(v)
  }

  async following (): Promise<string[]> {
    return this.#node.following
  }

  async setProfile (profile: ProfileInput): Promise<Written> {
    let avatar: CID | undefined
    if (profile.avatar === undefined) avatar = await this.#views.avatarOf(this.author)
    else if (profile.avatar !== null) avatar = await this.#node.addMedia(profile.avatar.bytes)
    // Like the avatar, a handle the input does not mention is carried over; '' removes it.
    const handle = profile.handle === undefined ? (await this.#views.profile(this.author)).handle : profile.handle === '' ? undefined : profile.handle
    if (handle !== undefined && !isHandle(handle)) throw new EntrySchemaError('body.handle', 'must be a lowercase domain name such as alice.example.org')
    return written(await this.#node.publish('profile', {
      name: profile.name,
      bio: profile.bio,
      ...(avatar !== undefined ? { avatar } : {}),
      ...(handle !== undefined ? { handle } : {})
    }))
  }

  async profile (author: string): Promise<ProfileView> {
    return await this.#views.profile(author)
  }

  async notifications (limit = 50): Promise<NotificationView[]> {
    return await this.#views.notifications(limit)
  }

  async network (): Promise<NetworkView> {
    const node = this.#node
    const relayIds = new Set(node.relayIds())
    const connections = node.connections().map(c => ({ ...c, relay: relayIds.has(c.peerId) }))
    const viaRelay = connections.filter(c => c.relay || !c.direct).reduce((n, c) => n + c.bytesIn + c.bytesOut, 0)
    const all = connections.reduce((n, c) => n + c.bytesIn + c.bytesOut, 0)
    const directPeers = new Set(connections.filter(c => c.direct).map(c => c.peerId))
    return {
      peerId: node.peerId.toString(),
      author: this.author,
      relays: this.#relays,
      connections,
      totals: node.totals(),
      relayShare: all === 0 ? 0 : viaRelay / all,
      served: node.served(),
      latestPostPeers: node.topicPeers(this.author).filter(p => directPeers.has(p)).length,
      sync: node.syncSummary()
    }
  }

  async media (cid: string, signal?: AbortSignal): Promise<Uint8Array> {
    return await this.#node.block(parseCid(cid), signal)
  }

  async forks (): Promise<ForkView[]> {
    return await this.#views.forks()
  }

  /** Every log of ours (each device's), rooted at the heads, with the media they name. */
  async exportLog (): Promise<Uint8Array> {
    const logs = this.#node.logs
    const heads = []
    for (const id of await logs.logsOf(this.author)) {
      const head = await logs.head(id)
      if (head !== null) heads.push({ id, head })
    }
    const { writer, out } = CarWriter.create(heads.map(h => h.head.cid))
    const car = collect(out)
    for (const { id, head } of heads) await this.#exportLog(writer, id, head.seq)
    await writer.close()
    return await car
  }

  async #exportLog (writer: Awaited<ReturnType<typeof CarWriter.create>>['writer'], id: string, to: number): Promise<void> {
    for await (const bytes of this.#node.logs.range(id, 1, to)) {
      const v = await verifyEntry(bytes)
      await writer.put({ cid: v.cid, bytes })
      const e = v.entry
      const media = e.kind === 'post' ? (e.body.media ?? []).map(m => m.cid) : e.kind === 'profile' && e.body.avatar !== undefined ? [e.body.avatar] : []
      for (const cid of media) {
        const data = await this.#node.block(cid, AbortSignal.timeout(EXPORT_MEDIA_TIMEOUT_MS)).catch(() => undefined)
        if (data !== undefined) await writer.put({ cid, bytes: data })
      }
    }
  }

  /**
   * Every entry of the CAR is verified, then taken in by the node like any other (intake.ts). A bad
   * block is skipped and counted, not a reason to drop the rest; a file cut short keeps what came
   * before the cut.
   */
  async importLog (car: Uint8Array): Promise<ImportReport> {
    const entries: VerifiedEntry[] = []
    let badBlocks = 0
    let truncated = false
    try {
      for await (const { cid, bytes } of (await openCar(car)).blocks) {
        const limit = cid.code === DAG_CBOR_CODE ? MAX_ENTRY_BYTES : cid.code === RAW_CODE ? MAX_MEDIA_BYTES : 0
        // A CAR's CIDs are claims: every block is checked against its hash before it is kept.
        const digest = bytes.length > limit ? undefined : await sha256.digest(bytes)
        if (digest === undefined || cid.multihash.code !== digest.code || !equalBytes(cid.multihash.digest, digest.digest)) {
          badBlocks++
          continue
        }
        if (cid.code === RAW_CODE) {
          await this.#node.addMedia(bytes)
          continue
        }
        const v = await verifyEntry(bytes).catch(() => undefined)
        if (v === undefined) badBlocks++
        else entries.push(v)
      }
    } catch {
      truncated = true
    }
    return { ...await this.#node.importEntries(entries), badBlocks, truncated }
  }

  subscribe (listener: (event: ClientEvent) => void): () => void {
    const node = this.#node
    const onEntry = (evt: FlockNodeEvents['entry']): void => {
      listener({ type: 'entry', entry: entryView(evt.detail.entry), source: evt.detail.source })
    }
    const onSync = (): void => { listener({ type: 'sync', sync: node.syncSummary() }) }
    const onNetwork = (): void => { listener({ type: 'network' }) }
    const onFork = (evt: FlockNodeEvents['fork']): void => {
      const [a, b] = evt.detail.evidence
      const author = a.entry.author
      const device = evt.detail.author === author ? {} : { device: evt.detail.author }
      listener({ type: 'fork', fork: { author, ...device, seq: evt.detail.seq, cids: [a.cid.toString(), b.cid.toString()] } })
    }
    node.addEventListener('entry', onEntry)
    node.addEventListener('sync:progress', onSync)
    node.addEventListener('sync:done', onSync)
    node.addEventListener('fork', onFork)
    node.addEventListener('connection', onNetwork)
    return () => {
      node.removeEventListener('entry', onEntry)
      node.removeEventListener('sync:progress', onSync)
      node.removeEventListener('sync:done', onSync)
      node.removeEventListener('fork', onFork)
      node.removeEventListener('connection', onNetwork)
    }
  }

  /** An entry by CID from our logs, or fetched over bitswap and verified. */
  async #entry (cid: string): Promise<VerifiedEntry> {
    const parsed = parseCid(cid)
    const held = await this.#node.logs.get(parsed)
    if (held !== undefined) return held
    const bytes = await this.#node.block(parsed, AbortSignal.timeout(ENTRY_FETCH_TIMEOUT_MS)).catch(() => undefined)
    if (bytes === undefined) throw new UnknownEntryError(`entry ${cid} is not held here and no peer sent it`)
    const v = await verifyEntry(bytes)
    if (!v.cid.equals(parsed)) throw new UnknownEntryError(`block ${cid} is not the entry it claims to be`)
    return v
  }
}
