/**
 * The client of a tab whose node is still starting. Starting libp2p takes a while, but the logs this
 * browser holds are in IndexedDB already: the home timeline is read from them (read-only, through the
 * same views, post-views.ts, that the node's client uses, so every entry looks exactly as it will once
 * the node answers), while everything else, and every write, waits for the node's client. When that arrives
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
import type { Datastore } from 'interface-datastore'
import { CID } from 'multiformats/cid'
import { openBrowserStores } from '../p2p/browser-stores.js'
import { EntryStore } from '../p2p/store.js'
import { followsInLog, homeTimeline } from '../p2p/timeline.js'
import {
  CLIENT_METHODS, callMethod, forwarding, type ClientEvent, type ClientMethod, type FlockClient, type PostView
} from './client.js'
import { UnknownEntryError } from './errors.js'
import { PostViews } from './post-views.js'
import { ReadModel } from './read-model.js'
import { openViewsStore } from './views-store.js'

export type TimelineReader = Pick<FlockClient, 'timeline'>

/** The logs this browser holds, and the read model derived from them, opened without the node. */
export interface StoredLogs {
  store: EntryStore
  views: Datastore
}

/**
 * The home timeline of `author` (their posts and those of everyone they follow) from the stored logs
 * alone, read through the views the node's client uses. The read model is only read here: the node's
 * client catches it up once it starts.
 */
export async function storedTimeline (author: string, { store, views }: StoredLogs): Promise<TimelineReader> {
  const authors = [author, ...await followsInLog(store, author)]
  return new PostViews({
    self: author,
    logs: store,
    timeline: async (limit) => await homeTimeline(store, authors, limit),
    following: () => authors.slice(1),
    entry: async (cid) => {
      const v = await store.get(CID.parse(cid))
      if (v === undefined) throw new UnknownEntryError(`entry ${cid} is not held here`)
      return v
    }
  }, new ReadModel(views, store))
}

/** Something read through IndexedDB connections of our own, which close() closes. */
export interface Stored<T> {
  value: T
  close: () => Promise<void>
}

/** The entry store and the read model in this browser's IndexedDB, opened without the node. */
export async function openStoredLogs (): Promise<Stored<StoredLogs>> {
  // Both opens settle before a failed one's partner is closed: one still pending would open after.
  const [stores, opened] = await Promise.allSettled([openBrowserStores(), openViewsStore()])
  if (stores.status === 'rejected' || opened.status === 'rejected') {
    if (stores.status === 'fulfilled') await stores.value.close().catch(() => {})
    if (opened.status === 'fulfilled') await opened.value.close().catch(() => {})
    throw stores.status === 'rejected' ? stores.reason : (opened as PromiseRejectedResult).reason
  }
  const { blockstore, datastore, close } = stores.value
  const views = opened.value
  return {
    value: { store: new EntryStore(blockstore, datastore), views },
    close: async () => { await Promise.all([close(), views.close()]) }
  }
}

/** Every method waits for the node's client, except timeline(), which the stored logs answer first. */
const FORWARDED = CLIENT_METHODS.filter((m): m is Exclude<ClientMethod, 'timeline'> => m !== 'timeline')

export class StartingClient extends forwarding(FORWARDED) implements FlockClient {
  readonly author: string
  /** The node's client once it is up; rejects with why the node did not start. */
  readonly live: Promise<FlockClient>
  readonly #listeners = new Set<(event: ClientEvent) => void>()
  #node: FlockClient | undefined
  #unsubscribeNode: (() => void) | undefined
  #stored: Stored<TimelineReader> | undefined
  readonly #reads = new Set<Promise<unknown>>()

  constructor (author: string, live: Promise<FlockClient>, stored?: Stored<TimelineReader>) {
    super()
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
    if (this.#listeners.size > 0) this.#forwardEvents()
    for (const l of [...this.#listeners]) l({ type: 'live' })
    void this.closeStored()
  }

  #forwardEvents (): void {
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

  protected override async forward (method: ClientMethod, args: unknown[]): Promise<unknown> {
    return await callMethod(await this.#live(), method, args)
  }

  subscribe (listener: (event: ClientEvent) => void): () => void {
    this.#listeners.add(listener)
    if (this.#node !== undefined) this.#forwardEvents()
    return () => {
      this.#listeners.delete(listener)
      if (this.#listeners.size > 0) return
      this.#unsubscribeNode?.()
      this.#unsubscribeNode = undefined
    }
  }
}
