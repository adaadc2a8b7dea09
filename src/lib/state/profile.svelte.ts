/** An author's profile and posts, with follow/unfollow; refreshes on new entries and fork evidence. */
import type { ClientEvent, FlockClient, PostView, ProfileView } from '../app/client.js'
import { errorMessage } from './live.js'
import { PostListState } from './post-list.svelte.js'
import { patchPosts } from './posts.js'

export class ProfileState extends PostListState {
  readonly author: string
  #profile = $state.raw<ProfileView>()
  #posts = $state.raw<PostView[]>([])
  #followBusy = $state(false)
  #followError = $state<string>()

  constructor (client: FlockClient, author: string) {
    super(client, 500)
    this.author = author
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
  }

  protected patch (cid: string, fn: (p: PostView) => PostView): void {
    this.#posts = patchPosts(this.#posts, cid, fn)
  }
}
