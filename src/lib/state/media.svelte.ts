/**
 * A media file (post image, avatar) as a blob: URL, fetched with client.media() when something first
 * renders it; the fetch is aborted and the URL revoked when nothing renders it any more.
 */
import { createSubscriber } from 'svelte/reactivity'
import type { FlockClient } from '../app/client.js'

/** Types we are willing to hand to an <img> from a blob: URL; never SVG (it can carry script). */
const IMAGE_TYPES = new Set(['image/webp', 'image/jpeg', 'image/png', 'image/gif', 'image/avif'])

export function safeImageType (mime: string): string {
  return IMAGE_TYPES.has(mime) ? mime : 'application/octet-stream'
}

export class MediaSource {
  #url = $state<string>()
  #failed = $state(false)
  readonly #subscribe

  constructor (client: FlockClient, cid: string, mime: string) {
    this.#subscribe = createSubscriber(() => {
      const controller = new AbortController()
      let url: string | undefined
      this.#failed = false
      client.media(cid, controller.signal).then(bytes => {
        if (controller.signal.aborted) return
        url = URL.createObjectURL(new Blob([new Uint8Array(bytes)], { type: safeImageType(mime) }))
        this.#url = url
      }, () => {
        if (!controller.signal.aborted) this.#failed = true
      })
      return () => {
        controller.abort()
        if (url !== undefined) URL.revokeObjectURL(url)
        this.#url = undefined
      }
    })
  }

  /** The blob: URL once the bytes are here. */
  get url (): string | undefined {
    this.#subscribe()
    return this.#url
  }

  /** No peer sent the file (or it is not held). */
  get failed (): boolean {
    this.#subscribe()
    return this.#failed
  }
}
