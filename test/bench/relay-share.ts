/**
 * relay_post_bytes_share: of the post bytes delivered in a 10-peer network, the share that crossed
 * the relay. A real relay process and 10 nodes configured with it as their only relay; discovery
 * through the relay connects them directly (cluster.ts waits for the full direct mesh), then one
 * author posts K posts. Share = (relay's flock_relay_relayed_bytes_total after - before) /
 * (entry bytes x deliveries). With direct connections it should be about 0.
 */
import { runNetwork, TEXT_BYTES } from './cluster.js'
import { round } from './util.js'
import { outcome, type BenchContext, type Outcome } from './types.js'

export async function relayShare (ctx: BenchContext): Promise<Outcome> {
  const n = 10
  const posts = Math.min(ctx.posts, ctx.quick ? 20 : 50)
  const r = await runNetwork(ctx, n, posts, 'discovery')
  const delivered = r.deliveries.gossip + r.deliveries.sync
  const postBytes = r.entryBytes.mean * delivered
  return outcome({
    relay_post_bytes_share: {
      value: round(r.relay.relayedBytes / postBytes, 4),
      unit: 'ratio',
      relayedBytes: r.relay.relayedBytes,
      postBytesDelivered: Math.round(postBytes),
      deliveries: delivered,
      posts,
      peers: n,
      textBytes: TEXT_BYTES,
      relaySentToNodes: r.relay.sentToNodes,
      relayedConnectionsAtStart: r.setup.relayedConnections,
      directPeersPerNode: r.setup.directPeersPerNode
    }
  })
}
