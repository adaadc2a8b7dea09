/**
 * rss_mb_per_node: resident memory one more headless node costs, from the N = 100 network run
 * (cluster.ts; shard workers run with --expose-gc, so each reading follows a full GC):
 * (RSS after creating the N nodes - RSS before) / N, RSS summed over the shard processes. The detail adds the same figure once the
 * direct mesh formed (every node then holds N - 1 connections) and after the posts.
 */
import type { NetworkResult } from './cluster.js'
import { round } from './util.js'
import type { Metric } from './types.js'

export function rssMetric (r: NetworkResult): Metric {
  const per = (after: number): number => round((after - r.rssMiB.before) / r.n, 2)
  return {
    value: per(r.rssMiB.afterCreate),
    unit: 'MiB/node',
    n: r.n,
    gcBeforeEachReading: r.gcBeforeReadings,
    processes: r.shards,
    rssMiB: r.rssMiB,
    afterMeshMiBPerNode: per(r.rssMiB.afterMesh),
    afterPostsMiBPerNode: per(r.rssMiB.afterPosts),
    directPeersPerNode: r.setup.directPeersPerNode,
    node: 'createNodeFlockNode: libp2p (TCP, WebSockets, circuit relay transport), gossipsub, Helia bitswap, two LevelDB stores'
  }
}
