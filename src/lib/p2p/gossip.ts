/**
 * Gossip rules shared by every Flock node and the relay. Message ids must agree, or forwarding
 * breaks. Messages are unsigned at the gossip layer (StrictNoSign): entries and discovery
 * announcements carry their own signatures. A message's id is the CID of its bytes, so an entry
 * re-announced by many peers is one message; announcements carry a timestamp, so each is new.
 */
import { gossipsub, StrictNoSign, TopicValidatorResult, type GossipSub, type GossipSubComponents } from '@libp2p/gossipsub'
import { createTopicScoreParams, type TopicScoreParams } from '@libp2p/gossipsub/score'
import { InvalidAnnouncementError, entryCid, readAnnouncement, type Announcement } from '../core/index.js'
import { DISCOVERY_TOPIC } from '../core/constants.js'
import { BudgetMap, TokenBucket } from './budget.js'
import {
  ANNOUNCE_ACCEPT_BURST, ANNOUNCE_ACCEPT_PER_S, ANNOUNCE_FLOOD_BURST, ANNOUNCE_FORWARDERS_KEPT, ANNOUNCE_PEER_BURST,
  ANNOUNCE_PEER_PER_S, ANNOUNCE_PEERS_KEPT
} from './constants.js'

export interface FlockGossipInit {
  /**
   * Weight of gossipsub's IP-colocation penalty. Peers reached through one relay share its address,
   * and tests run every peer on 127.0.0.1, so callers tune it; by default gossipsub's (-5 beyond 10
   * peers per IP).
   */
  ipColocationFactorWeight?: number
  /**
   * 'peer' (default) carries author topics and publishes to them; 'relay' carries the discovery topic
   * only, so peers' author-topic subscriptions cost a relay nothing.
   */
  role?: 'peer' | 'relay'
}

/**
 * The gossipsub service of every Flock node and relay. Message ids and the signature policy must agree
 * on both, or forwarding breaks: a relay signing its forwards would be rejected by every peer.
 */
export function flockGossip (init: FlockGossipInit = {}): (components: GossipSubComponents) => GossipSub {
  return gossipsub({
    // Entries and announcements carry their own signatures; a gossip-layer signature would be
    // verified again by every peer for each of its copies. The message id is the CID of the bytes,
    // so a re-announced entry is the same message.
    globalSignaturePolicy: StrictNoSign,
    msgIdFn: flockMsgId,
    ...(init.role === 'relay'
      ? { allowedTopics: [DISCOVERY_TOPIC] }
      : {
          allowPublishToZeroTopicPeers: true,
          ignoreDuplicatePublishError: true,
          // Small networks (a few followers) would otherwise never form a mesh of the default size.
          floodPublish: true,
          Dlo: 1
        }),
    ...(init.ipColocationFactorWeight === undefined ? {} : { scoreParams: { IPColocationFactorWeight: init.ipColocationFactorWeight } })
  })
}

export async function flockMsgId (msg: { data: Uint8Array }): Promise<Uint8Array> {
  return (await entryCid(msg.data)).bytes
}

/** The gossipsub class exposes its live score parameters and penalties; its public interface does not. */
interface ScoredGossipSub {
  score: {
    params: { topics: Record<string, TopicScoreParams> }
    addPenalty: (peer: string, penalty: number, label: string) => void
  }
}

/**
 * Make invalid messages on `topic` cost the sender score: js gossipsub scores no topic unless told
 * (DESIGN §5). Mesh-delivery penalties stay off: a quiet author or peer is not a fault.
 */
export function scoreTopic (pubsub: Pick<GossipSub, 'topicValidators'>, topic: string): void {
  (pubsub as unknown as ScoredGossipSub).score.params.topics[topic] = createTopicScoreParams({
    topicWeight: 1,
    invalidMessageDeliveriesWeight: -100,
    invalidMessageDeliveriesDecay: 0.5,
    firstMessageDeliveriesWeight: 1,
    firstMessageDeliveriesDecay: 0.5,
    firstMessageDeliveriesCap: 10,
    meshMessageDeliveriesWeight: 0,
    meshFailurePenaltyWeight: 0,
    timeInMeshWeight: 0
  })
}

/**
 * Charge `peer` one unit of gossipsub's behaviour penalty (P7: -10 × units², decaying to a fifth each
 * second; three units put it below the graylist, so its RPCs are dropped unread). Unlike rejecting a
 * message, it touches no other peer: gossipsub also charges whoever forwards a rejected message later.
 */
export function penalize (pubsub: Pick<GossipSub, 'topicValidators'>, peer: string): void {
  (pubsub as unknown as ScoredGossipSub).score.addPenalty(peer, 1, 'flood')
}

export interface AnnouncementGateInit {
  /** Told of each announcement a forwarder sends beyond ANNOUNCE_FLOOD_BURST; discovery penalizes it. */
  onFlood?: (peer: string) => void
  /** Clock for the budgets, ms (performance.now() by default). */
  now?: () => number
}

/**
 * Gossip verdicts on discovery announcements. First the budgets, before anything is decoded: a
 * forwarder beyond its own share (ANNOUNCE_PEER_PER_S) or beyond the node's (ANNOUNCE_ACCEPT_PER_S)
 * → ignore, unread and not forwarded; one sending more than any honest node forwards
 * (ANNOUNCE_FLOOD_BURST) is also reported to `onFlood`. Then the announcement: malformed or forged →
 * reject (the sender loses score); of another version, outside the clock window, or not newer than
 * the newest already seen from that peer (a replay, or a copy gossip forgot it had seen) → ignore;
 * else accept (and forward), handing it to `onValid`. One per node or relay: it remembers each
 * forwarder's budget and each announcing peer's newest time, both in maps of bounded size.
 *
 * Over budget is Ignore, not Reject. The message may well be valid: a relay forwarding a burst of
 * honest announcements (every peer reconnecting after a restart) must not lose score for our
 * budget. And gossipsub charges a rejected message to every peer that forwards a copy of it later,
 * so rejecting valid announcements would punish the honest peers that forward them as well.
 */
export class AnnouncementGate {
  readonly #newest = new Map<string, number>()
  /** Announcements of each forwarder we read (ANNOUNCE_PEER_PER_S). */
  readonly #shares: BudgetMap
  /** Everything each forwarder sends us, against what an honest one can send (ANNOUNCE_FLOOD_BURST). */
  readonly #arrivals: BudgetMap
  readonly #budget: TokenBucket
  readonly #onFlood: (peer: string) => void

  constructor (init: AnnouncementGateInit = {}) {
    const now = init.now ?? (() => performance.now())
    this.#onFlood = init.onFlood ?? (() => {})
    this.#budget = new TokenBucket(ANNOUNCE_ACCEPT_PER_S, ANNOUNCE_ACCEPT_BURST, now)
    this.#shares = new BudgetMap(() => new TokenBucket(ANNOUNCE_PEER_PER_S, ANNOUNCE_PEER_BURST, now), ANNOUNCE_FORWARDERS_KEPT)
    this.#arrivals = new BudgetMap(() => new TokenBucket(ANNOUNCE_ACCEPT_PER_S, ANNOUNCE_FLOOD_BURST, now), ANNOUNCE_FORWARDERS_KEPT)
  }

  /** `data` as forwarded to us by `from` (gossipsub's propagation source, a peer id string). */
  async verdict (from: string, data: Uint8Array, onValid?: (a: Announcement) => void): Promise<TopicValidatorResult> {
    if (!this.#withinBudget(from)) return TopicValidatorResult.Ignore
    let a: Announcement
    try {
      a = await readAnnouncement(data)
    } catch (err) {
      if (err instanceof InvalidAnnouncementError && (err.reason === 'malformed' || err.reason === 'signature')) return TopicValidatorResult.Reject
      return TopicValidatorResult.Ignore
    }
    const newest = this.#newest.get(a.peerId)
    if (newest !== undefined && a.ts <= newest) return TopicValidatorResult.Ignore
    // Re-inserted, so the map's order is by last announcement and the front is the stalest.
    this.#newest.delete(a.peerId)
    this.#newest.set(a.peerId, a.ts)
    if (this.#newest.size > ANNOUNCE_PEERS_KEPT) this.#newest.delete(this.#newest.keys().next().value as string)
    onValid?.(a)
    return TopicValidatorResult.Accept
  }

  /**
   * Take a token from `from`'s budget and the node's. Every announcement read counts, valid or not:
   * reading is the signature check this bounds.
   */
  #withinBudget (from: string): boolean {
    if (!this.#arrivals.get(from).tryTake(1)) {
      this.#onFlood(from)
      return false
    }
    const share = this.#shares.get(from)
    // Both or neither: a token taken from one bucket while the other is empty would be lost.
    if (share.available < 1 || this.#budget.available < 1) return false
    share.tryTake(1)
    this.#budget.tryTake(1)
    return true
  }
}
