/**
 * Gossip rules shared by every Flock node and the relay. Message ids must agree, or forwarding
 * breaks. Messages are unsigned at the gossip layer (StrictNoSign): entries and discovery
 * announcements carry their own signatures. A message's id is the CID of its bytes, so an entry
 * re-announced by many peers is one message; announcements carry a timestamp, so each is new.
 */
import { TopicValidatorResult, type GossipSub } from '@libp2p/gossipsub'
import { createTopicScoreParams, type TopicScoreParams } from '@libp2p/gossipsub/score'
import { InvalidAnnouncementError, entryCid, readAnnouncement, type Announcement } from '../core/index.js'
import { DISCOVERY_TOPIC } from '../core/constants.js'

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
export function scoreTopic (pubsub: GossipSub, topic: string): void {
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

/**
 * Subscribe to the discovery topic as every node and relay does: invalid announcements cost their
 * sender score, and each accepted one (forwarded) goes to `onValid`.
 */
export function joinDiscovery (pubsub: GossipSub, onValid?: (a: Announcement) => void): void {
  scoreTopic(pubsub, DISCOVERY_TOPIC)
  const gate = new AnnouncementGate()
  pubsub.topicValidators.set(DISCOVERY_TOPIC, async (_from, msg) => await gate.verdict(msg.data, onValid))
  pubsub.subscribe(DISCOVERY_TOPIC)
}
