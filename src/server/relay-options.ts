/**
 * Flags of `npm run relay` (DESIGN §3). Every flag can also come from FLOCK_<FLAG> in the environment
 * (flags win). The relay limits default to go-libp2p's reservation counts and to a per-circuit budget
 * large enough for signalling and a WebRTC upgrade; js-libp2p's own defaults (15 reservations,
 * 128 KiB per circuit, no per-IP cap) are too small for a bootstrap relay and let one host take every
 * slot (DESIGN §6).
 */
import { isIP } from 'node:net'
import { multiaddr } from '@multiformats/multiaddr'
import { parseFlags, type FlagSpec } from './flags.js'

export interface RelayOptions {
  /** Directory holding relay.key and webrtc-direct.pem. */
  data: string
  host: string
  wsPort: number
  webrtcDirectPort: number
  httpPort: number
  /** Addresses to announce instead of the listen addresses (empty: announce what we listen on). */
  announce: string[]
  maxReservations: number
  maxConnections: number
  maxReservationsPerIp: number
  maxConnectionsPerIp: number
  reservationTtlMs: number
  /** How long a reservation outlives its holder's last connection. */
  reservationGraceMs: number
  circuitDurationMs: number
  circuitBytes: bigint
  ipColocationWeight?: number
}

/** Longest delay a Node timer accepts (2^31 - 1 ms); the relay's expiry timers are Node timers. */
const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000)

/**
 * go-libp2p's relay default (MaxReservationsPerIP): throwaway keys from one host take at most this
 * many of the relay's slots, and a household or office behind one NAT still fits.
 */
const MAX_RESERVATIONS_PER_IP = 8

/**
 * Twice the reservations: a reserving peer may hold a second connection for a while (an old one still
 * closing while it reconnects), and peers that only gossip need no reservation.
 */
const MAX_CONNECTIONS_PER_IP = 16

/**
 * Long enough to cover a reconnect (a dropped WebSocket, a WebRTC-Direct restart) so a full relay does
 * not give the slot away; short, so a departed peer's slot comes free soon. go-libp2p ends a
 * reservation at once; js-libp2p keeps it for its whole TTL.
 */
const RESERVATION_GRACE_SECONDS = 10

const spec = {
  data: { type: 'string', default: '.flock/relay', help: 'directory for the relay key and WebRTC-Direct certificate (relay.key, webrtc-direct.pem; created on first run)' },
  host: { type: 'string', default: '127.0.0.1', help: 'IP address to listen on (0.0.0.0 for all interfaces)' },
  'ws-port': { type: 'port', default: 9090, help: 'WebSockets port (0: any free port)' },
  'webrtc-direct-port': { type: 'port', default: 9091, help: 'WebRTC-Direct UDP port (0: any free port)' },
  'http-port': { type: 'port', default: 9092, help: 'port of /health, /bootstrap and /metrics (0: any free port)' },
  announce: { type: 'string', multiple: true, help: 'multiaddr to announce instead of the listen addresses (repeatable)' },
  'max-reservations': { type: 'count', default: 128, help: 'most peers holding a relay reservation at once' },
  'max-connections': { type: 'count', default: 512, help: 'most open connections before the oldest idle ones are pruned' },
  'max-reservations-per-ip': { type: 'count', default: MAX_RESERVATIONS_PER_IP, help: 'most reservations held from one IPv4 address or IPv6 /64' },
  'max-connections-per-ip': { type: 'count', default: MAX_CONNECTIONS_PER_IP, help: 'most open inbound connections from one IPv4 address or IPv6 /64' },
  'reservation-ttl': { type: 'count', default: 7200, help: 'seconds a reservation lasts before the peer must renew it' },
  'reservation-grace': { type: 'count', default: RESERVATION_GRACE_SECONDS, help: "seconds a reservation outlives its holder's last connection (0: ends with it)" },
  'circuit-duration': { type: 'count', default: 120, help: 'seconds one relayed connection may stay open' },
  'circuit-bytes': { type: 'count', default: 1024 * 1024, help: 'bytes one relayed connection may carry (both directions)' },
  'ip-colocation-weight': { type: 'number', help: "gossipsub's IP-colocation penalty weight (<= 0); 0 when all peers share one IP" }
} satisfies Record<string, FlagSpec>

export type RelayOptionsResult =
  | { kind: 'options', options: RelayOptions }
  | { kind: 'help', text: string }
  | { kind: 'error', message: string }

export function relayOptions (argv: string[], env: NodeJS.ProcessEnv): RelayOptionsResult {
  const result = parseFlags(spec, argv, env, 'npm run relay --')
  if (result.kind !== 'flags') return result
  const f = result.flags
  const error = (message: string): RelayOptionsResult => ({ kind: 'error', message })

  if (isIP(f.host) === 0) return error(`--host must be an IP address, got "${f.host}"`)
  if (f['ws-port'] !== 0 && f['ws-port'] === f['http-port']) return error('--ws-port and --http-port must differ')
  for (const addr of f.announce) {
    try {
      multiaddr(addr)
    } catch {
      return error(`--announce must be a multiaddr, got "${addr}"`)
    }
  }
  for (const name of ['max-reservations', 'max-connections', 'max-reservations-per-ip', 'max-connections-per-ip', 'circuit-bytes'] as const) {
    if (f[name] < 1) return error(`--${name} must be at least 1`)
  }
  for (const name of ['reservation-ttl', 'circuit-duration'] as const) {
    if (f[name] < 1 || f[name] > MAX_TIMER_SECONDS) return error(`--${name} must be from 1 to ${MAX_TIMER_SECONDS} seconds`)
  }
  if (f['reservation-grace'] > MAX_TIMER_SECONDS) return error(`--reservation-grace must be from 0 to ${MAX_TIMER_SECONDS} seconds`)
  const weight = f['ip-colocation-weight']
  if (weight !== undefined && weight > 0) return error('--ip-colocation-weight must be <= 0')

  return {
    kind: 'options',
    options: {
      data: f.data,
      host: f.host,
      wsPort: f['ws-port'],
      webrtcDirectPort: f['webrtc-direct-port'],
      httpPort: f['http-port'],
      announce: f.announce,
      maxReservations: f['max-reservations'],
      maxConnections: f['max-connections'],
      maxReservationsPerIp: f['max-reservations-per-ip'],
      maxConnectionsPerIp: f['max-connections-per-ip'],
      reservationTtlMs: f['reservation-ttl'] * 1000,
      reservationGraceMs: f['reservation-grace'] * 1000,
      circuitDurationMs: f['circuit-duration'] * 1000,
      circuitBytes: BigInt(f['circuit-bytes']),
      ...(weight !== undefined ? { ipColocationWeight: weight } : {})
    }
  }
}
