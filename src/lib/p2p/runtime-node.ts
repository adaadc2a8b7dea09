/**
 * The Node runtime of the shared node definition: TCP and WebSockets (and optionally WebRTC through
 * node-datachannel) as transports, LevelDB for blocks and the entry index, all under one data dir,
 * and a connection gater that keeps the node from dialling local addresses strangers announce.
 */
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { tcp } from '@libp2p/tcp'
import { webRTC } from '@libp2p/webrtc'
import { webSockets } from '@libp2p/websockets'
import type { ConnectionGater, PrivateKey } from '@libp2p/interface'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { LevelBlockstore } from 'blockstore-level'
import { LevelDatastore } from 'datastore-level'
import { lookup } from 'node:dns/promises'
import { BlockList, isIPv6 } from 'node:net'
import { join } from 'node:path'
import type { Author, SignerKey } from '../core/index.js'
import { FlockNode } from './node.js'
import { TokenBucket } from './budget.js'
import { DNS_LOOKUPS_PER_S, DNS_LOOKUP_BURST, DNS_LOOKUP_TIMEOUT_MS, DNS_VERDICTS_KEPT, DNS_VERDICT_TTL_MS } from './constants.js'

export interface NodeRuntimeOptions {
  author: Author
  /** This device's key (FlockNodeOptions.device); without one the node writes the author's root log. */
  device?: SignerKey
  deviceName?: string
  nodeKey?: PrivateKey
  /** Directory holding blocks/ and index/. */
  dataDir: string
  relays?: string[]
  /** Host for the TCP listener; peers on one machine use 127.0.0.1. */
  host?: string
  tcpPort?: number
  /** Accept WebRTC (browsers reach a headless peer this way, signalled through a relay). */
  webrtc?: boolean
  ipColocationFactorWeight?: number
  antiEntropyMs?: number
  /** Upload cap for others' catch-ups, all peers together (SYNC_SERVE_TOTAL_BYTES_PER_S). */
  syncServeBytesPerSecond?: number
  /**
   * Dial loopback, private and link-local addresses (isLocalAddress), whoever named them: peers
   * announce them, identify reports them. Default: only on a local network, i.e. when the listen host
   * and every relay are such addresses (tests, benchmarks, a LAN; also a node with no relays at all,
   * which nothing outside this machine can reach) — so a peer on public relays never dials
   * 127.0.0.1:<port> because a stranger announced it. Configured relays, and circuits through them,
   * stay dialable either way.
   */
  allowLocalAddresses?: boolean
}

const LOCAL_NETWORKS = new BlockList()
for (const [net, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.168.0.0', 16], ['224.0.0.0', 3]
] as const) LOCAL_NETWORKS.addSubnet(net, bits, 'ipv4')
// IPv4-mapped IPv6 addresses are checked against the IPv4 ranges by BlockList itself.
for (const [net, bits] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) LOCAL_NETWORKS.addSubnet(net, bits, 'ipv6')

/**
 * Whether dialling `ma` reaches this machine or its local network rather than the internet: loopback,
 * private, shared (CGNAT), link-local, unspecified, multicast and reserved IPs, `localhost` names, and
 * whatever does not start with a network address (a unix socket). A DNS name is judged by its name
 * here; localDialGater also looks it up.
 */
export function isLocalAddress (ma: Multiaddr): boolean {
  const first = ma.getComponents()[0]
  switch (first?.name) {
    case 'ip4':
    case 'ip6':
      return LOCAL_NETWORKS.check(first.value ?? '', first.name === 'ip4' ? 'ipv4' : 'ipv6')
    case 'dns':
    case 'dns4':
    case 'dns6':
    case 'dnsaddr': {
      const host = (first.value ?? '').toLowerCase().replace(/\.$/, '')
      return host === 'localhost' || host.endsWith('.localhost')
    }
    // A circuit through a relay named by id only: the relay's own address is gated when it is dialled.
    case 'p2p':
      return false
    default:
      return true
  }
}

/** The IP addresses a host name resolves to, as the transports would resolve it. */
export type HostLookup = (host: string) => Promise<string[]>

async function systemLookup (host: string): Promise<string[]> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => { reject(new Error(`looking up ${host} took over ${DNS_LOOKUP_TIMEOUT_MS} ms`)) }, DNS_LOOKUP_TIMEOUT_MS)
  })
  try {
    return (await Promise.race([lookup(host, { all: true }), timeout])).map(a => a.address)
  } finally {
    clearTimeout(timer)
  }
}

/**
 * A gater refusing outbound dials to local addresses, except to the configured relays and through
 * them: a relay on the LAN is the operator's choice, not a stranger's. A DNS name is looked up first
 * and refused if any address it names is local (or it does not resolve), so a stranger cannot point
 * us at 127.0.0.1 through a name. The transport looks the name up again when it dials, so a name
 * whose answer changes in between (DNS rebinding with a zero TTL) still gets through: this closes
 * the plain case, not that one. Names come from strangers' announcements, so lookups are budgeted
 * (DNS_LOOKUPS_PER_S; a name over budget is refused for now) and their verdicts kept a while.
 * Inbound connections are not gated here.
 */
export function localDialGater (relays: string[], lookupHost: HostLookup = systemLookup): ConnectionGater {
  const trusted = relays.map(r => multiaddr(r).toString())
  const isTrusted = (ma: Multiaddr): boolean => {
    const addr = ma.toString()
    return trusted.some(r => addr === r || addr.startsWith(`${r}/`))
  }
  const lookups = new TokenBucket(DNS_LOOKUPS_PER_S, DNS_LOOKUP_BURST)
  const verdicts = new Map<string, { local: boolean, until: number }>()
  const resolvesLocal = async (ma: Multiaddr): Promise<boolean> => {
    const first = ma.getComponents()[0]
    if (first?.name !== 'dns' && first?.name !== 'dns4' && first?.name !== 'dns6') return false
    const host = (first.value ?? '').toLowerCase()
    const known = verdicts.get(host)
    if (known !== undefined && known.until > Date.now()) return known.local
    if (!lookups.tryTake(1)) return true
    let local: boolean
    try {
      const ips = await lookupHost(host)
      local = ips.length === 0 || ips.some(ip => isLocalAddress(multiaddr(`/${isIPv6(ip) ? 'ip6' : 'ip4'}/${ip}`)))
    } catch {
      local = true
    }
    verdicts.delete(host)
    verdicts.set(host, { local, until: Date.now() + DNS_VERDICT_TTL_MS })
    if (verdicts.size > DNS_VERDICTS_KEPT) verdicts.delete(verdicts.keys().next().value as string)
    return local
  }
  return {
    denyDialMultiaddr: async (ma: Multiaddr) => {
      if (isTrusted(ma)) return false
      return isLocalAddress(ma) || await resolvesLocal(ma)
    }
  }
}

export async function createNodeFlockNode (options: NodeRuntimeOptions): Promise<FlockNode> {
  const blockstore = new LevelBlockstore(join(options.dataDir, 'blocks'))
  const datastore = new LevelDatastore(join(options.dataDir, 'index'))
  await blockstore.open()
  await datastore.open()
  const host = options.host ?? '127.0.0.1'
  const webrtc = options.webrtc ?? false
  const relays = options.relays ?? []
  const relayed = relays.length > 0
  const allowLocal = options.allowLocalAddresses ??
    (host !== '0.0.0.0' && isLocalAddress(multiaddr(`/ip4/${host}`)) && relays.every(r => isLocalAddress(multiaddr(r))))
  return await FlockNode.create({
    author: options.author,
    ...(options.device !== undefined ? { device: options.device } : {}),
    ...(options.deviceName !== undefined ? { deviceName: options.deviceName } : {}),
    ...(options.nodeKey !== undefined ? { nodeKey: options.nodeKey } : {}),
    transports: [
      tcp(),
      webSockets(),
      circuitRelayTransport(),
      ...(webrtc ? [webRTC({ rtcConfiguration: { iceServers: [] } })] : [])
    ],
    listen: [
      `/ip4/${host}/tcp/${options.tcpPort ?? 0}`,
      ...(relayed ? ['/p2p-circuit'] : []),
      ...(webrtc ? ['/webrtc'] : [])
    ],
    blockstore,
    datastore,
    relays,
    ...(allowLocal ? {} : { connectionGater: localDialGater(relays) }),
    ...(options.ipColocationFactorWeight !== undefined ? { ipColocationFactorWeight: options.ipColocationFactorWeight } : {}),
    ...(options.antiEntropyMs !== undefined ? { antiEntropyMs: options.antiEntropyMs } : {}),
    ...(options.syncServeBytesPerSecond !== undefined ? { syncServeBytesPerSecond: options.syncServeBytesPerSecond } : {}),
    // A LevelDB left open stays locked for the next run of the same data dir.
    closeStores: async () => {
      await blockstore.close()
      await datastore.close()
    }
  })
}
