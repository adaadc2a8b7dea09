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

/** The gossipsub class exposes its live score parameters; its public interface does not. */
interface ScoredGossipSub {
  score: { params: { topics: Record<string, TopicScoreParams> } }
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

/** Peers whose newest announcement time is kept; beyond it the oldest-seen peers are forgotten. */
const NEWEST_KEPT = 10_000

/**
 * Gossip verdicts on discovery announcements: malformed or forged → reject (the sender loses score);
 * of another version, outside the clock window, or not newer than the newest already seen from that
 * peer (a replay, or a copy gossip forgot it had seen) → ignore; else accept (and forward), handing the
 * announcement to `onValid`. One per node or relay: it remembers each peer's newest.
 */
export class AnnouncementGate {
  readonly #newest = new Map<string, number>()

  async verdict (data: Uint8Array, onValid?: (a: Announcement) => void): Promise<TopicValidatorResult> {
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
    if (this.#newest.size > NEWEST_KEPT) this.#newest.delete(this.#newest.keys().next().value as string)
    onValid?.(a)
    return TopicValidatorResult.Accept
  }
}
