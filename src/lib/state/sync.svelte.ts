/**
 * Catch-up sync progress for the banner: the node's 'sync' events, plus one network() call when the
 * banner first renders so a sync already under way shows at once. While a sync is active it also
 * re-reads network() every couple of seconds, so the banner clears even if the last event arrived
 * before the node counted the sync as finished.
 */
import { createSubscriber } from 'svelte/reactivity'
import type { FlockClient, SyncView } from '../app/client.js'

const IDLE: SyncView = { active: false, received: 0, expected: 0, peers: 0 }
const RECHECK_MS = 2000

export class SyncState {
  #sync = $state.raw<SyncView>(IDLE)
  readonly #subscribe

  constructor (client: FlockClient) {
    this.#subscribe = createSubscriber(() => {
      let timer: ReturnType<typeof setTimeout> | undefined
      let stopped = false
      let version = 0
      const set = (sync: SyncView): void => {
        version++
        this.#sync = sync
        clearTimeout(timer)
        timer = sync.active && !stopped ? setTimeout(check, RECHECK_MS) : undefined
      }
      const check = (): void => {
        const asked = version
        client.network().then(n => {
          // An event that arrived meanwhile is newer than this answer.
          if (!stopped && version === asked) set(n.sync)
        }, () => {})
      }
      const off = client.subscribe(event => {
        if (event.type === 'sync') set(event.sync)
      })
      check()
      return () => {
        stopped = true
        clearTimeout(timer)
        off()
      }
    })
  }

  get sync (): SyncView {
    this.#subscribe()
    return this.#sync
  }
}
