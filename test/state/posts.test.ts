import { describe, expect, it } from 'vitest'
import type { PostView } from '../../src/lib/app/client.js'
import type { PlainBody } from '../../src/lib/core/view.js'
import { hasTag, patchPosts, postMedia, quoteOf, replyParent, repostSubject, shownPost, withLike, withRepost } from '../../src/lib/state/posts.js'

const A = '12D3KooWAdaAdaAdaAdaAdaAdaAdaAdaAdaAdaAdaAdaAdaAdaAd'

function base (cid: string): Omit<Extract<PostView, { kind: 'post' }>, 'kind' | 'body'> {
  return { cid, author: A, seq: 1, prev: null, ts: 1, replies: 0, likes: 0, reposts: 0, likedByMe: false, repostedByMe: false }
}

function post (cid: string, body: PlainBody<'post'> = { text: 'hi' }, extra: Partial<Extract<PostView, { kind: 'post' }>> = {}): PostView {
  return { ...base(cid), kind: 'post', text: body.text, body, ...extra }
}

function repost (cid: string, subject: string, reposted?: PostView): PostView {
  return { ...base(cid), kind: 'repost', body: { subject, author: A }, ...(reposted !== undefined ? { reposted } : {}) }
}

describe('optimistic patches', () => {
  it('patches a post and the same post inside a repost', () => {
    const p = post('p1')
    const r = repost('r1', 'p1', p)
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
    expect(withRepost(post('p', { text: 'hi' }, { reposts: 0, repostedByMe: true }), false).reposts).toBe(0)
  })
})

describe('post fields', () => {
  it('reads a repost subject and the shown post', () => {
    const p = post('p1')
    const r = repost('r1', 'p1', p)
    const dangling = repost('r2', 'p9')
    expect(shownPost(r)).toBe(p)
    expect(shownPost(p)).toBe(p)
    expect(shownPost(dangling)).toBeUndefined()
    expect(repostSubject(dangling)).toBe('p9')
    expect(repostSubject(p)).toBeUndefined()
  })

  it('reads media, reply parent, quote and tags of a post', () => {
    const p = post('p', {
      text: 'x #tag',
      tags: ['tag'],
      media: [{ cid: 'm1', mime: 'image/webp', alt: 'a cat' }, { cid: 'm2', mime: 'image/jpeg', alt: '' }],
      reply: { root: 'r', parent: 'q' },
      quote: 'z'
    })
    expect(postMedia(p)).toEqual([{ cid: 'm1', mime: 'image/webp', alt: 'a cat' }, { cid: 'm2', mime: 'image/jpeg', alt: '' }])
    expect(replyParent(p)).toBe('q')
    expect(quoteOf(p)).toBe('z')
    expect(hasTag(p, 'TAG')).toBe(true)
    expect(hasTag(p, 'other')).toBe(false)
    expect(postMedia(post('n', { text: 'x' }))).toEqual([])
    expect(replyParent(post('n'))).toBeUndefined()
  })
})
