/**
 * `npm run relay`: the bootstrap relay (DESIGN §1, §3). Browsers reach it over WebSockets or
 * WebRTC-Direct, reserve a circuit-relay-v2 slot so other peers can reach them, and hear of other
 * peers on the discovery topic, which is the only gossip topic it joins: it never subscribes to an
 * author topic and stores no posts. Its key and its WebRTC-Direct certificate live in --data (the
 * certificate's hash is part of its address, so it must survive restarts); libp2p's peer data stays
 * in memory.
 *
 * stdout carries exactly one line, the JSON ready event; everything else goes to stderr.
 */
import { circuitRelayServer, type CircuitRelayService } from '@libp2p/circuit-relay-v2'
import type { GossipSub } from '@libp2p/gossipsub'
import { identify, type Identify } from '@libp2p/identify'
import type { ConnectionGater, Libp2p, PeerId, PrivateKey } from '@libp2p/interface'
import { noise } from '@libp2p/noise'
import { ping, type Ping } from '@libp2p/ping'
import { webRTCDirect, type TransportCertificate } from '@libp2p/webrtc'
import { webSockets } from '@libp2p/websockets'
import { yamux } from '@libp2p/yamux'
import type { Multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { createSocket } from 'node:dgram'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createNetServer, type AddressInfo } from 'node:net'
import { join } from 'node:path'
import { discovery } from '../lib/p2p/discovery.js'
import { flockGossip } from '../lib/p2p/gossip.js'
import { CircuitTraffic } from './circuit-traffic.js'
import { HttpError, sendError, sendJson } from './http.js'
import { loadOrCreateCertificate, loadOrCreateKey } from './keys.js'
import { relayOptions, type RelayOptions } from './relay-options.js'

type RelayServices = { relay: CircuitRelayService, pubsub: GossipSub, identify: Identify, ping: Ping }

interface Relay {
  libp2p: Libp2p<RelayServices>
  traffic: CircuitTraffic
  guard: RelayGuard
  startedAt: number
}

/** A startup failure the operator can fix (a port in use, a bad key file): one line, exit 1. */
class StartupError extends Error {
  override readonly name = 'StartupError'
}

/** How long shutdown may take before the process gives up and exits with an error. */
const STOP_TIMEOUT_MS = 10_000

function ipProtocol (host: string): 'ip4' | 'ip6' {
  return host.includes(':') ? 'ip6' : 'ip4'
}

/**
 * The host a per-IP cap counts `addr` against: an IPv4 address, or an IPv6 /64, since one host is
 * usually given a whole /64. undefined for an address that does not start with an IP, which none of
 * the relay's transports produce.
 */
function ipGroup (addr: Multiaddr): string | undefined {
  const [first] = addr.getComponents()
  if (first?.name === 'ip4') return first.value
  if (first?.name !== 'ip6') return undefined
  // The multiaddr's bytes: the ip6 code (one byte), then the address's 16 bytes.
  const ip = addr.bytes.subarray(1, 17)
  // A dual-stack listener sees IPv4 peers as ::ffff:a.b.c.d, all in one /64: count them as IPv4.
  if (ip.subarray(0, 10).every(b => b === 0) && ip[10] === 0xff && ip[11] === 0xff) return ip.subarray(12).join('.')
  return `${Buffer.from(ip.subarray(0, 8)).toString('hex')}/64`
}

/**
 * Per-IP caps and reservation lifetimes that @libp2p/circuit-relay-v2's server lacks: it caps
 * reservations only in total, and keeps each for its whole TTL after its holder left, so throwaway
 * keys from one host could hold every slot for hours (DESIGN §6). Its hooks are a connection gater
 * (`denyInboundRelayReservation` sees the peer id only; its refusal reaches the peer as
 * PERMISSION_DENIED) and the `reservations` map; the peer's IP comes from its connections.
 *
 * Counting what libp2p already holds is enough: it records what a gater admits in the same turn of
 * the event loop as the answer, and each connection's traffic is handled in turns of its own, so a
 * burst cannot slip past a cap in between (the relay test sends one).
 */
class RelayGuard {
  reservationsRefused = 0
  connectionsRefused = 0
  private libp2p?: Libp2p<RelayServices>
  private readonly graceTimers = new Map<string, NodeJS.Timeout>()

  constructor (private readonly options: RelayOptions) {}

  readonly gater: ConnectionGater = {
    // Refuse a full IP before spending a handshake on it. Connections still in their handshake are
    // not counted yet, so the check that admits is the one after it.
    denyInboundConnection: (maConn) => this.refuseConnection(maConn.remoteAddr),
    denyInboundUpgradedConnection: (_peer, maConn) => this.refuseConnection(maConn.remoteAddr),
    denyInboundRelayReservation: (peer) => this.refuseReservation(peer)
  }

  /** Before libp2p starts: the gater needs the node, and the node is built with the gater. */
  attach (libp2p: Libp2p<RelayServices>): void {
    this.libp2p = libp2p
    libp2p.addEventListener('peer:disconnect', (evt) => { this.startGrace(evt.detail) })
    libp2p.addEventListener('peer:connect', (evt) => { this.cancelGrace(evt.detail) })
  }

  private get node (): Libp2p<RelayServices> {
    if (this.libp2p === undefined) throw new Error('relay guard used before attach()')
    return this.libp2p
  }

  private refuseConnection (addr: Multiaddr): boolean {
    const group = ipGroup(addr)
    if (group === undefined) return false
    const open = this.node.getConnections().filter(c => c.direction === 'inbound' && ipGroup(c.remoteAddr) === group).length
    const full = open >= this.options.maxConnectionsPerIp
    if (full) this.connectionsRefused++
    return full
  }

  private refuseReservation (peer: PeerId): boolean {
    const libp2p = this.node
    const reservations = libp2p.services.relay.reservations
    // A renewal takes no new slot.
    if (reservations.has(peer)) return false
    const groups = new Set(libp2p.getConnections(peer).map(c => ipGroup(c.remoteAddr)).filter(g => g !== undefined))
    const held = new Map<string, number>()
    for (const { addr } of reservations.values()) {
      const group = ipGroup(addr)
      if (group !== undefined) held.set(group, (held.get(group) ?? 0) + 1)
    }
    const ipFull = [...groups].some(g => (held.get(g) ?? 0) >= this.options.maxReservationsPerIp)
    // The relay service refuses a full relay itself (RESERVATION_REFUSED); count that refusal here too.
    if (ipFull || reservations.size >= this.options.maxReservations) this.reservationsRefused++
    return ipFull
  }

  private startGrace (peer: PeerId): void {
    const reservations = this.node.services.relay.reservations
    if (!reservations.has(peer)) return
    const key = peer.toString()
    this.cancelGrace(peer)
    this.graceTimers.set(key, setTimeout(() => {
      this.graceTimers.delete(key)
      // Expire it through its own timer rather than delete it from the map: a TTL timer left armed
      // would fire later and delete whatever reservation the same peer holds by then.
      reservations.get(peer)?.signal.reset(0)
    }, this.options.reservationGraceMs))
  }

  private cancelGrace (peer: PeerId): void {
    const key = peer.toString()
    clearTimeout(this.graceTimers.get(key))
    this.graceTimers.delete(key)
  }
}

async function createRelayNode (options: RelayOptions, privateKey: PrivateKey, certificate: TransportCertificate, traffic: CircuitTraffic, guard: RelayGuard): Promise<Libp2p<RelayServices>> {
  const ip = `/${ipProtocol(options.host)}/${options.host}`
  const libp2p = await createLibp2p<RelayServices>({
    start: false,
    privateKey,
    addresses: {
      listen: [`${ip}/tcp/${options.wsPort}/ws`, `${ip}/udp/${options.webrtcDirectPort}/webrtc-direct`],
      ...(options.announce.length > 0 ? { announce: options.announce } : {})
    },
    transports: [
      webSockets(),
      // The relay's address is public (or announced), so it needs no STUN server to learn it.
      webRTCDirect({ rtcConfiguration: { iceServers: [] }, certificate })
    ],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: guard.gater,
    connectionManager: {
      maxConnections: options.maxConnections,
      // Browsers behind one NAT, and every peer of a local test or benchmark, share one IP; libp2p's
      // defaults (5 new connections per second per IP, 10 pending upgrades) would turn them away.
      inboundConnectionThreshold: 100,
      maxIncomingPendingConnections: 128
    },
    metrics: () => traffic.metrics(),
    services: {
      relay: circuitRelayServer({
        reservations: {
          maxReservations: options.maxReservations,
          reservationTtl: options.reservationTtlMs,
          defaultDurationLimit: options.circuitDurationMs,
          defaultDataLimit: options.circuitBytes
        }
      }),
      // The same gossip as every peer's (ids, signature policy), carrying the discovery topic only.
      pubsub: flockGossip({ role: 'relay', ...(options.ipColocationWeight !== undefined ? { ipColocationFactorWeight: options.ipColocationWeight } : {}) }),
      identify: identify(),
      // Our connection monitor and peers' liveness checks ping the same connections at once.
      ping: ping({ maxInboundStreams: 8, maxOutboundStreams: 8 })
    }
  })
  guard.attach(libp2p)
  await libp2p.start()
  // The relay forwards announcements but neither announces itself (peers find it through /bootstrap)
  // nor dials the peers it hears of; forged or malformed ones are dropped and cost their sender.
  discovery()({ libp2p, pubsub: libp2p.services.pubsub }).start()
  return libp2p
}

function metricsText (relay: Relay): string {
  const metrics: Array<[name: string, type: 'gauge' | 'counter', help: string, value: number]> = [
    ['flock_relay_connections', 'gauge', 'Open libp2p connections.', relay.libp2p.getConnections().length],
    ['flock_relay_reservations', 'gauge', 'Circuit relay reservations held (each ends with its TTL, or a grace period after its peer disconnects).', relay.libp2p.services.relay.reservations.size],
    ['flock_relay_reservations_refused_total', 'counter', "Reservations refused: the relay was full, or the peer's IP held its cap.", relay.guard.reservationsRefused],
    ['flock_relay_connections_refused_total', 'counter', 'Inbound connections refused because their IP held its cap.', relay.guard.connectionsRefused],
    ['flock_relay_relayed_bytes_total', 'counter', 'Bytes carried over relayed connections, both directions.', relay.traffic.bytes]
  ]
  return metrics.map(([name, type, help, value]) => `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name} ${value}\n`).join('')
}

function multiaddrs (relay: Relay): string[] {
  return relay.libp2p.getMultiaddrs().map(ma => ma.toString())
}

function handle (relay: Relay, req: IncomingMessage, res: ServerResponse): void {
  const { pathname } = new URL(req.url ?? '/', 'http://relay')
  if (!['/health', '/bootstrap', '/metrics'].includes(pathname)) {
    throw new HttpError(404, 'NOT_FOUND', `no such endpoint: ${pathname}`)
  }
  if (req.method !== 'GET') throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${pathname} accepts GET only`)
  // Everything here is public; browsers read /bootstrap (and may show /health) from another origin.
  const cors = { 'access-control-allow-origin': '*' }
  const peerId = relay.libp2p.peerId.toString()
  switch (pathname) {
    case '/health':
      return sendJson(res, 200, {
        status: 'ok',
        peerId,
        uptimeSeconds: Math.floor((Date.now() - relay.startedAt) / 1000),
        connections: relay.libp2p.getConnections().length
      }, cors)
    case '/bootstrap':
      return sendJson(res, 200, { peerId, multiaddrs: multiaddrs(relay) }, cors)
    default: {
      const text = metricsText(relay)
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': Buffer.byteLength(text), ...cors })
      res.end(text)
    }
  }
}

async function startHttp (relay: Relay, host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    try {
      handle(relay, req, res)
    } catch (err) {
      if (err instanceof HttpError) return sendError(res, err)
      console.error('relay: http:', (err as Error).message)
      sendError(res, new HttpError(500, 'INTERNAL', 'internal error'))
    }
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => { server.off('error', reject); resolve() })
  })
  return server
}

/** The URL local tools can reach the HTTP server at (a wildcard host is reachable on loopback). */
function httpUrl (host: string, server: Server): string {
  const { port } = server.address() as AddressInfo
  if (host === '0.0.0.0') return `http://127.0.0.1:${port}`
  if (host === '::') return `http://[::1]:${port}`
  return ipProtocol(host) === 'ip6' ? `http://[${host}]:${port}` : `http://${host}:${port}`
}

async function loadKey (dir: string): Promise<PrivateKey> {
  const path = join(dir, 'relay.key')
  try {
    return await loadOrCreateKey(path)
  } catch (err) {
    throw new StartupError(`cannot use key file ${path}: ${(err as Error).message}`)
  }
}

async function loadCertificate (dir: string): Promise<TransportCertificate> {
  const path = join(dir, 'webrtc-direct.pem')
  const loaded = await loadOrCreateCertificate(path).catch((err: Error) => {
    throw new StartupError(`cannot use certificate file ${path}: ${err.message}`)
  })
  if (loaded.replaced !== undefined) {
    console.error(`relay: WebRTC-Direct certificate ${path} ${loaded.replaced}; replaced it with a new one: the certhash in the relay's /webrtc-direct address changed, so peers need the new address (ready line, /bootstrap)`)
  }
  return loaded.certificate
}

/**
 * Check that every listener can bind before starting libp2p, so a taken port is reported with its
 * flag's name. libp2p's own report is a multi-line summary (TCP) or, for WebRTC-Direct, a native
 * log dump from node-datachannel followed by an error that names neither port nor cause.
 */
async function checkPorts (options: RelayOptions): Promise<void> {
  const ports: Array<[flag: string, kind: 'tcp' | 'udp', port: number]> = [
    ['--ws-port', 'tcp', options.wsPort],
    ['--webrtc-direct-port', 'udp', options.webrtcDirectPort],
    ['--http-port', 'tcp', options.httpPort]
  ]
  for (const [flag, kind, port] of ports) {
    const err = await bindError(kind, options.host, port)
    if (err?.code === 'EADDRINUSE') throw new StartupError(`${flag} ${port} is already in use on ${options.host}`)
    if (err !== undefined) throw new StartupError(`${flag}: cannot listen on ${options.host} port ${port}: ${err.message}`)
  }
}

async function bindError (kind: 'tcp' | 'udp', host: string, port: number): Promise<NodeJS.ErrnoException | undefined> {
  return await new Promise((resolve) => {
    if (kind === 'tcp') {
      const server = createNetServer()
      server.once('error', resolve)
      server.listen(port, host, () => server.close(() => { resolve(undefined) }))
    } else {
      const socket = createSocket(ipProtocol(host) === 'ip6' ? 'udp6' : 'udp4')
      socket.once('error', resolve)
      socket.bind(port, host, () => socket.close(() => { resolve(undefined) }))
    }
  })
}

async function run (options: RelayOptions): Promise<void> {
  const key = await loadKey(options.data)
  const certificate = await loadCertificate(options.data)
  await checkPorts(options)
  const traffic = new CircuitTraffic()
  const guard = new RelayGuard(options)
  const libp2p = await createRelayNode(options, key, certificate, traffic, guard)
  const relay: Relay = { libp2p, traffic, guard, startedAt: Date.now() }
  let server: Server
  try {
    server = await startHttp(relay, options.host, options.httpPort)
  } catch (err) {
    await libp2p.stop()
    throw err
  }

  let stopping = false
  const shutdown = (): void => {
    if (stopping) return
    stopping = true
    setTimeout(() => {
      console.error(`relay: did not stop within ${STOP_TIMEOUT_MS} ms`)
      process.exit(1)
    }, STOP_TIMEOUT_MS).unref()
    const stop = async (): Promise<void> => {
      server.close()
      server.closeAllConnections()
      await libp2p.stop()
    }
    stop().then(() => process.exit(0), (err: Error) => {
      console.error(`relay: error while stopping: ${err.message}`)
      process.exit(1)
    })
  }
  // Before the ready line: whoever reads it may signal at once, and a signal without a listener kills.
  process.once('SIGINT', shutdown)
  process.once('SIGTERM', shutdown)

  const http = httpUrl(options.host, server)
  process.stdout.write(JSON.stringify({ event: 'ready', peerId: libp2p.peerId.toString(), multiaddrs: multiaddrs(relay), http }) + '\n')
  console.error(`relay: ${libp2p.peerId.toString()} ready; ${http}/bootstrap lists its addresses`)
}

const parsed = relayOptions(process.argv.slice(2), process.env)
if (parsed.kind === 'help') {
  process.stdout.write(parsed.text)
} else if (parsed.kind === 'error') {
  console.error(`relay: ${parsed.message}`)
  process.exit(2)
} else {
  run(parsed.options).catch((err: Error) => {
    // One line: libp2p's errors can carry a multi-line report with stack traces.
    const message = err instanceof StartupError ? err.message : `failed to start: ${err.message}`
    console.error(`relay: ${message.split('\n')[0] ?? ''}`)
    process.exit(1)
  })
}
