/**
 * relay_rss_1000_mb: the resident memory of a real relay process (src/server/relay.ts, started by
 * procs.ts startRelay) while it holds 1,000 live libp2p connections from 1,000 distinct peers.
 *
 * The clients stand for browsers at the relay, split over CLIENT_PROCESSES bench workers so that no
 * single event loop stalls past libp2p's ping timeout, and niced (CLIENT_NICENESS) so that the relay
 * gets the machine's CPU first, as it would if they were devices of their own; for the same reason
 * they leave libp2p's connection monitor off. The relay's own monitor pings every connection at the
 * same moment every 10 s and aborts those that take over 5 s, so a relay short of CPU drops live
 * connections by the hundred at this size: the detail says how many dropped. Each client is a libp2p
 * node with a fresh Ed25519 key: WebSockets to the relay's ws address, noise, yamux, identify, ping, the
 * circuit-relay transport listening on /p2p-circuit (so it takes a reservation on the relay), and
 * Flock's gossipsub (flockGossip) with discovery in its validate-and-forward mode (discovery.ts): it
 * joins the discovery topic and judges what arrives there, but announces nothing and dials nobody.
 * Announcing, as a browser does every DISCOVERY_INTERVAL_MS, was left out because at this size it is
 * a CPU load, not a memory one: the relay accepts ANNOUNCE_ACCEPT_PER_S announcements and gossip's
 * IHAVE/IWANT hands each to nearly every one of the 1,000 peers, so each client process would verify
 * about 12,000 a second and stall. A client whose connection drops redials, as a browser's discovery
 * does, and the drop is counted.
 *
 * The relay runs with its per-IP caps and totals raised to twice the clients (all come from
 * 127.0.0.1; by default 16 connections and 8 reservations per IP, 512 connections and 128
 * reservations in total). Each worker dials DIAL_CONCURRENCY at a time and retries a refused dial:
 * the relay admits at most 100 new connections a second from one IP.
 *
 * The row is the relay's VmRSS (/proc/<pid>/status, no forced GC: what an operator sees) when its
 * /metrics first reports every client connected and holding a reservation. It then holds them for
 * HOLD_MS, longer than its 10 s ping interval; the detail adds the RSS after that hold and the fewest
 * connections seen in it, the RSS before the first dial, the peak (VmHWM), the relay's CPU time, the
 * least-squares slope of RSS against connections while they ramped up, and the time to connect.
 */
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import type { Libp2p } from '@libp2p/interface'
import { noise } from '@libp2p/noise'
import { ping } from '@libp2p/ping'
import { webSockets } from '@libp2p/websockets'
import { yamux } from '@libp2p/yamux'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { readFile } from 'node:fs/promises'
import { setPriority } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { DIAL_TIMEOUT_MS } from '../../src/lib/p2p/constants.js'
import { discovery, type Discovery } from '../../src/lib/p2p/discovery.js'
import { flockGossip } from '../../src/lib/p2p/gossip.js'
import { startRelay, startWorker, type RelayProc, type WorkerProc } from './procs.js'
import { round, rssMiB } from './util.js'
import { outcome, type BenchContext, type Outcome } from './types.js'
import type { WorkerIO } from './worker-io.js'

export const RELAY_CLIENTS = 1000
const CLIENT_PROCESSES = 4
const DIAL_CONCURRENCY = 1
/** Attempts per client, and the pause before the next one after a refusal. */
const DIAL_ATTEMPTS = 20
const DIAL_RETRY_MS = 250
/** Nice value of the client processes (see relayClientsJob). */
const CLIENT_NICENESS = 10
/** Longest wait from the first dial until the relay counts every connection and reservation. */
const CONNECT_TIMEOUT_MS = 240_000
/** Longest a client process may take for its whole job: creating the clients, connecting, holding. */
const WORKER_TIMEOUT_MS = 600_000
const HOLD_MS = 15_000
const SAMPLE_MS = 1000

export interface RelayClientsParams { relay: string, count: number, concurrency: number }
export interface ClientsCreated { type: 'created', seconds: number }
export interface RelayClientsResult {
  clients: number
  dialSeconds: number
  /** Every dial to the relay, retries and redials included. */
  dialAttempts: number
  /** Connections to the relay that dropped while the clients held them (each redialled). */
  drops: number
  redialFailures: number
  rssMiB: number
}

interface Client { libp2p: Libp2p, discovery: Discovery }
interface Dials { attempts: number, drops: number, redialFailures: number, stopping: boolean }

async function dial (client: Client, relay: Multiaddr, dials: Dials): Promise<void> {
  for (let attempt = 1; !dials.stopping; attempt++) {
    dials.attempts++
    try {
      await client.libp2p.dial(relay, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })
      return
    } catch (err) {
      if (attempt === DIAL_ATTEMPTS) throw new Error(`${DIAL_ATTEMPTS} dials to the relay failed, the last: ${(err as Error).message}`)
      await sleep(DIAL_RETRY_MS)
    }
  }
}

async function createClient (relay: Multiaddr, dials: Dials): Promise<Client> {
  const privateKey = await generateKeyPair('Ed25519')
  const libp2p = await createLibp2p({
    privateKey,
    addresses: { listen: ['/p2p-circuit'] },
    transports: [webSockets(), circuitRelayTransport()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    // The relay's monitor still pings every client every 10 s. The clients' own pings of the relay
    // would compete with it for this machine's two cores, where on devices of their own they would not.
    connectionMonitor: { enabled: false },
    services: {
      pubsub: flockGossip(),
      identify: identify(),
      ping: ping({ maxOutboundStreams: 8 })
    }
  })
  const client = { libp2p, discovery: discovery()({ libp2p, pubsub: libp2p.services.pubsub }) }
  const relayId = relay.getComponents().findLast(c => c.name === 'p2p')?.value
  // A browser redials its relay when the connection drops (discovery keeps it), so a drop is counted
  // and healed rather than leaving the relay one client short for good.
  libp2p.addEventListener('peer:disconnect', (evt) => {
    if (dials.stopping || evt.detail.toString() !== relayId) return
    dials.drops++
    dial(client, relay, dials).catch(() => { dials.redialFailures++ })
  })
  return client
}

export async function relayClientsJob (params: RelayClientsParams, io: WorkerIO): Promise<RelayClientsResult> {
  // The clients stand for devices of their own: the relay, not they, gets this machine's CPU first.
  setPriority(CLIENT_NICENESS)
  const relay = multiaddr(params.relay)
  const dials: Dials = { attempts: 0, drops: 0, redialFailures: 0, stopping: false }
  const clients: Client[] = []
  try {
    const created = performance.now()
    for (let i = 0; i < params.count; i++) clients.push(await createClient(relay, dials))
    await io.send({ type: 'created', seconds: round((performance.now() - created) / 1000, 1) } satisfies ClientsCreated)

    await io.next('dial')
    const start = performance.now()
    let next = 0
    await Promise.all(Array.from({ length: params.concurrency }, async () => {
      for (let client = clients[next++]; client !== undefined; client = clients[next++]) {
        await dial(client, relay, dials)
        // Started once connected, as a browser's discovery does on reaching its relay.
        client.discovery.start()
      }
    }))
    const dialSeconds = round((performance.now() - start) / 1000, 1)
    io.progress(`${clients.length} clients connected in ${dialSeconds} s (${dials.attempts} dials)`)

    await io.next('stop')
    dials.stopping = true
    return { clients: clients.length, dialSeconds, dialAttempts: dials.attempts, drops: dials.drops, redialFailures: dials.redialFailures, rssMiB: round(rssMiB(), 1) }
  } finally {
    dials.stopping = true
    await Promise.allSettled(clients.map(async (c) => {
      c.discovery.stop()
      await c.libp2p.stop()
    }))
  }
}

interface Sample { connections: number, reservations: number, rssMiB: number }

/** Linux's clock ticks per second, the unit of /proc/<pid>/stat's CPU times (USER_HZ, 100 on every common architecture). */
const CLOCK_TICKS = 100

interface Usage { rssMiB: number, peakMiB: number, cpuSeconds: number }

/** The relay's resident memory now and at its peak, and the CPU time it has used (user + system). */
async function usage (pid: number): Promise<Usage> {
  const [status, stat] = await Promise.all([readFile(`/proc/${pid}/status`, 'utf8'), readFile(`/proc/${pid}/stat`, 'utf8')])
  // The kernel writes kB, i.e. KiB.
  const mib = (field: string): number => {
    const kib = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1]
    if (kib === undefined) throw new Error(`no ${field} in /proc/${pid}/status`)
    return Number(kib) / 1024
  }
  // utime and stime are fields 14 and 15; the command name (field 2) may hold spaces, so count after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return { rssMiB: mib('VmRSS'), peakMiB: mib('VmHWM'), cpuSeconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS }
}

async function sample (relay: RelayProc): Promise<Sample> {
  const [m, u] = await Promise.all([relay.metrics(), usage(relay.pid)])
  return { connections: m.flock_relay_connections ?? 0, reservations: m.flock_relay_reservations ?? 0, rssMiB: u.rssMiB }
}

/** Least-squares slope of RSS against connections, in KiB per connection. */
function slopeKiB (samples: Sample[]): number {
  const n = samples.length
  const mx = samples.reduce((s, p) => s + p.connections, 0) / n
  const my = samples.reduce((s, p) => s + p.rssMiB, 0) / n
  let sxy = 0
  let sxx = 0
  for (const p of samples) {
    sxy += (p.connections - mx) * (p.rssMiB - my)
    sxx += (p.connections - mx) ** 2
  }
  return sxx === 0 ? Number.NaN : sxy / sxx * 1024
}

export interface RelayLoadOptions {
  clients: number
  processes: number
  verbose: boolean
  log: (line: string) => void
}

export interface RelayLoadResult {
  clients: number
  processes: number
  relayFlags: string[]
  rssMiB: { before: number, reached: number, held: number, peak: number }
  /** (RSS at every connection - RSS before the first dial) / clients. */
  averageKiBPerConnection: number
  slopeKiBPerConnection: number
  rampSamples: number
  connectSeconds: number
  /** CPU time the relay used from the first dial to the last connection and reservation. */
  connectCpuSeconds: number
  /** The relay's CPU use while holding, in % of one core. */
  heldCpuPercent: number
  heldSeconds: number
  /** The fewest the relay's /metrics reported while holding. */
  heldConnections: number
  heldReservations: number
  dialAttempts: number
  /** Client connections the relay dropped (each redialled by its client), from the first dial to the end of the hold. */
  drops: number
  redialFailures: number
  clientCreateSeconds: number
  clientProcessRssMiB: number[]
}

/** Start a relay, connect `clients` to it from `processes` workers, and read its memory (the module comment says how). */
export async function relayLoad (o: RelayLoadOptions): Promise<RelayLoadResult> {
  const limit = String(2 * o.clients)
  const relayFlags = ['--max-connections', limit, '--max-reservations', limit, '--max-connections-per-ip', limit, '--max-reservations-per-ip', limit]
  const relay = await startRelay({ verbose: o.verbose, args: relayFlags })
  const workers: WorkerProc[] = []
  try {
    const per = Math.ceil(o.clients / o.processes)
    for (let p = 0; p * per < o.clients; p++) {
      const params: RelayClientsParams = { relay: relay.ws, count: Math.min(per, o.clients - p * per), concurrency: DIAL_CONCURRENCY }
      workers.push(startWorker('relay-clients', params, { verbose: o.verbose, timeoutMs: WORKER_TIMEOUT_MS, log: o.log }))
    }
    let failure: Error | undefined
    for (const w of workers) w.result.catch((err: Error) => { failure ??= err })
    const created = await Promise.all(workers.map(async w => await w.next<ClientsCreated>('created')))
    const before = await usage(relay.pid)
    o.log(`  ${o.clients} clients created in ${workers.length} processes; relay RSS ${round(before.rssMiB, 1)} MiB; dialling`)

    const start = performance.now()
    for (const w of workers) w.send({ type: 'dial' })
    const ramp: Sample[] = []
    let lastLog = start
    for (;;) {
      if (failure !== undefined) throw failure
      const s = await sample(relay)
      ramp.push(s)
      if (s.connections >= o.clients && s.reservations >= o.clients) break
      if (performance.now() - start > CONNECT_TIMEOUT_MS) {
        throw new Error(`after ${CONNECT_TIMEOUT_MS} ms the relay holds ${s.connections} connections and ${s.reservations} reservations of ${o.clients}`)
      }
      if (performance.now() - lastLog > 5000) {
        lastLog = performance.now()
        o.log(`  ${s.connections} connections, ${s.reservations} reservations, relay RSS ${round(s.rssMiB, 1)} MiB`)
      }
      await sleep(SAMPLE_MS)
    }
    const connectSeconds = (performance.now() - start) / 1000
    const reached = await usage(relay.pid)
    o.log(`  ${o.clients} connections and reservations after ${round(connectSeconds, 1)} s; relay RSS ${round(reached.rssMiB, 1)} MiB; holding ${HOLD_MS / 1000} s`)

    let heldConnections = o.clients
    let heldReservations = o.clients
    const holdStart = performance.now()
    while (performance.now() - holdStart < HOLD_MS) {
      await sleep(1000)
      if (failure !== undefined) throw failure
      const s = await sample(relay)
      heldConnections = Math.min(heldConnections, s.connections)
      heldReservations = Math.min(heldReservations, s.reservations)
    }
    const held = await usage(relay.pid)
    const heldSeconds = (performance.now() - holdStart) / 1000

    for (const w of workers) w.send({ type: 'stop' })
    const results = await Promise.all(workers.map(async w => await w.result as RelayClientsResult))
    return {
      clients: o.clients,
      processes: workers.length,
      relayFlags,
      rssMiB: { before: round(before.rssMiB, 1), reached: round(reached.rssMiB, 1), held: round(held.rssMiB, 1), peak: round(held.peakMiB, 1) },
      averageKiBPerConnection: round((reached.rssMiB - before.rssMiB) / o.clients * 1024, 1),
      slopeKiBPerConnection: round(slopeKiB(ramp), 1),
      rampSamples: ramp.length,
      connectSeconds: round(connectSeconds, 1),
      connectCpuSeconds: round(reached.cpuSeconds - before.cpuSeconds, 1),
      heldCpuPercent: Math.round((held.cpuSeconds - reached.cpuSeconds) / heldSeconds * 100),
      heldSeconds: round(heldSeconds, 1),
      heldConnections,
      heldReservations,
      dialAttempts: results.reduce((s, r) => s + r.dialAttempts, 0),
      drops: results.reduce((s, r) => s + r.drops, 0),
      redialFailures: results.reduce((s, r) => s + r.redialFailures, 0),
      clientCreateSeconds: Math.max(...created.map(c => c.seconds)),
      clientProcessRssMiB: results.map(r => r.rssMiB)
    }
  } finally {
    // Clients first: with the relay gone they would start redialling it.
    await Promise.all(workers.map(async w => { await w.stop() }))
    await relay.stop()
  }
}

export const CLIENT_DESCRIPTION = 'each its own libp2p node and Ed25519 key: WebSockets to the relay, noise, yamux, identify, ping, ' +
  'circuit-relay transport listening on /p2p-circuit (one reservation), flockGossip and discovery joining the discovery topic; ' +
  'no connection monitor of its own (the relay pings it); announces nothing, dials no other peer, redials the relay if dropped'

export async function relayRss (ctx: BenchContext): Promise<Outcome> {
  const r = await relayLoad({ clients: RELAY_CLIENTS, processes: CLIENT_PROCESSES, verbose: ctx.verbose, log: ctx.log })
  return outcome({
    relay_rss_1000_mb: {
      value: r.rssMiB.reached,
      unit: 'MiB',
      rssMiB: r.rssMiB,
      averageKiBPerConnection: r.averageKiBPerConnection,
      slopeKiBPerConnection: r.slopeKiBPerConnection,
      rampSamples: r.rampSamples,
      connectSeconds: r.connectSeconds,
      connectCpuSeconds: r.connectCpuSeconds,
      heldSeconds: r.heldSeconds,
      heldConnectionsMin: r.heldConnections,
      heldReservationsMin: r.heldReservations,
      heldCpuPercent: r.heldCpuPercent,
      dialAttempts: r.dialAttempts,
      drops: r.drops,
      redialFailures: r.redialFailures,
      clientProcesses: `${r.processes} × ${Math.ceil(r.clients / r.processes)}`,
      clientProcessRssMiB: r.clientProcessRssMiB,
      clients: CLIENT_DESCRIPTION,
      relayFlags: `${r.relayFlags.join(' ')} (defaults: 512 connections, 128 reservations, 16 connections and 8 reservations per IP)`
    }
  })
}
