/**
 * The Node runtime of the shared node definition: TCP and WebSockets (and optionally WebRTC through
 * node-datachannel) as transports, LevelDB for blocks and the entry index, all under one data dir.
 */
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { tcp } from '@libp2p/tcp'
import { webRTC } from '@libp2p/webrtc'
import { webSockets } from '@libp2p/websockets'
import type { PrivateKey } from '@libp2p/interface'
import { LevelBlockstore } from 'blockstore-level'
import { LevelDatastore } from 'datastore-level'
import { join } from 'node:path'
import type { Author } from '../core/index.js'
import { FlockNode } from './node.js'

export interface NodeRuntimeOptions {
  author: Author
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
}

export async function createNodeFlockNode (options: NodeRuntimeOptions): Promise<FlockNode> {
  const blockstore = new LevelBlockstore(join(options.dataDir, 'blocks'))
  const datastore = new LevelDatastore(join(options.dataDir, 'index'))
  await blockstore.open()
  await datastore.open()
  const host = options.host ?? '127.0.0.1'
  const webrtc = options.webrtc ?? false
  const relayed = (options.relays ?? []).length > 0
  return await FlockNode.create({
    author: options.author,
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
    relays: options.relays ?? [],
    ...(options.ipColocationFactorWeight !== undefined ? { ipColocationFactorWeight: options.ipColocationFactorWeight } : {}),
    ...(options.antiEntropyMs !== undefined ? { antiEntropyMs: options.antiEntropyMs } : {}),
    // A LevelDB left open stays locked for the next run of the same data dir.
    closeStores: async () => {
      await blockstore.close()
      await datastore.close()
    }
  })
}
