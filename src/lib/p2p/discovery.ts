/**
 * Discovery: how peers find each other (PROTOCOL.md §8.1). Every node and relay joins the discovery
 * topic and judges announcements within a budget (AnnouncementGate: forged ones and floods cost their
 * sender score). A node also keeps its bootstrap relays connected, announces its own addresses signed
 * with its node key, and dials the peers it hears of: at most DISCOVERY_DIALS_PER_S, and only at
 * addresses its connection gater allows. A relay does neither: peers find it through /bootstrap.
 *
 * ```ts
 * discovery({ nodeKey, relays })({ libp2p, pubsub })   // a peer
 * discovery()({ libp2p, pubsub })                      // a relay: validate and forward only
 * ```
 */
import { logger } from '@libp2p/logger'
import type { GossipSub } from '@libp2p/gossipsub'
import type { Connection, Ed25519PrivateKey, Libp2p, PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { DISCOVERY_TOPIC, createAnnouncement, type Announcement } from '../core/index.js'
import { AnnouncementGate, penalize, scoreTopic } from './gossip.js'
import { TokenBucket } from './budget.js'
import { Timers } from './timers.js'
import {
  ANNOUNCE_BURST_MS, DIAL_ATTEMPTS, DIAL_TIMEOUT_MS, DISCOVERY_DIAL_BURST, DISCOVERY_DIALS_PER_S, DISCOVERY_INTERVAL_MS,
  RELAY_REDIAL_MAX_MS, RELAY_REDIAL_MIN_MS
} from './constants.js'

const log = logger('flock:discovery')

export interface DiscoveryInit {
  /** Announce ourselves, signed with this key (a node's libp2p key). Without it: validate and forward only. */
  nodeKey?: Ed25519PrivateKey
  /** Bootstrap relays to keep a connection to (multiaddrs with /p2p/<id>). */
  relays?: string[]
  /** How often to announce (DISCOVERY_INTERVAL_MS). */
  intervalMs?: number
}

export interface DiscoveryComponents {
  libp2p: Pick<Libp2p, 'peerId' | 'getMultiaddrs' | 'getConnections' | 'dial' | 'isDialable' | 'peerStore' | 'addEventListener' | 'removeEventListener'>
  pubsub: Pick<GossipSub, 'subscribe' | 'unsubscribe' | 'publish' | 'topicValidators'>
}

export class Discovery {
  readonly #c: DiscoveryComponents
  readonly #nodeKey: Ed25519PrivateKey | undefined
  readonly #relays: Multiaddr[]
  readonly #intervalMs: number
  readonly #timers = new Timers()
  readonly #dialing = new Set<string>()
  readonly #dials = new TokenBucket(DISCOVERY_DIALS_PER_S, DISCOVERY_DIAL_BURST, () => performance.now())
  #started = false

  constructor (init: DiscoveryInit, components: DiscoveryComponents) {
    this.#c = components
    this.#nodeKey = init.nodeKey
    this.#relays = (init.relays ?? []).map(a => multiaddr(a))
    this.#intervalMs = init.intervalMs ?? DISCOVERY_INTERVAL_MS
  }

  /** Peer ids of the bootstrap relays. */
  get relayIds (): string[] {
    return this.#relays.map(r => r.getComponents().findLast(c => c.name === 'p2p')?.value).filter(id => id !== undefined)
  }

  start (): void {
    if (this.#started) return
    this.#started = true
    this.#timers.start()
    const pubsub = this.#c.pubsub
    scoreTopic(pubsub, DISCOVERY_TOPIC)
    const gate = new AnnouncementGate({ onFlood: (peer) => { penalize(pubsub, peer) } })
    const onValid = this.#nodeKey === undefined ? undefined : (a: Announcement) => { this.#heard(a) }
    pubsub.topicValidators.set(DISCOVERY_TOPIC, async (from, msg) => await gate.verdict(from.toString(), msg.data, onValid))
    pubsub.subscribe(DISCOVERY_TOPIC)
    if (this.#nodeKey === undefined) return
    this.#c.libp2p.addEventListener('self:peer:update', this.#onSelfUpdate)
    this.#c.libp2p.addEventListener('peer:disconnect', this.#onDisconnect)
    this.#timers.every(this.#intervalMs, () => { this.#announce() })
    for (const relay of this.#relays) this.#keepRelay(relay, 0)
  }

  stop (): void {
    if (!this.#started) return
    this.#started = false
    this.#timers.stop()
    this.#c.libp2p.removeEventListener('self:peer:update', this.#onSelfUpdate)
    this.#c.libp2p.removeEventListener('peer:disconnect', this.#onDisconnect)
    this.#c.pubsub.unsubscribe(DISCOVERY_TOPIC)
    this.#c.pubsub.topicValidators.delete(DISCOVERY_TOPIC)
  }

  // A browser is dialable only once a relay reservation gives it a circuit address; an announcement
  // made before that is useless to its readers, so tell them again as soon as our addresses change.
  readonly #onSelfUpdate = (evt: CustomEvent<{ peer: { addresses: Array<{ multiaddr: Multiaddr }> }, previous?: { addresses: Array<{ multiaddr: Multiaddr }> } }>): void => {
    const addrs = (p: { addresses: Array<{ multiaddr: Multiaddr }> } | undefined): string =>
      (p?.addresses ?? []).map(a => a.multiaddr.toString()).sort().join(' ')
    if (addrs(evt.detail.peer) !== addrs(evt.detail.previous)) this.#announce()
  }

  readonly #onDisconnect = (evt: CustomEvent<PeerId>): void => {
    const relay = this.#relays.find(r => r.getComponents().some(c => c.value === evt.detail.toString()))
    if (relay !== undefined) this.#keepRelay(relay, RELAY_REDIAL_MIN_MS)
  }

  /** A valid announcement of another peer (already forwarded): remember its addresses and dial it. */
  #heard (a: Announcement): void {
    if (a.peerId === this.#c.libp2p.peerId.toString()) return
    void this.#discovered(a)
  }

  async #discovered (a: Announcement): Promise<void> {
    const id = peerIdFromString(a.peerId)
    const connected = this.#c.libp2p.getConnections(id).length > 0
    // Beyond the dial budget a peer is neither checked, dialled nor stored (so none of them grows with
    // a flood of fresh keys): it announces again within DISCOVERY_INTERVAL_MS. Only a peer with an
    // address worth dialling takes from the budget.
    if (!connected && (this.#dialing.has(a.peerId) || this.#dials.available < 1)) return
    const addrs = await this.#dialable(id, a.addrs)
    if (addrs.length === 0) {
      log('no dialable address in the announcement of %s', a.peerId)
      return
    }
    if (!connected && !this.#dials.tryTake(1)) return
    // Its newest addresses replace older ones: a reservation that expired is no address to try first.
    await this.#c.libp2p.peerStore.patch(id, { multiaddrs: addrs }).catch((err: Error) => { log('peer store refused %s: %s', a.peerId, err.message) })
    if (!this.#started || connected) return
    // Dial by id, so libp2p tries the addresses in its own order (direct before relayed).
    if (await this.#dial(id) === undefined && this.#c.libp2p.getConnections(id).length === 0) {
      // A peer never reached leaves nothing behind; fresh keys cost nothing to make.
      await this.#c.libp2p.peerStore.delete(id).catch(() => {})
    }
  }

  /**
   * The announced addresses this node would dial: each leads to the announcing peer (no other /p2p/
   * at its end), and libp2p has a transport for it and the connection gater allows it (a Node peer's
   * gater refuses loopback and private addresses unless configured for a local network). Checked
   * before anything is stored, so an address the gater refuses never reaches the peer store.
   */
  async #dialable (id: PeerId, addrs: Multiaddr[]): Promise<Multiaddr[]> {
    const self = `/p2p/${id.toString()}`
    const checked = await Promise.all(addrs.map(async (ma) => {
      const components = ma.getComponents()
      // A /dnsaddr/ is a list to look up in DNS (recursively), never a peer's own address.
      if (components[0]?.name === 'dnsaddr') return false
      const last = components.at(-1)
      if (last?.name === 'p2p' && last.value !== id.toString()) return false
      return await this.#c.libp2p.isDialable(last?.name === 'p2p' ? ma : ma.encapsulate(self))
    }))
    return addrs.filter((_, i) => checked[i])
  }

  /** Tell the discovery topic how to reach us: our addresses, signed with the node key. */
  #announce (): void {
    const key = this.#nodeKey
    if (!this.#started || key === undefined) return
    const self = `/p2p/${this.#c.libp2p.peerId.toString()}`
    // Our own id at the end of each address is implied by the signing key.
    const addrs = this.#c.libp2p.getMultiaddrs().map(ma => ma.toString().endsWith(self) ? ma.decapsulate(self) : ma)
    // Without an address (a browser before its first relay reservation) there is nothing to tell.
    if (addrs.length === 0) return
    void createAnnouncement(key, addrs)
      .then(async bytes => await this.#c.pubsub.publish(DISCOVERY_TOPIC, bytes))
      .catch((err: Error) => { log('announcement not sent: %s', err.message) })
  }

  async #dial (peer: PeerId): Promise<Connection | undefined> {
    const key = peer.toString()
    this.#dialing.add(key)
    try {
      for (let attempt = 1; attempt <= DIAL_ATTEMPTS && this.#started; attempt++) {
        try {
          return await this.#c.libp2p.dial(peer, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })
        } catch (err) {
          log('dial %s attempt %d failed: %s', key, attempt, (err as Error).message)
        }
      }
      return undefined
    } finally {
      this.#dialing.delete(key)
    }
  }

  /** Keep a connection to a bootstrap relay, redialling with exponential backoff while it is down. */
  #keepRelay (relay: Multiaddr, delay: number): void {
    this.#timers.later(delay, () => {
      const id = relay.getComponents().findLast(c => c.name === 'p2p')?.value
      if (id !== undefined && this.#c.libp2p.getConnections().some(c => c.remotePeer.toString() === id)) return
      this.#c.libp2p.dial(relay, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) }).then(
        () => {
          log('connected to relay %s', relay)
          // ANNOUNCE_BURST_MS says when and why.
          for (const ms of ANNOUNCE_BURST_MS) this.#timers.later(ms, () => { this.#announce() })
        },
        (err: Error) => {
          const next = Math.min(RELAY_REDIAL_MAX_MS, Math.max(RELAY_REDIAL_MIN_MS, delay * 2))
          log('relay %s unreachable (%s); retrying in %d ms', relay, err.message, next)
          this.#keepRelay(relay, next)
        }
      )
    })
  }
}

export function discovery (init: DiscoveryInit = {}): (components: DiscoveryComponents) => Discovery {
  return (components) => new Discovery(init, components)
}
