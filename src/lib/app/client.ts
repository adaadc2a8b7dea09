/**
 * What the UI may ask of Flock. The tab that owns the node answers directly (LocalClient); other tabs
 * of the same profile forward the same calls to it over a BroadcastChannel (RemoteClient), so every
 * tab sees one node, one store and one identity. Everything crossing this interface is plain data
 * (structured-clonable): no CIDs, no class instances.
 */
import type { EntryView } from '../core/view.js'

export interface PostView extends EntryView {
  replies: number
  likes: number
  reposts: number
  likedByMe: boolean
  repostedByMe: boolean
  /** Display name from the author's latest profile entry, if we hold one. */
  authorName?: string
  /** CID of the avatar in the author's latest profile entry, if it has one (fetch bytes with media()). */
  avatar?: string
  /** For a repost in a timeline: the reposted entry, resolved if held. */
  reposted?: PostView
  /** For a quote post: the quoted post, if it is held here and not deleted. */
  quoted?: QuotedView
}

/** As much of a quoted post as its compact card inside the quoting post shows. */
export interface QuotedView {
  cid: string
  author: string
  authorName?: string
  ts: number
  text: string
}

export interface ProfileView {
  author: string
  name: string
  bio: string
  /** CID of the avatar image (fetch bytes with media()). */
  avatar?: string
  following: boolean
  followsMe: boolean
  posts: number
  /** Two entries signed at one seq were seen for this author. */
  forked: boolean
}

export type NotificationKind = 'reply' | 'mention' | 'like' | 'repost' | 'quote' | 'follow'

export interface NotificationView {
  kind: NotificationKind
  entry: EntryView
  authorName?: string
}

export interface ConnectionView {
  peerId: string
  remoteAddr: string
  direct: boolean
  bytesIn: number
  bytesOut: number
  /** The peer is a relay we keep a connection to. */
  relay: boolean
}

export interface NetworkView {
  peerId: string
  author: string
  relays: string[]
  connections: ConnectionView[]
  totals: { bytesIn: number, bytesOut: number }
  /** Share of all bytes (in + out) that went through relays, 0..1. */
  relayShare: number
  /** Entries and blocks this node served to others (sync and bitswap). */
  served: { entries: number, blocks: number }
  /** Peers that hold our latest post right now (connected followers on our topic, plus its provider count). */
  latestPostPeers: number
  sync: SyncView
}

export interface SyncView {
  active: boolean
  received: number
  expected: number
  peers: number
}

export interface ForkView {
  author: string
  seq: number
  cids: [string, string]
}

export interface MediaInput {
  bytes: Uint8Array
  mime: string
  alt: string
}

export interface ProfileInput {
  name: string
  bio: string
  /** A new avatar, `null` to remove the current one, or absent to keep it. */
  avatar?: MediaInput | null
}

export interface PostInput {
  text: string
  replyTo?: string
  quote?: string
  media?: MediaInput[]
}

export type ClientEvent =
  | { type: 'entry', entry: EntryView, source: 'local' | 'gossip' | 'sync' }
  | { type: 'network' }
  | { type: 'sync', sync: SyncView }
  | { type: 'fork', fork: ForkView }
  /** The node is up: a client that answered from the stored logs while it started now forwards to it. */
  | { type: 'live' }

export interface FlockClient {
  readonly author: string
  timeline (limit?: number): Promise<PostView[]>
  authorPosts (author: string, limit?: number): Promise<PostView[]>
  /** The entry with its thread: ancestors up to the root, then direct replies, oldest first. */
  thread (cid: string): Promise<{ ancestors: PostView[], focus: PostView | null, replies: PostView[] }>
  post (input: PostInput): Promise<string>
  like (cid: string): Promise<void>
  repost (cid: string): Promise<void>
  remove (cid: string): Promise<void>
  follow (author: string): Promise<void>
  unfollow (author: string): Promise<void>
  following (): Promise<string[]>
  /** A profile entry replaces the previous one whole, so this carries the current avatar over unless told otherwise. */
  setProfile (profile: ProfileInput): Promise<void>
  profile (author: string): Promise<ProfileView>
  notifications (limit?: number): Promise<NotificationView[]>
  network (): Promise<NetworkView>
  /** Bytes of a media file by CID, from the local store or fetched from peers over bitswap. */
  media (cid: string, signal?: AbortSignal): Promise<Uint8Array>
  forks (): Promise<ForkView[]>
  /** Our whole signed log (and our media) as one CAR file. */
  exportLog (): Promise<Uint8Array>
  /** Import a CAR of signed entries; returns how many new entries were stored. */
  importLog (car: Uint8Array): Promise<number>
  subscribe (listener: (event: ClientEvent) => void): () => void
}
