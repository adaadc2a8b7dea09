/**
 * One shard of a benchmark network, run in a bench worker (worker.ts): a share of the N real
 * headless Flock nodes (createNodeFlockNode: TCP + WebSockets, noise, yamux, gossipsub, Helia
 * bitswap, LevelDB stores), each keeping a WebSocket connection to the relay process. The parent
 * (cluster.ts) plans the topology and drives the shard with commands over IPC; the shard reports
 * every delivery of a benchmark post as it happens, stamped with the machine's clock
 * (performance.timeOrigin + performance.now(), comparable across processes on one machine).
 *
 * Optionally (random topology) each node gets a dial gate: libp2p.dial — what node.ts dials with,
 * discovery included — is wrapped to refuse peers outside the planned graph. Inbound connections
 * are not gated; the dialling end's gate decides.
 *
 * A shard of one node may be the flooding author of propagation_n10_flood_p99_ms (flooder.ts:
 * commands arm, flood, halt); the followers' shards then tally its entries (listen's `flooder`,
 * flood-stats).
 */
import { isPeerId, type Libp2p, type PeerId } from '@libp2p/interface'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { DISCOVERY_TOPIC, generateAuthor } from '../../src/lib/core/index.js'
import type { FlockNode } from '../../src/lib/p2p/node.js'
import { createNodeFlockNode } from '../../src/lib/p2p/runtime-node.js'
import { Flooder, watchFlood, type FloodReport, type FloodTally, type FloodTarget } from './flooder.js'
import { hasGc, round, rssMiB, withTimeout } from './util.js'
import type { WorkerIO } from './worker-io.js'

export interface ShardParams {
  shard: number
  /** Global index of this shard's first node, and how many it runs. */
  first: number
  count: number
  /** The relay every node keeps a connection to. */
  relay: { ws: string, peerId: string }
  /**
   * The parent plans the direct links (random topology): from creation on, each node leaves the
   * discovery topic and may dial only the relay and, once the plan arrives, its planned neighbours.
   */
  planned: boolean
}

export interface ShardNode { index: number, peerId: string, author: string, addrs: string[] }

export type ShardCommand =
  /** `follow`: the authors each of this shard's nodes follows, by node index. */
  | { type: 'cmd', op: 'plan', follow: Array<[index: number, authors: string[]]>, allowed?: Array<[index: number, peers: string[]]>, byAddr?: Array<[addr: string, peer: string]>, dials: Array<[from: number, addrs: string[]]> }
  | { type: 'cmd', op: 'state', topic: string }
  | { type: 'cmd', op: 'idle' }
  /**
   * Report deliveries of `author`'s posts with these texts, as posts first, first + 1, …; a later
   * listen replaces the texts. `flooder`: also tally that author's entries (flood-stats).
   */
  | { type: 'cmd', op: 'listen', author: string, texts: string[], first?: number, flooder?: { author: string, peer: string } }
  /** `gc: false`: read RSS without the full GC, whose pause would show in the next event-loop delay reading. */
  | { type: 'cmd', op: 'snapshot', gc?: boolean }
  | { type: 'cmd', op: 'publish', post: number, text: string }
  | { type: 'cmd', op: 'arm', count: number, textBytes: number }
  | { type: 'cmd', op: 'flood', target: FloodTarget, perSecond: number, warm: number }
  | { type: 'cmd', op: 'halt' }
  | { type: 'cmd', op: 'flood-stats', peer: string }
  | { type: 'cmd', op: 'stop' }

export interface ShardState {
  /** Per node: its gossipsub mesh peers on the topic, its direct peers (relay excluded), and subscribers it knows on the topic. */
  nodes: Array<{ peerId: string, mesh: string[], direct: string[], subscribers: string[] }>
  relayedConnections: number
  /** Discovery-topic messages the shard's nodes accepted since they started (a storm detector). */
  discoveryMessages: number
}

export interface ShardSnapshot {
  bytesOut: number
  discoveryMessages: number
  /** Bytes received from the relay so far, per open connection to it ("index remoteAddr"). */
  fromRelay: Array<[string, number]>
  rssMiB: number
  /** CPU time of the shard process so far (user + system). */
  cpuMs: number
  /** Event-loop delay since the previous snapshot: how long ready work waited for the shard's one thread. */
  loopDelayMs: { p50: number, p99: number, max: number }
}

export interface Delivery { type: 'delivery', post: number, at: number, source: 'gossip' | 'sync' }
export interface Published { type: 'reply:publish', post: number, t0: number, callMs: number, bytes: number }
export interface Flooding { type: 'flooding', published: number }
export interface Halted extends FloodReport { type: 'reply:halt' }
export interface FloodStats { type: 'reply:flood-stats', nodes: FloodTally[] }

/** Machine clock in ms, comparable between processes (timeOrigin is wall time at process start). */
export function now (): number {
  return performance.timeOrigin + performance.now()
}

/** The gossipsub class has getMeshPeers; its public interface does not declare it. */
interface MeshView { getMeshPeers: (topic: string) => string[] }

/** The peer a dial target names: a PeerId, the last /p2p/ of an address, or a known listen address. */
function targetPeer (target: PeerId | Multiaddr | Multiaddr[], byAddr: ReadonlyMap<string, string>): string | undefined {
  if (isPeerId(target)) return target.toString()
  for (const ma of Array.isArray(target) ? target : [target]) {
    const id = ma.getComponents().findLast(c => c.name === 'p2p')?.value ?? byAddr.get(ma.toString())
    if (id !== undefined) return id
  }
  return undefined
}

function gateDials (node: FlockNode, allowed: ReadonlySet<string>, byAddr: ReadonlyMap<string, string>, refused: { count: number }): void {
  const libp2p = node.libp2p as Libp2p
  const dial = libp2p.dial.bind(libp2p)
  libp2p.dial = async (target, options) => {
    const id = targetPeer(target, byAddr)
    if (id === undefined || !allowed.has(id)) {
      refused.count++
      throw new Error('bench topology: this dial is outside the planned graph')
    }
    return await dial(target, options)
  }
}

/** Run `tasks` with at most `limit` in flight. */
export async function pool<T> (tasks: Array<() => Promise<T>>, limit: number): Promise<T[]> {
  const out: T[] = []
  let next = 0
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, async () => {
    while (next < tasks.length) {
      const i = next++
      out[i] = await (tasks[i] as () => Promise<T>)()
    }
  }))
  return out
}

export async function stopAll (nodes: FlockNode[]): Promise<void> {
  await withTimeout(Promise.allSettled(nodes.map(async n => { await n.stop() })), 60_000, 'nodes to stop').catch(() => {})
}

function directPeers (node: FlockNode, relayPeerId: string): string[] {
  const peers = new Set<string>()
  for (const c of node.connections()) if (c.direct && c.peerId !== relayPeerId) peers.add(c.peerId)
  return [...peers]
}

export async function shardJob (params: ShardParams, io: WorkerIO): Promise<{ gatedDials: number }> {
  const rssBefore = rssMiB()
  const nodes: FlockNode[] = []
  const refused = { count: 0 }
  const loopDelay = monitorEventLoopDelay({ resolution: 10 })
  loopDelay.enable()
  try {
    // A few at a time: all at once would stampede the relay's per-IP connection limits.
    for (let i = 0; i < params.count; i += 5) {
      nodes.push(...await Promise.all(Array.from({ length: Math.min(5, params.count - i) }, async (_, j) => await createNodeFlockNode({
        author: await generateAuthor(),
        dataDir: join(io.dir, `node-${params.first + i + j}`),
        relays: [params.relay.ws],
        webrtc: false,
        ipColocationFactorWeight: 0,
        tcpPort: 0
      }))))
    }
    const relayPeer = params.relay.peerId
    const allowed = nodes.map(() => new Set([relayPeer]))
    const byAddr = new Map<string, string>()
    if (params.planned) {
      nodes.forEach((node, k) => {
        // Leaving the discovery topic: a node still announces itself to the relay, but no longer
        // receives or forwards everyone else's announcements (see cluster.ts for why).
        node.libp2p.services.pubsub.unsubscribe(DISCOVERY_TOPIC)
        gateDials(node, allowed[k] as Set<string>, byAddr, refused)
      })
    }
    const rssAfterCreate = rssMiB()
    let discoveryMessages = 0
    for (const node of nodes) {
      node.libp2p.services.pubsub.addEventListener('message', (evt) => { if (evt.detail.topic === DISCOVERY_TOPIC) discoveryMessages++ })
    }
    const at = (index: number): FlockNode => {
      const node = nodes[index - params.first]
      if (node === undefined) throw new Error(`node ${index} is not in shard ${params.shard}`)
      return node
    }
    await io.send({
      type: 'nodes',
      nodes: nodes.map((node, k): ShardNode => ({
        index: params.first + k,
        peerId: node.peerId.toString(),
        author: node.author.id,
        addrs: node.libp2p.getMultiaddrs().map(ma => ma.toString()).filter(a => a.includes('/tcp/') && !a.includes('/p2p-circuit'))
      })),
      rss: { before: rssBefore, afterCreate: rssAfterCreate },
      gc: hasGc()
    })

    let listening: Map<string, number> | undefined
    const floodCounts = new Map<number, () => Omit<FloodTally, 'index' | 'linked' | 'score' | 'minHonestScore'>>()
    let flooder: Flooder | undefined
    while (true) {
      const cmd = await io.next<ShardCommand>('cmd')
      switch (cmd.op) {
        case 'plan': {
          for (const [addr, peer] of cmd.byAddr ?? []) byAddr.set(addr, peer)
          for (const [index, peers] of cmd.allowed ?? []) for (const p of peers) allowed[index - params.first]?.add(p)
          let t = performance.now()
          await Promise.all(cmd.follow.map(async ([index, authors]) => {
            for (const a of authors) await at(index).follow(a)
          }))
          io.progress(`shard ${params.shard}: followed in ${Math.round(performance.now() - t)} ms; dialling ${cmd.dials.length} links`)
          t = performance.now()
          let done = 0
          const failures: string[] = []
          // A handful at a time: hundreds of simultaneous handshakes stall the event loop for longer
          // than libp2p's ping timeout, and the connection monitor then drops connections.
          await pool(cmd.dials.map(([from, addrs]) => async () => {
            for (let attempt = 1; attempt <= 3; attempt++) {
              try {
                const start = performance.now()
                await at(from).libp2p.dial(addrs.map(a => multiaddr(a)), { signal: AbortSignal.timeout(20_000) })
                if (++done % 20 === 0) io.progress(`shard ${params.shard}: ${done}/${cmd.dials.length} links up, last took ${Math.round(performance.now() - start)} ms`)
                return
              } catch (err) {
                io.progress(`shard ${params.shard}: dial ${from} -> ${addrs.join(',')} attempt ${attempt} failed: ${(err as Error).message}`)
                if (attempt === 3) failures.push(`${from} -> ${addrs.join(',')}: ${(err as Error).message}`)
              }
            }
          }), 4)
          await io.send({ type: 'reply:plan', failures })
          break
        }
        case 'state': {
          const state: ShardState = {
            nodes: nodes.map(node => ({
              peerId: node.peerId.toString(),
              mesh: (node.libp2p.services.pubsub as unknown as MeshView).getMeshPeers(cmd.topic),
              direct: directPeers(node, relayPeer),
              subscribers: node.libp2p.services.pubsub.getSubscribers(cmd.topic).map(p => p.toString())
            })),
            relayedConnections: nodes.reduce((sum, node) => sum + node.connections().filter(c => !c.direct).length, 0),
            discoveryMessages
          }
          await io.send({ type: 'reply:state', ...state })
          break
        }
        case 'idle':
          await withTimeout(Promise.all(nodes.map(async node => { await node.idle() })), 60_000, 'syncs to finish')
          await io.send({ type: 'reply:idle' })
          break
        case 'listen': {
          const first = listening === undefined
          listening = new Map(cmd.texts.map((text, i) => [text, (cmd.first ?? 0) + i]))
          for (const [k, node] of nodes.entries()) {
            if (node.author.id === cmd.author) continue
            if (first) {
              node.addEventListener('entry', (evt) => {
                const t = now()
                const { entry, source } = evt.detail
                if (entry.entry.author !== cmd.author || entry.entry.kind !== 'post' || (source !== 'gossip' && source !== 'sync')) return
                const post = listening?.get(entry.entry.body.text)
                if (post !== undefined) void io.send({ type: 'delivery', post, at: t, source } satisfies Delivery)
              })
            }
            if (cmd.flooder !== undefined && !floodCounts.has(k)) {
              const read = watchFlood(node, cmd.flooder)
              if (read !== undefined) floodCounts.set(k, read)
            }
          }
          await io.send({ type: 'reply:listen' })
          break
        }
        case 'snapshot': {
          const fromRelay: Array<[string, number]> = []
          nodes.forEach((node, k) => {
            for (const c of node.connections()) if (c.peerId === relayPeer) fromRelay.push([`${params.first + k} ${c.remoteAddr}`, c.bytesIn])
          })
          const snapshot: ShardSnapshot = {
            bytesOut: nodes.reduce((sum, node) => sum + node.totals().bytesOut, 0),
            discoveryMessages,
            fromRelay,
            rssMiB: cmd.gc === false ? process.memoryUsage.rss() / (1024 * 1024) : rssMiB(),
            cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
            loopDelayMs: { p50: round(loopDelay.percentile(50) / 1e6), p99: round(loopDelay.percentile(99) / 1e6), max: round(loopDelay.max / 1e6) }
          }
          loopDelay.reset()
          await io.send({ type: 'reply:snapshot', ...snapshot })
          break
        }
        case 'publish': {
          // The author is node 0, the first node of shard 0.
          const author = at(0)
          const t0 = now()
          const v = await author.publish('post', { text: cmd.text })
          await io.send({ type: 'reply:publish', post: cmd.post, t0, callMs: now() - t0, bytes: v.bytes.length } satisfies Published)
          break
        }
        case 'arm': {
          if (nodes.length !== 1) throw new Error('a flooder shard runs exactly one node')
          flooder = await Flooder.create(at(params.first), cmd.textBytes)
          const ms = await flooder.arm(cmd.count)
          await io.send({ type: 'reply:arm', signMs: Math.round(ms) })
          break
        }
        case 'flood':
          if (flooder === undefined) throw new Error('flood before arm')
          flooder.start(cmd.target, cmd.perSecond, cmd.warm, () => { void io.send({ type: 'flooding', published: cmd.warm } satisfies Flooding) })
          await io.send({ type: 'reply:flood' })
          break
        case 'halt': {
          if (flooder === undefined) throw new Error('halt before arm')
          await io.send({ type: 'reply:halt', ...await flooder.halt() } satisfies Halted)
          break
        }
        case 'flood-stats': {
          const tallies: FloodTally[] = []
          for (const [k, read] of floodCounts) {
            const node = nodes[k] as FlockNode
            tallies.push({
              index: params.first + k,
              linked: node.connections().some(c => c.peerId === cmd.peer),
              ...read(),
              score: round(node.gossipScore(cmd.peer), 1),
              minHonestScore: round(Math.min(...directPeers(node, relayPeer).filter(p => p !== cmd.peer).map(p => node.gossipScore(p))), 1)
            })
          }
          await io.send({ type: 'reply:flood-stats', nodes: tallies } satisfies FloodStats)
          break
        }
        case 'stop':
          return { gatedDials: refused.count }
      }
    }
  } finally {
    await stopAll(nodes)
  }
}
