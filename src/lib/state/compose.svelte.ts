/**
 * A post being written: text with its grapheme count against the limit, up to MAX_MEDIA images
 * (re-encoded in the browser, each with alt text), and what it replies to or quotes.
 *
 * ```ts
 * const compose = new ComposeState(client, { replyTo: cid })
 * compose.text = 'hello #flock'
 * await compose.addFiles(input.files)
 * const cid = await compose.submit()
 * ```
 */
import type { FlockClient } from '../app/client.js'
import { MAX_ALT_GRAPHEMES, MAX_MEDIA, MAX_TEXT_GRAPHEMES } from '../core/constants.js'
import { textCounter, type TextCount } from './counter.js'
import { ImageInputError, resizeImage } from './images.js'
import { errorMessage } from './live.js'

export interface DraftImage {
  id: number
  bytes: Uint8Array
  mime: string
  width: number
  height: number
  alt: string
  /** blob: URL of the re-encoded image for the preview; revoked when the image leaves the draft. */
  preview: string
}

export interface ComposeOptions {
  replyTo?: string
  quote?: string
}

let nextImageId = 1

export class ComposeState {
  readonly #client: FlockClient
  readonly replyTo: string | undefined
  #quote = $state<string>()
  #text = $state('')
  #images = $state.raw<DraftImage[]>([])
  #pending = $state(0)
  #busy = $state(false)
  #error = $state<string>()
  #counter = $derived(textCounter(this.#text, MAX_TEXT_GRAPHEMES))
  #altsOk = $derived(this.#images.every(i => textCounter(i.alt, MAX_ALT_GRAPHEMES).remaining >= 0))

  constructor (client: FlockClient, options: ComposeOptions = {}) {
    this.#client = client
    this.replyTo = options.replyTo
    this.#quote = options.quote
  }

  get text (): string { return this.#text }
  set text (value: string) { this.#text = value }

  get quote (): string | undefined { return this.#quote }
  set quote (cid: string | undefined) { this.#quote = cid }

  get counter (): TextCount { return this.#counter }
  get limit (): number { return MAX_TEXT_GRAPHEMES }
  get over (): boolean { return this.#counter.over }

  get images (): DraftImage[] { return this.#images }
  /** Images still being decoded and re-encoded. */
  get processing (): number { return this.#pending }
  /** No room for another image. */
  get full (): boolean { return this.#images.length + this.#pending >= MAX_MEDIA }
  get maxImages (): number { return MAX_MEDIA }

  get busy (): boolean { return this.#busy }
  get error (): string | undefined { return this.#error }

  get canSubmit (): boolean {
    return !this.#busy && this.#pending === 0 && !this.#counter.over && this.#altsOk &&
      (!this.#counter.empty || this.#images.length > 0)
  }

  /** Add chosen files as images, re-encoded; files beyond MAX_MEDIA are refused with a message. */
  async addFiles (files: Iterable<File> | ArrayLike<File>): Promise<void> {
    const list = Array.from(files)
    const room = MAX_MEDIA - this.#images.length - this.#pending
    const taken = list.slice(0, Math.max(0, room))
    this.#error = list.length > taken.length ? `A post can have up to ${MAX_MEDIA} images.` : undefined
    this.#pending += taken.length
    await Promise.all(taken.map(async file => {
      try {
        const img = await resizeImage(file)
        const preview = URL.createObjectURL(new Blob([new Uint8Array(img.bytes)], { type: img.mime }))
        this.#images = [...this.#images, { id: nextImageId++, ...img, alt: '', preview }]
      } catch (err) {
        this.#error = err instanceof ImageInputError ? `${file.name}: ${err.message}` : errorMessage(err)
      } finally {
        this.#pending--
      }
    }))
  }

  setAlt (id: number, alt: string): void {
    this.#images = this.#images.map(i => i.id === id ? { ...i, alt } : i)
  }

  removeImage (id: number): void {
    const img = this.#images.find(i => i.id === id)
    if (img !== undefined) URL.revokeObjectURL(img.preview)
    this.#images = this.#images.filter(i => i.id !== id)
  }

  /** Publish the post; returns its CID, or undefined if it was not sent (the error says why). */
  async submit (): Promise<string | undefined> {
    if (!this.canSubmit) return undefined
    this.#busy = true
    this.#error = undefined
    try {
      const { cid } = await this.#client.post({
        text: this.#text.trim(),
        ...(this.replyTo !== undefined ? { replyTo: this.replyTo } : {}),
        ...(this.#quote !== undefined ? { quote: this.#quote } : {}),
        ...(this.#images.length > 0 ? { media: this.#images.map(i => ({ bytes: i.bytes, mime: i.mime, alt: i.alt.trim() })) } : {})
      })
      this.clear()
      return cid
    } catch (err) {
      this.#error = errorMessage(err)
      return undefined
    } finally {
      this.#busy = false
    }
  }

  clear (): void {
    for (const img of this.#images) URL.revokeObjectURL(img.preview)
    this.#images = []
    this.#text = ''
    this.#quote = undefined
    this.#error = undefined
  }

  /** Release the image previews; call when the composer leaves the page. */
  dispose (): void {
    for (const img of this.#images) URL.revokeObjectURL(img.preview)
    this.#images = []
  }
}
