/**
 * An author's profile and posts, with follow/unfollow; refreshes on new entries and fork evidence.
 * A handle the profile claims is checked against its domain's proof (handles.ts) and counts as
 * verified only once that check passed.
 */
import type { ClientEvent, FlockClient, PostView, ProfileView } from '../app/client.js'
import { verifyHandle } from '../app/handles.js'
import { errorMessage } from './live.js'
import { PostListState } from './post-list.svelte.js'
import { patchPosts } from './posts.js'

export interface ProfileOptions {
  /** How a handle is checked; verifyHandle (over the network, cached for a day) by default. */
  verify?: (handle: string, author: string) => Promise<boolean>
}

export class ProfileState extends PostListState {
  readonly author: string
  readonly #verify: (handle: string, author: string) => Promise<boolean>
  /** The handle last seen in the profile, and what its check said (undefined while it runs). */
  #handle = $state.raw<{ handle: string, verified: boolean | undefined }>()
  #profile = $state.raw<ProfileView>()
  #posts = $state.raw<PostView[]>([])
  #followBusy = $state(false)
  #followError = $state<string>()

  constructor (client: FlockClient, author: string, options: ProfileOptions = {}) {
    super(client, 500)
    this.author = author
    this.#verify = options.verify ?? (async (handle, who) => await verifyHandle(handle, who))
  }

  get isMe (): boolean {
    return this.author === this.client.author
  }

  get profile (): ProfileView | undefined {
    this.track()
    return this.#profile
  }

  get posts (): PostView[] {
    this.track()
    return this.#posts
  }

  /** Whether the profile's handle is proven to be this author's: undefined when there is none or while it is checked. */
  get handleVerified (): boolean | undefined {
    this.track()
    const h = this.#handle
    return h !== undefined && h.handle === this.#profile?.handle ? h.verified : undefined
  }

  get followBusy (): boolean {
    return this.#followBusy
  }

  get followError (): string | undefined {
    return this.#followError
  }

  async toggleFollow (): Promise<void> {
    const profile = this.#profile
    if (profile === undefined || this.#followBusy || this.isMe) return
    const follow = !profile.following
    this.#followBusy = true
    this.#followError = undefined
    this.#profile = { ...profile, following: follow }
    try {
      if (follow) await this.client.follow(this.author)
      else await this.client.unfollow(this.author)
    } catch (err) {
      this.#profile = { ...profile, following: !follow }
      this.#followError = errorMessage(err)
    } finally {
      this.#followBusy = false
    }
    this.refresh()
  }

  protected override relevant (event: ClientEvent): boolean {
    if (event.type === 'fork') return event.fork.author === this.author
    return super.relevant(event)
  }

  protected async fetch (): Promise<void> {
    const [profile, posts] = await Promise.all([this.client.profile(this.author), this.client.authorPosts(this.author, 50)])
    // A follow in flight keeps its optimistic state until the node has it.
    this.#profile = this.#followBusy && this.#profile !== undefined ? { ...profile, following: this.#profile.following } : profile
    this.#posts = posts
    this.#checkHandle(profile.handle)
  }

  /** Check on every read: answers are cached (handles.ts), so this asks the domain again only once a day or for a new handle. */
  #checkHandle (handle: string | undefined): void {
    if (handle === undefined) {
      this.#handle = undefined
      return
    }
    if (this.#handle?.handle !== handle) this.#handle = { handle, verified: undefined }
    void this.#verify(handle, this.author).catch(() => false).then(verified => {
      if (this.#handle?.handle === handle && this.#handle.verified !== verified) this.#handle = { handle, verified }
    })
  }

  protected patch (cid: string, fn: (p: PostView) => PostView): void {
    this.#posts = patchPosts(this.#posts, cid, fn)
  }
}
