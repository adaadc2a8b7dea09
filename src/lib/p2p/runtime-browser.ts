/**
 * The browser runtime of the shared node definition: WebSockets and WebRTC-Direct to relays, WebRTC
 * between browsers (signalled over a relayed connection), the circuit-relay transport for inbound,
 * and IndexedDB for blocks and the entry index.
 */
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { webRTC, webRTCDirect } from '@libp2p/webrtc'
import { webSockets } from '@libp2p/websockets'
import type { ConnectionGater, PrivateKey } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Author, SignerKey } from '../core/index.js'
import { openBrowserStores } from './browser-stores.js'
import { FlockNode } from './node.js'

export interface BrowserRuntimeOptions {
  author: Author
  /** This device's key (FlockNodeOptions.device); without one the node writes the author's root log. */
  device?: SignerKey
  deviceName?: string
  nodeKey: PrivateKey
  relays: string[]
  /**
   * Allow dialling loopback and private addresses and plain ws://. Browsers' default gater refuses
   * them, which is right on the internet and wrong for a relay on 127.0.0.1 (npm start, tests).
   */
  allowLocal: boolean
  /** STUN/TURN servers for WebRTC; empty on a local network. */
  iceServers?: RTCIceServer[]
}

const localGater: ConnectionGater = {
  denyDialMultiaddr: (_ma: Multiaddr) => false
}

export async function createBrowserFlockNode (options: BrowserRuntimeOptions): Promise<FlockNode> {
  const { blockstore, datastore, close } = await openBrowserStores()
  const rtcConfiguration = { iceServers: options.iceServers ?? [] }
  return await FlockNode.create({
    author: options.author,
    ...(options.device !== undefined ? { device: options.device } : {}),
    ...(options.deviceName !== undefined ? { deviceName: options.deviceName } : {}),
    nodeKey: options.nodeKey,
    transports: [
      webSockets(),
      webRTCDirect({ rtcConfiguration }),
      webRTC({ rtcConfiguration }),
      circuitRelayTransport()
    ],
    listen: ['/p2p-circuit', '/webrtc'],
    blockstore,
    datastore,
    relays: options.relays,
    ...(options.allowLocal ? { connectionGater: localGater, ipColocationFactorWeight: 0 } : {}),
    closeStores: close
  })
}
