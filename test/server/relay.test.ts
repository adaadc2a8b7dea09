/**
 * The relay as operators and peers see it: a real `npm run relay` process on 127.0.0.1, its CLI
 * contract, its HTTP endpoints, its key and certificate files, and real libp2p clients that reserve a
 * slot, exchange data over a relayed circuit and meet on the discovery topic. Clients use WebSockets;
 * the one WebRTC-Direct dial runs only inside a network namespace with loopback alone (DESIGN §5),
 * e.g. `unshare -n -- sh -c "ip link set lo up && exec npx vitest run test/server/relay.test.ts"`.
 */
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { gossipsub, StrictNoSign, type GossipSub, type Message } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import type { Connection, Ed25519PrivateKey, Libp2p, PeerId, Stream } from '@libp2p/interface'
import { generateKeyPair } from '@libp2p/crypto/keys'
import * as dagCbor from '@ipld/dag-cbor'
import { noise } from '@libp2p/noise'
import { webRTCDirect } from '@libp2p/webrtc'
import { webSockets } from '@libp2p/websockets'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { createHash, X509Certificate } from 'node:crypto'
import { createSocket } from 'node:dgram'
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { createServer, type AddressInfo } from 'node:net'
import { networkInterfaces } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DISCOVERY_TOPIC } from '../../src/lib/core/constants.js'
import { createAnnouncement, readAnnouncement } from '../../src/lib/core/announce.js'
import { flockMsgId } from '../../src/lib/p2p/gossip.js'
import { createCertificate } from '../../src/server/keys.js'
import { killAll, run, start, tempDir, until, type Proc, type RelayReady } from './harness.js'

const ECHO = '/flock-test/echo/1.0.0'
const PAYLOAD_BYTES = 64 * 1024
const ANY_PORTS = ['--ws-port', '0', '--webrtc-direct-port', '0', '--http-port', '0']

type Client = Libp2p<{ pubsub: GossipSub, identify: unknown }> & { key: Ed25519PrivateKey }

const dirs: Array<{ remove: () => Promise<void> }> = []
const clients: Client[] = []

async function dataDir (): Promise<string> {
  const dir = await tempDir('flock-relay-test-')
  dirs.push(dir)
  return dir.path
}

async function metrics (relay: Proc<RelayReady>): Promise<Map<string, number>> {
  const res = await fetch(`${relay.ready.http}/metrics`)
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/)
  const values = new Map<string, number>()
  for (const line of (await res.text()).split('\n')) {
    const [name, value] = line.split(' ')
    if (name !== undefined && value !== undefined && !name.startsWith('#')) values.set(name, Number(value))
  }
  return values
}

async function metric (relay: Proc<RelayReady>, name: string): Promise<number> {
  const value = (await metrics(relay)).get(name)
  if (value === undefined) throw new Error(`relay reports no ${name}`)
  return value
}

function wsAddr (relay: Proc<RelayReady>): string {
  const addr = relay.ready.multiaddrs.find(a => a.includes('/ws/'))
  if (addr === undefined) throw new Error('relay announces no WebSocket address')
  return addr
}

function circuitAddrs (client: Libp2p): string[] {
  return client.getMultiaddrs().map(ma => ma.toString()).filter(a => a.includes('/p2p-circuit'))
}

/** A browser-like peer: WebSockets to the relay, a reservation on it, gossip on the discovery topic. */
async function createClient (relayWs: string, options: { listenWs?: boolean } = {}): Promise<Client> {
  const key = await generateKeyPair('Ed25519')
  const libp2p = await createLibp2p({
    privateKey: key,
    start: false,
    addresses: { listen: [`${relayWs}/p2p-circuit`, ...(options.listenWs === true ? ['/ip4/127.0.0.1/tcp/0/ws'] : [])] },
    transports: [webSockets(), circuitRelayTransport()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: {
      identify: identify(),
      pubsub: gossipsub({ globalSignaturePolicy: StrictNoSign, msgIdFn: flockMsgId, allowPublishToZeroTopicPeers: true })
    }
  })
  libp2p.addEventListener('start', () => { libp2p.services.pubsub.subscribe(DISCOVERY_TOPIC) })
  const node = Object.assign(libp2p, { key })
  clients.push(node)
  await node.handle(ECHO, (stream) => { void echo(stream) }, { runOnLimitedConnection: true })
  return node
}

async function echo (stream: Stream): Promise<void> {
  for await (const chunk of stream) {
    if (!stream.send(chunk)) await stream.onDrain()
  }
  await stream.close()
}

/** Send PAYLOAD_BYTES over a new echo stream on `conn` and wait until all of it came back. */
async function echoOver (conn: Connection): Promise<void> {
  const stream = await conn.newStream(ECHO, { runOnLimitedConnection: true })
  if (!stream.send(new Uint8Array(PAYLOAD_BYTES).fill(7))) await stream.onDrain()
  let received = 0
  for await (const chunk of stream) {
    received += chunk.byteLength
    if (received >= PAYLOAD_BYTES) break
  }
  expect(received).toBe(PAYLOAD_BYTES)
  await stream.close()
}

async function onEvent<T> (target: EventTarget, type: string, match: (detail: T) => boolean): Promise<T> {
  return await new Promise(resolve => {
    const listener = (evt: Event): void => {
      const detail = (evt as CustomEvent<T>).detail
      if (!match(detail)) return
      target.removeEventListener(type, listener)
      resolve(detail)
    }
    target.addEventListener(type, listener)
  })
}

async function busyPort (kind: 'tcp' | 'udp'): Promise<{ port: number, release: () => void }> {
  if (kind === 'tcp') {
    const server = createServer()
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    return { port: (server.address() as AddressInfo).port, release: () => { server.close() } }
  }
  const socket = createSocket('udp4')
  await new Promise<void>(resolve => socket.bind(0, '127.0.0.1', resolve))
  return { port: socket.address().port, release: () => { socket.close() } }
}

function webrtcDirectAddr (relay: Proc<RelayReady>): string {
  const addr = relay.ready.multiaddrs.find(a => a.includes('/webrtc-direct/'))
  if (addr === undefined) throw new Error('relay announces no WebRTC-Direct address')
  return addr
}

/** The UDP port is any free one in these tests; everything else in the address must be stable. */
function withoutPort (addr: string): string {
  return addr.replace(/\/udp\/\d+\//, '/udp/PORT/')
}

function certhash (addr: string): string {
  return /\/certhash\/([^/]+)/.exec(addr)?.[1] ?? ''
}

/**
 * The certhash of the certificate stored in `dir`, computed here independently of the relay: the
 * base64url multibase of the SHA-256 multihash of its DER.
 */
async function storedCerthash (dir: string): Promise<string> {
  const pem = await readFile(join(dir, 'webrtc-direct.pem'), 'utf8')
  const der = new X509Certificate(pem.slice(pem.indexOf('-----BEGIN CERTIFICATE-----'))).raw
  return 'u' + Buffer.concat([Buffer.from([0x12, 0x20]), createHash('sha256').update(der).digest()]).toString('base64url')
}

/** WebRTC may only run where its traffic cannot leave the machine (DESIGN §5). */
const loopbackOnly = Object.keys(networkInterfaces()).every(name => name === 'lo')

afterAll(async () => {
  await Promise.all(clients.map(async c => { await c.stop() }))
  killAll()
  await Promise.all(dirs.map(async d => { await d.remove() }))
})

describe('relay process', () => {
  let relay: Proc<RelayReady>
  let relayWs: string
  let stdoutAfterReady = ''

  beforeAll(async () => {
    relay = await start<RelayReady>('relay', ['--data', await dataDir(), ...ANY_PORTS])
    relay.child.stdout?.on('data', (d: Buffer) => { stdoutAfterReady += d.toString() })
    relayWs = relay.ready.multiaddrs.find(a => a.includes('/ws/')) ?? ''
  })

  it('prints one ready line with its peer id, dialable addresses and HTTP URL', () => {
    const { peerId, multiaddrs, http } = relay.ready
    expect(peerId).toMatch(/^12D3KooW/)
    expect(multiaddrs.length).toBeGreaterThanOrEqual(2)
    for (const addr of multiaddrs) {
      expect(addr.startsWith('/ip4/127.0.0.1/')).toBe(true)
      expect(addr.endsWith(`/p2p/${peerId}`)).toBe(true)
    }
    expect(multiaddrs.some(a => /\/tcp\/[1-9]\d*\/ws\//.test(a))).toBe(true)
    expect(multiaddrs.some(a => /\/udp\/[1-9]\d*\/webrtc-direct\/certhash\//.test(a))).toBe(true)
    expect(http).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*$/)
  })

  it('serves /health, /bootstrap (to any origin), /metrics and a JSON 404', async () => {
    const health = await fetch(`${relay.ready.http}/health`)
    expect(health.status).toBe(200)
    expect(await health.json()).toMatchObject({ status: 'ok', peerId: relay.ready.peerId, uptimeSeconds: expect.any(Number), connections: 0 })

    const bootstrap = await fetch(`${relay.ready.http}/bootstrap`)
    expect(bootstrap.headers.get('access-control-allow-origin')).toBe('*')
    expect(await bootstrap.json()).toEqual({ peerId: relay.ready.peerId, multiaddrs: relay.ready.multiaddrs })

    const values = await metrics(relay)
    expect(values.get('flock_relay_connections')).toBe(0)
    expect(values.get('flock_relay_reservations')).toBe(0)
    expect(values.get('flock_relay_relayed_bytes_total')).toBe(0)

    const missing = await fetch(`${relay.ready.http}/posts`)
    expect(missing.status).toBe(404)
    expect(await missing.json()).toMatchObject({ error: { code: 'NOT_FOUND' } })
  })

  it('gives a reservation to a WebSockets client and counts it', async () => {
    const a = await createClient(relayWs)
    await a.start()
    expect(a.getMultiaddrs().some(ma => ma.toString().includes('/p2p-circuit'))).toBe(true)
    expect(await metric(relay, 'flock_relay_reservations')).toBe(1)
    expect(await metric(relay, 'flock_relay_connections')).toBe(1)
  })

  it('joins the discovery topic only, and forwards peer announcements', async () => {
    const b = await createClient(relayWs, { listenWs: true })
    const relaySubscribed = onEvent<{ peerId: PeerId, subscriptions: Array<{ topic: string, subscribe: boolean }> }>(
      b.services.pubsub, 'subscription-change', d => d.peerId.toString() === relay.ready.peerId)
    await b.start()
    expect((await relaySubscribed).subscriptions).toEqual([{ topic: DISCOVERY_TOPIC, subscribe: true }])

    // A newcomer announces itself, as peers do, until b hears it (the relay forwards only to its
    // gossip mesh, which takes b in at a heartbeat). Before each genuine announcement it sends one
    // signed by another key: the relay must drop those.
    const c = await createClient(relayWs)
    await c.start()
    const heard: Message[] = []
    b.services.pubsub.addEventListener('message', (evt) => { if (evt.detail.topic === DISCOVERY_TOPIC) heard.push(evt.detail) })
    const impostor = await generateKeyPair('Ed25519')
    for (let i = 0; i < 100 && heard.length === 0; i++) {
      const genuine = await createAnnouncement(c.key, c.getMultiaddrs())
      const forged = dagCbor.encode({ ...dagCbor.decode<Record<string, unknown>>(await createAnnouncement(impostor, c.getMultiaddrs())), key: c.key.publicKey.raw })
      await c.services.pubsub.publish(DISCOVERY_TOPIC, forged)
      await c.services.pubsub.publish(DISCOVERY_TOPIC, genuine)
      // Re-announce at the pace of a peer's burst until something arrives (bounded by the loop).
      await Promise.race([
        new Promise(resolve => { b.services.pubsub.addEventListener('message', resolve, { once: true }) }),
        new Promise(resolve => setTimeout(resolve, 300))
      ])
    }
    expect(heard.length).toBeGreaterThan(0)
    for (const msg of heard) expect((await readAnnouncement(msg.data)).peerId).toBe(c.peerId.toString())
    expect(b.getConnections(c.peerId)).toHaveLength(0)
    expect(await metric(relay, 'flock_relay_reservations')).toBe(3)
  })

  it('counts bytes carried over a relayed connection and none of a direct one', async () => {
    const [a, b] = clients as [Client, Client]
    // Reservations and gossip with the relay itself are not relayed traffic.
    expect(await metric(relay, 'flock_relay_relayed_bytes_total')).toBe(0)

    const bWs = b.getMultiaddrs().find(ma => ma.toString().includes('/ws/') && !ma.toString().includes('/p2p-circuit'))
    if (bWs === undefined) throw new Error('b has no direct WebSockets address')
    const direct = await a.dial(bWs)
    expect(direct.limits).toBeUndefined()
    await echoOver(direct)
    await direct.close()
    expect(await metric(relay, 'flock_relay_relayed_bytes_total')).toBe(0)

    const relayed = await a.dial(multiaddr(`${relayWs}/p2p-circuit/p2p/${b.peerId.toString()}`))
    expect(relayed.limits).toBeDefined()
    await echoOver(relayed)
    // The payload crossed the relay twice (there and back), each byte counted once, plus the peers'
    // handshakes and framing.
    const relayedBytes = await metric(relay, 'flock_relay_relayed_bytes_total')
    expect(relayedBytes).toBeGreaterThanOrEqual(2 * PAYLOAD_BYTES)
    expect(relayedBytes).toBeLessThan(3 * PAYLOAD_BYTES)
  })

  it('stops cleanly on SIGTERM with nothing more on stdout', async () => {
    expect(await relay.stop('SIGTERM')).toBe(0)
    expect(stdoutAfterReady).toBe('')
  })
})

describe('relay key', () => {
  it('is created with mode 0600 and reused after a restart (SIGINT)', async () => {
    const dir = await dataDir()
    const args = ['--data', dir, ...ANY_PORTS]
    const first = await start<RelayReady>('relay', args)
    expect(await first.stop('SIGINT')).toBe(0)
    expect((await stat(join(dir, 'relay.key'))).mode & 0o777).toBe(0o600)
    const second = await start<RelayReady>('relay', args)
    expect(second.ready.peerId).toBe(first.ready.peerId)
    expect(await second.stop()).toBe(0)
  })
})

describe('relay WebRTC-Direct certificate', () => {
  it('is created with mode 0600 and keeps the certhash, so the address, across restarts', async () => {
    const dir = await dataDir()
    const args = ['--data', dir, ...ANY_PORTS]
    const first = await start<RelayReady>('relay', args)
    expect(await first.stop('SIGINT')).toBe(0)
    expect((await stat(join(dir, 'webrtc-direct.pem'))).mode & 0o777).toBe(0o600)
    expect(certhash(webrtcDirectAddr(first))).toBe(await storedCerthash(dir))

    const second = await start<RelayReady>('relay', args)
    expect(withoutPort(webrtcDirectAddr(second))).toBe(withoutPort(webrtcDirectAddr(first)))
    const bootstrap = await (await fetch(`${second.ready.http}/bootstrap`)).json() as { multiaddrs: string[] }
    expect(bootstrap.multiaddrs.filter(a => a.includes('/webrtc-direct/')).map(withoutPort)).toEqual([withoutPort(webrtcDirectAddr(first))])
    expect(second.stderr()).not.toContain('certificate')
    expect(await second.stop()).toBe(0)
  })

  it('replaces a corrupt file with a new certificate, says so without key material, and keeps the new one', async () => {
    const dir = await dataDir()
    const file = join(dir, 'webrtc-direct.pem')
    const args = ['--data', dir, ...ANY_PORTS]
    const first = await start<RelayReady>('relay', args)
    expect(await first.stop()).toBe(0)
    const pem = await readFile(file, 'utf8')
    // A write cut short: the private key survives, the certificate does not.
    await writeFile(file, pem.slice(0, pem.indexOf('-----BEGIN CERTIFICATE-----') + 40))

    const second = await start<RelayReady>('relay', args)
    expect(second.ready.peerId).toBe(first.ready.peerId)
    const fresh = certhash(webrtcDirectAddr(second))
    expect(fresh).not.toBe(certhash(webrtcDirectAddr(first)))
    expect(fresh).toBe(await storedCerthash(dir))
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    const stderr = second.stderr()
    expect(stderr).toContain(`relay: WebRTC-Direct certificate ${file} is unusable (no CERTIFICATE block); replaced it with a new one`)
    expect(stderr).not.toContain('BEGIN')
    for (const line of pem.split('\n').filter(l => l.length >= 16 && !l.startsWith('-----'))) expect(stderr).not.toContain(line)
    expect(await second.stop()).toBe(0)

    const third = await start<RelayReady>('relay', args)
    expect(certhash(webrtcDirectAddr(third))).toBe(fresh)
    expect(third.stderr()).not.toContain('certificate')
    expect(await third.stop()).toBe(0)
  })

  it('replaces an expired certificate and says when it expired', async () => {
    const dir = await dataDir()
    const file = join(dir, 'webrtc-direct.pem')
    await writeFile(file, await createCertificate(new Date('2020-01-01T00:00:00Z'), new Date('2021-01-01T00:00:00Z')), { mode: 0o600 })
    const expired = await storedCerthash(dir)

    const relay = await start<RelayReady>('relay', ['--data', dir, ...ANY_PORTS])
    expect(relay.stderr()).toContain(`relay: WebRTC-Direct certificate ${file} expired on 2021-01-01T00:00:00.000Z; replaced it with a new one`)
    expect(certhash(webrtcDirectAddr(relay))).not.toBe(expired)
    expect(certhash(webrtcDirectAddr(relay))).toBe(await storedCerthash(dir))
    expect(await relay.stop()).toBe(0)
  })

  it('stops with one line and exit 1 when the file cannot be read, rather than replace it', async () => {
    const dir = await dataDir()
    const file = join(dir, 'webrtc-direct.pem')
    await mkdir(file)
    const { code, stdout, stderr } = await run('relay', ['--data', dir, ...ANY_PORTS])
    expect(code).toBe(1)
    expect(stdout).toBe('')
    expect(stderr.trimEnd().split('\n')).toHaveLength(1)
    expect(stderr).toContain(`relay: cannot use certificate file ${file}: EISDIR`)
    expect((await stat(file)).isDirectory()).toBe(true)
  })

  // The dial proves the stored certificate is the one served: the Noise prologue binds the certhash
  // the client dials to the fingerprint of the certificate the relay's DTLS actually presents.
  it.runIf(loopbackOnly)('is served after a restart: a WebRTC-Direct client dials the address stored before it', async () => {
    const dir = await dataDir()
    const args = ['--data', dir, ...ANY_PORTS]
    const first = await start<RelayReady>('relay', args)
    const stored = withoutPort(webrtcDirectAddr(first))
    expect(await first.stop()).toBe(0)
    const second = await start<RelayReady>('relay', args)
    const port = /\/udp\/(\d+)\//.exec(webrtcDirectAddr(second))?.[1] ?? ''

    const client = await createLibp2p({
      transports: [webRTCDirect({ rtcConfiguration: { iceServers: [] } })],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()]
    })
    try {
      // Some WebRTC dials hang at the init channel (DESIGN §5): bound each try and retry.
      let conn: Connection | undefined
      for (let attempt = 1; conn === undefined; attempt++) {
        try {
          conn = await client.dial(multiaddr(stored.replace('/udp/PORT/', `/udp/${port}/`)), { signal: AbortSignal.timeout(10_000) })
        } catch (err) {
          if (attempt === 3) throw err
        }
      }
      expect(conn.remotePeer.toString()).toBe(second.ready.peerId)
    } finally {
      await client.stop()
    }
    expect(await second.stop()).toBe(0)
  })
})

// Every client here comes from 127.0.0.1, so one IP holds them all: the caps are set low.
describe('relay caps per IP', () => {
  it('refuses the reservation beyond --max-reservations-per-ip, and frees the slots of departed peers after --reservation-grace', async () => {
    const relay = await start<RelayReady>('relay', ['--data', await dataDir(), ...ANY_PORTS, '--max-reservations-per-ip', '2', '--reservation-grace', '3'])
    const ws = wsAddr(relay)
    const holders = [await createClient(ws), await createClient(ws)]
    for (const c of holders) await c.start()
    expect(await metric(relay, 'flock_relay_reservations')).toBe(2)

    const refused = await createClient(ws)
    await expect(refused.start()).rejects.toThrow(/reservation failed with status PERMISSION_DENIED/)
    expect(circuitAddrs(refused)).toEqual([])
    expect(await metric(relay, 'flock_relay_reservations')).toBe(2)
    expect(await metric(relay, 'flock_relay_reservations_refused_total')).toBe(1)

    await Promise.all([...holders, refused].map(async c => { await c.stop() }))
    await until('the relay to see the peers leave', async () => await metric(relay, 'flock_relay_connections') === 0 ? true : undefined)
    // Within the grace the slots are still held: a peer that reconnects now keeps its reservation.
    expect(await metric(relay, 'flock_relay_reservations')).toBe(2)
    await until('the departed peers\' reservations to end', async () => await metric(relay, 'flock_relay_reservations') === 0 ? true : undefined, 10_000)

    const newcomer = await createClient(ws)
    await newcomer.start()
    expect(circuitAddrs(newcomer).length).toBeGreaterThan(0)
    expect(await metric(relay, 'flock_relay_reservations')).toBe(1)
    expect(await relay.stop()).toBe(0)
  })

  it('holds a burst of reservations from one IP to --max-reservations-per-ip', async () => {
    const relay = await start<RelayReady>('relay', ['--data', await dataDir(), ...ANY_PORTS, '--max-reservations-per-ip', '2'])
    const ws = wsAddr(relay)
    const burst = await Promise.all(Array.from({ length: 6 }, async () => await createClient(ws)))
    const started = await Promise.allSettled(burst.map(async c => { await c.start() }))
    expect(started.filter(r => r.status === 'fulfilled')).toHaveLength(2)
    expect(await metric(relay, 'flock_relay_reservations')).toBe(2)
    expect(await metric(relay, 'flock_relay_reservations_refused_total')).toBe(4)
    await Promise.all(burst.map(async c => { await c.stop() }))
    expect(await relay.stop()).toBe(0)
  })

  it('refuses connections beyond --max-connections-per-ip until one closes', async () => {
    const relay = await start<RelayReady>('relay', ['--data', await dataDir(), ...ANY_PORTS, '--max-connections-per-ip', '2'])
    const ws = multiaddr(wsAddr(relay))
    const nodes = await Promise.all(Array.from({ length: 3 }, async () => await createLibp2p({
      transports: [webSockets()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()]
    })))
    try {
      const [a, b, c] = nodes as [Libp2p, Libp2p, Libp2p]
      await a.dial(ws)
      await b.dial(ws)
      await expect(c.dial(ws)).rejects.toThrow()
      expect(await metric(relay, 'flock_relay_connections')).toBe(2)
      expect(await metric(relay, 'flock_relay_connections_refused_total')).toBe(1)

      await a.hangUp(ws)
      await until('a connection from the capped IP to be let in again', async () => await c.dial(ws).then(() => true, () => undefined), 10_000)
      expect(await metric(relay, 'flock_relay_connections')).toBe(2)
    } finally {
      await Promise.all(nodes.map(async n => { await n.stop() }))
    }
    expect(await relay.stop()).toBe(0)
  })
})

describe('relay command line', () => {
  it('prints usage with defaults and env names for --help', async () => {
    const { code, stdout } = await run('relay', ['--help'])
    expect(code).toBe(0)
    expect(stdout).toContain('--ws-port N')
    expect(stdout).toContain('(default 9090); env FLOCK_WS_PORT')
    expect(stdout).toContain('--circuit-bytes N')
    expect(stdout).toContain('--max-reservations-per-ip N')
    expect(stdout).toContain('(default 8); env FLOCK_MAX_RESERVATIONS_PER_IP')
  })

  it('rejects bad flags with one line on stderr and exit status 2', async () => {
    const cases: Array<{ args: string[], env?: Record<string, string>, message: string }> = [
      { args: ['--nope'], message: 'unknown flag --nope' },
      { args: ['--ws-port', 'abc'], message: '--ws-port must be a port' },
      { args: ['--http-port', '70000'], message: '--http-port must be a port' },
      { args: ['--data'], message: '--data needs a value' },
      { args: [], env: { FLOCK_MAX_RESERVATIONS: '0' }, message: '--max-reservations must be at least 1' },
      { args: [], env: { FLOCK_MAX_CONNECTIONS_PER_IP: '0' }, message: '--max-connections-per-ip must be at least 1' },
      { args: ['--reservation-grace', 'soon'], message: '--reservation-grace must be a whole number' }
    ]
    const results = await Promise.all(cases.map(async c => await run('relay', c.args, c.env)))
    results.forEach(({ code, stdout, stderr }, i) => {
      expect(code).toBe(2)
      expect(stdout).toBe('')
      expect(stderr.trimEnd().split('\n')).toHaveLength(1)
      expect(stderr).toContain(cases[i]?.message)
    })
  })

  it('reports a port in use in one line and exits 1', async () => {
    const tcp = await busyPort('tcp')
    const udp = await busyPort('udp')
    try {
      const [ws, webrtc] = await Promise.all([
        run('relay', ['--data', await dataDir(), ...ANY_PORTS, '--ws-port', String(tcp.port)]),
        run('relay', ['--data', await dataDir(), ...ANY_PORTS, '--webrtc-direct-port', String(udp.port)])
      ])
      expect(ws.code).toBe(1)
      expect(ws.stderr.trimEnd()).toBe(`relay: --ws-port ${tcp.port} is already in use on 127.0.0.1`)
      expect(webrtc.code).toBe(1)
      expect(webrtc.stderr.trimEnd()).toBe(`relay: --webrtc-direct-port ${udp.port} is already in use on 127.0.0.1`)
    } finally {
      tcp.release()
      udp.release()
    }
  })
})
