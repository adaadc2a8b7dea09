/**
 * Gossipsub message ids shared by every Flock node and the relay (they must agree, or forwarding
 * breaks). Messages are unsigned at the gossip layer (StrictNoSign): entries carry their own
 * signature, so an entry's message id is its CID and a re-announced entry is the same message.
 *
 * Discovery announcements are the exception: a peer re-announces the very same bytes every interval,
 * and a purely content-derived id would make every repeat a duplicate for gossipsub's whole seen-TTL,
 * so a peer that joins later would hear no one. Their id also names a short time bucket.
 */
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { DAG_CBOR_CODE, DISCOVERY_TOPIC } from '../core/constants.js'

/** Width of the time bucket in a discovery message id; shorter than the announce interval. */
export const DISCOVERY_ID_BUCKET_MS = 2_000

export async function flockMsgId (msg: { topic: string, data: Uint8Array }): Promise<Uint8Array> {
  const digest = await sha256.digest(msg.data)
  if (msg.topic !== DISCOVERY_TOPIC) return CID.createV1(DAG_CBOR_CODE, digest).bytes
  const bucket = new TextEncoder().encode(`:${Math.floor(Date.now() / DISCOVERY_ID_BUCKET_MS)}`)
  const id = new Uint8Array(digest.digest.length + bucket.length)
  id.set(digest.digest, 0)
  id.set(bucket, digest.digest.length)
  return id
}
