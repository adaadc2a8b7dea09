/**
 * Notifications for the signed-in author, grouped, with an unread count for the nav badge. "Seen" is
 * the set of notification ids shown on the notifications page, kept per author in localStorage (and
 * shared live between tabs through the storage event).
 */
import { untrack } from 'svelte'
import { createSubscriber } from 'svelte/reactivity'
import type { FlockClient, NotificationView } from '../app/client.js'
import { coalesce, errorMessage } from './live.js'
import { addSeen, groupNotifications, idSet, loadSeen, saveSeen, seenKey, unreadCount, type NotificationGroup } from './notify.js'

const LIMIT = 100
const REFRESH_GAP_MS = 500

function storage (): Storage | undefined {
  return typeof localStorage === 'undefined' ? undefined : localStorage
}

export class NotificationsState {
  readonly #client: FlockClient
  #items = $state.raw<NotificationView[]>([])
  #seen = $state.raw<string[]>([])
  /** Ids that were unread when the page was opened (or arrived while it is open): still highlighted. */
  #highlight = $state.raw<string[]>([])
  #loaded = $state(false)
  #error = $state<string>()
  #viewers = 0
  readonly #refresher
  readonly #subscribe

  #seenSet = $derived(idSet(this.#seen))
  #unread = $derived(unreadCount(this.#items, this.#seenSet))
  #groups = $derived(groupNotifications(this.#items, idSet(this.#seen, this.#highlight)))

  constructor (client: FlockClient) {
    this.#client = client
    this.#seen = loadSeen(storage(), client.author)
    this.#refresher = coalesce(async () => { await this.#fetch() }, REFRESH_GAP_MS)
    this.#subscribe = createSubscriber(() => {
      this.#refresher.resume()
      this.#refresher.request()
      const off = client.subscribe(event => {
        // Our own entries never notify us.
        if (event.type === 'entry' && event.entry.author !== client.author) this.#refresher.request()
      })
      const onStorage = (e: StorageEvent): void => {
        if (e.key === seenKey(client.author)) this.#seen = loadSeen(storage(), client.author)
      }
      addEventListener('storage', onStorage)
      return () => {
        off()
        removeEventListener('storage', onStorage)
        this.#refresher.cancel()
      }
    })
  }

  get groups (): NotificationGroup[] {
    this.#subscribe()
    return this.#groups
  }

  get unread (): number {
    this.#subscribe()
    return this.#unread
  }

  get loaded (): boolean {
    this.#subscribe()
    return this.#loaded
  }

  get error (): string | undefined {
    return this.#error
  }

  refresh (): void {
    this.#refresher.request()
  }

  /**
   * The notifications page is showing: everything listed counts as seen (the badge clears), but what
   * was unread stays highlighted until the page closes. Returns the function to call when it closes.
   */
  view (): () => void {
    this.#viewers++
    // Called from an $effect: what it reads here must not become that effect's dependencies.
    untrack(() => { this.#markSeen() })
    return () => {
      this.#viewers--
      if (this.#viewers === 0) this.#highlight = []
    }
  }

  async #fetch (): Promise<void> {
    try {
      this.#items = await this.#client.notifications(LIMIT)
      this.#error = undefined
    } catch (err) {
      this.#error = errorMessage(err)
    } finally {
      this.#loaded = true
    }
    if (this.#viewers > 0) this.#markSeen()
  }

  #markSeen (): void {
    const fresh = this.#items.map(n => n.entry.cid).filter(c => !this.#seenSet.has(c))
    if (fresh.length === 0) return
    this.#highlight = [...this.#highlight, ...fresh]
    this.#seen = addSeen(this.#seen, fresh)
    saveSeen(storage(), this.#client.author, this.#seen)
  }
}
