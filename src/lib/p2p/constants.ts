/**
 * Node-layer tunables in one place. Protocol constants (topics, protocol ids, limits) live in
 * core/constants.ts; these are local choices a peer may change without breaking others.
 */

/** Most entries of one author a responder sends in one exchange; the requester asks again for more. */
export const SYNC_MAX_ENTRIES_PER_AUTHOR = 20_000
/** Authors named in one want frame (about 75 bytes each, more with device logs; the frame limit is 9 KiB). */
export const SYNC_WANTS_PER_REQUEST = 100
/** Bytes a requester fills a want frame up to, leaving the rest of MAX_SYNC_FRAME_BYTES for its framing. */
export const SYNC_WANT_FRAME_BYTES = 8192
/** Entries written to the stream, and to the store, per batch. */
export const SYNC_WRITE_BATCH = 256
/**
 * Sync streams one peer may hold open to us at once per connection. An honest requester runs one
 * exchange per peer at a time; the second allows for one still closing. (libp2p's default is 32.)
 */
export const SYNC_MAX_INBOUND_STREAMS = 2
/** Exchanges one peer may have us serve at once, over all its connections; a newer one replaces the oldest. */
export const SYNC_MAX_SERVING_PER_PEER = 2
/** Exchanges served at once, all peers together: what catch-ups of others may cost this node. */
export const SYNC_MAX_SERVING = 16
/**
 * Bytes of entries one exchange sends at most (the ranges then end below `head`, and the requester
 * asks again). It also bounds what the requester buffers while it stores: well under libp2p's 4 MiB
 * read buffer, which aborts a stream past it.
 */
export const SYNC_MAX_BYTES_PER_EXCHANGE = 1024 * 1024
/**
 * Bytes per second one peer may pull from us over sync of what it already got from us (the same
 * entries again, and range frames), after a first burst: a requester that asks for the same log
 * again and again gets no more than this. Writes wait for the budget, so nothing honest fails.
 */
export const SYNC_SERVE_REPEAT_BYTES_PER_S = 192 * 1024
export const SYNC_SERVE_REPEAT_BURST_BYTES = 1024 * 1024
/**
 * Bytes per second all peers together may pull from us over sync, after a first burst: a first
 * catch-up runs at the link's speed (a 150 MB log in a few seconds), and many identities asking at
 * once share this. A flag of `npm run peer` (--sync-serve-bytes-per-s).
 */
export const SYNC_SERVE_TOTAL_BYTES_PER_S = 32 * 1024 * 1024
export const SYNC_SERVE_TOTAL_BURST_BYTES = 64 * 1024 * 1024
/** (peer, author) pairs whose highest served seq is remembered (~100 bytes each); beyond it the oldest go. */
export const SYNC_SERVED_MARKS_KEPT = 100_000
/** Peers whose pull budget is remembered; beyond it, those that refilled are forgotten. */
export const SYNC_BUDGET_PEERS_KEPT = 1_000
/** How long a peer whose sync answers broke the protocol is neither served nor asked. */
export const SYNC_PENALTY_MS = 10 * 60_000
/** After a failed exchange (timeout, reset), ask the same peer again after 1, 2, 4… s, at most this often. */
export const SYNC_RETRY_MIN_MS = 1_000
export const SYNC_RETRY_MAX_MS = 30_000
export const SYNC_RETRY_ATTEMPTS = 5
/** Sync streams we open to one peer at once per connection; we run one exchange per peer at a time. */
export const SYNC_MAX_OUTBOUND_STREAMS = 4
/**
 * Entries of one author this node takes from gossip per minute, and how many at once: far above what
 * a person writes (likes included), far below a flood. Over it the messages are ignored (feeds.ts
 * scores down a forwarder that sends more than an honest one could) and the author's topic gives no
 * reason to sync for a minute; what was dropped arrives later by the periodic, budgeted sync.
 */
export const GOSSIP_AUTHOR_ENTRIES_PER_MIN = 60
export const GOSSIP_AUTHOR_BURST = 100
/** How long an author over its gossip budget is not a reason to sync. */
export const GOSSIP_THROTTLE_MS = 60_000
/** Authors whose gossip budget is remembered at once. */
export const FEEDS_AUTHORS_KEPT = 10_000
/**
 * (forwarder, author) pairs whose arrivals are counted against what an honest forwarder can send
 * (twice the author budget: 2 × GOSSIP_AUTHOR_BURST at once, then 2 × GOSSIP_AUTHOR_ENTRIES_PER_MIN);
 * beyond it, a forwarder loses gossip score, is disconnected (FEEDS_ABUSE_BAN_MS) and the message is
 * ignored unread.
 */
export const FEEDS_FORWARDERS_KEPT = 10_000
/**
 * How long a forwarder that went past that budget is disconnected: gossip scoring graylists it, but
 * its connection would stay open and each message still cost decryption and framing.
 */
export const FEEDS_ABUSE_BAN_MS = 10 * 60_000
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

/*
 * Discovery budgets (DESIGN §6: whoever announces addresses must not make us work without bound, nor
 * dial hosts of their choosing). Honest traffic: every peer announces every DISCOVERY_INTERVAL_MS,
 * i.e. one announcement a second per ten peers, plus ANNOUNCE_BURST_MS's two when it reaches a relay.
 */
/**
 * Announcements a node reads per second from all forwarders together (each costs a signature check,
 * and if valid a forward and maybe a dial), and how many at once after a quiet spell. The rest are
 * ignored unread and not forwarded. 50/s carries every announcement of a 500-peer network. Relays
 * hold to it too, so no honest node forwards more than this.
 */
export const ANNOUNCE_ACCEPT_PER_S = 50
export const ANNOUNCE_ACCEPT_BURST = 200
/**
 * The part of that budget one forwarding peer may use, so that a flooder cannot crowd out the
 * announcements other peers forward. The burst holds a relay restart of a 50-peer network (every
 * peer reconnects and announces twice within 4 s, all forwarded by the relay).
 */
export const ANNOUNCE_PEER_PER_S = 25
export const ANNOUNCE_PEER_BURST = 100
/**
 * Announcements a forwarder may send us at once beyond ANNOUNCE_ACCEPT_PER_S before each further one
 * costs it gossip score (gossip.ts `penalize`). An honest node reads, and so forwards, at most
 * ANNOUNCE_ACCEPT_PER_S with bursts of ANNOUNCE_ACCEPT_BURST; twice that burst leaves room for
 * delivery jitter, so only a node that does not hold to the budget (a flooder) is charged.
 */
export const ANNOUNCE_FLOOD_BURST = 400
/**
 * Forwarders whose budgets are remembered; beyond it those whose budgets have refilled are forgotten
 * (losing nothing). Above a node's connection limit (300) and a relay's default (512), so a forwarder
 * in debt is forgotten only on a relay configured for more connections.
 */
export const ANNOUNCE_FORWARDERS_KEPT = 1_024
/** Peers whose newest announcement time is remembered (a replay is ignored); the stalest forgotten first. */
export const ANNOUNCE_PEERS_KEPT = 10_000
/**
 * Peers heard of on the discovery topic that a node dials per second, and at once. Those beyond are
 * neither dialled nor stored: they announce again within DISCOVERY_INTERVAL_MS. Each dial makes up
 * to DIAL_ATTEMPTS attempts.
 */
export const DISCOVERY_DIALS_PER_S = 5
/**
 * Host names a Node peer's dial gater looks up per second, and at once, to refuse names for local
 * addresses (runtime-node.ts); names come from strangers' announcements, so a name over budget is
 * refused until there is budget again. Verdicts are kept DNS_VERDICT_TTL_MS, for at most
 * DNS_VERDICTS_KEPT names, and a lookup may take DNS_LOOKUP_TIMEOUT_MS.
 */
export const DNS_LOOKUPS_PER_S = 10
export const DNS_LOOKUP_BURST = 20
export const DNS_VERDICT_TTL_MS = 60_000
export const DNS_VERDICTS_KEPT = 1_000
export const DNS_LOOKUP_TIMEOUT_MS = 5_000
export const DISCOVERY_DIAL_BURST = 20
