/**
 * What the UI may ask of Flock. The tab that owns the node answers directly (LocalClient); other tabs
 * of the same profile forward the same calls to it over a BroadcastChannel (RemoteClient), so every
 * tab sees one node, one store and one identity. Everything crossing this interface is plain data
 * (structured-clonable): no CIDs, no class instances. The errors it throws are in errors.ts.
 */
import type { EntryView } from '../core/view.js'
import type { EntrySource } from '../p2p/events.js'
import type { DeviceInfo } from '../p2p/node.js'

/** An entry as a list shows it; EntryView is a union by kind, so this is one too. */
export type PostView = EntryView & PostDetails

/** What a list shows of an entry besides the entry itself. */
export interface PostDetails {
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
  /** The author edited this post (`text` is then the latest edit's): when last, and how often. */
  edited?: { ts: number, count: number }
}

/** One edit of a post, as its history lists it. */
export interface EditView {
  cid: string
  ts: number
  text: string
}

/** One log that speaks for us: a device's, or the author key's own (root) log. */
export interface DeviceView extends DeviceInfo {
  /** The author key's own log (written by a profile from before devices), which cannot be revoked. */
  root: boolean
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
  /**
   * The domain name the profile claims as its handle (protocol v2), as claimed: whether the domain's
   * proof lists this author is checked apart (handles.ts), and until it is, the handle is unverified.
   */
  handle?: string
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
  /** The device log that forked; absent for the author's root log. */
  device?: string
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
  /** A handle (a lowercase domain name), '' to remove the current one, or absent to keep it. */
  handle?: string
}

export interface PostInput {
  text: string
  replyTo?: string
  quote?: string
  media?: MediaInput[]
}

/** The entry a write appended to our log. */
/** What a CAR import did. */
export interface ImportReport {
  /** New entries stored. */
  added: number
  /** Entries of authors who are neither us nor followed: not kept. */
  otherAuthors: number
  /** Blocks that do not match their CID, do not verify, or are larger than any entry or media file. */
  badBlocks: number
  /** The file ends inside a block (or is not a CAR past some point): what came before was imported. */
  truncated: boolean
}

export interface Written {
  cid: string
  seq: number
}

export type ClientEvent =
  | { type: 'entry', entry: EntryView, source: EntrySource }
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
  post (input: PostInput): Promise<Written>
  like (cid: string): Promise<Written>
  repost (cid: string): Promise<Written>
  remove (cid: string): Promise<Written>
  /** New text for one of our posts; the original stays, signed, and readers can list every edit. */
  edit (cid: string, text: string): Promise<Written>
  /** The edits of a post by its author, oldest first. */
  edits (cid: string): Promise<EditView[]>
  /** The logs that speak for us: this device, our other devices, and the root log if it was written. */
  devices (): Promise<DeviceView[]>
  /** Revoke another device of ours; null when it was already revoked. */
  revokeDevice (id: string): Promise<Written | null>
  /** Null when we already follow `author`: nothing was written. */
  follow (author: string): Promise<Written | null>
  /** Null when we did not follow `author`: nothing was written. */
  unfollow (author: string): Promise<Written | null>
  following (): Promise<string[]>
  /** A profile entry replaces the previous one whole, so this carries the current avatar over unless told otherwise. */
  setProfile (profile: ProfileInput): Promise<Written>
  profile (author: string): Promise<ProfileView>
  notifications (limit?: number): Promise<NotificationView[]>
  network (): Promise<NetworkView>
  /** Bytes of a media file by CID, from the local store or fetched from peers over bitswap. */
  media (cid: string, signal?: AbortSignal): Promise<Uint8Array>
  forks (): Promise<ForkView[]>
  /** Our whole signed log (and our media) as one CAR file. */
  exportLog (): Promise<Uint8Array>
  /** Import a CAR of signed entries (our own log, and logs of authors we follow); says what it kept and skipped. */
  importLog (car: Uint8Array): Promise<ImportReport>
  subscribe (listener: (event: ClientEvent) => void): () => void
}

/**
 * The methods of FlockClient that ask the node something, by name: the clients that answer by asking
 * another one (tabs.ts, starting-client.ts) forward these. `author` is a value each client holds, and
 * `subscribe` stays in the tab that listens.
 */
export const CLIENT_METHODS = [
  'timeline', 'authorPosts', 'thread', 'post', 'like', 'repost', 'remove', 'edit', 'edits', 'devices', 'revokeDevice',
  'follow', 'unfollow', 'following',
  'setProfile', 'profile', 'notifications', 'network', 'media', 'forks', 'exportLog', 'importLog'
] as const satisfies ReadonlyArray<keyof FlockClient>

export type ClientMethod = typeof CLIENT_METHODS[number]

/** The methods of FlockClient that `List` leaves out, besides `author` and `subscribe`. */
export type MissingMethods<List extends ReadonlyArray<keyof FlockClient>> = Exclude<keyof FlockClient, 'author' | 'subscribe' | List[number]>

/** Compiles only when `Missing` is empty: a method added to FlockClient but not to CLIENT_METHODS is an error here that names it. */
type NoneMissing<Missing extends never> = Missing
type _EveryMethodListed = NoneMissing<MissingMethods<typeof CLIENT_METHODS>>

/** Calls `method` of `client` by name, with arguments that arrived as plain data. */
export async function callMethod (client: FlockClient, method: ClientMethod, args: unknown[]): Promise<unknown> {
  const fn = client[method] as (...args: unknown[]) => Promise<unknown>
  return await fn.apply(client, args)
}

/** A client whose methods, or some of them, hand their name and arguments to forward(). */
export abstract class ForwardingClient {
  protected abstract forward (method: ClientMethod, args: unknown[]): Promise<unknown>
}

/**
 * A base class with the FlockClient methods `methods`, each forwarding to forward(): a subclass
 * writes out only the methods it answers itself, and `implements FlockClient` still checks the whole.
 */
export function forwarding<M extends ClientMethod> (methods: readonly M[]): abstract new () => ForwardingClient & Pick<FlockClient, M> {
  abstract class Forwarder extends ForwardingClient {
    static {
      for (const method of methods) {
        Object.defineProperty(this.prototype, method, {
          async value (this: Forwarder, ...args: unknown[]) { return await this.forward(method, args) },
          writable: true,
          configurable: true
        })
      }
    }
  }
  // The loop above gives the prototype exactly these methods, which the compiler cannot follow.
  return Forwarder as abstract new () => ForwardingClient & Pick<FlockClient, M>
}
