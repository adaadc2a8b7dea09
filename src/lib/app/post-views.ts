/**
 * The app's read side: lists, threads, profiles and notifications as the plain views of client.ts,
 * built from the replicated logs and the read model. It reads nothing else, so the tab whose node is
 * still starting answers its first timeline from the stored logs with this same code, entry for
 * entry as the node's client will (starting-client.ts).
 */
import { CID } from 'multiformats/cid'
import { entryView, type VerifiedEntry } from '../core/index.js'
import type { LogReader } from '../p2p/store.js'
import { authorNewestFirst, compareVersions } from '../p2p/timeline.js'
import type { ReadModel } from './read-model.js'
import type { ForkView, NotificationView, PostView, ProfileView, QuotedView } from './client.js'

/** How far up a reply chain a thread view walks. */
const MAX_ANCESTORS = 50

/** What the views read: the logs, the merged home timeline, whom we follow, and entries by CID. */
export interface ViewSource {
  /** Our author id. */
  readonly self: string
  readonly logs: Pick<LogReader, 'get' | 'newestFirst' | 'forks' | 'authors' | 'logsOf' | 'revokedAfter'>
  timeline: (limit: number) => Promise<VerifiedEntry[]>
  following: () => string[]
  /** An entry by CID, wherever this source may look for it (a node also asks its peers). */
  entry: (cid: string) => Promise<VerifiedEntry>
}

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

export class PostViews {
  readonly #src: ViewSource
  readonly #model: ReadModel

  constructor (source: ViewSource, model: ReadModel) {
    this.#src = source
    this.#model = model
  }

  async timeline (limit = 50): Promise<PostView[]> {
    const entries = await this.#src.timeline(limit * 4)
    return await this.#postViews(entries.filter(v => v.entry.kind === 'post' || v.entry.kind === 'repost'), limit)
  }

  async authorPosts (author: string, limit = 50): Promise<PostView[]> {
    const out: VerifiedEntry[] = []
    for await (const v of authorNewestFirst(this.#src.logs, author)) {
      if (v.entry.kind === 'post' || v.entry.kind === 'repost') out.push(v)
      if (out.length >= limit * 2) break
    }
    return await this.#postViews(out, limit)
  }

  async thread (cid: string): Promise<{ ancestors: PostView[], focus: PostView | null, replies: PostView[] }> {
    const focus = await this.#src.entry(cid).catch(() => undefined)
    if (focus === undefined) return { ancestors: [], focus: null, replies: [] }
    const logs = this.#src.logs
    const infos: AuthorInfos = new Map()
    const ancestors: PostView[] = []
    let parent = focus.entry.kind === 'post' ? focus.entry.body.reply?.parent : undefined
    while (parent !== undefined && ancestors.length < MAX_ANCESTORS) {
      const p = await logs.get(parent)
      if (p === undefined) break
      ancestors.unshift(await this.#postView(p, infos))
      parent = p.entry.kind === 'post' ? p.entry.body.reply?.parent : undefined
    }
    const replies: VerifiedEntry[] = []
    for (const r of await this.#model.refs(focus.cid, 'reply')) {
      const v = await logs.get(r)
      if (v !== undefined && !await this.#model.isDeleted(v.cid)) replies.push(v)
    }
    replies.sort((a, b) => a.entry.ts - b.entry.ts)
    return {
      ancestors,
      focus: await this.#postView(focus, infos),
      replies: await Promise.all(replies.map(async r => await this.#postView(r, infos)))
    }
  }

  async profile (author: string): Promise<ProfileView> {
    const latest = (await this.#model.profile(author))?.entry.body
    let posts = 0
    let followsMe = false
    let decided: VerifiedEntry | undefined
    for await (const v of authorNewestFirst(this.#src.logs, author)) {
      const e = v.entry
      if (e.kind === 'post') posts++
      // The latest follow/unfollow naming us decides; across devices ts ties go to the greater CID.
      if ((e.kind === 'follow' || e.kind === 'unfollow') && e.body.author === this.#src.self &&
        (decided === undefined || compareVersions(e.ts, v.cid.bytes, decided.entry.ts, decided.cid.bytes) > 0)) {
        followsMe = e.kind === 'follow'
        decided = v
      }
    }
    return {
      author,
      name: latest?.name ?? '',
      bio: latest?.bio ?? '',
      ...(latest?.avatar !== undefined ? { avatar: latest.avatar.toString() } : {}),
      ...(latest?.handle !== undefined ? { handle: latest.handle } : {}),
      following: this.#src.following().includes(author),
      followsMe,
      posts,
      forked: (await Promise.all((await this.#src.logs.logsOf(author)).map(async l => (await this.#src.logs.forks(l)).length))).some(n => n > 0)
    }
  }

  /** Every edit of a post by its author, oldest first: its history, after the original. */
  async edits (cid: string): Promise<Array<{ cid: string, ts: number, text: string }>> {
    const post = await this.#src.entry(cid).catch(() => undefined)
    if (post === undefined) return []
    return (await this.#editsOf(post)).map(v => ({ cid: v.cid.toString(), ts: v.entry.ts, text: v.entry.body.text }))
  }

  async #editsOf (post: VerifiedEntry): Promise<Array<VerifiedEntry<'edit'>>> {
    const out: Array<VerifiedEntry<'edit'>> = []
    for (const cid of await this.#model.refs(post.cid, 'edit')) {
      const v = await this.#src.logs.get(cid)
      if (v?.entry.kind === 'edit' && v.entry.author === post.entry.author && !await this.#model.isDeleted(cid)) out.push(v as VerifiedEntry<'edit'>)
    }
    return out.sort((a, b) => compareVersions(a.entry.ts, a.cid.bytes, b.entry.ts, b.cid.bytes))
  }

  /** The avatar in `author`'s latest profile entry, to carry over into a new one. */
  async avatarOf (author: string): Promise<CID | undefined> {
    return (await this.#model.profile(author))?.entry.body.avatar
  }

  async notifications (limit = 50): Promise<NotificationView[]> {
    const self = this.#src.self
    const logs = this.#src.logs
    const infos: AuthorInfos = new Map()
    const out: NotificationView[] = []
    for (const v of await this.#model.notifications(self, limit)) {
      const e = v.entry
      let kind: NotificationView['kind']
      if (e.kind === 'post') {
        const parent = e.body.reply === undefined ? undefined : await logs.get(e.body.reply.parent)
        const quoted = e.body.quote === undefined ? undefined : await logs.get(e.body.quote)
        kind = parent?.entry.author === self ? 'reply' : quoted?.entry.author === self ? 'quote' : 'mention'
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

  async forks (): Promise<ForkView[]> {
    const out: ForkView[] = []
    for (const author of await this.#src.logs.authors()) {
      for (const log of await this.#src.logs.logsOf(author)) {
        for (const f of await this.#src.logs.forks(log)) {
          out.push({ author, ...(log === author ? {} : { device: log }), seq: f.seq, cids: [f.cids[0].toString(), f.cids[1].toString()] })
        }
      }
    }
    return out
  }

  async #author (author: string, cache: AuthorInfos): Promise<AuthorInfo> {
    let info = cache.get(author)
    if (info === undefined) {
      info = this.#model.profile(author).then(p => {
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
      if (await this.#model.isDeleted(v.cid)) continue
      out.push(await this.#postView(v, infos))
    }
    return out
  }

  async #postView (v: VerifiedEntry, infos: AuthorInfos): Promise<PostView> {
    const logs = this.#src.logs
    const model = this.#model
    const self = this.#src.self
    const byAuthor = async (kind: 'like' | 'repost'): Promise<Set<string>> => {
      const authors = new Set<string>()
      for (const cid of await model.refs(v.cid, kind)) {
        const ref = await logs.get(cid)
        if (ref !== undefined && !await model.isDeleted(cid)) authors.add(ref.entry.author)
      }
      return authors
    }
    const [likes, reposts, replies, edits] = await Promise.all([
      byAuthor('like'), byAuthor('repost'), model.refs(v.cid, 'reply'), v.entry.kind === 'post' ? this.#editsOf(v) : []
    ])
    const { name, avatar } = await this.#author(v.entry.author, infos)
    const latest = edits.at(-1)
    const view: PostView = {
      ...entryView(v),
      // The post as its author last worded it; the signed original stays in `body`.
      ...(latest !== undefined ? { text: latest.entry.body.text, edited: { ts: latest.entry.ts, count: edits.length } } : {}),
      replies: replies.length,
      likes: likes.size,
      reposts: reposts.size,
      likedByMe: likes.has(self),
      repostedByMe: reposts.has(self),
      ...(name !== undefined ? { authorName: name } : {}),
      ...(avatar !== undefined ? { avatar } : {})
    }
    if (v.entry.kind === 'repost') {
      const subject = await logs.get(v.entry.body.subject)
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
    const q = await this.#src.logs.get(cid)
    if (q === undefined || q.entry.kind !== 'post' || await this.#model.isDeleted(q.cid)) return undefined
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
