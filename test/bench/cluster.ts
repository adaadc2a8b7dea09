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

export interface NetworkOptions {
  /**
   * One more node, in a worker process of its own, that every follower also follows: the flooding
   * author of propagation_n10_flood_p99_ms (propagation.ts). Its links are its own in a random graph
   * of n + 1 nodes (seeded); the N nodes keep the graph they have without it. It follows nobody, so
   * the author's posts never pass through it and travel the same links as without it.
   */
  flooder?: boolean
}

/** One round of posts (postPhase). Post ids run on across rounds, so a late delivery is never miscounted. */
export interface PhaseResult {
  posts: number
  published: Published[]
  /** Publish call to 'entry' event with source 'gossip', every follower, every post (ms). */
  latencies: number[]
  deliveries: { expected: number, gossip: number, sync: number, missing: number }
  /** Deliveries still outstanding per post; read again later to count late ones. */
  counters: Countdown[]
  postPhaseMs: number
  /** Machine clock (performance.timeOrigin + now()) when the round ended: a missing delivery took longer than this minus its post's t0. */
  endedAt: number
}

export interface PhaseOptions {
  /** Publish no further post once the round has run this long (a network that no longer delivers must not hold the run for posts x 15 s). */
  deadlineMs?: number
}

export interface Snapshot { bytesOut: number, discovery: number, fromRelay: Map<string, number>, rss: number, cpuMs: number, loopDelayMs: ShardSnapshot['loopDelayMs'] }

/** A running network (openNetwork), driven by the caller, stopped by closeNetwork. */
export interface Network {
  n: number
  topology: Topology
  relay: RelayProc
  /** The shards of the N nodes; the flooder's shard is apart, so every command to `shards` means the N. */
  shards: WorkerProc[]
  nodes: ShardNode[]
  author: ShardNode
  flooder?: { node: ShardNode, shard: WorkerProc, links: number[] }
  setup: Omit<NetworkResult['setup'], 'gatedDials'>
  /** The N nodes' processes: RSS before and after creating them, and whether readings come after a full GC. */
  created: { before: number, afterCreate: number, gc: boolean }
  log: (line: string) => void
  request: <T>(shard: WorkerProc, cmd: ShardCommand, timeoutMs?: number) => Promise<Reply<T>>
  all: <T>(cmd: ShardCommand, timeoutMs?: number) => Promise<Array<Reply<T>>>
  snapshot: (shards?: WorkerProc[], gc?: boolean) => Promise<Snapshot>
  /** The author publishes `posts` posts, each once every follower got the one before (or 15 s passed). */
  postPhase: (label: string, posts: number, options?: PhaseOptions) => Promise<PhaseResult>
  /** Stop every shard's nodes; resolves with the dials the topology gates refused. */
  stop: () => Promise<{ gatedDials: number }>
  /** Stop the processes (always safe; call in a finally block). */
  close: () => Promise<void>
}

export async function runNetwork (ctx: BenchContext, n: number, posts: number, topology: Topology): Promise<NetworkResult> {
  const net = await openNetwork(ctx, n, topology)
  try {
    const { relay, shards } = net
    const before = await net.snapshot()
    const relayBefore = await relayMetrics(relay)
    const phaseStart = performance.now()
    const phase = await net.postPhase('p', posts)
    const after = await net.snapshot()
    const relayAfter = await relayMetrics(relay)
    // The relay carries no post: what it sends is liveness traffic (pings both ways every 10 s), so a
    // post phase of a few seconds may or may not catch a round of it. Its rate is measured over a
    // window of whole ping periods from the first post instead, and the post phase is charged with
    // that rate. Waiting here is the measurement, not a synchronisation.
    const windowLeft = RELAY_EGRESS_WINDOW_MS - (performance.now() - phaseStart)
    if (windowLeft > 0) await new Promise(resolve => setTimeout(resolve, windowLeft))
    const windowEnd = await net.snapshot()
    const egressWindowMs = performance.now() - phaseStart
    const { deliveries, published, postPhaseMs } = phase
    deliveries.missing = phase.counters.reduce((sum, c) => sum + Math.max(0, n - 1 - c.count), 0)
    const stopped = await net.stop()

    const totalEntryBytes = published.reduce((sum, p) => sum + p.bytes, 0)
    const egress = grownBy(before.fromRelay, windowEnd.fromRelay)
    return {
      n,
      posts,
      topology: topologyText(topology),
      shards: shards.length,
      setup: { ...net.setup, gatedDials: stopped.gatedDials },
      latency: summarize(phase.latencies),
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
        before: round(net.created.before),
        afterCreate: round(net.created.afterCreate),
        afterMesh: round(before.rss),
        afterPosts: round(after.rss)
      },
      gcBeforeReadings: net.created.gc
    }
  } finally {
    await net.close()
  }
}

export function topologyText (topology: Topology): string {
  return topology === 'discovery'
    ? 'discovery: every node holds a WebSocket connection to a relay process and dials the peers it discovers through it over TCP (full mesh)'
    : `random graph: every node holds a WebSocket connection to a relay process and TCP links to ~${DEGREE} random others (connected, seeded); nodes leave the discovery topic and refuse dials outside the graph`
}

/**
 * Start the relay and the shards, create the nodes, link them and wait until the author's topic
 * mesh reaches every follower and their syncs are done. The caller must close() the result.
 */
export async function openNetwork (ctx: BenchContext, n: number, topology: Topology, options: NetworkOptions = {}): Promise<Network> {
  const shardCount = topology === 'discovery' ? 1 : Math.ceil(n / NODES_PER_SHARD)
  const log = (line: string): void => { ctx.log(`  n=${n}: ${line}`) }
  const relayStarting = startRelay({ verbose: ctx.verbose })
  const shards: WorkerProc[] = []
  let flooderShard: WorkerProc | undefined
  const close = async (): Promise<void> => {
    await Promise.all([...shards, ...(flooderShard === undefined ? [] : [flooderShard])].map(async s => { await s.stop() }))
    await relayStarting.then(async relay => { await relay.stop() }, () => {})
  }
  try {
    const per = Math.ceil(n / shardCount)
    const shardParams = (s: number, first: number, count: number): Promise<ShardParams> => relayStarting.then((relay): ShardParams => ({
      shard: s,
      first,
      count,
      planned: topology === 'random',
      relay: { ws: relay.ws, peerId: relay.ready.peerId }
    }))
    for (let s = 0; s < shardCount; s++) {
      const first = s * per
      shards.push(startWorker('shard', shardParams(s, first, Math.min(per, n - first)), { verbose: ctx.verbose, timeoutMs: 180_000 + n * 3000, log: ctx.log }))
    }
    if (options.flooder === true) {
      if (topology !== 'random') throw new Error('a flooder needs the random topology')
      flooderShard = startWorker('shard', shardParams(shardCount, n, 1), { verbose: ctx.verbose, timeoutMs: 600_000, log: ctx.log })
    }
    const relay = await relayStarting
    const request = async <T>(shard: WorkerProc, cmd: ShardCommand, timeoutMs = 120_000): Promise<Reply<T>> =>
      await shard.request<Reply<T>>(cmd, `reply:${cmd.op}`, timeoutMs)
    const all = async <T>(cmd: ShardCommand, timeoutMs?: number): Promise<Array<Reply<T>>> =>
      await Promise.all(shards.map(async s => await request<T>(s, cmd, timeoutMs)))
    type Created = { nodes: ShardNode[], rss: { before: number, afterCreate: number }, gc: boolean }

    let t = performance.now()
    const created = await Promise.all(shards.map(async s => await s.next<Created>('nodes', 120_000 + n * 2000)))
    const flooderNode = flooderShard === undefined ? undefined : (await flooderShard.next<Created>('nodes', 120_000)).nodes[0] as ShardNode
    const createMs = performance.now() - t
    const nodes = created.flatMap(c => c.nodes).sort((a, b) => a.index - b.index)
    const author = nodes[0] as ShardNode
    const topic = authorTopic(author.author)
    log(`${n} nodes${flooderNode === undefined ? '' : ' and a flooder'} created in ${shards.length + (flooderShard === undefined ? 0 : 1)} process(es) in ${Math.round(createMs)} ms`)

    // Topology plan: who dials whom, and (random) whom each node may dial at all.
    t = performance.now()
    const edges = topology === 'random' ? randomGraph(n, DEGREE) : []
    const allowed = nodes.map(() => new Set<string>())
    for (const [i, j] of edges) {
      allowed[i]?.add(nodes[j]?.peerId as string)
      allowed[j]?.add(nodes[i]?.peerId as string)
    }
    // The flooder's links are those node n has in a seeded random graph of n + 1 nodes: a node like
    // any other, where the N keep their own graph.
    const flooderLinks = flooderNode === undefined ? [] : randomGraph(n + 1, DEGREE).filter(([, j]) => j === n).map(([i]) => i)
    for (const i of flooderLinks) allowed[i]?.add(flooderNode?.peerId as string)
    // Alternate which end dials, so every shard does its share of the handshakes.
    const dialPlan = edges.map(([i, j]): [number, number] => (i + j) % 2 === 0 ? [i, j] : [j, i])
    const byAddr: Array<[string, string]> = [...nodes, ...(flooderNode === undefined ? [] : [flooderNode])]
      .flatMap(node => node.addrs.map((a): [string, string] => [a.replace(/\/p2p\/[^/]+$/, ''), node.peerId]))
    const follows = (index: number): string[] =>
      index === author.index ? [] : [author.author, ...(flooderNode === undefined ? [] : [flooderNode.author])]
    const planned = await Promise.all(shards.map(async (shard, s) => {
      const mine = (i: number): boolean => i >= s * per && i < (s + 1) * per
      return await request<{ failures: string[] }>(shard, {
        type: 'cmd',
        op: 'plan',
        follow: nodes.filter(node => mine(node.index)).map(node => [node.index, follows(node.index)]),
        ...(topology === 'random'
          ? { allowed: nodes.filter(node => mine(node.index)).map(node => [node.index, [...allowed[node.index] as Set<string>]]), byAddr }
          : {}),
        dials: dialPlan.filter(([from]) => mine(from)).map(([from, to]) => [from, (nodes[to] as ShardNode).addrs])
      }, 300_000)
    }))
    // The flooder dials its links itself, once the followers follow it: they then tell it of their
    // subscription as the connection opens, rather than racing it. It follows nobody. Dialling is
    // also how a link that dropped during setup is restored (below).
    const dialFlooder = async (links: number[]): Promise<string[]> => flooderShard === undefined
      ? []
      : (await request<{ failures: string[] }>(flooderShard, {
          type: 'cmd',
          op: 'plan',
          follow: [],
          allowed: [[n, flooderLinks.map(i => (nodes[i] as ShardNode).peerId)]],
          byAddr,
          dials: links.map(i => [n, (nodes[i] as ShardNode).addrs])
        }, 300_000)).failures
    const dialFailures = [...planned.flatMap(p => p.failures), ...await dialFlooder(flooderLinks)]
    if (edges.length > 0) log(`${edges.length + flooderLinks.length} links dialled, ${dialFailures.length} failed (${Math.round(performance.now() - t)} ms)`)

    // Ready when every follower is reachable from the author over gossipsub mesh links of the
    // author's topic (plus the author's own flood-publish links to subscribers it knows), and, for
    // discovery, when the direct mesh is full, i.e. discovery has stopped adding connections. A
    // flooder must also know its linked followers on its topic: it publishes to every subscriber
    // it knows, so those are who its flood reaches first.
    let lastReport = 0
    let lastMessages = 0
    let state: ShardState[] = []
    const flooderTopic = flooderNode === undefined ? undefined : authorTopic(flooderNode.author)
    const linkedPeers = flooderLinks.filter(i => i !== author.index).map(i => (nodes[i] as ShardNode).peerId)
    let seen = 0
    let lastRedial = performance.now()
    await until('the gossip mesh of the author topic to reach every follower', async () => {
      state = await all<ShardState>({ type: 'cmd', op: 'state', topic }, 30_000)
      const entries = state.flatMap(s => s.nodes)
      const mesh = undirected(entries.map(e => [e.peerId, e.mesh]))
      const authorState = entries.find(e => e.peerId === author.peerId)
      for (const p of authorState?.subscribers ?? []) mesh.set(author.peerId, (mesh.get(author.peerId) ?? new Set()).add(p))
      const reached = hops(mesh, author.peerId).size - 1
      const minDirect = Math.min(...entries.map(e => e.direct.length))
      const full = topology !== 'discovery' || minDirect === n - 1
      let flooderReady = true
      if (flooderShard !== undefined && flooderTopic !== undefined) {
        const [f] = (await request<ShardState>(flooderShard, { type: 'cmd', op: 'state', topic: flooderTopic }, 30_000)).nodes
        seen = linkedPeers.filter(p => f?.subscribers.includes(p) === true).length
        flooderReady = seen === linkedPeers.length
        // A loaded machine sometimes drops a fresh link during setup; nothing else would restore it.
        const down = flooderLinks.filter(i => f?.direct.includes((nodes[i] as ShardNode).peerId) !== true)
        if (down.length > 0 && performance.now() - lastRedial > 5000) {
          lastRedial = performance.now()
          log(`the flooder redials ${down.length} dropped link(s)`)
          dialFailures.push(...await dialFlooder(down))
        }
      }
      if (performance.now() - lastReport > 5000) {
        const messages = state.reduce((sum, s) => sum + s.discoveryMessages, 0)
        const rate = lastReport === 0 ? 0 : (messages - lastMessages) / ((performance.now() - lastReport) / 1000) / n
        lastReport = performance.now()
        lastMessages = messages
        const isolated = entries.filter(e => e.direct.length === 0).length
        log(`mesh: ${reached}/${n - 1} followers reachable; author has ${authorState?.direct.length ?? 0} direct peers, ${authorState?.mesh.length ?? 0} in its topic mesh, knows ${authorState?.subscribers.length ?? 0} subscribers; ${isolated} nodes without direct peers; ${rate.toFixed(1)} discovery messages/node/s${flooderReady ? '' : `; the flooder sees ${seen}/${linkedPeers.length} linked followers on its topic`}`)
      }
      return reached === n - 1 && full && flooderReady ? true : undefined
    }, 90_000 + n * 1500, 250)
    // Syncs that the new connections started finish before anything is measured.
    await Promise.all([
      all({ type: 'cmd', op: 'idle' }, 90_000),
      ...(flooderShard === undefined ? [] : [request(flooderShard, { type: 'cmd', op: 'idle' }, 90_000)])
    ])
    const meshMs = performance.now() - t
    // The N nodes' own graph: a flooder's links are left out, so the figures compare with a run without it.
    const honest = new Set(nodes.map(node => node.peerId))
    const entries = state.flatMap(s => s.nodes).map(e => ({ ...e, direct: e.direct.filter(p => honest.has(p)) }))
    const direct = entries.map(e => e.direct.length)
    const distances = [...hops(undirected(entries.map(e => [e.peerId, e.direct])), author.peerId).values()].filter(d => d > 0)
    log(`mesh ready in ${Math.round(meshMs)} ms`)

    // Deliveries of every post round, by post id.
    const phases: Array<{ first: number, phase: PhaseResult, received: number[][] }> = []
    for (const shard of shards) {
      shard.on('delivery', (msg) => {
        const d = msg as unknown as Delivery
        const owner = phases.find(p => d.post >= p.first && d.post < p.first + p.phase.posts)
        if (owner === undefined) return
        const k = d.post - owner.first
        if (d.source === 'gossip') {
          owner.phase.deliveries.gossip++
          owner.received[k]?.push(d.at)
        } else {
          owner.phase.deliveries.sync++
        }
        owner.phase.counters[k]?.tick()
      })
    }
    let nextPost = 0
    const authorShard = shards[0] as WorkerProc

    const postPhase = async (label: string, posts: number, options: PhaseOptions = {}): Promise<PhaseResult> => {
      const texts = Array.from({ length: posts }, (_, i) => postText(`${label}${i}`, TEXT_BYTES))
      const first = nextPost
      nextPost += posts
      const phase: PhaseResult = {
        posts,
        published: [],
        latencies: [],
        deliveries: { expected: posts * (n - 1), gossip: 0, sync: 0, missing: 0 },
        counters: texts.map(() => new Countdown(n - 1)),
        postPhaseMs: 0,
        endedAt: 0
      }
      const received: number[][] = texts.map(() => [])
      phases.push({ first, phase, received })
      await all({ type: 'cmd', op: 'listen', author: author.author, texts, first, ...(flooderNode === undefined ? {} : { flooder: { author: flooderNode.author, peer: flooderNode.peerId } }) })
      const phaseStart = performance.now()
      for (let i = 0; i < posts; i++) {
        if (options.deadlineMs !== undefined && performance.now() - phaseStart > options.deadlineMs) {
          log(`round ${label}: ${i} of ${posts} posts published when its ${options.deadlineMs} ms ran out`)
          break
        }
        const p = await request<Published>(authorShard, { type: 'cmd', op: 'publish', post: first + i, text: texts[i] as string })
        if (p.callMs > 1000) log(`post ${label}${i}: publish() took ${Math.round(p.callMs)} ms`)
        phase.published.push(p)
        const counter = phase.counters[i] as Countdown
        try {
          await withTimeout(counter.done, 15_000, `post ${label}${i} to reach ${n - 1} followers`)
        } catch {
          log(`post ${label}${i}: only ${counter.count}/${n - 1} deliveries within 15 s`)
        }
      }
      phase.postPhaseMs = performance.now() - phaseStart
      phase.endedAt = performance.timeOrigin + performance.now()
      phase.deliveries.expected = phase.published.length * (n - 1)
      phase.deliveries.missing = phase.counters.slice(0, phase.published.length).reduce((sum, c) => sum + Math.max(0, n - 1 - c.count), 0)
      phase.latencies = received.flatMap((times, i) => times.map(at => at - (phase.published[i] as Published).t0))
      return phase
    }

    const snapshot = async (of: WorkerProc[] = shards, gc = true): Promise<Snapshot> => {
      const snaps = await Promise.all(of.map(async s => await request<ShardSnapshot>(s, { type: 'cmd', op: 'snapshot', ...(gc ? {} : { gc }) })))
      return {
        bytesOut: snaps.reduce((sum, s) => sum + s.bytesOut, 0),
        discovery: snaps.reduce((sum, s) => sum + s.discoveryMessages, 0),
        fromRelay: new Map(snaps.flatMap(s => s.fromRelay)),
        rss: snaps.reduce((sum, s) => sum + s.rssMiB, 0),
        cpuMs: snaps.reduce((sum, s) => sum + s.cpuMs, 0),
        loopDelayMs: {
          p50: Math.max(...snaps.map(s => s.loopDelayMs.p50)),
          p99: Math.max(...snaps.map(s => s.loopDelayMs.p99)),
          max: Math.max(...snaps.map(s => s.loopDelayMs.max))
        }
      }
    }

    const stop = async (): Promise<{ gatedDials: number }> => {
      const stopped = await Promise.all([...shards, ...(flooderShard === undefined ? [] : [flooderShard])].map(async (shard) => {
        shard.send({ type: 'cmd', op: 'stop' })
        return await withTimeout(shard.result, 90_000, 'shard to stop') as { gatedDials: number }
      }))
      return { gatedDials: stopped.reduce((sum, s) => sum + s.gatedDials, 0) }
    }

    return {
      n,
      topology,
      relay,
      shards,
      nodes,
      author,
      ...(flooderNode === undefined || flooderShard === undefined ? {} : { flooder: { node: flooderNode, shard: flooderShard, links: flooderLinks } }),
      setup: {
        createMs: Math.round(createMs),
        meshMs: Math.round(meshMs),
        directPeersPerNode: { min: Math.min(...direct), mean: round(direct.reduce((a, b) => a + b, 0) / direct.length), max: Math.max(...direct) },
        relayedConnections: state.reduce((sum, s) => sum + s.relayedConnections, 0),
        hopsFromAuthor: { max: Math.max(...distances), mean: round(distances.reduce((a, b) => a + b, 0) / distances.length) },
        dialFailures
      },
      created: {
        before: created.reduce((sum, c) => sum + c.rss.before, 0),
        afterCreate: created.reduce((sum, c) => sum + c.rss.afterCreate, 0),
        gc: created.every(c => c.gc)
      },
      log,
      request,
      all,
      snapshot,
      postPhase,
      stop,
      close
    }
  } catch (err) {
    await close()
    throw err
  }
}
