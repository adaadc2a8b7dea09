/** The follow-by-id form: an author id typed or pasted, then client.follow(). */
import type { FlockClient } from '../app/client.js'
import { errorMessage } from './live.js'

/** Loose shape check before asking the node; the node validates the id for real. */
const AUTHOR_ID_RE = /^12D3KooW[1-9A-HJ-NP-Za-km-z]{44}$/

/** Accept what people paste: surrounding space, a leading '@', or a /u/<id> link. */
export function cleanAuthorInput (value: string): string {
  let v = value.trim()
  const link = /\/u\/([1-9A-HJ-NP-Za-km-z]+)\/?$/.exec(v)
  if (link?.[1] !== undefined) v = link[1]
  if (v.startsWith('@')) v = v.slice(1)
  return v
}

export function looksLikeAuthorId (value: string): boolean {
  return AUTHOR_ID_RE.test(value)
}

export class FollowState {
  readonly #client: FlockClient
  #value = $state('')
  #busy = $state(false)
  #error = $state<string>()
  #followed = $state<string>()

  constructor (client: FlockClient) {
    this.#client = client
  }

  get value (): string { return this.#value }
  set value (v: string) {
    this.#value = v
    this.#error = undefined
  }

  get busy (): boolean { return this.#busy }
  get error (): string | undefined { return this.#error }
  /** The author followed by the last successful submit. */
  get followed (): string | undefined { return this.#followed }

  async submit (): Promise<void> {
    const author = cleanAuthorInput(this.#value)
    if (author === '') {
      this.#error = 'Paste the author id of the person to follow.'
      return
    }
    if (!looksLikeAuthorId(author)) {
      this.#error = 'That is not an author id (they start with 12D3KooW and have 52 characters).'
      return
    }
    if (author === this.#client.author) {
      this.#error = 'That is your own id.'
      return
    }
    this.#busy = true
    this.#error = undefined
    this.#followed = undefined
    try {
      await this.#client.follow(author)
      this.#followed = author
      this.#value = ''
    } catch (err) {
      this.#error = errorMessage(err)
    } finally {
      this.#busy = false
    }
  }
}
