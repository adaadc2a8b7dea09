import { describe, expect, it } from 'vitest'
import type { PostView } from '../../src/lib/app/client.js'
import { hasTag, patchPosts, postMedia, quoteOf, replyParent, repostSubject, shownPost, withLike, withRepost } from '../../src/lib/state/posts.js'

const A = '12D3KooWAdaAdaAdaAdaAdaAdaAdaAdaAdaAdaAdaAdaAdaAdaAd'

function post (cid: string, body: Record<string, unknown> = { text: 'hi' }, extra: Partial<PostView> = {}): PostView {
  return {
    cid, author: A, seq: 1, prev: null, ts: 1, kind: 'post', text: typeof body.text === 'string' ? body.text : undefined, body,
    replies: 0, likes: 0, reposts: 0, likedByMe: false, repostedByMe: false, ...extra
  }
}

describe('optimistic patches', () => {
  it('patches a post and the same post inside a repost', () => {
    const p = post('p1')
    const r = post('r1', { subject: 'p1', author: A }, { kind: 'repost', reposted: p })
    const other = post('p2')
    const out = patchPosts([p, r, other], 'p1', q => withLike(q, true))
    expect(out[0]?.likedByMe).toBe(true)
    expect(out[0]?.likes).toBe(1)
    expect(out[1]?.reposted?.likes).toBe(1)
    expect(out[1]?.likes).toBe(0)
    expect(out[2]).toBe(other)
  })

  it('is idempotent and never goes negative', () => {
    const liked = withLike(post('p'), true)
    expect(withLike(liked, true)).toBe(liked)
    expect(withLike(withLike(liked, false), false).likes).toBe(0)
    expect(withRepost(post('p'), true).reposts).toBe(1)
    expect(withRepost(post('p', {}, { reposts: 0, repostedByMe: true }), false).reposts).toBe(0)
  })
})

describe('post fields', () => {
  it('reads a repost subject and the shown post', () => {
    const p = post('p1')
    const r = post('r1', { subject: 'p1', author: A }, { kind: 'repost', reposted: p })
    const dangling = post('r2', { subject: 'p9', author: A }, { kind: 'repost' })
    expect(shownPost(r)).toBe(p)
    expect(shownPost(p)).toBe(p)
    expect(shownPost(dangling)).toBeUndefined()
    expect(repostSubject(dangling)).toBe('p9')
    expect(repostSubject(p)).toBeUndefined()
  })

  it('reads media, reply parent, quote and tags defensively', () => {
    const p = post('p', {
      text: 'x #tag',
      tags: ['tag', 3],
      media: [{ cid: 'm1', mime: 'image/webp', alt: 'a cat' }, { cid: 'm2', mime: 'image/jpeg' }, 'junk', null],
      reply: { root: 'r', parent: 'q' },
      quote: 'z'
    })
    expect(postMedia(p)).toEqual([{ cid: 'm1', mime: 'image/webp', alt: 'a cat' }, { cid: 'm2', mime: 'image/jpeg', alt: '' }])
    expect(replyParent(p)).toBe('q')
    expect(quoteOf(p)).toBe('z')
    expect(hasTag(p, 'TAG')).toBe(true)
    expect(hasTag(p, 'other')).toBe(false)
    expect(postMedia(post('n', { text: 'x', media: 'bad' }))).toEqual([])
    expect(replyParent(post('n'))).toBeUndefined()
  })
})
