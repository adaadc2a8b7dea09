import { describe, expect, it } from 'vitest'
import { relayOptions, type RelayOptions } from '../../src/server/relay-options.js'

function options (argv: string[], env: NodeJS.ProcessEnv = {}): RelayOptions {
  const result = relayOptions(argv, env)
  if (result.kind !== 'options') throw new Error(`expected options, got ${JSON.stringify(result)}`)
  return result.options
}

function error (argv: string[], env: NodeJS.ProcessEnv = {}): string {
  const result = relayOptions(argv, env)
  if (result.kind !== 'error') throw new Error(`expected an error, got ${result.kind}`)
  return result.message
}

describe('relayOptions', () => {
  it('has documented defaults, with limits in the units the relay service takes', () => {
    expect(options([])).toEqual({
      data: '.flock/relay',
      host: '127.0.0.1',
      wsPort: 9090,
      webrtcDirectPort: 9091,
      httpPort: 9092,
      announce: [],
      maxReservations: 128,
      maxConnections: 512,
      maxReservationsPerIp: 8,
      maxConnectionsPerIp: 16,
      reservationTtlMs: 7_200_000,
      reservationGraceMs: 10_000,
      circuitDurationMs: 120_000,
      circuitBytes: 1_048_576n
    })
  })

  it('reads FLOCK_* variables, and flags win over them', () => {
    const env = { FLOCK_WS_PORT: '7000', FLOCK_HTTP_PORT: '7001', FLOCK_ANNOUNCE: '/dns4/relay.example/tcp/443/wss, /ip4/192.0.2.1/tcp/9090/ws' }
    const o = options(['--http-port', '0', '--circuit-duration=30'], env)
    expect(o.wsPort).toBe(7000)
    expect(o.httpPort).toBe(0)
    expect(o.circuitDurationMs).toBe(30_000)
    expect(o.announce).toEqual(['/dns4/relay.example/tcp/443/wss', '/ip4/192.0.2.1/tcp/9090/ws'])
    expect(options(['--announce', '/ip4/192.0.2.2/tcp/1/ws'], env).announce).toEqual(['/ip4/192.0.2.2/tcp/1/ws'])
  })

  it('takes the per-IP caps and the reservation grace from flags or FLOCK_* variables', () => {
    const env = { FLOCK_MAX_RESERVATIONS_PER_IP: '3', FLOCK_MAX_CONNECTIONS_PER_IP: '4', FLOCK_RESERVATION_GRACE: '30' }
    expect(options([], env)).toMatchObject({ maxReservationsPerIp: 3, maxConnectionsPerIp: 4, reservationGraceMs: 30_000 })
    expect(options(['--max-reservations-per-ip', '128', '--max-connections-per-ip=512', '--reservation-grace', '0'], env))
      .toMatchObject({ maxReservationsPerIp: 128, maxConnectionsPerIp: 512, reservationGraceMs: 0 })
  })

  it('takes --announce more than once', () => {
    expect(options(['--announce', '/ip4/192.0.2.1/tcp/1/ws', '--announce', '/ip6/2001:db8::1/tcp/1/ws']).announce).toHaveLength(2)
  })

  it('returns usage for --help', () => {
    const result = relayOptions(['--help'], {})
    expect(result.kind).toBe('help')
  })

  it('rejects values the relay could not run with', () => {
    expect(error(['--host', 'relay.example'])).toMatch(/--host must be an IP address/)
    expect(error(['--ws-port', '9000', '--http-port', '9000'])).toMatch(/must differ/)
    expect(error(['--announce', 'not-a-multiaddr'])).toMatch(/--announce must be a multiaddr/)
    expect(error(['--max-connections', '0'])).toMatch(/--max-connections must be at least 1/)
    expect(error(['--circuit-bytes', '0'])).toMatch(/--circuit-bytes must be at least 1/)
    expect(error(['--reservation-ttl', '3000000'])).toMatch(/--reservation-ttl must be from 1 to 2147483 seconds/)
    expect(error(['--max-reservations-per-ip', '0'])).toMatch(/--max-reservations-per-ip must be at least 1/)
    expect(error([], { FLOCK_MAX_CONNECTIONS_PER_IP: '0' })).toMatch(/--max-connections-per-ip must be at least 1/)
    expect(error(['--max-connections-per-ip', '2.5'])).toMatch(/--max-connections-per-ip must be a whole number/)
    expect(error(['--reservation-grace', '-1'])).toMatch(/--reservation-grace must be a whole number/)
    expect(error(['--reservation-grace', '3000000'])).toMatch(/--reservation-grace must be from 0 to 2147483 seconds/)
    expect(error(['--ip-colocation-weight', '1'])).toMatch(/<= 0/)
    expect(error([], { FLOCK_WEBRTC_DIRECT_PORT: '-1' })).toMatch(/--webrtc-direct-port must be a port/)
  })
})
