/**
 * What every list of posts on screen shares (home, tag, thread, profile): like, repost, edit and delete
 * with an optimistic update, and refreshing while it renders. The node's own 'entry' event for our action
 * triggers the refetch that confirms the optimistic state.
 */
import { createSubscriber, SvelteMap } from 'svelte/reactivity'
import type { ClientEvent, FlockClient, PostView } from '../app/client.js'
import { coalesce, errorMessage, type Refresher } from './live.js'
import { withEdit, withLike, withRepost } from './posts.js'

export abstract class PostListState {
  protected readonly client: FlockClient
  #error = $state<string>()
  #loaded = $state(false)
  /** Likes and reposts shown before the node has stored them, counted per post. */
  readonly #pending = new SvelteMap<string, number>()
  readonly #refresher: Refresher
  readonly #subscribe: () => void

  constructor (client: FlockClient, gapMs = 300) {
    this.client = client
    this.#refresher = coalesce(async () => {
      try {
        await this.fetch()
        this.#error = undefined
      } catch (err) {
        this.#error = errorMessage(err)
      } finally {
        this.#loaded = true
      }
    }, gapMs)
    // Listeners live only while something renders this list (DESIGN §4.8).
    this.#subscribe = createSubscriber(() => {
      this.#refresher.resume()
      this.#refresher.request()
      const off = client.subscribe(event => {
        if (this.relevant(event)) this.#refresher.request()
      })
      return () => {
        off()
        this.#refresher.cancel()
      }
    })
  }

  /** Load the list into state; called while nothing else loads. */
  protected abstract fetch (): Promise<void>
  /** Apply `fn` to every shown copy of the post `cid`. */
  protected abstract patch (cid: string, fn: (p: PostView) => PostView): void

  /** Whether an event may change this list; by default every new entry does, and the node coming up. */
  protected relevant (event: ClientEvent): boolean {
    return event.type === 'entry' || event.type === 'live'
  }

  /** Call in every getter that renders data: starts live updates while something renders. */
  protected track (): void {
    this.#subscribe()
  }

  get loaded (): boolean {
    this.track()
    return this.#loaded
  }

  get error (): string | undefined {
    this.track()
    return this.#error
  }

  /**
   * Whether a like or repost of `cid` is shown but not stored yet (a tab whose node is still
   * starting holds it until the node is up; closing the tab then would lose it).
   */
  pending (cid: string): boolean {
    return (this.#pending.get(cid) ?? 0) > 0
  }

  refresh (): void {
    this.#refresher.request()
  }

  dismissError (): void {
    this.#error = undefined
  }

  async like (cid: string): Promise<void> {
    await this.#optimistic(cid, p => withLike(p, true), p => withLike(p, false), async () => { await this.client.like(cid) })
  }

  async repost (cid: string): Promise<void> {
    await this.#optimistic(cid, p => withRepost(p, true), p => withRepost(p, false), async () => { await this.client.repost(cid) })
  }

  async remove (cid: string): Promise<void> {
    try {
      await this.client.remove(cid)
      this.refresh()
    } catch (err) {
      this.#error = errorMessage(err)
    }
  }

  /**
   * New text for one of our posts. Once the node has stored the edit the list shows it at once, then
   * refetches. Throws what the client threw, so the editor that asked can say why and stay open.
   */
  async edit (cid: string, text: string): Promise<void> {
    await this.client.edit(cid, text)
    const ts = Date.now()
    this.patch(cid, p => withEdit(p, text, ts))
    this.refresh()
  }

  async #optimistic (cid: string, apply: (p: PostView) => PostView, undo: (p: PostView) => PostView, action: () => Promise<void>): Promise<void> {
    this.patch(cid, apply)
    this.#pending.set(cid, (this.#pending.get(cid) ?? 0) + 1)
    try {
      await action()
    } catch (err) {
      this.patch(cid, undo)
      this.#error = errorMessage(err)
    } finally {
      const left = (this.#pending.get(cid) ?? 1) - 1
      if (left > 0) this.#pending.set(cid, left)
      else this.#pending.delete(cid)
    }
  }
}
