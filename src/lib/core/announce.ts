/**
 * Discovery announcements (PROTOCOL.md §8): a peer tells the discovery topic which multiaddrs reach
 * it, signed with its libp2p Ed25519 key so that nobody can announce addresses in another peer's
 * name. Each carries its own timestamp, so every announcement is a new message and gossip's
 * duplicate filter (message id = CID of the bytes) never swallows a repeat.
 *
 * ```ts
 * const bytes = await createAnnouncement(nodeKey, libp2p.getMultiaddrs())
 * const { peerId, addrs } = await readAnnouncement(bytes)   // or InvalidAnnouncementError
 * ```
 */
import * as dagCbor from '@ipld/dag-cbor'
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import {
  ANNOUNCE_DOMAIN, ANNOUNCE_VERSION, MAX_ANNOUNCE_ADDRS, MAX_ANNOUNCE_BYTES, MAX_ANNOUNCE_SKEW_MS
} from './constants.js'
import { InvalidAnnouncementError } from './errors.js'
import { isStrictPublicKey, signEd25519, verifyEd25519, type SigningKey } from './signature.js'
import { decodeCanonical, domainSeparated } from './canonical.js'

export interface Announcement {
  /** PeerId string of the announcing key. */
  peerId: string
  addrs: Multiaddr[]
  ts: number
}

interface Unsigned { v: number, key: Uint8Array, addrs: Uint8Array[], ts: number }

const KEYS = ['addrs', 'key', 'sig', 'ts', 'v']
const domain = new TextEncoder().encode(ANNOUNCE_DOMAIN)

function signedBytes (u: Unsigned): Uint8Array {
  return domainSeparated(domain, { v: u.v, key: u.key, addrs: u.addrs, ts: u.ts })
}

/**
 * Sign an announcement of `addrs` with a libp2p Ed25519 private key. Addresses beyond the limits
 * (count, then size) are left out, last first: receivers refuse an oversized announcement.
 */
export async function createAnnouncement (key: SigningKey, addrs: Multiaddr[], now: number = Date.now()): Promise<Uint8Array> {
  const bytes = addrs.slice(0, MAX_ANNOUNCE_ADDRS).map(a => a.bytes)
  // Key, time, signature and framing take about 130 bytes; the addresses get the rest.
  while (bytes.length > 0 && bytes.reduce((n, b) => n + b.length + 3, 0) > MAX_ANNOUNCE_BYTES - 160) bytes.pop()
  const unsigned: Unsigned = { v: ANNOUNCE_VERSION, key: key.publicKey.raw, addrs: bytes, ts: Math.floor(now) }
  const sig = await signEd25519(key, signedBytes(unsigned))
  return dagCbor.encode({ ...unsigned, sig })
}

/**
 * Decode and check an announcement: format, then age (cheap, before the signature), then signature.
 * Throws InvalidAnnouncementError; another version than ours is 'unsupported', so that peers of a
 * later version are ignored rather than penalised.
 */
export async function readAnnouncement (bytes: Uint8Array, now: number = Date.now()): Promise<Announcement> {
  const malformed = (why: string): InvalidAnnouncementError => new InvalidAnnouncementError('malformed', `announcement ${why}`)
  if (!(bytes instanceof Uint8Array) || bytes.length > MAX_ANNOUNCE_BYTES) throw malformed(`is not 1-${MAX_ANNOUNCE_BYTES} bytes`)
  // One encoding per announcement, as for entries: the signature then covers exactly what is read.
  const value = decodeCanonical(bytes, why => malformed(why === 'decode' ? 'is not DAG-CBOR' : why === 'reencode' ? 'does not re-encode' : 'is not canonical DAG-CBOR'))
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformed('is not a map')
  const m = value as Record<string, unknown>
  // A later version may have other fields, so the version is read before the field set.
  if (m.v !== ANNOUNCE_VERSION) throw new InvalidAnnouncementError('unsupported', `announcement version is not ${ANNOUNCE_VERSION}`)
  const keys = Object.keys(m).sort()
  if (keys.length !== KEYS.length || keys.some((k, i) => k !== KEYS[i])) throw malformed(`must have exactly the fields ${KEYS.join(', ')}`)
  const { key, addrs, ts, sig } = m
  if (!(key instanceof Uint8Array) || !isStrictPublicKey(key)) throw malformed('key is not an Ed25519 public key')
  if (!Array.isArray(addrs) || addrs.length > MAX_ANNOUNCE_ADDRS || !addrs.every(a => a instanceof Uint8Array)) {
    throw malformed(`addrs must be a list of at most ${MAX_ANNOUNCE_ADDRS} byte strings`)
  }
  if (!Number.isSafeInteger(ts) || (ts as number) < 0) throw malformed('ts must be a non-negative integer')
  if (!(sig instanceof Uint8Array) || sig.length !== 64) throw malformed('sig must be 64 bytes')
  let parsed: Multiaddr[]
  try {
    parsed = (addrs as Uint8Array[]).map(a => multiaddr(a))
  } catch {
    throw malformed('holds an address that is not a multiaddr')
  }
  const at = ts as number
  if (at > now + MAX_ANNOUNCE_SKEW_MS) throw new InvalidAnnouncementError('future', `announcement is dated ${at - now} ms ahead`)
  if (at < now - MAX_ANNOUNCE_SKEW_MS) throw new InvalidAnnouncementError('stale', `announcement is ${now - at} ms old`)
  if (!await verifyEd25519(key, sig, signedBytes({ v: ANNOUNCE_VERSION, key, addrs: addrs as Uint8Array[], ts: at }))) {
    throw new InvalidAnnouncementError('signature', 'announcement signature does not verify')
  }
  return { peerId: peerIdFromPublicKey(publicKeyFromRaw(key)).toString(), addrs: parsed, ts: at }
}
