/**
 * rss_mb_per_node: resident memory one more working headless node costs, from the N = 100 network
 * run (cluster.ts; shard workers run with --expose-gc, so each reading follows a full GC):
 * (RSS after the posts - RSS before creating any node) / N, RSS summed over the shard processes, so
 * each node holds its connections, gossip state and stored posts. The detail adds the same figure
 * right after creation and once the links formed, and the processes' baseline: a node alone on a
 * device also pays for one Node.js process with these modules loaded.
 */
import type { NetworkResult } from './cluster.js'
import { round } from './util.js'
import type { Metric } from './types.js'

export function rssMetric (r: NetworkResult): Metric {
  const per = (after: number): number => round((after - r.rssMiB.before) / r.n, 2)
  return {
    value: per(r.rssMiB.afterPosts),
    unit: 'MiB/node',
    n: r.n,
    gcBeforeEachReading: r.gcBeforeReadings,
    processes: r.shards,
    rssMiB: r.rssMiB,
    afterCreateMiBPerNode: per(r.rssMiB.afterCreate),
    afterMeshMiBPerNode: per(r.rssMiB.afterMesh),
    processBaselineMiB: round(r.rssMiB.before / r.shards, 1),
    directPeersPerNode: r.setup.directPeersPerNode,
    node: 'createNodeFlockNode: libp2p (TCP, WebSockets, circuit relay transport), gossipsub, Helia bitswap, two LevelDB stores'
  }
}
