/**
 * A flooding author under gossipsub scoring: a follower takes at most its per-author budget from
 * gossip, the flooder's score goes negative within a few heartbeats and, flooding on, it is
 * disconnected and refused; an honest author's post still arrives. Real nodes on loopback, inside the test's namespace.
 */
import { afterAll, expect, test } from 'vitest'
import { createNodeFlockNode } from '../../src/lib/p2p/runtime-node.js'
import type { FlockNode } from '../../src/lib/p2p/node.js'
import { GOSSIP_AUTHOR_BURST } from '../../src/lib/p2p/constants.js'
import { authorFromSeed } from '../core/helpers.js'
import { tempDir, until } from '../server/harness.js'

const cleanup: Array<() => Promise<void>> = []
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn()
})

async function node (seed: number): Promise<FlockNode> {
  const dir = await tempDir()
  const n = await createNodeFlockNode({ author: await authorFromSeed(seed), dataDir: dir.path, ipColocationFactorWeight: 0 })
  cleanup.push(dir.remove, async () => { await n.stop() })
  return n
}

test('a flooding author is throttled and scored down while an honest author\'s post gets through', async () => {
  const [victim, flooder, honest, forwarder] = [await node(60), await node(61), await node(62), await node(63)]
  await victim.follow(flooder.author.id)
  await victim.follow(honest.author.id)
  // Another follower of the flooder, linked to both: it forwards what its own budget let in, and
  // must not lose score for that at the victim, whose budget the flooder spent already.
  await forwarder.follow(flooder.author.id)
  await forwarder.libp2p.dial(flooder.libp2p.getMultiaddrs()[0] as Parameters<typeof forwarder.libp2p.dial>[0])
  for (const other of [flooder, honest, forwarder]) {
    await other.libp2p.dial(victim.libp2p.getMultiaddrs()[0] as Parameters<typeof other.libp2p.dial>[0])
    await until('the author to see the victim on its topic', () =>
      other.topicPeers(other === forwarder ? flooder.author.id : other.author.id).includes(victim.peerId.toString()) ? true : undefined, 10_000)
  }
  await victim.idle()
  let fromGossip = 0
  victim.addEventListener('entry', (evt) => {
    if (evt.detail.source === 'gossip' && evt.detail.entry.entry.author === flooder.author.id) fromGossip++
  })

  const started = Date.now()
  for (let i = 0; i < 600; i++) await flooder.publish('post', { text: `flood ${i}` })
  const posted = await honest.publish('post', { text: 'an honest post' })
  await until('the honest post to reach the victim', async () => await victim.logs.get(posted.cid) !== undefined ? true : undefined, 15_000)
  await until('the flooder\'s gossip score to go negative', () => victim.gossipScore(flooder.peerId.toString()) < 0 ? true : undefined, 15_000)
  const seconds = (Date.now() - started) / 1000
  expect(fromGossip).toBeLessThanOrEqual(GOSSIP_AUTHOR_BURST + Math.ceil(seconds) + 1)
  expect(fromGossip).toBeGreaterThan(0)
  expect(victim.gossipScore(honest.peerId.toString())).toBeGreaterThanOrEqual(0)
  expect(victim.gossipScore(forwarder.peerId.toString())).toBeGreaterThanOrEqual(0)
  // Past what an honest forwarder can send the flooder is disconnected, and a new connection is closed as it opens.
  await until('the victim to disconnect the flooder', () => victim.libp2p.getConnections(flooder.peerId).length === 0 ? true : undefined, 15_000)
  expect(victim.libp2p.getConnections(honest.peerId).length).toBeGreaterThan(0)
  expect(victim.libp2p.getConnections(forwarder.peerId).length).toBeGreaterThan(0)
  await flooder.libp2p.dial(victim.libp2p.getMultiaddrs()[0] as Parameters<typeof flooder.libp2p.dial>[0]).catch(() => undefined)
  await until('the victim to close the flooder\'s new connection', () => victim.libp2p.getConnections(flooder.peerId).length === 0 ? true : undefined, 10_000)
}, 60_000)
