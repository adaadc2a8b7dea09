// The peer's HTTP API and the UI both read entryView's JSON, so its keys, their order and every value
// are pinned here; the type checks pin that a view's body is typed by its kind. The entries are read
// back from their bytes, as every stored entry is, so bodies have canonical DAG-CBOR key order
// (shorter keys first) rather than the order createEntry was given.
import { describe, expect, expectTypeOf, test } from 'vitest'
import {
  createEntry, entryView, verifyEntry, type EntryKind, type EntryView, type EntryViewOf, type PlainBody, type VerifiedEntry
} from '../../src/lib/core/index.js'
import { T0, authorFromSeed, rawCid } from './helpers.js'

/** The entry as a store hands it back: decoded from its bytes. */
async function reread<K extends EntryKind> (v: VerifiedEntry<K>): Promise<VerifiedEntry<K>> {
  const again = await verifyEntry(v.bytes)
  expect(again.entry.kind).toBe(v.entry.kind)
  return again as VerifiedEntry<K>
}

async function entries () {
  const a = await authorFromSeed(1)
  const b = await authorFromSeed(2)
  const other = await createEntry(b, null, 'post', { text: 'hello from b' }, T0)
  const image = await rawCid('img0')
  const avatar = await rawCid('avatar')
  const post = await createEntry(a, null, 'post', {
    text: 'look',
    reply: { root: other.cid, parent: other.cid },
    quote: other.cid,
    media: [{ cid: image, mime: 'image/webp', alt: 'a cat' }]
  }, T0)
  const like = await createEntry(a, post, 'like', { subject: other.cid, author: b.id }, T0 + 1)
  const profile = await createEntry(a, like, 'profile', { name: 'Alice', bio: 'writes tests', avatar }, T0 + 2)
  return { a, b, other, image, avatar, post: await reread(post), like: await reread(like), profile: await reread(profile) }
}

describe('entryView', () => {
  test('writes CIDs as strings, keeps key order, and adds text only to posts', async () => {
    const { a, b, other, image, avatar, post, like, profile } = await entries()
    expect(JSON.stringify(entryView(post))).toBe(JSON.stringify({
      cid: post.cid.toString(),
      author: a.id,
      seq: 1,
      prev: null,
      ts: T0,
      kind: 'post',
      body: {
        text: 'look',
        media: [{ alt: 'a cat', cid: image.toString(), mime: 'image/webp' }],
        quote: other.cid.toString(),
        reply: { root: other.cid.toString(), parent: other.cid.toString() }
      },
      text: 'look'
    }))
    expect(JSON.stringify(entryView(like))).toBe(JSON.stringify({
      cid: like.cid.toString(),
      author: a.id,
      seq: 2,
      prev: post.cid.toString(),
      ts: T0 + 1,
      kind: 'like',
      body: { author: b.id, subject: other.cid.toString() }
    }))
    expect(JSON.stringify(entryView(profile))).toBe(JSON.stringify({
      cid: profile.cid.toString(),
      author: a.id,
      seq: 3,
      prev: like.cid.toString(),
      ts: T0 + 2,
      kind: 'profile',
      body: { bio: 'writes tests', name: 'Alice', avatar: avatar.toString() }
    }))
  })

  test('types the body by kind', async () => {
    const { post, like, profile } = await entries()
    const likeView = entryView(like)
    expectTypeOf(likeView).toEqualTypeOf<EntryViewOf<'like'>>()
    expectTypeOf(likeView.body.subject).toEqualTypeOf<string>()
    expectTypeOf(entryView(profile).body).toEqualTypeOf<{ name: string, bio: string, avatar?: string, handle?: string }>()
    expectTypeOf<PlainBody<'post'>['media']>().toEqualTypeOf<Array<{ cid: string, mime: string, alt: string, size?: number, duration?: number, width?: number, height?: number, poster?: string }> | undefined>()

    const views: EntryView[] = [entryView(post), likeView]
    for (const view of views) {
      // @ts-expect-error a view of unknown kind may be a post, whose body has no subject
      expectTypeOf(view.body.subject)
      if (view.kind === 'like') expectTypeOf(view.body.subject).toEqualTypeOf<string>()
    }
    // @ts-expect-error nor does a post's
    expect(entryView(post).body.subject).toBeUndefined()
    expectTypeOf<EntryViewOf<'like' | 'post'>>().toEqualTypeOf<EntryViewOf<'like'> | EntryViewOf<'post'>>()
  })
})
