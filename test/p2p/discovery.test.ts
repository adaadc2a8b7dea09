/**
 * Discovery against a hostile announcer (DESIGN §6, "announce addresses"): a flood of valid
 * announcements from fresh keys is taken in only within the budget, is not forwarded beyond it and
 * costs the flooder its gossip score; an announced loopback address is dialled only by a node
 * configured for a local network, and never more often than the dial budget allows.
 */
import { afterAll, describe, expect, test } from 'vitest'
import { createServer } from 'node:net'
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { identify } from '@libp2p/identify'
import type { GossipSub } from '@libp2p/gossipsub'
import { defaultPeerScoreThresholds } from '@libp2p/gossipsub/score'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PeerId } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { DISCOVERY_TOPIC, authorFromPrivateKey, createAnnouncement } from '../../src/lib/core/index.js'
import { flockGossip } from '../../src/lib/p2p/gossip.js'
import type { FlockNode } from '../../src/lib/p2p/node.js'
import { createNodeFlockNode, isLocalAddress, localDialGater, type NodeRuntimeOptions } from '../../src/lib/p2p/runtime-node.js'
import {
  ANNOUNCE_PEER_BURST, ANNOUNCE_PEER_PER_S, DIAL_ATTEMPTS, DISCOVERY_DIAL_BURST, DISCOVERY_DIALS_PER_S, DNS_LOOKUP_BURST
} from '../../src/lib/p2p/constants.js'
import { tempDir, until } from '../server/harness.js'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const cleanup: Array<() => Promise<void>> = []
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn()
})

async function flockNode (options: Partial<NodeRuntimeOptions> = {}): Promise<FlockNode> {
  const dir = await tempDir()
  cleanup.push(dir.remove)
  const node = await createNodeFlockNode({
    author: authorFromPrivateKey(await generateKeyPair('Ed25519')),
    dataDir: dir.path,
    ipColocationFactorWeight: 0,
    ...options
  })
  cleanup.push(async () => { await node.stop() })
  return node
}

/** A bare gossipsub peer with Flock's message ids: it publishes whatever it is told to, or just listens. */
async function gossipPeer (): Promise<Libp2p<{ pubsub: GossipSub, identify: unknown }>> {
  const node = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { pubsub: flockGossip({ ipColocationFactorWeight: 0 }), identify: identify() }
  })
  cleanup.push(async () => { await node.stop() })
  return node
}

/** A TCP port where nothing speaks libp2p: it counts the connections made to it and closes them. */
async function countingPort (): Promise<{ port: number, connections: () => number }> {
  let connections = 0
  const server = createServer(socket => {
    connections++
    socket.destroy()
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  cleanup.push(async () => { await new Promise(resolve => server.close(resolve)) })
  return { port: (server.address() as { port: number }).port, connections: () => connections }
}

async function connect (from: Libp2p<{ pubsub: GossipSub, identify: unknown }>, to: FlockNode): Promise<void> {
  await from.dial(to.libp2p.getMultiaddrs()[0] as Parameters<typeof from.dial>[0])
  await until('the Flock node to be seen on the discovery topic', () =>
    from.services.pubsub.getSubscribers(DISCOVERY_TOPIC).some(p => p.equals(to.peerId)) ? true : undefined, 10_000)
}

/** Announcements of `n` fresh keys, each naming `addr`. */
async function freshAnnouncements (n: number, addr: string): Promise<Array<{ peerId: PeerId, bytes: Uint8Array }>> {
  return await Promise.all(Array.from({ length: n }, async () => {
    const key = await generateKeyPair('Ed25519')
    return { peerId: peerIdFromPrivateKey(key), bytes: await createAnnouncement(key, [multiaddr(addr)]) }
  }))
}

describe('isLocalAddress and localDialGater', () => {
  test('local: loopback, private, CGNAT, link-local, unspecified, multicast, localhost, unix; public: the rest', () => {
    const local = [
      '/ip4/127.0.0.1/tcp/45999', '/ip4/10.1.2.3/tcp/1', '/ip4/172.20.0.1/tcp/1', '/ip4/192.168.1.1/tcp/1', '/ip4/100.64.0.1/tcp/1',
      '/ip4/169.254.1.1/tcp/1', '/ip4/0.0.0.0/tcp/1', '/ip4/224.0.0.1/udp/1', '/ip4/255.255.255.255/udp/1',
      '/ip6/::1/tcp/1', '/ip6/::/tcp/1', '/ip6/fe80::1/tcp/1', '/ip6/fd00::1/tcp/1', '/ip6/::ffff:127.0.0.1/tcp/1',
      '/dns4/localhost/tcp/1', '/dns/app.localhost/tcp/1', '/unix/%2Fvar%2Frun%2Fdocker.sock'
    ]
    const notLocal = ['/ip4/203.0.114.7/tcp/443/wss', '/ip6/2606:4700::1/tcp/1', '/dns4/relay.example.org/tcp/443/wss', '/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN/p2p-circuit']
    expect(local.filter(a => !isLocalAddress(multiaddr(a)))).toEqual([])
    expect(notLocal.filter(a => isLocalAddress(multiaddr(a)))).toEqual([])
  })

  test('the gater refuses local addresses except the configured relays and circuits through them', async () => {
    const relay = '/ip4/192.168.1.5/tcp/9090/ws/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN'
    const deny = localDialGater([relay], async () => ['203.0.114.7']).denyDialMultiaddr
    if (deny === undefined) throw new Error('no denyDialMultiaddr')
    const denied = async (a: string): Promise<boolean> => await deny(multiaddr(a))
    expect(await denied(relay)).toBe(false)
    expect(await denied(`${relay}/p2p-circuit/p2p/12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK`)).toBe(false)
    expect(await denied('/ip4/192.168.1.5/tcp/9091/ws')).toBe(true)
    expect(await denied('/ip4/127.0.0.1/tcp/45999/p2p/12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK')).toBe(true)
    expect(await denied('/ip4/203.0.114.7/tcp/4001')).toBe(false)
    expect(await denied('/dns4/relay.example.org/tcp/443/wss')).toBe(false)
  })

  test('the gater looks DNS names up: a name for a local address, or one that does not resolve, is refused', async () => {
    const names: Record<string, string[]> = {
      'rebind.example': ['127.0.0.1'],
      'mixed.example': ['203.0.114.7', '10.0.0.8'],
      'v6.example': ['::1'],
      'public.example': ['203.0.114.7', '2606:4700::1'],
      'empty.example': []
    }
    const looked: string[] = []
    const deny = localDialGater([], async (host) => {
      looked.push(host)
      const ips = names[host]
      if (ips === undefined) throw new Error(`ENOTFOUND ${host}`)
      return ips
    }).denyDialMultiaddr
    if (deny === undefined) throw new Error('no denyDialMultiaddr')
    const denied = async (a: string): Promise<boolean> => await deny(multiaddr(a))
    expect(await denied('/dns4/rebind.example/tcp/45999')).toBe(true)
    expect(await denied('/dns/mixed.example/tcp/1/ws')).toBe(true)
    expect(await denied('/dns6/v6.example/tcp/1')).toBe(true)
    expect(await denied('/dns4/empty.example/tcp/1')).toBe(true)
    expect(await denied('/dns4/nxdomain.example/tcp/1')).toBe(true)
    expect(await denied('/dns4/public.example/tcp/443/wss/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN/p2p-circuit')).toBe(false)
    expect(looked).toContain('rebind.example')
  })

  test('the gater\'s lookups are budgeted, and a verdict is reused', async () => {
    let lookups = 0
    const deny = localDialGater([], async () => {
      lookups++
      return ['203.0.114.7']
    }).denyDialMultiaddr
    if (deny === undefined) throw new Error('no denyDialMultiaddr')
    for (let i = 0; i < 5; i++) expect(await deny(multiaddr('/dns4/same.example/tcp/1'))).toBe(false)
    expect(lookups).toBe(1)
    const verdicts = await Promise.all(Array.from({ length: 200 }, async (_, i) => await deny(multiaddr(`/dns4/n${i}.flood.example/tcp/1`))))
    // The burst is looked up; names beyond it are refused unasked.
    expect(lookups).toBeLessThanOrEqual(1 + DNS_LOOKUP_BURST + 5)
    expect(verdicts.filter(v => v).length).toBeGreaterThanOrEqual(200 - DNS_LOOKUP_BURST - 5)
  })
})

test('a flood of valid announcements from fresh keys is taken in within the budget, stops at the victim, and graylists the flooder', async () => {
  const target = await countingPort()
  // Configured for a local network (no relays, loopback host), so only the dial budget holds it back.
  const victim = await flockNode()
  const hostile = await gossipPeer()
  const listener = await gossipPeer()
  listener.services.pubsub.subscribe(DISCOVERY_TOPIC)
  await connect(listener, victim)
  await connect(hostile, victim)
  await until('the listener to be in the victim\'s discovery mesh', () =>
    // The gossipsub class has getMeshPeers; its public interface does not.
    (victim.libp2p.services.pubsub as unknown as { getMeshPeers: (topic: string) => string[] })
      .getMeshPeers(DISCOVERY_TOPIC).includes(listener.peerId.toString()) ? true : undefined, 10_000)

  const flood = await freshAnnouncements(2_000, `/ip4/127.0.0.1/tcp/${target.port}`)
  const flooded = new Set(flood.map(a => hex(a.bytes)))
  const counter = (node: Libp2p<{ pubsub: GossipSub, identify: unknown }>): { count: number } => {
    const seen = { count: 0 }
    node.services.pubsub.addEventListener('message', (evt) => {
      if (evt.detail.topic === DISCOVERY_TOPIC && flooded.has(hex(evt.detail.data))) seen.count++
    })
    return seen
  }
  const accepted = counter(victim.libp2p)
  const forwarded = counter(listener)

  const start = performance.now()
  for (const a of flood) await hostile.services.pubsub.publish(DISCOVERY_TOPIC, a.bytes)
  // The score is recomputed once a heartbeat; what it comes to is asserted below.
  const graylisted = (): boolean => victim.gossipScore(hostile.peerId.toString()) < defaultPeerScoreThresholds.graylistThreshold
  await until('the victim to graylist the flooder', () => graylisted() ? true : undefined, 10_000).catch(() => {})
  const score = victim.gossipScore(hostile.peerId.toString())
  await until('the victim to dial a flooded peer', () => target.connections() > 0 ? true : undefined, 10_000)
  const forwardedCount = forwarded.count
  const acceptedCount = accepted.count
  const stored = (await victim.libp2p.peerStore.all()).length
  const dials = target.connections()
  const seconds = (performance.now() - start) / 1000

  // Everything came through one forwarder, so its share of the budget is the bound.
  expect(acceptedCount).toBeGreaterThanOrEqual(ANNOUNCE_PEER_BURST)
  expect(acceptedCount).toBeLessThanOrEqual(ANNOUNCE_PEER_BURST + ANNOUNCE_PEER_PER_S * seconds)
  expect(score).toBeLessThan(defaultPeerScoreThresholds.graylistThreshold)
  // What the victim ignored went no further.
  expect(forwardedCount).toBeLessThanOrEqual(acceptedCount)
  // Peers beyond the dial budget are neither dialled nor stored; the two are the listener and the flooder.
  const dialBound = DISCOVERY_DIAL_BURST + DISCOVERY_DIALS_PER_S * seconds
  expect(stored).toBeLessThanOrEqual(2 + dialBound)
  expect(dials).toBeLessThanOrEqual(DIAL_ATTEMPTS * dialBound)
})

test('an announced loopback address is dialled by a node configured for a local network only', async () => {
  const hostile = await gossipPeer()
  const announce = async (victim: FlockNode, port: number): Promise<PeerId> => {
    await connect(hostile, victim)
    const [a] = await freshAnnouncements(1, `/ip4/127.0.0.1/tcp/${port}`)
    if (a === undefined) throw new Error('no announcement')
    const taken = new Promise<void>(resolve => {
      victim.libp2p.services.pubsub.addEventListener('message', (evt) => {
        if (evt.detail.topic === DISCOVERY_TOPIC && hex(evt.detail.data) === hex(a.bytes)) resolve()
      })
    })
    await hostile.services.pubsub.publish(DISCOVERY_TOPIC, a.bytes)
    await taken
    return a.peerId
  }

  const guarded = await flockNode({ allowLocalAddresses: false })
  // It has no relays and follows no one: any dial it makes is one of the announced peer.
  let guardedDials = 0
  const dial = guarded.libp2p.dial.bind(guarded.libp2p)
  guarded.libp2p.dial = async (peer, options) => {
    guardedDials++
    return await dial(peer, options)
  }
  const refused = await countingPort()
  const stranger = await announce(guarded, refused.port)

  // The same on a node with no relays on a loopback host, i.e. configured for a local network (tests).
  // It dials at once; the guarded node had all that time to dial too.
  const local = await flockNode()
  const allowed = await countingPort()
  await announce(local, allowed.port)
  await until('the local node to dial the announced address', () => allowed.connections() > 0 ? true : undefined, 10_000)

  expect(allowed.connections()).toBeGreaterThan(0)
  expect(refused.connections()).toBe(0)
  expect(guardedDials).toBe(0)
  expect(await guarded.libp2p.peerStore.has(stranger)).toBe(false)
})
