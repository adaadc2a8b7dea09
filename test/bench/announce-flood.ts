/**
 * announce_flood_rss_growth_mb: what a flood of valid discovery announcements from fresh keys costs
 * a real node in memory. The victim (createNodeFlockNode, defaults: no relays on a loopback host, so
 * it is configured for a local network and dials the loopback addresses it hears of) runs alone in
 * one worker process; the flooder, a bare gossipsub peer with Flock's gossip rules (flockGossip), in
 * another. The flooder first signs FLOOD announcements, each from a fresh Ed25519 key and naming
 * /ip4/127.0.0.1/tcp/<port> of a listener in the victim's process that counts the connections made to
 * it and closes them; then connects, and once it sees the victim on DISCOVERY_TOPIC publishes them
 * all as fast as gossipsub takes them.
 *
 * The row is the victim's RSS after the flood (once it received less than QUIET_BYTES in QUIET_MS)
 * minus its RSS with the flooder connected just before, both after a full GC. The detail adds the
 * peak RSS sampled during the flood (no GC), the gate's verdicts (accepted = handed to discovery and
 * forwarded; ignored = over budget or a replay; the rest never reached the gate: gossipsub drops a
 * graylisted peer's messages unread), the peer store's size and the dials made to the named address.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { GossipSub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { noise } from '@libp2p/noise'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p, type Libp2p } from 'libp2p'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { DISCOVERY_TOPIC, createAnnouncement, generateAuthor } from '../../src/lib/core/index.js'
import { flockGossip } from '../../src/lib/p2p/gossip.js'
import type { FlockNode } from '../../src/lib/p2p/node.js'
import { createNodeFlockNode } from '../../src/lib/p2p/runtime-node.js'
import { until } from '../server/harness.js'
import { stopAll } from './network.js'
import { startWorker, type WorkerProc } from './procs.js'
import { round, rssMiB } from './util.js'
import { outcome, type BenchContext, type Outcome } from './types.js'
import type { WorkerIO } from './worker-io.js'

const FLOOD = 20_000
/** The flood is over at the victim once it receives less than QUIET_BYTES in QUIET_MS (gossip heartbeats go on). */
const QUIET_MS = 2_000
const QUIET_BYTES = 4096
/** Longest wait for that quiet after the flooder has published everything. */
const SETTLE_MS = 60_000
const PEAK_SAMPLE_MS = 100

export interface FloodVictimReady { type: 'ready', peerId: string, addrs: string[], port: number }
export interface FloodVictimResult {
  rssMiB: { before: number, after: number, peak: number }
  /** V8 heap in use at the same two readings: what of the growth is live JavaScript objects. */
  heapUsedMiB: { before: number, after: number }
  verdicts: { accept: number, ignore: number, reject: number }
  bytesIn: number
  settleSeconds: number
  peerStorePeers: number
  dialsToNamedAddress: number
  flooderScore: number
}
export interface FlooderParams { victim: { peerId: string, addrs: string[] }, port: number, count: number }
export interface FlooderArmed { type: 'armed', peerId: string, signSeconds: number }
export interface Flooded { type: 'flooded', published: number, reachedVictim: number, seconds: number }

/** Read right after rssMiB(), whose full GC leaves only live objects. */
function heapUsedMiB (): number {
  return process.memoryUsage().heapUsed / (1024 * 1024)
}

export async function announceVictimJob (_params: unknown, io: WorkerIO): Promise<FloodVictimResult> {
  let dials = 0
  const named = createServer((socket) => {
    dials++
    socket.destroy()
  })
  const nodes: FlockNode[] = []
  let peakSampler: ReturnType<typeof setInterval> | undefined
  try {
    await new Promise<void>(resolve => named.listen(0, '127.0.0.1', resolve))
    const victim = await createNodeFlockNode({ author: await generateAuthor(), dataDir: join(io.dir, 'victim'), webrtc: false, tcpPort: 0 })
    nodes.push(victim)
    // Counting wrapper around discovery's gate (set when the node started), so every verdict is seen.
    const pubsub = victim.libp2p.services.pubsub
    const gate = pubsub.topicValidators.get(DISCOVERY_TOPIC)
    if (gate === undefined) throw new Error('the victim has no validator on the discovery topic')
    const verdicts = { accept: 0, ignore: 0, reject: 0 }
    pubsub.topicValidators.set(DISCOVERY_TOPIC, async (from, msg) => {
      const verdict = await gate(from, msg)
      verdicts[verdict]++
      return verdict
    })
    await io.send({ type: 'ready', peerId: victim.peerId.toString(), addrs: victim.multiaddrs(), port: (named.address() as { port: number }).port } satisfies FloodVictimReady)

    const { flooder } = await io.next<{ flooder: string }>('baseline')
    const before = rssMiB()
    const heapBefore = heapUsedMiB()
    const bytesBefore = victim.totals().bytesIn
    let peak = before
    peakSampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss() / (1024 * 1024)) }, PEAK_SAMPLE_MS)
    await io.send({ type: 'reply:baseline' })

    await io.next('settle')
    const settleStart = performance.now()
    for (let last = victim.totals().bytesIn; ;) {
      await sleep(QUIET_MS)
      const now = victim.totals().bytesIn
      if (now - last < QUIET_BYTES) break
      if (performance.now() - settleStart > SETTLE_MS) throw new Error(`the victim still received ${now - last} bytes in ${QUIET_MS} ms after ${SETTLE_MS} ms`)
      last = now
    }
    clearInterval(peakSampler)
    const after = rssMiB()
    const heapAfter = heapUsedMiB()
    return {
      rssMiB: { before: round(before, 1), after: round(after, 1), peak: round(peak, 1) },
      heapUsedMiB: { before: round(heapBefore, 1), after: round(heapAfter, 1) },
      verdicts,
      bytesIn: victim.totals().bytesIn - bytesBefore,
      settleSeconds: round((performance.now() - settleStart) / 1000, 1),
      peerStorePeers: (await victim.libp2p.peerStore.all()).length,
      dialsToNamedAddress: dials,
      flooderScore: round(victim.gossipScore(flooder), 1)
    }
  } finally {
    clearInterval(peakSampler)
    await stopAll(nodes)
    await new Promise(resolve => named.close(resolve))
  }
}

export async function announceFlooderJob (params: FlooderParams, io: WorkerIO): Promise<void> {
  let node: Libp2p<{ pubsub: GossipSub, identify: unknown }> | undefined
  try {
    const signStart = performance.now()
    const addr = multiaddr(`/ip4/127.0.0.1/tcp/${params.port}`)
    const flood: Uint8Array[] = []
    for (let i = 0; i < params.count; i++) flood.push(await createAnnouncement(await generateKeyPair('Ed25519'), [addr]))
    const signSeconds = (performance.now() - signStart) / 1000
    io.progress(`${params.count} announcements signed in ${signSeconds.toFixed(1)} s`)

    node = await createLibp2p({
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: { pubsub: flockGossip({ ipColocationFactorWeight: 0 }), identify: identify() }
    })
    const pubsub = node.services.pubsub
    await node.dial(params.victim.addrs.map(a => multiaddr(a)), { signal: AbortSignal.timeout(10_000) })
    const victimId = params.victim.peerId
    await until('the victim to be seen on the discovery topic', () =>
      pubsub.getSubscribers(DISCOVERY_TOPIC).some(p => p.toString() === victimId) ? true : undefined, 10_000)
    await io.send({ type: 'armed', peerId: node.peerId.toString(), signSeconds: round(signSeconds, 1) } satisfies FlooderArmed)

    await io.next('flood')
    const start = performance.now()
    let reachedVictim = 0
    for (const bytes of flood) {
      const { recipients } = await pubsub.publish(DISCOVERY_TOPIC, bytes)
      if (recipients.some(p => p.toString() === victimId)) reachedVictim++
    }
    await io.send({ type: 'flooded', published: flood.length, reachedVictim, seconds: round((performance.now() - start) / 1000) } satisfies Flooded)
    // Connected until the victim has measured, so nothing in flight is cut off.
    await io.next('stop')
  } finally {
    await node?.stop()
  }
}

export async function announceFlood (ctx: BenchContext): Promise<Outcome> {
  const options = { verbose: ctx.verbose, timeoutMs: 180_000, log: ctx.log }
  const victim = startWorker('announce-victim', {}, options)
  let flooder: WorkerProc | undefined
  try {
    const ready = await victim.next<FloodVictimReady>('ready')
    flooder = startWorker('announce-flooder', { victim: { peerId: ready.peerId, addrs: ready.addrs }, port: ready.port, count: FLOOD } satisfies FlooderParams, options)
    const armed = await flooder.next<FlooderArmed>('armed')
    await victim.request({ type: 'baseline', flooder: armed.peerId }, 'reply:baseline')
    const flooded = await flooder.request<Flooded>({ type: 'flood' }, 'flooded')
    ctx.log(`  flooder published ${flooded.published} announcements in ${flooded.seconds} s`)
    victim.send({ type: 'settle' })
    const r = await victim.result as FloodVictimResult
    flooder.send({ type: 'stop' })
    await flooder.result
    return outcome({
      announce_flood_rss_growth_mb: {
        value: round(r.rssMiB.after - r.rssMiB.before, 1),
        unit: 'MiB',
        accepted: r.verdicts.accept,
        verdicts: r.verdicts,
        published: flooded.published,
        publishedToVictim: flooded.reachedVictim,
        publishSeconds: flooded.seconds,
        flooderSignSeconds: armed.signSeconds,
        bytesReceived: r.bytesIn,
        rssMiB: r.rssMiB,
        peakGrowthMiB: round(r.rssMiB.peak - r.rssMiB.before, 1),
        heapUsedMiB: r.heapUsedMiB,
        settleSeconds: r.settleSeconds,
        peerStorePeers: r.peerStorePeers,
        dialsToNamedAddress: r.dialsToNamedAddress,
        flooderGossipScore: r.flooderScore,
        processes: 'victim and flooder each in a worker process; TCP on 127.0.0.1, noise, yamux'
      }
    })
  } finally {
    await flooder?.stop()
    await victim.stop()
  }
}
