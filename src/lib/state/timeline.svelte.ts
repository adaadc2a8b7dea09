/**
 * The home timeline (our posts and those of everyone we follow, newest first), or the posts with one
 * hashtag. Live: new entries refetch it, coalesced, while it renders.
 */
import type { FlockClient, PostView } from '../app/client.js'
import { PostListState } from './post-list.svelte.js'
import { hasTag, patchPosts } from './posts.js'

export interface TimelineOptions {
  limit?: number
  /** Only posts with this hashtag (normalised as entries store tags). */
  tag?: string
}

export class TimelineState extends PostListState {
  #posts = $state.raw<PostView[]>([])
  readonly #limit: number
  readonly #tag: string | undefined

  constructor (client: FlockClient, options: TimelineOptions = {}) {
    super(client)
    this.#tag = options.tag
    this.#limit = options.limit ?? (options.tag === undefined ? 50 : 200)
  }

  get posts (): PostView[] {
    this.track()
    return this.#posts
  }

  protected async fetch (): Promise<void> {
    const posts = await this.client.timeline(this.#limit)
    const tag = this.#tag
    this.#posts = tag === undefined ? posts : posts.filter(p => hasTag(p, tag))
  }

  protected patch (cid: string, fn: (p: PostView) => PostView): void {
    this.#posts = patchPosts(this.#posts, cid, fn)
  }
}
