/**
 * Every protocol constant in one place: limits, version, domain-separation prefix, topic names and
 * protocol ids. PROTOCOL.md refers to these names; change them only with a protocol version bump.
 */

/** Entry format version this implementation writes into the `v` field; version-1 entries stay valid. */
export const ENTRY_VERSION = 2
export type EntryVersion = 1 | 2

/**
 * Prefix of the bytes an author signs, one per entry version, so an entry signature can never be
 * replayed as another message or as an entry of the other version.
 */
export const SIGNING_DOMAIN_V1 = 'flock/entry/v1\n'
export const SIGNING_DOMAIN_V2 = 'flock/entry/v2\n'
/** What the author key signs to make a device speak for it, and to revoke one (PROTOCOL.md §1). */
export const DEVICE_DOMAIN = 'flock/device/v2\n'
export const REVOKE_DOMAIN = 'flock/revoke/v2\n'
/** Device logs one author may have that a receiver keeps; each restore of a backup adds one. */
export const MAX_DEVICE_LOGS = 64
/** Longest kind name; kinds this version does not know are kept and forwarded, not shown. */
export const MAX_KIND_LENGTH = 32
/** Largest width or height of a media item, in pixels. */
export const MAX_MEDIA_DIMENSION = 65535
/** Longest profile handle: a DNS name. */
export const MAX_HANDLE_LENGTH = 253

export const MAX_ENTRY_BYTES = 8192
/**
 * Deepest nesting of arrays, maps and tags a decoder accepts in an entry, announcement or sync frame
 * (PROTOCOL.md §2.1). A valid version-1 entry nests at most 4 deep; the rest is room for later fields.
 */
export const MAX_CBOR_DEPTH = 16
export const MAX_TEXT_GRAPHEMES = 500
export const MAX_NAME_GRAPHEMES = 50
export const MAX_BIO_GRAPHEMES = 300
export const MAX_ALT_GRAPHEMES = 1000
export const MAX_MEDIA = 4
export const MAX_MIME_LENGTH = 100
export const MAX_MENTIONS = 50
export const MAX_TAGS = 20
export const MAX_TAG_LENGTH = 64

/** How far in the future an entry's timestamp may be, to absorb clock skew between devices. */
export const MAX_FUTURE_SKEW_MS = 5 * 60 * 1000

/** Highest sequence number; keeps seq inside the exactly representable integer range of every language. */
export const MAX_SEQ = Number.MAX_SAFE_INTEGER

/** Multicodec of DAG-CBOR and of sha2-256: entry CIDs are CIDv1(dag-cbor, sha2-256). */
export const DAG_CBOR_CODE = 0x71
export const SHA2_256_CODE = 0x12

/** Version-2 topics carry every entry of an author, of either version and from any of its logs. */
export const TOPIC_PREFIX = '/flock/2/author/'
export const TAG_TOPIC_PREFIX = '/flock/2/tag/'
/** Discovery announcements (PROTOCOL.md §8.1); a new name, because the earlier topic carried another format. */
export const DISCOVERY_TOPIC = '/flock/1/announce'

/** Discovery announcement format version, and the prefix of the bytes a peer signs in one. */
export const ANNOUNCE_VERSION = 1
export const ANNOUNCE_DOMAIN = 'flock/announce/v1\n'
export const MAX_ANNOUNCE_BYTES = 4096
export const MAX_ANNOUNCE_ADDRS = 32
/**
 * How far an announcement's time may be from the receiver's clock, either way. Wide, so that a device
 * with a wrong clock still finds peers; replays are stopped by keeping only each key's newest.
 */
export const MAX_ANNOUNCE_SKEW_MS = 60 * 60 * 1000

export const SYNC_PROTOCOL = '/flock/sync/2.0.0'
/** The version-1 exchange, still served (root logs, version-1 entries) and used with peers that speak only it. */
export const SYNC_PROTOCOL_V1 = '/flock/sync/1.0.0'
/** Largest sync frame: one entry plus framing overhead. */
export const MAX_SYNC_FRAME_BYTES = MAX_ENTRY_BYTES + 1024
/** Most authors one sync request may name. */
export const MAX_SYNC_AUTHORS = 1000
/** Most logs one want item may list: the root log and every device log. */
export const MAX_SYNC_LOGS = MAX_DEVICE_LOGS + 1

export function authorTopic (author: string): string {
  return `${TOPIC_PREFIX}${author}`
}

export function tagTopic (tag: string): string {
  return `${TAG_TOPIC_PREFIX}${tag}`
}
