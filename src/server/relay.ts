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
import type { Libp2p, PrivateKey } from '@libp2p/interface'
import { noise } from '@libp2p/noise'
import { ping, type Ping } from '@libp2p/ping'
import { webRTCDirect, type TransportCertificate } from '@libp2p/webrtc'
import { webSockets } from '@libp2p/websockets'
import { yamux } from '@libp2p/yamux'
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

async function createRelayNode (options: RelayOptions, privateKey: PrivateKey, certificate: TransportCertificate, traffic: CircuitTraffic): Promise<Libp2p<RelayServices>> {
  const ip = `/${ipProtocol(options.host)}/${options.host}`
  const libp2p = await createLibp2p<RelayServices>({
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
  // The relay forwards announcements but neither announces itself (peers find it through /bootstrap)
  // nor dials the peers it hears of; forged or malformed ones are dropped and cost their sender.
  discovery()({ libp2p, pubsub: libp2p.services.pubsub }).start()
  return libp2p
}

function metricsText (relay: Relay): string {
  const metrics: Array<[name: string, type: 'gauge' | 'counter', help: string, value: number]> = [
    ['flock_relay_connections', 'gauge', 'Open libp2p connections.', relay.libp2p.getConnections().length],
    ['flock_relay_reservations', 'gauge', 'Unexpired circuit relay reservations (kept until their TTL, even after the peer disconnects).', relay.libp2p.services.relay.reservations.size],
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
  const libp2p = await createRelayNode(options, key, certificate, traffic)
  const relay: Relay = { libp2p, traffic, startedAt: Date.now() }
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
