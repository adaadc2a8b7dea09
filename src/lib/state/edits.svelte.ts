/**
 * Editing one of our posts, and the edit history of any post. An edit is a new signed entry with the
 * post's new text; the original stays as it was signed, so the history lists it first, then every
 * edit oldest first.
 *
 * ```ts
 * const draft = new EditDraftState(post.text ?? '', hasMedia)
 * draft.text = 'fixed typo'
 * await draft.save(async text => { await list.edit(post.cid, text) })
 * ```
 */
import type { FlockClient, PostView } from '../app/client.js'
import { MAX_TEXT_GRAPHEMES } from '../core/constants.js'
import { textCounter, type TextCount } from './counter.js'
import { errorMessage } from './live.js'

/** The inline editor of one of our posts, starting from its current text. */
export class EditDraftState {
  readonly #original: string
  readonly #hasMedia: boolean
  #text = $state('')
  #busy = $state(false)
  #error = $state<string>()
  #counter = $derived(textCounter(this.#text, MAX_TEXT_GRAPHEMES))

  /** `hasMedia`: the post has images, so its text may be emptied. */
  constructor (current: string, hasMedia: boolean) {
    this.#original = current
    this.#hasMedia = hasMedia
    this.#text = current
  }

  get text (): string { return this.#text }
  set text (value: string) {
    this.#text = value
    this.#error = undefined
  }

  get counter (): TextCount { return this.#counter }
  get limit (): number { return MAX_TEXT_GRAPHEMES }
  get busy (): boolean { return this.#busy }
  get error (): string | undefined { return this.#error }

  /** The text differs from the post's current text (ignoring space at either end). */
  get changed (): boolean {
    return this.#text.trim() !== this.#original.trim()
  }

  get canSave (): boolean {
    return !this.#busy && this.changed && !this.#counter.over && (!this.#counter.empty || this.#hasMedia)
  }

  /** Hand the trimmed text to `write`; false (with the error kept) when it threw or nothing is to be saved. */
  async save (write: (text: string) => Promise<void>): Promise<boolean> {
    if (!this.canSave) return false
    this.#busy = true
    this.#error = undefined
    try {
      await write(this.#text.trim())
      return true
    } catch (err) {
      this.#error = errorMessage(err)
      return false
    } finally {
      this.#busy = false
    }
  }
}

/** One version of a post in its history: the signed original, or an edit. */
export interface HistoryItem {
  /** CID of the entry with this text: the post itself, or the edit. */
  cid: string
  ts: number
  text: string
  original: boolean
}

/** A post's versions, the original first; loaded on demand (and again when the post's edit count changes). */
export class EditHistoryState {
  readonly #client: FlockClient
  #items = $state.raw<HistoryItem[]>([])
  #loaded = $state(false)
  #error = $state<string>()
  #generation = 0

  constructor (client: FlockClient) {
    this.#client = client
  }

  get items (): HistoryItem[] { return this.#items }
  get loaded (): boolean { return this.#loaded }
  get error (): string | undefined { return this.#error }

  async load (post: PostView): Promise<void> {
    const generation = ++this.#generation
    this.#error = undefined
    try {
      const edits = await this.#client.edits(post.cid)
      if (generation !== this.#generation) return
      this.#items = historyOf(post, edits)
    } catch (err) {
      if (generation === this.#generation) this.#error = errorMessage(err)
    } finally {
      if (generation === this.#generation) this.#loaded = true
    }
  }
}

/** The original (the signed body.text) followed by the edits, oldest first. */
export function historyOf (post: PostView, edits: ReadonlyArray<{ cid: string, ts: number, text: string }>): HistoryItem[] {
  const original = post.kind === 'post' ? post.body.text : ''
  return [
    { cid: post.cid, ts: post.ts, text: original, original: true },
    ...edits.map(e => ({ cid: e.cid, ts: e.ts, text: e.text, original: false }))
  ]
}
