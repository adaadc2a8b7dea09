/**
 * One author on several devices (PROTOCOL.md §1, Devices), with real libp2p nodes on loopback: the
 * story that used to fork an honest author — a backup restored on a second device that posts before
 * it has caught up — now leaves every device's posts at every peer, under one author, with no fork
 * anywhere. Then two devices posting at once, a revoked device, and a kind this version does not know.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { MemoryDatastore } from 'datastore-core'
import {
  authorFromPrivateKey, authorTopic, createEntry, deviceBody, revokeBody, type Author, type Bodies, type EntryKind,
  type VerifiedEntry
} from '../../src/lib/core/index.js'
import type { FlockNode } from '../../src/lib/p2p/node.js'
import { createNodeFlockNode } from '../../src/lib/p2p/runtime-node.js'
import { LocalClient } from '../../src/lib/app/local-client.js'
import { tempDir, until } from '../server/harness.js'

const cleanup: Array<() => Promise<void>> = []
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn()
})

const T0 = 1_767_225_600_000
const seeded = async (seed: number): Promise<Author> => authorFromPrivateKey(await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(seed)))

async function start (author: Author, device?: Author): Promise<FlockNode> {
  const dir = await tempDir()
  cleanup.push(dir.remove)
  const n = await createNodeFlockNode({ author, ...(device !== undefined ? { device, deviceName: 'test device' } : {}), dataDir: dir.path, antiEntropyMs: 500 })
  cleanup.push(async () => { await n.stop() })
  return n
}

async function connect (a: FlockNode, b: FlockNode): Promise<void> {
  await a.libp2p.dial(b.libp2p.getMultiaddrs()[0] as Parameters<typeof a.libp2p.dial>[0])
}

/** Resolves once `node` holds `log` up to `seq`. */
async function holds (node: FlockNode, log: string, seq: number, what: string): Promise<void> {
  await until(what, async () => ((await node.logs.head(log))?.seq ?? 0) >= seq ? true : undefined, 20_000)
}

describe('a backup restored on a second device', () => {
  let key: Author
  let deviceB: Author
  let a: FlockNode
  let b: FlockNode
  let follower: FlockNode
  let client: LocalClient
  const forks: string[] = []

  beforeAll(async () => {
    key = await seeded(61)
    deviceB = await seeded(62)
    // Device A: a profile from before devices — three version-1 posts in the author's root log.
    a = await start(key)
    const v1: VerifiedEntry[] = []
    for (let i = 1; i <= 3; i++) v1.push(await createEntry(key, v1.at(-1) ?? null, 'post', { text: `old post ${i}` }, T0 + i, { version: 1 }))
    expect((await a.importEntries(v1)).added).toBe(3)
    follower = await start(await seeded(63))
    await follower.follow(key.id)
    client = await LocalClient.open(follower, new MemoryDatastore(), [])
    // Device B: the same author key from the backup, its own device key, nothing synced yet.
    b = await start(key, deviceB)
    for (const n of [a, b, follower]) n.addEventListener('fork', (evt) => { forks.push(`${evt.detail.author} at ${evt.detail.seq}`) })
  })

  test('posting from both devices before they ever met forks nothing, and every post reaches every peer', async () => {
    const fromA = await a.publish('post', { text: 'A after the upgrade' })
    const fromB = await b.publish('post', { text: 'B before it caught up' })
    // A's root log went on from version 1 into version 2; B wrote its own log, which opens with
    // the author key's consent to it.
    expect(fromA.entry).toMatchObject({ v: 2, seq: 4 })
    expect(fromA.entry.device).toBeUndefined()
    expect(fromB.entry).toMatchObject({ v: 2, seq: 2, author: key.id, device: deviceB.id })
    expect((await b.logs.at(deviceB.id, 1))?.entry.kind).toBe('device')

    await connect(follower, a)
    await connect(follower, b)
    await connect(a, b)
    await holds(follower, key.id, 4, 'the follower to hold the root log')
    await holds(follower, deviceB.id, 2, "the follower to hold B's log")
    // Each device catches up with the other's log: it is the same author, so they are its own posts.
    await holds(b, key.id, 4, "B to hold A's posts")
    await holds(a, deviceB.id, 2, "A to hold B's posts")

    expect(forks).toEqual([])
    expect(await follower.logs.logsOf(key.id)).toEqual([key.id, deviceB.id].sort((x, y) => x === key.id ? -1 : y === key.id ? 1 : x < y ? -1 : 1))
    const posts = await client.authorPosts(key.id)
    expect(posts.map(p => p.text)).toEqual(['B before it caught up', 'A after the upgrade', 'old post 3', 'old post 2', 'old post 1'])
    expect(new Set(posts.map(p => p.author))).toEqual(new Set([key.id]))
    expect((await client.profile(key.id)).forked).toBe(false)
  })

  test('two devices posting at the same moment never fork', async () => {
    const [x, y] = await Promise.all([a.publish('post', { text: 'same moment, A' }), b.publish('post', { text: 'same moment, B' })])
    await holds(follower, key.id, x.entry.seq, "the follower to hold A's new post")
    await holds(follower, deviceB.id, y.entry.seq, "the follower to hold B's new post")
    expect(forks).toEqual([])
    const texts = (await client.timeline()).map(p => p.text)
    expect(texts).toContain('same moment, A')
    expect(texts).toContain('same moment, B')
  })

  test('each device lists both logs as speaking for the author', async () => {
    const devices = await a.devices()
    expect(devices.map(d => ({ id: d.id, current: d.current }))).toEqual(expect.arrayContaining([
      { id: key.id, current: true }, { id: deviceB.id, current: false }
    ]))
    expect(devices.find(d => d.id === deviceB.id)?.name).toBe('test device')
  })

  test('a revoked device: what it wrote after the revoke is refused, and what was held beyond it is hidden', async () => {
    const before = (await follower.logs.head(deviceB.id))?.seq ?? 0
    // B writes one more post that the follower gets; then A revokes B as of before it.
    const late = await b.publish('post', { text: 'written by a lost phone' })
    await holds(follower, deviceB.id, late.entry.seq, 'the follower to hold the late post')
    const revoke = await a.publish('revoke', await revokeBody(key, deviceB.id, before))
    await holds(follower, key.id, revoke.entry.seq, 'the follower to hold the revoke')
    await until('the follower to hide the late post', async () =>
      (await client.authorPosts(key.id)).some(p => p.text === 'written by a lost phone') ? undefined : true, 10_000)
    expect((await client.authorPosts(key.id)).map(p => p.text)).toContain('B before it caught up')
    expect(await follower.logs.revokedAfter(deviceB.id)).toBe(before)

    // Anything B signs now is refused at the follower, whichever way it comes.
    const bHead = await b.logs.at(deviceB.id, (await b.logs.head(deviceB.id))?.seq ?? 0) as VerifiedEntry
    const after = await createEntry({ author: key.id, key: deviceB }, bHead, 'post', { text: 'after the revoke' })
    expect((await follower.importEntries([after])).added).toBe(0)
    expect(await follower.logs.get(after.cid)).toBeUndefined()
    // B itself learns of the revoke (it is its own author's log) and stops writing.
    await holds(b, key.id, revoke.entry.seq, 'B to hold the revoke')
    await expect(b.publish('post', { text: 'still here?' })).rejects.toMatchObject({ name: 'RevokedDeviceError' })
    expect(forks).toEqual([])
  })

  test('an entry of a kind this version does not know is kept, served and forwarded, and shown nowhere', async () => {
    // A third device of the author, written outside any node, with a "poll" entry.
    const deviceC = await seeded(64)
    const signer = { author: key.id, key: deviceC }
    const genesis = await createEntry(signer, null, 'device', await deviceBody(key, deviceC.id))
    const unknown = await createEntry(signer, genesis, 'poll' as EntryKind, { question: 'tea or coffee?', options: ['tea', 'coffee'] } as unknown as Bodies[EntryKind])
    expect(unknown.entry.kind).toBe('poll')
    // A takes the genesis in (served to the follower by sync), then forwards the poll over gossip.
    expect((await a.importEntries([genesis])).added).toBe(1)
    await holds(follower, deviceC.id, 1, "the follower to sync C's genesis from A")
    expect((await a.importEntries([unknown])).added).toBe(1)
    await a.libp2p.services.pubsub.publish(authorTopic(key.id), unknown.bytes).catch(() => {})
    await holds(follower, deviceC.id, 2, 'the follower to receive the poll')
    expect((await follower.logs.get(unknown.cid))?.entry.kind).toBe('poll')
    const shown = [...await client.timeline(), ...await client.authorPosts(key.id)]
    expect(shown.some(p => p.cid === unknown.cid.toString() || p.cid === genesis.cid.toString())).toBe(false)
    expect(forks).toEqual([])
  })
})
