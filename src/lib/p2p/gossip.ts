/**
 * Gossipsub message ids for Flock nodes and the relay. Messages are unsigned at the gossip layer
 * (StrictNoSign): entries carry their own signature, so an entry's message id is its CID and a
 * re-announced entry is the same message.
 *
 * Discovery announcements are the exception: a peer re-announces the very same bytes every interval,
 * and a purely content-derived id would make every repeat a duplicate for gossipsub's whole seen-TTL,
 * so a peer that joins later would hear no one. Their id adds the time this node first saw those
 * bytes, rounded to a bucket so that nodes mostly agree. Each node remembers that first sighting for
 * a few seconds: a copy coming back by another path, or through IHAVE/IWANT, then gets the id it had
 * the first time and is dropped as a duplicate, even where it crossed a bucket boundary on the way
 * (when each hop rounded its own receive time, such copies flooded the network again).
 */
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { DAG_CBOR_CODE, DISCOVERY_TOPIC } from '../core/constants.js'
import { DISCOVERY_REPEAT_WINDOW_MS } from './constants.js'

/** Width of the time bucket in a discovery message id. */
export const DISCOVERY_ID_BUCKET_MS = 2_000

export type MsgIdFn = (msg: { topic: string, data: Uint8Array }) => Promise<Uint8Array>

/** A message-id function with its own memory of discovery announcements: one per node. */
export function flockMsgIdFn (now: () => number = Date.now): MsgIdFn {
  const firstSeen = new Map<string, number>()
  return async (msg) => {
    const digest = await sha256.digest(msg.data)
    if (msg.topic !== DISCOVERY_TOPIC) return CID.createV1(DAG_CBOR_CODE, digest).bytes
    const t = now()
    // Insertion order is first-sighting order, so expired sightings are all at the front.
    for (const [key, at] of firstSeen) {
      if (t - at < DISCOVERY_REPEAT_WINDOW_MS) break
      firstSeen.delete(key)
    }
    const key = String.fromCharCode(...digest.digest)
    let at = firstSeen.get(key)
    if (at === undefined) {
      at = t
      firstSeen.set(key, at)
    }
    const bucket = new TextEncoder().encode(`:${Math.floor(at / DISCOVERY_ID_BUCKET_MS)}`)
    const id = new Uint8Array(digest.digest.length + bucket.length)
    id.set(digest.digest, 0)
    id.set(bucket, digest.digest.length)
    return id
  }
}
