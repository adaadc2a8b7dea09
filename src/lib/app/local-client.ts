/**
 * FlockClient over a FlockNode in this JavaScript realm: turns the UI's requests into entries and
 * store queries, and node events into plain ClientEvents. Works the same in the browser and in Node.
 */
import { CarReader, CarWriter } from '@ipld/car'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import {
  DAG_CBOR_CODE, authorTopic, entryView, equalBytes, isAuthorId, postBody, verifyEntry, type Media, type VerifiedEntry
} from '../core/index.js'
import type { FlockNode } from '../p2p/node.js'
import { collect } from '../p2p/store.js'
import type {
  ClientEvent, FlockClient, ForkView, NetworkView, NotificationView, PostInput, PostView, ProfileInput, ProfileView,
  QuotedView
} from './client.js'

const RAW_CODE = 0x55
/** How far up a reply chain a thread view walks. */
const MAX_ANCESTORS = 50

/** What a post view shows of its author, from their latest profile entry. */
interface AuthorInfo {
  name?: string
  avatar?: string
}

/**
 * Author infos looked up while building one answer, so a list of 50 posts by a few authors reads each
 * profile once; promises, so views built in parallel share one read.
 */
type AuthorInfos = Map<string, Promise<AuthorInfo>>

export class UnknownEntryError extends Error {
  override readonly name = 'UnknownEntryError'
}

export class LocalClient implements FlockClient {
  readonly #node: FlockNode
  readonly #relays: string[]

  constructor (node: FlockNode, relays: string[]) {
    this.#node = node
    this.#relays = relays
  }

  get author (): string {
    return this.#node.author.id
  }

  async timeline (limit = 50): Promise<PostView[]> {
    const entries = await this.#node.timeline(limit * 4)
    return await this.#postViews(entries.filter(v => v.entry.kind === 'post' || v.entry.kind === 'repost'), limit)
  }

  async authorPosts (author: string, limit = 50): Promise<PostView[]> {
    const out: VerifiedEntry[] = []
    for await (const v of this.#node.store.newestFirst(author)) {
      if (v.entry.kind === 'post' || v.entry.kind === 'repost') out.push(v)
      if (out.length >= limit * 2) break
    }
    return await this.#postViews(out, limit)
  }

  async thread (cid: string): Promise<{ ancestors: PostView[], focus: PostView | null, replies: PostView[] }> {
    const focus = await this.#entry(cid).catch(() => undefined)
    if (focus === undefined) return { ancestors: [], focus: null, replies: [] }
    const infos: AuthorInfos = new Map()
    const ancestors: PostView[] = []
    let parent = focus.entry.kind === 'post' ? focus.entry.body.reply?.parent : undefined
    while (parent !== undefined && ancestors.length < MAX_ANCESTORS) {
      const p = await this.#node.store.get(parent)
      if (p === undefined) break
      ancestors.unshift(await this.#postView(p, infos))
      parent = p.entry.kind === 'post' ? p.entry.body.reply?.parent : undefined
    }
    const replies: VerifiedEntry[] = []
    for (const r of await this.#node.store.refs(focus.cid, 'reply')) {
      const v = await this.#node.store.get(r)
      if (v !== undefined && !await this.#node.store.isDeleted(v.cid)) replies.push(v)
    }
    replies.sort((a, b) => a.entry.ts - b.entry.ts)
    return {
      ancestors,
      focus: await this.#postView(focus, infos),
      replies: await Promise.all(replies.map(async r => await this.#postView(r, infos)))
    }
  }

  async post (input: PostInput): Promise<string> {
    const media: Media[] = []
    for (const m of input.media ?? []) media.push({ cid: await this.#node.addMedia(m.bytes), mime: m.mime, alt: m.alt })
    const replyTo = input.replyTo === undefined ? undefined : await this.#entry(input.replyTo)
    const body = postBody(input.text, {
      ...(replyTo !== undefined ? { replyTo } : {}),
      ...(input.quote !== undefined ? { quote: CID.parse(input.quote) } : {}),
      media
    })
    return (await this.#node.publish('post', body)).cid.toString()
  }

  async like (cid: string): Promise<void> {
    const subject = await this.#entry(cid)
    await this.#node.publish('like', { subject: subject.cid, author: subject.entry.author })
  }

  async repost (cid: string): Promise<void> {
    const subject = await this.#entry(cid)
    await this.#node.publish('repost', { subject: subject.cid, author: subject.entry.author })
  }

  async remove (cid: string): Promise<void> {
    const subject = await this.#entry(cid)
    if (subject.entry.author !== this.author) throw new Error('only the author of an entry can delete it')
    await this.#node.publish('delete', { subject: subject.cid })
  }

  async follow (author: string): Promise<void> {
    if (!isAuthorId(author)) throw new TypeError('That is not an author id (they start with 12D3KooW).')
    if (author === this.author) throw new TypeError('You cannot follow yourself.')
    await this.#node.follow(author)
  }

  async unfollow (author: string): Promise<void> {
    await this.#node.unfollow(author)
  }

  async following (): Promise<string[]> {
    return this.#node.following
  }

  async setProfile (profile: ProfileInput): Promise<void> {
    let avatar: CID | undefined
    if (profile.avatar === undefined) avatar = (await this.#node.store.profile(this.author))?.entry.body.avatar
    else if (profile.avatar !== null) avatar = await this.#node.addMedia(profile.avatar.bytes)
    await this.#node.publish('profile', { name: profile.name, bio: profile.bio, ...(avatar !== undefined ? { avatar } : {}) })
  }

  async profile (author: string): Promise<ProfileView> {
    const store = this.#node.store
    const latest = (await store.profile(author))?.entry.body
    let posts = 0
    let followsMe = false
    for await (const v of store.newestFirst(author)) {
      const e = v.entry
      if (e.kind === 'post') posts++
      // Newest first: the first follow/unfollow naming us decides.
      if ((e.kind === 'follow' || e.kind === 'unfollow') && e.body.author === this.author && !followsMe) {
        followsMe = e.kind === 'follow'
      }
    }
    return {
      author,
      name: latest?.name ?? '',
      bio: latest?.bio ?? '',
      ...(latest?.avatar !== undefined ? { avatar: latest.avatar.toString() } : {}),
      following: this.#node.following.includes(author),
      followsMe,
      posts,
      forked: (await store.forks(author)).length > 0
    }
  }

  async notifications (limit = 50): Promise<NotificationView[]> {
    const infos: AuthorInfos = new Map()
    const out: NotificationView[] = []
    for (const v of await this.#node.store.notifications(this.author, limit)) {
      const e = v.entry
      let kind: NotificationView['kind']
      if (e.kind === 'post') {
        const parent = e.body.reply === undefined ? undefined : await this.#node.store.get(e.body.reply.parent)
        const quoted = e.body.quote === undefined ? undefined : await this.#node.store.get(e.body.quote)
        kind = parent?.entry.author === this.author ? 'reply' : quoted?.entry.author === this.author ? 'quote' : 'mention'
      } else if (e.kind === 'like' || e.kind === 'repost' || e.kind === 'follow') {
        kind = e.kind
      } else {
        continue
      }
      const authorName = (await this.#author(e.author, infos)).name
      out.push({ kind, entry: entryView(v), ...(authorName !== undefined ? { authorName } : {}) })
    }
    return out
  }

  async network (): Promise<NetworkView> {
    const node = this.#node
    const relayIds = new Set(this.#relays.map(a => /\/p2p\/([^/]+)$/.exec(a)?.[1]).filter(id => id !== undefined))
    const connections = node.connections().map(c => ({ ...c, relay: relayIds.has(c.peerId) }))
    const viaRelay = connections.filter(c => c.relay || !c.direct).reduce((n, c) => n + c.bytesIn + c.bytesOut, 0)
    const all = connections.reduce((n, c) => n + c.bytesIn + c.bytesOut, 0)
    const directPeers = new Set(connections.filter(c => c.direct).map(c => c.peerId))
    return {
      peerId: node.peerId.toString(),
      author: this.author,
      relays: this.#relays,
      connections,
      totals: { ...node.traffic.totals },
      relayShare: all === 0 ? 0 : viaRelay / all,
      served: { ...node.served },
      latestPostPeers: node.libp2p.services.pubsub.getSubscribers(authorTopic(this.author))
        .filter(p => directPeers.has(p.toString())).length,
      sync: node.syncSummary()
    }
  }

  async media (cid: string, signal?: AbortSignal): Promise<Uint8Array> {
    return await this.#node.block(CID.parse(cid), signal)
  }

  async forks (): Promise<ForkView[]> {
    const out: ForkView[] = []
    for (const author of await this.#node.store.authors()) {
      for (const f of await this.#node.store.forks(author)) {
        out.push({ author, seq: f.seq, cids: [f.cids[0].toString(), f.cids[1].toString()] })
      }
    }
    return out
  }

  async exportLog (): Promise<Uint8Array> {
    const store = this.#node.store
    const head = await store.head(this.author)
    const { writer, out } = CarWriter.create(head === null ? [] : [head.cid])
    const car = collect(out)
    for await (const bytes of store.range(this.author, 1, head?.seq ?? 0)) {
      const v = await verifyEntry(bytes)
      await writer.put({ cid: v.cid, bytes })
      const e = v.entry
      const media = e.kind === 'post' ? (e.body.media ?? []).map(m => m.cid) : e.kind === 'profile' && e.body.avatar !== undefined ? [e.body.avatar] : []
      for (const cid of media) {
        const data = await this.#node.block(cid, AbortSignal.timeout(5_000)).catch(() => undefined)
        if (data !== undefined) await writer.put({ cid, bytes: data })
      }
    }
    await writer.close()
    return await car
  }

  async importLog (car: Uint8Array): Promise<number> {
    const reader = await CarReader.fromBytes(car)
    const byAuthor = new Map<string, VerifiedEntry[]>()
    for await (const { cid, bytes } of reader.blocks()) {
      // A CAR's CIDs are claims: every block is checked against its hash before it is kept.
      const digest = await sha256.digest(bytes)
      if (cid.multihash.code !== digest.code || !equalBytes(cid.multihash.digest, digest.digest)) continue
      if (cid.code === DAG_CBOR_CODE) {
        const v = await verifyEntry(bytes).catch(() => undefined)
        if (v === undefined) continue
        const list = byAuthor.get(v.entry.author) ?? []
        list.push(v)
        byAuthor.set(v.entry.author, list)
      } else if (cid.code === RAW_CODE) {
        await this.#node.addMedia(bytes)
      }
    }
    let added = 0
    for (const list of byAuthor.values()) {
      list.sort((a, b) => a.entry.seq - b.entry.seq)
      const results = await this.#node.store.appendMany(list).catch(() => [])
      added += results.filter(r => r === 'added').length
    }
    return added
  }

  subscribe (listener: (event: ClientEvent) => void): () => void {
    const node = this.#node
    const onEntry = (evt: CustomEvent<{ entry: VerifiedEntry, source: 'local' | 'gossip' | 'sync' }>): void => {
      listener({ type: 'entry', entry: entryView(evt.detail.entry), source: evt.detail.source })
    }
    const onSync = (): void => { listener({ type: 'sync', sync: node.syncSummary() }) }
    const onNetwork = (): void => { listener({ type: 'network' }) }
    const onFork = (evt: CustomEvent<{ author: string, seq: number, evidence: readonly [VerifiedEntry, VerifiedEntry] }>): void => {
      const [a, b] = evt.detail.evidence
      listener({ type: 'fork', fork: { author: evt.detail.author, seq: evt.detail.seq, cids: [a.cid.toString(), b.cid.toString()] } })
    }
    node.addEventListener('entry', onEntry)
    node.addEventListener('sync:progress', onSync)
    node.addEventListener('sync:done', onSync)
    node.addEventListener('fork', onFork)
    node.libp2p.addEventListener('connection:open', onNetwork)
    node.libp2p.addEventListener('connection:close', onNetwork)
    return () => {
      node.removeEventListener('entry', onEntry)
      node.removeEventListener('sync:progress', onSync)
      node.removeEventListener('sync:done', onSync)
      node.removeEventListener('fork', onFork)
      node.libp2p.removeEventListener('connection:open', onNetwork)
      node.libp2p.removeEventListener('connection:close', onNetwork)
    }
  }

  /** An entry by CID from our store, or fetched over bitswap and verified. */
  async #entry (cid: string): Promise<VerifiedEntry> {
    let parsed: CID
    try {
      parsed = CID.parse(cid)
    } catch {
      throw new UnknownEntryError(`"${cid}" is not a CID`)
    }
    const held = await this.#node.store.get(parsed)
    if (held !== undefined) return held
    const bytes = await this.#node.block(parsed, AbortSignal.timeout(10_000)).catch(() => undefined)
    if (bytes === undefined) throw new UnknownEntryError(`entry ${cid} is not held here and no peer sent it`)
    const v = await verifyEntry(bytes)
    if (!v.cid.equals(parsed)) throw new UnknownEntryError(`block ${cid} is not the entry it claims to be`)
    return v
  }

  async #author (author: string, cache: AuthorInfos): Promise<AuthorInfo> {
    let info = cache.get(author)
    if (info === undefined) {
      info = this.#node.store.profile(author).then(p => {
        const name = p?.entry.body.name
        const avatar = p?.entry.body.avatar
        return { ...(name !== undefined && name !== '' ? { name } : {}), ...(avatar !== undefined ? { avatar: avatar.toString() } : {}) }
      })
      cache.set(author, info)
    }
    return await info
  }

  async #postViews (entries: VerifiedEntry[], limit: number): Promise<PostView[]> {
    const infos: AuthorInfos = new Map()
    const out: PostView[] = []
    for (const v of entries) {
      if (out.length >= limit) break
      if (await this.#node.store.isDeleted(v.cid)) continue
      out.push(await this.#postView(v, infos))
    }
    return out
  }

  async #postView (v: VerifiedEntry, infos: AuthorInfos): Promise<PostView> {
    const store = this.#node.store
    const byAuthor = async (kind: 'like' | 'repost'): Promise<Set<string>> => {
      const authors = new Set<string>()
      for (const cid of await store.refs(v.cid, kind)) {
        const ref = await store.get(cid)
        if (ref !== undefined && !await store.isDeleted(cid)) authors.add(ref.entry.author)
      }
      return authors
    }
    const [likes, reposts, replies] = await Promise.all([byAuthor('like'), byAuthor('repost'), store.refs(v.cid, 'reply')])
    const { name, avatar } = await this.#author(v.entry.author, infos)
    const view: PostView = {
      ...entryView(v),
      replies: replies.length,
      likes: likes.size,
      reposts: reposts.size,
      likedByMe: likes.has(this.author),
      repostedByMe: reposts.has(this.author),
      ...(name !== undefined ? { authorName: name } : {}),
      ...(avatar !== undefined ? { avatar } : {})
    }
    if (v.entry.kind === 'repost') {
      const subject = await store.get(v.entry.body.subject)
      if (subject !== undefined) view.reposted = await this.#postView(subject, infos)
    }
    if (v.entry.kind === 'post' && v.entry.body.quote !== undefined) {
      const quoted = await this.#quotedView(v.entry.body.quote, infos)
      if (quoted !== undefined) view.quoted = quoted
    }
    return view
  }

  /** Only from our own store: a timeline must not wait on the network for every quote it shows. */
  async #quotedView (cid: CID, infos: AuthorInfos): Promise<QuotedView | undefined> {
    const store = this.#node.store
    const q = await store.get(cid)
    if (q === undefined || q.entry.kind !== 'post' || await store.isDeleted(q.cid)) return undefined
    const { name } = await this.#author(q.entry.author, infos)
    return {
      cid: q.cid.toString(),
      author: q.entry.author,
      ts: q.entry.ts,
      text: q.entry.body.text,
      ...(name !== undefined ? { authorName: name } : {})
    }
  }
}

