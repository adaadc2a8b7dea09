/**
 * propagation_nN_p50_ms / _p99_ms: publish-to-receive latency at every follower of one author, with
 * N real libp2p nodes in a connected random graph around a real relay process (cluster.ts). At
 * N = 100 the same run also yields amplification_n100, server_egress_bytes_per_post_n100 and
 * rss_mb_per_node (memory.ts), so the 100 nodes are built once.
 *
 * propagation_n10_flood_p99_ms (floodPropagation): the same N = 10 network plus one flooding author
 * that every follower also follows. One run measures three rounds of posts on the same nodes and
 * links: without the flood (the baseline), while the flooder floods a topic nobody carries (what its
 * process costs the shared cores), and while it floods its own author topic (the row).
 */
import { cpus, loadavg } from 'node:os'
import { TokenBucket } from '../../src/lib/p2p/budget.js'
import { GOSSIP_AUTHOR_BURST, GOSSIP_AUTHOR_ENTRIES_PER_MIN } from '../../src/lib/p2p/constants.js'
import { NODES_PER_SHARD, TEXT_BYTES, openNetwork, runNetwork, topologyText, type Network, type NetworkResult, type PhaseResult } from './cluster.js'
import type { FloodTarget } from './flooder.js'
import type { FloodStats, Flooding, Halted } from './network.js'
import { percentile, round, summarize } from './util.js'
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

/** Posts per second the flooder publishes: several hundred, hundreds of times the budget a follower grants an author. */
export const FLOOD_PER_S = 500
/** The flood runs this long before the first measured post, so linked followers are past their burst. */
const FLOOD_WARM_S = 1
/** Seconds of flood signed ahead, per chain; a longer round signs more as it goes (reported). */
const FLOOD_STOCK_S = 40
/** Longest a round of posts may run: one whose posts stop arriving would otherwise take posts x 15 s. */
const ROUND_MAX_MS = 120_000
/** Tokens of the followers' budget for the honest author kept in hand beyond a round's posts (their clocks and ours differ by a delivery). */
const BUDGET_MARGIN = 2

interface Round {
  phase: PhaseResult
  /** CPU time of the N nodes' process and of the flooder's over the round, as a share of one core. */
  shardCpuShare: number
  flooderCpuShare: number
  loopDelayMs: { p50: number, p99: number, max: number }
  /** The N nodes' process at the end of the round (no GC first): what a backlog of unread messages holds. */
  shardRssMiB: number
  /** How long the round waited for the followers' budget for the honest author to refill. */
  budgetWaitMs: number
  flood?: Omit<Halted, 'type'>
}

/**
 * The p99 of a round counting its missing deliveries: each is slower than the round's end minus its
 * post's publish call. If the rank falls on one, the value is the least of those bounds, marked as a
 * lower bound (the table shows `> value`).
 */
function p99WithMissing (phase: PhaseResult): { value: number, lowerBound: boolean } {
  const bounds = phase.published.flatMap((p, i) => {
    const missing = Math.max(0, phase.deliveries.expected / Math.max(1, phase.published.length) - (phase.counters[i]?.count ?? 0))
    return Array.from({ length: missing }, () => phase.endedAt - p.t0)
  })
  const all = [...phase.latencies, ...bounds.map(() => Number.POSITIVE_INFINITY)]
  const value = percentile(all, 99)
  if (Number.isFinite(value)) return { value: round(value), lowerBound: false }
  return { value: round(Math.min(...bounds)), lowerBound: true }
}

/**
 * One round of `posts` posts. The honest author must stay within the gossip budget every follower
 * grants it (GOSSIP_AUTHOR_BURST, then GOSSIP_AUTHOR_ENTRIES_PER_MIN): three rounds back to back
 * would exceed it, its posts would be rejected as a flood of its own and arrive only by sync. So a
 * round first takes its posts from `budget`, a model of the followers' bucket that takes them
 * earlier than they do (at the round's start), so it never holds more tokens than theirs; when it
 * runs short the round waits for the refill. That wait is the workload's pace, not a synchronisation.
 */
async function postRound (net: Network, label: string, posts: number, budget: TokenBucket, flood?: FloodTarget): Promise<Round> {
  const flooder = net.flooder
  if (flooder === undefined) throw new Error('the network has no flooder')
  const waitStart = performance.now()
  await budget.take(posts + BUDGET_MARGIN)
  const budgetWaitMs = Math.round(performance.now() - waitStart)
  if (budgetWaitMs > 1000) net.log(`round ${label}: waited ${budgetWaitMs} ms for the followers' budget for the author to refill`)
  if (flood !== undefined) {
    const warm = flooder.shard.next<Flooding>('flooding', 60_000)
    await net.request(flooder.shard, { type: 'cmd', op: 'flood', target: flood, perSecond: FLOOD_PER_S, warm: FLOOD_PER_S * FLOOD_WARM_S })
    await warm
  }
  const [s0, f0] = [await net.snapshot(net.shards, false), await net.snapshot([flooder.shard], false)]
  const t0 = performance.now()
  const phase = await net.postPhase(label, posts, { deadlineMs: ROUND_MAX_MS })
  const [s1, f1] = [await net.snapshot(net.shards, false), await net.snapshot([flooder.shard], false)]
  const ms = performance.now() - t0
  const halted = flood === undefined ? undefined : await net.request<Halted>(flooder.shard, { type: 'cmd', op: 'halt' }, 60_000)
  return {
    phase,
    shardCpuShare: round((s1.cpuMs - s0.cpuMs) / ms),
    flooderCpuShare: round((f1.cpuMs - f0.cpuMs) / ms),
    loopDelayMs: s1.loopDelayMs,
    shardRssMiB: round(s1.rss),
    budgetWaitMs,
    ...(halted === undefined ? {} : { flood: (({ type: _, ...rest }) => rest)(halted) })
  }
}

function roundDetail (r: Round): Record<string, unknown> {
  const l = summarize(r.phase.latencies)
  const p99 = p99WithMissing(r.phase)
  return {
    p50: l.p50,
    p99: p99.value,
    ...(p99.lowerBound ? { p99IsLowerBound: true } : {}),
    max: l.max,
    samples: l.count,
    postsPublished: r.phase.published.length,
    deliveries: r.phase.deliveries,
    postPhaseMs: Math.round(r.phase.postPhaseMs),
    cpuShareOfOneCore: { nodes: r.shardCpuShare, flooder: r.flooderCpuShare },
    nodesEventLoopDelayMs: r.loopDelayMs,
    nodesRssMiB: r.shardRssMiB,
    budgetWaitMs: r.budgetWaitMs,
    ...(r.flood === undefined ? {} : { flood: r.flood })
  }
}

/**
 * propagation_n10_flood_p99_ms: p99 publish-to-receive latency of the honest author's posts while an
 * author the followers also follow floods valid posts at FLOOD_PER_S, with the baseline and a
 * flood on a topic nobody carries measured on the same network in the same run.
 */
export async function floodPropagation (ctx: BenchContext, n: number): Promise<Outcome> {
  const loadBefore = loadavg().map(l => round(l))
  const net = await openNetwork(ctx, n, 'random', { flooder: true })
  try {
    const flooder = net.flooder
    if (flooder === undefined) throw new Error('the network has no flooder')
    const armed = await net.request<{ signMs: number }>(flooder.shard, { type: 'cmd', op: 'arm', count: FLOOD_PER_S * FLOOD_STOCK_S, textBytes: TEXT_BYTES }, 300_000)
    net.log(`flooder signed ${2 * FLOOD_PER_S * FLOOD_STOCK_S} posts ahead in ${armed.signMs} ms`)
    const stats = async (): Promise<FloodStats['nodes']> =>
      (await net.all<FloodStats>({ type: 'cmd', op: 'flood-stats', peer: flooder.node.peerId })).flatMap(s => s.nodes).sort((a, b) => a.index - b.index)
    const p99Text = (r: Round): string => {
      const p = p99WithMissing(r.phase)
      return `${p.lowerBound ? '> ' : ''}${p.value} ms`
    }

    // The author has posted nothing yet: every follower's bucket for it is full.
    const budget = new TokenBucket(GOSSIP_AUTHOR_ENTRIES_PER_MIN / 60, GOSSIP_AUTHOR_BURST)
    const posts = Math.min(ctx.posts, GOSSIP_AUTHOR_BURST - BUDGET_MARGIN)
    const baseline = await postRound(net, 'b', posts, budget)
    net.log(`baseline: p99 ${p99Text(baseline)}`)
    const offTopic = await postRound(net, 'c', posts, budget, 'nobody')
    net.log(`flood on a topic nobody carries: p99 ${p99Text(offTopic)}`)
    const before = await stats()
    const flooded = await postRound(net, 'f', posts, budget, 'own')
    const atHalt = await stats()
    net.log(`flood on the flooder's own topic: p99 ${p99Text(flooded)}`)
    // Messages still in the followers' validators when the flood stopped, and syncs they started,
    // finish before the counts are read.
    await net.all({ type: 'cmd', op: 'idle' }, 90_000)
    const settled = await stats()
    const stopped = await net.stop()

    const tallies = settled.map((s) => {
      const b = before.find(x => x.index === s.index)
      return {
        index: s.index,
        linked: s.linked,
        fromGossip: s.gossip - (b?.gossip ?? 0),
        fromSync: s.sync - (b?.sync ?? 0),
        verdicts: {
          accept: s.verdicts.accept - (b?.verdicts.accept ?? 0),
          ignore: s.verdicts.ignore - (b?.verdicts.ignore ?? 0),
          reject: s.verdicts.reject - (b?.verdicts.reject ?? 0)
        },
        graylistedRpcs: s.graylistedRpcs - (b?.graylistedRpcs ?? 0),
        honestRpcsDropped: s.honestRpcsDropped - (b?.honestRpcsDropped ?? 0),
        flooderScoreAtHalt: atHalt.find(x => x.index === s.index)?.score,
        minHonestScoreAtHalt: atHalt.find(x => x.index === s.index)?.minHonestScore
      }
    })
    const base = p99WithMissing(baseline.phase)
    const off = p99WithMissing(offTopic.phase)
    const hit = p99WithMissing(flooded.phase)
    const p50 = (r: Round): number => percentile(r.phase.latencies, 50)
    const published = flooded.flood?.published ?? 0
    return outcome({
      propagation_n10_flood_p99_ms: {
        value: hit.value,
        unit: 'ms',
        ...(hit.lowerBound ? { lowerBound: true } : {}),
        n,
        postsPerRound: posts,
        ratioP99: round(hit.value / base.value),
        ...(hit.lowerBound ? { ratioP99IsLowerBound: true } : {}),
        ratioP50: round(p50(flooded) / p50(baseline)),
        offTopicRatioP99: round(off.value / base.value),
        target: 'ratioP99 floor <= 2, goal <= 1.2',
        baseline: roundDetail(baseline),
        floodOnTopicNobodyCarries: roundDetail(offTopic),
        flood: roundDetail(flooded),
        flooder: {
          perSecond: FLOOD_PER_S,
          warmS: FLOOD_WARM_S,
          published,
          signedAheadMs: armed.signMs,
          links: flooder.links,
          linkedFollowers: flooder.links.filter(i => i !== net.author.index).length,
          how: 'valid signed posts, one chain from its empty log, signed ahead and handed to its gossipsub directly (its own node\'s publish path bypassed); it follows nobody, so the author\'s posts never pass through it'
        },
        followerBudget: { entriesPerMin: GOSSIP_AUTHOR_ENTRIES_PER_MIN, burst: GOSSIP_AUTHOR_BURST },
        acceptedFromGossip: {
          total: tallies.reduce((sum, t) => sum + t.fromGossip, 0),
          perFollowerMax: Math.max(...tallies.map(t => t.fromGossip)),
          ofPublished: published
        },
        followers: tallies,
        roundMaxMs: ROUND_MAX_MS,
        loadAverage: { before: loadBefore, after: loadavg().map(l => round(l)) },
        topology: topologyText('random'),
        setup: { ...net.setup, gatedDials: stopped.gatedDials },
        processes: net.shards.length === 1
          ? `the ${n} nodes in one worker process, the flooder in another, the relay in a third, sharing ${cpus().length} cores: the followers that take the flood share one event loop with the author and every other follower`
          : `the ${n} nodes in ${net.shards.length} worker processes, the flooder in another, the relay in another, sharing ${cpus().length} cores`
      }
    })
  } finally {
    await net.close()
  }
}
