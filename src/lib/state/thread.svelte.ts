/** One post with its thread: the ancestors up to the root, the post, and its direct replies. */
import type { FlockClient, PostView } from '../app/client.js'
import { PostListState } from './post-list.svelte.js'
import { patchPosts } from './posts.js'

export class ThreadState extends PostListState {
  readonly cid: string
  #ancestors = $state.raw<PostView[]>([])
  #focus = $state.raw<PostView | null>(null)
  #replies = $state.raw<PostView[]>([])

  constructor (client: FlockClient, cid: string) {
    super(client)
    this.cid = cid
  }

  get ancestors (): PostView[] {
    this.track()
    return this.#ancestors
  }

  /** The post itself; null while loading or when neither we nor a connected peer hold it. */
  get focus (): PostView | null {
    this.track()
    return this.#focus
  }

  get replies (): PostView[] {
    this.track()
    return this.#replies
  }

  protected async fetch (): Promise<void> {
    const { ancestors, focus, replies } = await this.client.thread(this.cid)
    this.#ancestors = ancestors
    this.#focus = focus
    this.#replies = replies
  }

  protected patch (cid: string, fn: (p: PostView) => PostView): void {
    this.#ancestors = patchPosts(this.#ancestors, cid, fn)
    this.#replies = patchPosts(this.#replies, cid, fn)
    if (this.#focus !== null) this.#focus = patchPosts([this.#focus], cid, fn)[0] ?? null
  }
}
