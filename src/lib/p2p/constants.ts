/**
 * Node-layer tunables in one place. Protocol constants (topics, protocol ids, limits) live in
 * core/constants.ts; these are local choices a peer may change without breaking others.
 */

/** Most entries of one author a responder sends in one exchange; the requester asks again for more. */
export const SYNC_MAX_ENTRIES_PER_AUTHOR = 20_000
/** Authors named in one want frame (about 75 bytes each; the frame limit is 9 KiB). */
export const SYNC_WANTS_PER_REQUEST = 100
/** Entries written to the stream, and to the store, per batch. */
export const SYNC_WRITE_BATCH = 256
/** Sync streams one peer may hold open to us at once per connection (libp2p's default, made explicit). */
export const SYNC_MAX_INBOUND_STREAMS = 32
/** Sync streams we open to one peer at once per connection; we run one exchange per peer at a time. */
export const SYNC_MAX_OUTBOUND_STREAMS = 4
/** How long one sync exchange may take before it is abandoned (and retried on the next trigger). */
export const SYNC_TIMEOUT_MS = 60_000

/** How often a peer announces itself on the discovery topic. */
export const DISCOVERY_INTERVAL_MS = 10_000
/**
 * Announcements soon after reaching a relay (ms after connecting), while the regular interval is
 * long. The relay forwards a message only to its gossip mesh of the topic, which takes in a new
 * subscriber at its next heartbeat (1 s), and gossipsub never replays earlier messages to it: an
 * announcement made on connecting reaches none of the peers that joined with us. So the first waits
 * for that heartbeat, and the second catches peers that joined just after. A node also announces
 * whenever its addresses change (a new relay reservation makes a browser dialable).
 */
export const ANNOUNCE_BURST_MS = [1_500, 4_000]

/** How often a node syncs with one random direct peer that carries an author it follows. */
export const ANTI_ENTROPY_MS = 30_000

/** Backoff for redialling a bootstrap relay: first delay, cap. */
export const RELAY_REDIAL_MIN_MS = 500
export const RELAY_REDIAL_MAX_MS = 30_000

/** Dial timeout; WebRTC dials sometimes hang, so they are retried (DESIGN §5). */
export const DIAL_TIMEOUT_MS = 10_000
export const DIAL_ATTEMPTS = 3

/** How long fetching a block we don't hold may take before it fails. */
export const BLOCK_FETCH_TIMEOUT_MS = 30_000

/** Largest media file (an image after the app resized it); it travels as one bitswap block. */
export const MAX_MEDIA_BYTES = 1024 * 1024
