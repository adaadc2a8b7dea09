/**
 * The network page's view of the node: connections, traffic, relay share, what we served, sync.
 * Polls client.network() every second, and on 'network' and 'sync' events, only while it renders.
 */
import { createSubscriber } from 'svelte/reactivity'
import type { FlockClient, NetworkView } from '../app/client.js'
import { coalesce, errorMessage } from './live.js'

export const NETWORK_POLL_MS = 1000

export class NetworkState {
  #view = $state.raw<NetworkView>()
  #error = $state<string>()
  readonly #subscribe

  constructor (client: FlockClient) {
    const refresher = coalesce(async () => {
      try {
        this.#view = await client.network()
        this.#error = undefined
      } catch (err) {
        this.#error = errorMessage(err)
      }
    }, 200)
    this.#subscribe = createSubscriber(() => {
      refresher.resume()
      refresher.request()
      const timer = setInterval(() => { refresher.request() }, NETWORK_POLL_MS)
      const off = client.subscribe(event => {
        if (event.type === 'network' || event.type === 'sync') refresher.request()
      })
      return () => {
        clearInterval(timer)
        off()
        refresher.cancel()
      }
    })
  }

  /** Undefined until the first answer. */
  get view (): NetworkView | undefined {
    this.#subscribe()
    return this.#view
  }

  get error (): string | undefined {
    this.#subscribe()
    return this.#error
  }
}
