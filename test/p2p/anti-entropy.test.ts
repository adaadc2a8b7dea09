/**
 * A post that gossip never delivered (here: stored by its author without publishing) still reaches
 * a follower, through the periodic sync with a peer carrying that author.
 */
import { afterAll, expect, test } from 'vitest'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { authorFromPrivateKey, authorTopic, createEntry, type VerifiedEntry } from '../../src/lib/core/index.js'
import type { FlockNode } from '../../src/lib/p2p/node.js'
import { createNodeFlockNode } from '../../src/lib/p2p/runtime-node.js'
import { tempDir, until } from '../server/harness.js'

const cleanup: Array<() => Promise<void>> = []
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn()
})

async function node (seed: number): Promise<FlockNode> {
  const dir = await tempDir()
  cleanup.push(dir.remove)
  const n = await createNodeFlockNode({
    author: authorFromPrivateKey(await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(seed))),
    dataDir: dir.path,
    antiEntropyMs: 300
  })
  cleanup.push(async () => { await n.stop() })
  return n
}

test('an entry gossip missed arrives by the periodic sync', async () => {
  const [author, follower] = [await node(21), await node(22)]
  await follower.follow(author.author.id)
  await follower.libp2p.dial(author.libp2p.getMultiaddrs()[0] as Parameters<typeof follower.libp2p.dial>[0])
  // Let every sync that connecting and subscribing start finish first, so only the periodic one is left.
  await until('the follower to see the author on its topic', async () =>
    follower.libp2p.services.pubsub.getSubscribers(authorTopic(author.author.id)).some(p => p.equals(author.peerId)) ? true : undefined, 10_000)
  await follower.idle()

  const missed = await createEntry(author.author, null, 'post', { text: 'gossip lost this one' })
  expect((await author.importEntries([missed])).added).toBe(1)
  const arrived = await new Promise<{ entry: VerifiedEntry, source: string }>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error('the missed entry did not arrive within 10 s')) }, 10_000)
    follower.addEventListener('entry', (evt) => {
      if (!evt.detail.entry.cid.equals(missed.cid)) return
      clearTimeout(timer)
      resolve(evt.detail)
    })
  })
  expect(arrived.source).toBe('sync')
  expect((await follower.logs.head(author.author.id))?.cid.equals(missed.cid)).toBe(true)
})
