/**
 * The client of a tab whose node is still starting. Starting libp2p takes a while, but the logs this
 * browser holds are in IndexedDB already: the home timeline is read from them (read-only, through the
 * same LocalClient code the node's client runs, so every entry looks exactly as it will once the node
 * answers), while everything else, and every write, waits for the node's client. When that arrives
 * this client forwards to it, tells its listeners ('live') so a list read from the stored logs is
 * read again, and closes its own IndexedDB connections: the node has its own, and deleting the
 * databases (wipe) must not be blocked by one left open.
 *
 * ```ts
 * const logs = await openStoredLogs()
 * const client = new StartingClient(author, startNode(), { value: await storedTimeline(author, logs.value), close: logs.close })
 * await client.timeline() // from IndexedDB, before the node is up
 * await client.post({ text: 'hi' }) // waits for the node
 * ```
 */
import type { Author } from '../core/index.js'
import { openBrowserStores } from '../p2p/browser-stores.js'
import type { FlockNode } from '../p2p/node.js'
import { EntryStore } from '../p2p/store.js'
import { followsInLog, homeTimeline } from '../p2p/timeline.js'
import type {
  ClientEvent, FlockClient, ForkView, NetworkView, NotificationView, PostInput, PostView, ProfileInput, ProfileView
} from './client.js'
import { LocalClient } from './local-client.js'

/** What LocalClient's timeline() reads of a node: our author id, the store, and the merged logs. */
interface StoredNode {
  author: Pick<Author, 'id'>
  store: EntryStore
  timeline: FlockNode['timeline']
}

export type TimelineReader = Pick<FlockClient, 'timeline'>

/** The home timeline of `author` (their posts and those of everyone they follow) from `store` alone. */
export async function storedTimeline (author: string, store: EntryStore): Promise<TimelineReader> {
  const authors = [author, ...await followsInLog(store, author)]
  const node: StoredNode = {
    author: { id: author },
    store,
    timeline: async (limit = 50) => await homeTimeline(store, authors, limit)
  }
  // LocalClient's timeline() touches nothing of the node beyond StoredNode.
  return new LocalClient(node as FlockNode, [])
}

/** Something read through IndexedDB connections of our own, which close() closes. */
export interface Stored<T> {
  value: T
  close: () => Promise<void>
}

/** The entry store in this browser's IndexedDB, opened without the node. */
export async function openStoredLogs (): Promise<Stored<EntryStore>> {
  const { blockstore, datastore, close } = await openBrowserStores()
  return { value: new EntryStore(blockstore, datastore), close }
}

export class StartingClient implements FlockClient {
  readonly author: string
  /** The node's client once it is up; rejects with why the node did not start. */
  readonly live: Promise<FlockClient>
  readonly #listeners = new Set<(event: ClientEvent) => void>()
  #node: FlockClient | undefined
  #unsubscribeNode: (() => void) | undefined
  #stored: Stored<TimelineReader> | undefined
  readonly #reads = new Set<Promise<unknown>>()

  constructor (author: string, live: Promise<FlockClient>, stored?: Stored<TimelineReader>) {
    this.author = author
    this.#stored = stored
    this.live = live.then(
      client => {
        this.#goLive(client)
        return client
      },
      async (err: unknown) => {
        await this.closeStored()
        throw err
      }
    )
  }

  /** Waits for the stored reads in flight; returns how many there were. */
  async storedReads (): Promise<number> {
    const reads = [...this.#reads]
    await Promise.allSettled(reads)
    return reads.length
  }

  /** Stops reading IndexedDB here; resolves once the reads in flight are done and the connections closed. */
  async closeStored (): Promise<void> {
    const stored = this.#stored
    this.#stored = undefined
    if (stored === undefined) return
    await this.storedReads()
    await stored.close()
  }

  #goLive (client: FlockClient): void {
    this.#node = client
    if (this.#listeners.size > 0) this.#forward()
    for (const l of [...this.#listeners]) l({ type: 'live' })
    void this.closeStored()
  }

  #forward (): void {
    this.#unsubscribeNode ??= this.#node?.subscribe(event => {
      for (const l of [...this.#listeners]) l(event)
    })
  }

  async #live (): Promise<FlockClient> {
    return this.#node ?? await this.live
  }

  async timeline (limit?: number): Promise<PostView[]> {
    const stored = this.#node === undefined ? this.#stored : undefined
    if (stored !== undefined) {
      const read = stored.value.timeline(limit)
      this.#reads.add(read)
      try {
        return await read
      } catch {
        // The stored view is only a head start; the node's answer is the real one.
      } finally {
        this.#reads.delete(read)
      }
    }
    return await (await this.#live()).timeline(limit)
  }

  async authorPosts (author: string, limit?: number): Promise<PostView[]> {
    return await (await this.#live()).authorPosts(author, limit)
  }

  async thread (cid: string): Promise<{ ancestors: PostView[], focus: PostView | null, replies: PostView[] }> {
    return await (await this.#live()).thread(cid)
  }

  async post (input: PostInput): Promise<string> {
    return await (await this.#live()).post(input)
  }

  async like (cid: string): Promise<void> {
    await (await this.#live()).like(cid)
  }

  async repost (cid: string): Promise<void> {
    await (await this.#live()).repost(cid)
  }

  async remove (cid: string): Promise<void> {
    await (await this.#live()).remove(cid)
  }

  async follow (author: string): Promise<void> {
    await (await this.#live()).follow(author)
  }

  async unfollow (author: string): Promise<void> {
    await (await this.#live()).unfollow(author)
  }

  async following (): Promise<string[]> {
    return await (await this.#live()).following()
  }

  async setProfile (profile: ProfileInput): Promise<void> {
    await (await this.#live()).setProfile(profile)
  }

  async profile (author: string): Promise<ProfileView> {
    return await (await this.#live()).profile(author)
  }

  async notifications (limit?: number): Promise<NotificationView[]> {
    return await (await this.#live()).notifications(limit)
  }

  async network (): Promise<NetworkView> {
    return await (await this.#live()).network()
  }

  async media (cid: string, signal?: AbortSignal): Promise<Uint8Array> {
    return await (await this.#live()).media(cid, signal)
  }

  async forks (): Promise<ForkView[]> {
    return await (await this.#live()).forks()
  }

  async exportLog (): Promise<Uint8Array> {
    return await (await this.#live()).exportLog()
  }

  async importLog (car: Uint8Array): Promise<number> {
    return await (await this.#live()).importLog(car)
  }

  subscribe (listener: (event: ClientEvent) => void): () => void {
    this.#listeners.add(listener)
    if (this.#node !== undefined) this.#forward()
    return () => {
      this.#listeners.delete(listener)
      if (this.#listeners.size > 0) return
      this.#unsubscribeNode?.()
      this.#unsubscribeNode = undefined
    }
  }
}
