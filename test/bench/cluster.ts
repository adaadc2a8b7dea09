/**
 * A benchmark network of N real headless Flock nodes around a real relay process, and the post
 * workload every network metric is measured on. One node authors, the other N - 1 follow it; the
 * author publishes typical posts one at a time, each once every follower has received the one
 * before (event-driven: each delivery is reported as it happens), so queues drain between posts.
 *
 * Nodes run in shard worker processes (network.ts), at most NODES_PER_SHARD each. One process for
 * all of them is what the design first suggested, but it does not hold at N >= 50 here: one event
 * loop then carries every node's handshakes, pings and discovery gossip, stalls for seconds, and
 * libp2p's connection monitor (pings every 10 s, 5 s timeout) drops connections wholesale.
 * Latency = delivery time in the follower's process - publish call time in the author's process,
 * both on the machine clock (performance.timeOrigin + now()).
 *
 * Every node keeps a WebSocket connection to the relay (relays: [relay]). Direct links:
 * - 'discovery': nodes find each other on the discovery topic through the relay and dial each
 *   other over TCP — production behaviour, ending in a full mesh. Used for the 10-peer relay share.
 * - 'random': a seeded connected random graph, each node linked over TCP to about DEGREE others,
 *   dialled by the bench. Used for every propagation_nN row, so the rows compare. Discovery plays no
 *   part in a planned graph, so it is quieted: a dial gate on each node refuses dials outside the
 *   graph, and nodes leave the discovery topic (they still announce themselves to the relay). With
 *   N nodes on one machine, discovery costs O(N^2) work per interval on shared cores (every node
 *   handles every announcement, and discovery dials every peer it hears of); the resulting
 *   event-loop stalls exceed libp2p's 5 s ping timeout and the connection monitor then drops
 *   connections by the dozen, so the network never settles at N >= 50.
 */
import { authorTopic } from '../../src/lib/core/index.js'
import { hops, randomGraph, undirected } from './graph.js'
import type { Delivery, Published, ShardCommand, ShardNode, ShardParams, ShardSnapshot, ShardState } from './network.js'
import { parseMetrics, httpGet, startRelay, startWorker, type RelayProc, type WorkerProc } from './procs.js'
import { until } from '../server/harness.js'
import { Countdown, postText, round, summarize, withTimeout, type Summary } from './util.js'
import type { BenchContext } from './types.js'

export type Topology = 'discovery' | 'random'

export const NODES_PER_SHARD = 25
export const DEGREE = 6
export const TEXT_BYTES = 300
/** Window over which the relay's egress rate is measured: whole periods of libp2p's 10 s pings. */
export const RELAY_EGRESS_WINDOW_MS = 30_000

export interface NetworkResult {
  n: number
  posts: number
  topology: string
  shards: number
  setup: {
    createMs: number
    meshMs: number
    directPeersPerNode: { min: number, mean: number, max: number }
    relayedConnections: number
    /** Hops from the author to each follower over direct links: how far a post must travel. */
    hopsFromAuthor: { max: number, mean: number }
    /** Dials the topology gate refused (node.ts redialling peers outside the random graph). */
    gatedDials: number
    dialFailures: string[]
  }
  /** Publish call to 'entry' event with source 'gossip', every follower, every post (ms). */
  latency: Summary
  publishCall: Summary
  deliveries: { expected: number, gossip: number, sync: number, missing: number }
  entryBytes: { mean: number, total: number }
  postPhaseMs: number
  /** Discovery-topic messages accepted per node per second during the post phase (N / 10 s is normal). */
  discoveryMessagesPerNodePerS: number
  /** Sum over nodes of traffic.totals.bytesOut during the post phase. */
  bytesOut: number
  relay: {
    /** flock_relay_relayed_bytes_total after minus before the post phase. */
    relayedBytes: number
    /** What the relay sent the nodes in the post phase: its rate over the egress window x the phase's length. */
    sentToNodes: number
    /** Bytes the nodes received from the relay (everything it sent them) from the first post to the end of the window. */
    sentInWindow: number
    egressWindowMs: number
    /** Relay connections opened during the egress window (their bytes count from zero). */
    reconnects: number
    connectionsAfter: number | undefined
  }
  /** Summed over shards: process RSS before creating nodes, after, after the mesh, after the posts. */
  rssMiB: { before: number, afterCreate: number, afterMesh: number, afterPosts: number }
  gcBeforeReadings: boolean
}

type Reply<T> = T & { type: string }

async function relayMetrics (relay: RelayProc): Promise<{ relayed: number, connections: number | undefined }> {
  const m = parseMetrics(await httpGet(`${relay.ready.http}/metrics`))
  const relayed = m.flock_relay_relayed_bytes_total
  if (relayed === undefined) throw new Error('relay /metrics has no flock_relay_relayed_bytes_total')
  return { relayed, connections: m.flock_relay_connections }
}

/** Growth between two readings of bytes-from-relay per connection; a new connection counts from zero. */
function grownBy (before: Map<string, number>, after: Map<string, number>): { bytes: number, reconnects: number } {
  let bytes = 0
  let reconnects = 0
  for (const [key, value] of after) {
    const was = before.get(key)
    if (was === undefined) reconnects++
    bytes += value - (was ?? 0)
  }
  return { bytes, reconnects }
}

export async function runNetwork (ctx: BenchContext, n: number, posts: number, topology: Topology): Promise<NetworkResult> {
  const shardCount = topology === 'discovery' ? 1 : Math.ceil(n / NODES_PER_SHARD)
  const log = (line: string): void => { ctx.log(`  n=${n}: ${line}`) }
  const relayStarting = startRelay({ verbose: ctx.verbose })
  const shards: WorkerProc[] = []
  try {
    const per = Math.ceil(n / shardCount)
    for (let s = 0; s < shardCount; s++) {
      const first = s * per
      const params = relayStarting.then((relay): ShardParams => ({
        shard: s,
        first,
        count: Math.min(per, n - first),
        planned: topology === 'random',
        relay: { ws: relay.ws, peerId: relay.ready.peerId }
      }))
      shards.push(startWorker('shard', params, { verbose: ctx.verbose, timeoutMs: 180_000 + n * 3000, log: ctx.log }))
    }
    const relay = await relayStarting
    const request = async <T>(shard: WorkerProc, cmd: ShardCommand, timeoutMs = 120_000): Promise<Reply<T>> =>
      await shard.request<Reply<T>>(cmd, `reply:${cmd.op}`, timeoutMs)
    const all = async <T>(cmd: ShardCommand, timeoutMs?: number): Promise<Array<Reply<T>>> =>
      await Promise.all(shards.map(async s => await request<T>(s, cmd, timeoutMs)))

    let t = performance.now()
    const created = await Promise.all(shards.map(async s => await s.next<{ nodes: ShardNode[], rss: { before: number, afterCreate: number }, gc: boolean }>('nodes', 120_000 + n * 2000)))
    const createMs = performance.now() - t
    const nodes = created.flatMap(c => c.nodes).sort((a, b) => a.index - b.index)
    const author = nodes[0] as ShardNode
    const topic = authorTopic(author.author)
    log(`${n} nodes created in ${shardCount} process(es) in ${Math.round(createMs)} ms`)

    // Topology plan: who dials whom, and (random) whom each node may dial at all.
    t = performance.now()
    const edges = topology === 'random' ? randomGraph(n, DEGREE) : []
    const allowed = nodes.map(() => new Set<string>())
    for (const [i, j] of edges) {
      allowed[i]?.add(nodes[j]?.peerId as string)
      allowed[j]?.add(nodes[i]?.peerId as string)
    }
    // Alternate which end dials, so every shard does its share of the handshakes.
    const dialPlan = edges.map(([i, j]): [number, number] => (i + j) % 2 === 0 ? [i, j] : [j, i])
    const byAddr: Array<[string, string]> = nodes.flatMap(node => node.addrs.map((a): [string, string] => [a.replace(/\/p2p\/[^/]+$/, ''), node.peerId]))
    const planned = await Promise.all(shards.map(async (shard, s) => {
      const mine = (i: number): boolean => i >= s * per && i < (s + 1) * per
      return await request<{ failures: string[] }>(shard, {
        type: 'cmd',
        op: 'plan',
        follow: author.author,
        ...(topology === 'random'
          ? { allowed: nodes.filter(node => mine(node.index)).map(node => [node.index, [...allowed[node.index] as Set<string>]]), byAddr }
          : {}),
        dials: dialPlan.filter(([from]) => mine(from)).map(([from, to]) => [from, (nodes[to] as ShardNode).addrs])
      }, 300_000)
    }))
    const dialFailures = planned.flatMap(p => p.failures)
    if (edges.length > 0) log(`${edges.length} links dialled, ${dialFailures.length} failed (${Math.round(performance.now() - t)} ms)`)

    // Ready when every follower is reachable from the author over gossipsub mesh links of the
    // author's topic (plus the author's own flood-publish links to subscribers it knows), and, for
    // discovery, when the direct mesh is full, i.e. discovery has stopped adding connections.
    let lastReport = 0
    let lastMessages = 0
    let state: ShardState[] = []
    await until('the gossip mesh of the author topic to reach every follower', async () => {
      state = await all<ShardState>({ type: 'cmd', op: 'state', topic }, 30_000)
      const entries = state.flatMap(s => s.nodes)
      const mesh = undirected(entries.map(e => [e.peerId, e.mesh]))
      const authorState = entries.find(e => e.peerId === author.peerId)
      for (const p of authorState?.subscribers ?? []) mesh.set(author.peerId, (mesh.get(author.peerId) ?? new Set()).add(p))
      const reached = hops(mesh, author.peerId).size - 1
      const minDirect = Math.min(...entries.map(e => e.direct.length))
      const full = topology !== 'discovery' || minDirect === n - 1
      if (performance.now() - lastReport > 5000) {
        const messages = state.reduce((sum, s) => sum + s.discoveryMessages, 0)
        const rate = lastReport === 0 ? 0 : (messages - lastMessages) / ((performance.now() - lastReport) / 1000) / n
        lastReport = performance.now()
        lastMessages = messages
        const isolated = entries.filter(e => e.direct.length === 0).length
        log(`mesh: ${reached}/${n - 1} followers reachable; author has ${authorState?.direct.length ?? 0} direct peers, ${authorState?.mesh.length ?? 0} in its topic mesh, knows ${authorState?.subscribers.length ?? 0} subscribers; ${isolated} nodes without direct peers; ${rate.toFixed(1)} discovery messages/node/s`)
      }
      return reached === n - 1 && full ? true : undefined
    }, 90_000 + n * 1500, 250)
    // Syncs that the new connections started finish before anything is measured.
    await all({ type: 'cmd', op: 'idle' }, 90_000)
    const meshMs = performance.now() - t
    const entries = state.flatMap(s => s.nodes)
    const direct = entries.map(e => e.direct.length)
    const distances = [...hops(undirected(entries.map(e => [e.peerId, e.direct])), author.peerId).values()].filter(d => d > 0)
    log(`mesh ready in ${Math.round(meshMs)} ms`)

    // Post phase.
    const texts = Array.from({ length: posts }, (_, i) => postText(`p${i}`, TEXT_BYTES))
    const counters = texts.map(() => new Countdown(n - 1))
    const received: number[][] = texts.map(() => [])
    const deliveries = { expected: posts * (n - 1), gossip: 0, sync: 0, missing: 0 }
    for (const shard of shards) {
      shard.on('delivery', (msg) => {
        const d = msg as unknown as Delivery
        if (d.source === 'gossip') {
          deliveries.gossip++
          received[d.post]?.push(d.at)
        } else {
          deliveries.sync++
        }
        counters[d.post]?.tick()
      })
    }
    await all({ type: 'cmd', op: 'listen', author: author.author, texts })
    const snapshot = async (): Promise<{ bytesOut: number, discovery: number, fromRelay: Map<string, number>, rss: number }> => {
      const snaps = await all<ShardSnapshot>({ type: 'cmd', op: 'snapshot' })
      return {
        bytesOut: snaps.reduce((sum, s) => sum + s.bytesOut, 0),
        discovery: snaps.reduce((sum, s) => sum + s.discoveryMessages, 0),
        fromRelay: new Map(snaps.flatMap(s => s.fromRelay)),
        rss: snaps.reduce((sum, s) => sum + s.rssMiB, 0)
      }
    }
    const before = await snapshot()
    const relayBefore = await relayMetrics(relay)
    const published: Published[] = []
    const authorShard = shards[0] as WorkerProc
    const phaseStart = performance.now()
    for (let i = 0; i < posts; i++) {
      const p = await request<Published>(authorShard, { type: 'cmd', op: 'publish', post: i, text: texts[i] as string })
      if (p.callMs > 1000) log(`post ${i}: publish() took ${Math.round(p.callMs)} ms`)
      published.push(p)
      const counter = counters[i] as Countdown
      try {
        await withTimeout(counter.done, 15_000, `post ${i} to reach ${n - 1} followers`)
      } catch {
        log(`post ${i}: only ${counter.count}/${n - 1} deliveries within 15 s`)
      }
    }
    const postPhaseMs = performance.now() - phaseStart
    const after = await snapshot()
    const relayAfter = await relayMetrics(relay)
    // The relay carries no post: what it sends is liveness traffic (pings both ways every 10 s), so a
    // post phase of a few seconds may or may not catch a round of it. Its rate is measured over a
    // window of whole ping periods from the first post instead, and the post phase is charged with
    // that rate. Waiting here is the measurement, not a synchronisation.
    const windowLeft = RELAY_EGRESS_WINDOW_MS - (performance.now() - phaseStart)
    if (windowLeft > 0) await new Promise(resolve => setTimeout(resolve, windowLeft))
    const windowEnd = await snapshot()
    const egressWindowMs = performance.now() - phaseStart
    deliveries.missing = counters.reduce((sum, c) => sum + Math.max(0, n - 1 - c.count), 0)
    const stopped = await Promise.all(shards.map(async (shard) => {
      shard.send({ type: 'cmd', op: 'stop' })
      return await withTimeout(shard.result, 90_000, 'shard to stop') as { gatedDials: number }
    }))

    const latencies = received.flatMap((times, i) => times.map(at => at - (published[i] as Published).t0))
    const totalEntryBytes = published.reduce((sum, p) => sum + p.bytes, 0)
    const egress = grownBy(before.fromRelay, windowEnd.fromRelay)
    return {
      n,
      posts,
      topology: topology === 'discovery'
        ? 'discovery: every node holds a WebSocket connection to a relay process and dials the peers it discovers through it over TCP (full mesh)'
        : `random graph: every node holds a WebSocket connection to a relay process and TCP links to ~${DEGREE} random others (connected, seeded); nodes leave the discovery topic and refuse dials outside the graph`,
      shards: shardCount,
      setup: {
        createMs: Math.round(createMs),
        meshMs: Math.round(meshMs),
        directPeersPerNode: { min: Math.min(...direct), mean: round(direct.reduce((a, b) => a + b, 0) / direct.length), max: Math.max(...direct) },
        relayedConnections: state.reduce((sum, s) => sum + s.relayedConnections, 0),
        hopsFromAuthor: { max: Math.max(...distances), mean: round(distances.reduce((a, b) => a + b, 0) / distances.length) },
        gatedDials: stopped.reduce((sum, s) => sum + s.gatedDials, 0),
        dialFailures
      },
      latency: summarize(latencies),
      publishCall: summarize(published.map(p => p.callMs)),
      deliveries,
      entryBytes: { mean: round(totalEntryBytes / published.length), total: totalEntryBytes },
      postPhaseMs: Math.round(postPhaseMs),
      discoveryMessagesPerNodePerS: round((after.discovery - before.discovery) / n / (postPhaseMs / 1000), 1),
      bytesOut: after.bytesOut - before.bytesOut,
      relay: {
        relayedBytes: relayAfter.relayed - relayBefore.relayed,
        sentToNodes: Math.round(egress.bytes / egressWindowMs * postPhaseMs),
        sentInWindow: egress.bytes,
        egressWindowMs: Math.round(egressWindowMs),
        reconnects: egress.reconnects,
        connectionsAfter: relayAfter.connections
      },
      rssMiB: {
        before: round(created.reduce((sum, c) => sum + c.rss.before, 0)),
        afterCreate: round(created.reduce((sum, c) => sum + c.rss.afterCreate, 0)),
        afterMesh: round(before.rss),
        afterPosts: round(after.rss)
      },
      gcBeforeReadings: created.every(c => c.gc)
    }
  } finally {
    await Promise.all(shards.map(async s => { await s.stop() }))
    await relayStarting.then(async relay => { await relay.stop() }, () => {})
  }
}
