/**
 * propagation_nN_p50_ms / _p99_ms: publish-to-receive latency at every follower of one author, with
 * N real libp2p nodes in a connected random graph around a real relay process (cluster.ts). At
 * N = 100 the same run also yields amplification_n100, server_egress_bytes_per_post_n100 and
 * rss_mb_per_node (memory.ts), so the 100 nodes are built once.
 */
import { cpus } from 'node:os'
import { NODES_PER_SHARD, runNetwork, type NetworkResult } from './cluster.js'
import { round } from './util.js'
import { outcome, type BenchContext, type Metric, type Outcome } from './types.js'

/** Detail every propagation metric carries, so a reader sees how the number was made. */
export function networkDetail (r: NetworkResult): Record<string, unknown> {
  return {
    n: r.n,
    posts: r.posts,
    samples: r.latency.count,
    latency: r.latency,
    publishCallMs: r.publishCall,
    deliveries: r.deliveries,
    entryBytes: r.entryBytes.mean,
    topology: r.topology,
    setup: r.setup,
    processes: `${r.shards} worker process(es) of up to ${NODES_PER_SHARD} nodes, sharing ${cpus().length} cores with the relay: an upper bound for separate devices`
  }
}

export function propagationMetrics (r: NetworkResult): Record<string, Metric> {
  const detail = networkDetail(r)
  return {
    [`propagation_n${r.n}_p50_ms`]: { value: r.latency.p50, unit: 'ms', ...detail },
    [`propagation_n${r.n}_p99_ms`]: { value: r.latency.p99, unit: 'ms', ...detail }
  }
}

/**
 * Bytes every node sent during the post phase per byte of post delivered. Delivered = entry bytes
 * x followers that got it (gossip or sync).
 */
export function amplificationMetric (r: NetworkResult): Metric {
  const delivered = r.deliveries.gossip + r.deliveries.sync
  const deliveredBytes = r.entryBytes.mean * delivered
  return {
    value: round(r.bytesOut / deliveredBytes, 3),
    unit: 'bytes sent / byte delivered',
    bytesOut: r.bytesOut,
    deliveredBytes: Math.round(deliveredBytes),
    deliveries: delivered,
    postPhaseMs: r.postPhaseMs,
    note: 'all traffic of all nodes while posting (gossip copies, IHAVE/IWANT, heartbeats, discovery, pings), counted below encryption and muxing'
  }
}

/**
 * What the relay sent during the post phase, per post: everything the nodes received from it
 * (their connection accounting) — relayed circuit bytes, discovery gossip, heartbeats, pings. None
 * of it is post traffic, so it grows with time, not posts: it is measured as a rate over a window of
 * whole ping periods and charged to the post phase (cluster.ts).
 */
export function serverEgressMetric (r: NetworkResult): Metric {
  return {
    value: round(r.relay.sentToNodes / r.posts, 1),
    unit: 'bytes/post',
    relaySentToNodes: r.relay.sentToNodes,
    relaySentInWindow: r.relay.sentInWindow,
    egressWindowMs: r.relay.egressWindowMs,
    relayBytesPerNodePerS: round(r.relay.sentInWindow / (r.n * r.relay.egressWindowMs / 1000), 1),
    relayedCircuitBytes: r.relay.relayedBytes,
    posts: r.posts,
    followers: r.n - 1,
    postPhaseMs: r.postPhaseMs,
    note: 'measured at the nodes: bytes received on their connections to the relay, at its rate over the egress window times the post phase; all of it is non-post traffic'
  }
}

export async function propagation (ctx: BenchContext, n: number): Promise<Outcome> {
  const r = await runNetwork(ctx, n, ctx.posts, 'random')
  return outcome(propagationMetrics(r))
}
