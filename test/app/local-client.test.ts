/**
 * The UI's client over a real node (Node runtime, LevelDB): threads, counts, notifications and the
 * portable account — a CAR export that another node imports entry by verified entry.
 */
import { join } from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { LevelDatastore } from 'datastore-level'
import { CarBlockIterator, CarWriter } from '@ipld/car'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { createEntry, generateAuthor, type Author, type VerifiedEntry } from '../../src/lib/core/index.js'
import { createNodeFlockNode } from '../../src/lib/p2p/runtime-node.js'
import { LocalClient } from '../../src/lib/app/local-client.js'
import { collect } from '../../src/lib/p2p/store.js'
import type { FlockNode } from '../../src/lib/p2p/node.js'
import { tempDir } from '../server/harness.js'

const cleanup: Array<() => Promise<void>> = []
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn()
})

async function client (): Promise<{ node: FlockNode, client: LocalClient }> {
  return await clientOf(await generateAuthor())
}

async function clientOf (author: Author): Promise<{ node: FlockNode, client: LocalClient }> {
  const dir = await tempDir()
  const node = await createNodeFlockNode({ author, dataDir: dir.path })
  const views = new LevelDatastore(join(dir.path, 'views'))
  await views.open()
  cleanup.push(dir.remove, async () => { await node.stop() }, async () => { await views.close() })
  return { node, client: await LocalClient.open(node, views, []) }
}

test('threads, counts and notifications come from the logs held', async () => {
  const { node, client: me } = await client()
  const other = await generateAuthor()
  const root = (await me.post({ text: 'root post' })).cid
  const reply = (await me.post({ text: 'my own reply', replyTo: root })).cid
  await me.like(root)
  await me.repost(root)
  const thread = await me.thread(reply)
  expect(thread.ancestors.map(p => p.cid)).toEqual([root])
  expect(thread.focus?.text).toBe('my own reply')
  const rootView = (await me.thread(root)).focus
  expect(rootView).toMatchObject({ replies: 1, likes: 1, reposts: 1, likedByMe: true, repostedByMe: true })
  expect((await me.timeline(10)).map(p => p.kind)).toEqual(['repost', 'post', 'post'])
  // Mentions of us are notifications, our own actions are not.
  await me.post({ text: `hello @${other.id}` })
  expect(await me.notifications()).toEqual([])
  await me.remove(reply)
  expect((await me.timeline(10)).some(p => p.cid === reply)).toBe(false)
  expect(node.following).toEqual([])
})

test('a CAR export of the log, with its media, imports into another node entry by verified entry', async () => {
  const { client: a } = await client()
  const image = new Uint8Array(5000).map((_, i) => i % 256)
  await a.setProfile({ name: 'Ann', bio: 'exporting' })
  const first = (await a.post({ text: 'one' })).cid
  await a.post({ text: 'two', media: [{ bytes: image, mime: 'image/webp', alt: 'pattern' }] })
  const car = await a.exportLog()

  const { client: b } = await client()
  // Only our own log and those of authors we follow are kept.
  expect(await b.importLog(car)).toEqual({ added: 0, otherAuthors: 3, badBlocks: 0, truncated: false })
  await b.follow(a.author)
  expect((await b.importLog(car)).added).toBe(3)
  expect((await b.importLog(car)).added).toBe(0)
  const posts = await b.authorPosts(a.author)
  expect(posts.map(p => p.text)).toEqual(['two', 'one'])
  const two = posts[0]
  const media = two?.kind === 'post' ? two.body.media ?? [] : []
  expect(media[0]?.alt).toBe('pattern')
  expect(Uint8Array.from(await b.media(media[0]?.cid as string))).toEqual(image)
  expect((await b.profile(a.author)).name).toBe('Ann')
  expect((await b.thread(first)).focus?.author).toBe(a.author)

  // The media block is last in the CAR: damage it and its hash no longer matches its CID.
  const tampered = new Uint8Array(car)
  tampered[tampered.length - 10] = (tampered[tampered.length - 10] as number) ^ 0xff
  const { client: c } = await client()
  await c.follow(a.author)
  expect(await c.importLog(tampered)).toEqual({ added: 3, otherAuthors: 0, badBlocks: 1, truncated: false })
  await expect(c.media(media[0]?.cid as string, AbortSignal.timeout(500))).rejects.toThrow()
})

test('a profile saved without a new avatar keeps the old one; null removes it', async () => {
  const { client: me } = await client()
  const image = new Uint8Array(300).map((_, i) => i % 7)
  await me.setProfile({ name: 'Ann', bio: '', avatar: { bytes: image, mime: 'image/png', alt: '' } })
  const avatar = (await me.profile(me.author)).avatar
  expect(avatar).toBeDefined()

  await me.setProfile({ name: 'Ann B', bio: 'new bio' })
  expect(await me.profile(me.author)).toMatchObject({ name: 'Ann B', bio: 'new bio', avatar })

  await me.setProfile({ name: 'Ann B', bio: 'new bio', avatar: null })
  expect((await me.profile(me.author)).avatar).toBeUndefined()
})

test('a post view carries its author\'s latest avatar and, when held, the quoted post', async () => {
  const { client: a } = await client()
  const image = (n: number): Uint8Array => new Uint8Array(300).map((_, i) => (i * n) % 251)
  await a.setProfile({ name: 'Ann', bio: '', avatar: { bytes: image(3), mime: 'image/png', alt: '' } })
  const first = (await a.profile(a.author)).avatar
  await a.setProfile({ name: 'Ann', bio: '', avatar: { bytes: image(5), mime: 'image/png', alt: '' } })
  const latest = (await a.profile(a.author)).avatar
  expect(latest).toBeDefined()
  expect(latest).not.toBe(first)
  const original = (await a.post({ text: '<b>x</b> original' })).cid

  const { client: b } = await client()
  await b.follow(a.author)
  await b.importLog(await a.exportLog())
  await b.setProfile({ name: 'Bo', bio: 'no avatar' })
  const quote = (await b.post({ text: 'look at this', quote: original })).cid
  await b.repost(original)

  const [held] = await b.authorPosts(a.author)
  expect(held).toMatchObject({ cid: original, authorName: 'Ann', avatar: latest })
  const view = (await b.thread(quote)).focus
  expect(view).not.toBeNull()
  expect(view).not.toHaveProperty('avatar')
  expect(view?.quoted).toEqual({ cid: original, author: a.author, authorName: 'Ann', ts: held?.ts, text: '<b>x</b> original' })
  // It crosses a BroadcastChannel to other tabs as it is.
  expect(structuredClone(view)).toEqual(view)
  const repost = (await b.authorPosts(b.author)).find(p => p.kind === 'repost')
  expect(repost?.reposted).toMatchObject({ cid: original, avatar: latest })

  // A quoted post not held here, or deleted by its author, stays a link (the quote CID in the body).
  const later = (await a.post({ text: 'not exported yet' })).cid
  const unresolved = (await b.thread((await b.post({ text: 'quoting the unknown', quote: later })).cid)).focus
  expect(unresolved?.kind === 'post' ? unresolved.body.quote : undefined).toBe(later)
  expect(unresolved).not.toHaveProperty('quoted')
  await a.remove(original)
  await b.importLog(await a.exportLog())
  expect((await b.thread(quote)).focus).not.toHaveProperty('quoted')
})

test('a CAR import goes through intake: entry events, the clock rule, and our own follows', async () => {
  const { node: a, client: ac } = await client()
  const { node: b, client: bc } = await client()
  await ac.post({ text: 'to be imported' })
  await bc.follow(a.author.id)
  const events: Array<{ cid: string, source: string }> = []
  b.addEventListener('entry', (evt) => { events.push({ cid: evt.detail.entry.cid.toString(), source: evt.detail.source }) })
  expect((await bc.importLog(await ac.exportLog())).added).toBe(1)
  expect(events).toEqual([{ cid: (await a.logs.head(a.author.id))?.cid.toString(), source: 'import' }])

  // A log dated an hour ahead is refused like any gossip or sync of it, from its first entry on.
  const c = await generateAuthor()
  const ahead = await createEntry(c, null, 'post', { text: 'from the future' }, Date.now() + 3_600_000)
  await bc.follow(c.id)
  expect(await b.importEntries([ahead])).toEqual({ added: 0, otherAuthors: 0 })
  expect(await b.logs.head(c.id)).toBeNull()

  // Our own log restored from another device: the follows in it take effect here.
  const other = await generateAuthor()
  await ac.follow(other.id)
  const { node: restored, client: rc } = await clientOf(a.author)
  expect(restored.following).toEqual([])
  expect((await rc.importLog(await ac.exportLog())).added).toBe(2)
  expect(restored.following).toEqual([other.id])
  expect(await rc.following()).toEqual([other.id])
  const follow: VerifiedEntry | undefined = await restored.logs.at(a.author.id, 2)
  expect(follow?.entry.kind).toBe('follow')
})

test('a CAR import skips and reports oversized and damaged blocks, and keeps what came before a cut', async () => {
  const { client: a } = await client()
  for (let i = 0; i < 5; i++) await a.post({ text: `post ${i}` })
  const car = await a.exportLog()

  // An oversized block in the middle: the entries around it are still imported.
  const huge = new Uint8Array(2 * 1024 * 1024).fill(7)
  const hugeCid = CID.createV1(0x55, await sha256.digest(huge))
  const blocks: Array<{ cid: CID, bytes: Uint8Array }> = []
  for await (const b of await CarBlockIterator.fromBytes(car)) blocks.push(b)
  const { writer, out } = CarWriter.create([])
  const collected = collect(out)
  for (const [i, b] of blocks.entries()) {
    if (i === 2) await writer.put({ cid: hugeCid, bytes: huge })
    await writer.put(b)
  }
  await writer.close()
  const withHuge = await collected

  const { client: b } = await client()
  await b.follow(a.author)
  expect(await b.importLog(withHuge)).toEqual({ added: 5, otherAuthors: 0, badBlocks: 1, truncated: false })

  // Cut in the middle of the last block: the ones before it are imported.
  const { client: c } = await client()
  await c.follow(a.author)
  const report = await c.importLog(car.subarray(0, car.length - 20))
  expect(report.truncated).toBe(true)
  expect(report.added).toBe(4)
})
