/**
 * Gossip rules shared by every Flock node and the relay. Message ids must agree, or forwarding
 * breaks. Messages are unsigned at the gossip layer (StrictNoSign): entries and discovery
 * announcements carry their own signatures. A message's id is the CID of its bytes, so an entry
 * re-announced by many peers is one message; announcements carry a timestamp, so each is new.
 */
import { TopicValidatorResult, type GossipSub } from '@libp2p/gossipsub'
import { createTopicScoreParams, type TopicScoreParams } from '@libp2p/gossipsub/score'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { InvalidAnnouncementError, readAnnouncement, type Announcement } from '../core/index.js'
import { DAG_CBOR_CODE } from '../core/constants.js'

export async function flockMsgId (msg: { data: Uint8Array }): Promise<Uint8Array> {
  return CID.createV1(DAG_CBOR_CODE, await sha256.digest(msg.data)).bytes
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

/**
 * Gossip verdict on a discovery announcement: malformed or forged → reject (the sender loses score),
 * too old or early → ignore, else accept (and forward), handing the announcement to `onValid`.
 */
export async function announcementVerdict (data: Uint8Array, onValid?: (a: Announcement) => void): Promise<TopicValidatorResult> {
  let a: Announcement
  try {
    a = await readAnnouncement(data)
  } catch (err) {
    if (err instanceof InvalidAnnouncementError && (err.reason === 'stale' || err.reason === 'future')) return TopicValidatorResult.Ignore
    return TopicValidatorResult.Reject
  }
  onValid?.(a)
  return TopicValidatorResult.Accept
}
