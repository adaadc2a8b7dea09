/**
 * Pure helpers over PostView lists: optimistic patches for likes, reposts and edits, the post a timeline
 * item shows (a repost shows the reposted post), and the fields of a post body the UI renders.
 */
import type { PostView } from '../app/client.js'
import type { Media } from '../core/entry.js'
import type { Plain } from '../core/view.js'

export type MediaRef = Plain<Media>

/** Replace, in a new array, every post with `cid` (at top level or as a resolved repost) by fn(post). */
export function patchPosts (list: readonly PostView[], cid: string, fn: (p: PostView) => PostView): PostView[] {
  let changed = false
  const out = list.map(p => {
    let q = p.cid === cid ? fn(p) : p
    if (q.reposted?.cid === cid) q = { ...q, reposted: fn(q.reposted) }
    if (q !== p) changed = true
    return q
  })
  return changed ? out : [...list]
}

export function withLike (p: PostView, liked: boolean): PostView {
  if (p.likedByMe === liked) return p
  return { ...p, likedByMe: liked, likes: Math.max(0, p.likes + (liked ? 1 : -1)) }
}

export function withRepost (p: PostView, reposted: boolean): PostView {
  if (p.repostedByMe === reposted) return p
  return { ...p, repostedByMe: reposted, reposts: Math.max(0, p.reposts + (reposted ? 1 : -1)) }
}

/** The post with `text` as its latest edit, edited at `ts`: what a list shows until the node's answer replaces it. */
export function withEdit (p: PostView, text: string, ts: number): PostView {
  if (p.kind !== 'post') return p
  return { ...p, text, edited: { ts, count: (p.edited?.count ?? 0) + 1 } }
}

/** The post a timeline item shows: for a repost, the reposted post (if it is held). */
export function shownPost (item: PostView): PostView | undefined {
  return item.kind === 'repost' ? item.reposted : item
}

/** CID of the post a repost points at, resolved or not. */
export function repostSubject (item: PostView): string | undefined {
  return item.kind === 'repost' ? item.body.subject : undefined
}

export function postTags (p: PostView): string[] {
  return p.kind === 'post' ? p.body.tags ?? [] : []
}

/** Whether a timeline item is about `tag` (a repost counts when the reposted post is). */
export function hasTag (item: PostView, tag: string): boolean {
  const shown = shownPost(item)
  return shown !== undefined && postTags(shown).includes(tag.normalize('NFC').toLowerCase())
}

export function postMedia (p: PostView): MediaRef[] {
  return p.kind === 'post' ? p.body.media ?? [] : []
}

/** The post a reply answers (its parent), if it is a reply. */
export function replyParent (p: PostView): string | undefined {
  return p.kind === 'post' ? p.body.reply?.parent : undefined
}

export function quoteOf (p: PostView): string | undefined {
  return p.kind === 'post' ? p.body.quote : undefined
}
