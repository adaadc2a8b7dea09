/**
 * A media file (post image, avatar) as a blob: URL, fetched with client.media() when something first
 * renders it; the fetch is aborted and the URL revoked when nothing renders it any more. Its pixel size
 * is read from the bytes first (image-size.ts): an image too large to decode safely gets no URL.
 */
import { createSubscriber } from 'svelte/reactivity'
import type { FlockClient } from '../app/client.js'
import { checkImageSize } from './image-size.js'
import { errorMessage } from './live.js'

/**
 * Types we are willing to hand to an <img> from a blob: URL: the formats whose size checkImageSize
 * reads. Never SVG (it can carry script).
 */
const IMAGE_TYPES = new Set(['image/webp', 'image/jpeg', 'image/png', 'image/gif'])

export function safeImageType (mime: string): string {
  return IMAGE_TYPES.has(mime) ? mime : 'application/octet-stream'
}

/**
 * A blob: URL for `bytes`, made only once their header shows an image within MAX_IMAGE_PIXELS: nothing
 * decodes them before that. Throws ImageSizeError or ImageTooLargeError otherwise.
 */
export function imageObjectUrl (bytes: Uint8Array, mime: string): string {
  checkImageSize(bytes)
  return URL.createObjectURL(new Blob([new Uint8Array(bytes)], { type: safeImageType(mime) }))
}

export class MediaSource {
  #url = $state<string>()
  #failed = $state(false)
  #refused = $state<string>()
  readonly #subscribe

  constructor (client: FlockClient, cid: string, mime: string) {
    this.#subscribe = createSubscriber(() => {
      const controller = new AbortController()
      let url: string | undefined
      this.#failed = false
      this.#refused = undefined
      client.media(cid, controller.signal).then(bytes => {
        if (controller.signal.aborted) return
        try {
          url = imageObjectUrl(bytes, mime)
        } catch (err) {
          this.#refused = errorMessage(err)
          return
        }
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

  /** Why the bytes that arrived are not shown (too many pixels, not a readable image), if they are not. */
  get refused (): string | undefined {
    this.#subscribe()
    return this.#refused
  }
}
