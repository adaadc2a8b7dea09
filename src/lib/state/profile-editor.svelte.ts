/** The own-profile form: name, bio, avatar and handle, each within the protocol's limits. */
import type { FlockClient, ProfileInput, ProfileView } from '../app/client.js'
import { MAX_BIO_GRAPHEMES, MAX_NAME_GRAPHEMES } from '../core/constants.js'
import { isHandle } from '../core/entry.js'
import { textCounter, type TextCount } from './counter.js'
import { AVATAR_SIDE, resizeImage } from './images.js'
import { errorMessage } from './live.js'

/**
 * A handle as typed or pasted, in the form a profile entry stores it: no surrounding space, no
 * leading '@', no https:// or trailing '/' or '.', lowercase (domain names ignore case).
 */
export function normalizeHandle (value: string): string {
  return value.trim().replace(/^@/, '').replace(/^https?:\/\//i, '').replace(/\/+$/, '').replace(/\.$/, '').toLowerCase()
}

/** Why a typed handle cannot be saved, or undefined when it can (empty means no handle). */
export function handleProblem (value: string): string | undefined {
  const handle = normalizeHandle(value)
  if (handle === '' || isHandle(handle)) return undefined
  return 'A handle is a domain name you control, such as alice.example.org: letters, digits and hyphens, at least one dot, no spaces.'
}

export class ProfileEditorState {
  readonly #client: FlockClient
  readonly #avatarCid: string | undefined
  readonly #currentHandle: string
  #name = $state('')
  #bio = $state('')
  #handle = $state('')
  #avatar = $state.raw<{ bytes: Uint8Array, mime: string, preview: string }>()
  #dropAvatar = $state(false)
  #busy = $state(false)
  #error = $state<string>()
  #saved = $state(false)
  #nameCount = $derived(textCounter(this.#name, MAX_NAME_GRAPHEMES))
  #bioCount = $derived(textCounter(this.#bio, MAX_BIO_GRAPHEMES))
  #handleError = $derived(handleProblem(this.#handle))

  constructor (client: FlockClient, current: ProfileView) {
    this.#client = client
    this.#name = current.name
    this.#bio = current.bio
    this.#avatarCid = current.avatar
    this.#currentHandle = current.handle ?? ''
    this.#handle = this.#currentHandle
  }

  get name (): string { return this.#name }
  set name (v: string) { this.#name = v; this.#saved = false }
  get bio (): string { return this.#bio }
  set bio (v: string) { this.#bio = v; this.#saved = false }
  /** A domain name whose /.well-known/flock.json lists us; empty for none. */
  get handle (): string { return this.#handle }
  set handle (v: string) { this.#handle = v; this.#saved = false }
  get handleError (): string | undefined { return this.#handleError }
  get nameCount (): TextCount { return this.#nameCount }
  get bioCount (): TextCount { return this.#bioCount }
  get nameLimit (): number { return MAX_NAME_GRAPHEMES }
  get bioLimit (): number { return MAX_BIO_GRAPHEMES }
  /** Preview URL of a newly chosen avatar. */
  get avatarPreview (): string | undefined { return this.#avatar?.preview }
  get hasAvatar (): boolean { return this.#avatar !== undefined || (this.#avatarCid !== undefined && !this.#dropAvatar) }
  get busy (): boolean { return this.#busy }
  get error (): string | undefined { return this.#error }
  get saved (): boolean { return this.#saved }
  get canSave (): boolean { return !this.#busy && !this.#nameCount.over && !this.#bioCount.over && this.#handleError === undefined }

  async chooseAvatar (file: File | undefined): Promise<void> {
    if (file === undefined) return
    this.#error = undefined
    try {
      const img = await resizeImage(file, AVATAR_SIDE)
      this.#clearAvatar()
      this.#avatar = { bytes: img.bytes, mime: img.mime, preview: URL.createObjectURL(new Blob([new Uint8Array(img.bytes)], { type: img.mime })) }
      this.#dropAvatar = false
      this.#saved = false
    } catch (err) {
      this.#error = errorMessage(err)
    }
  }

  removeAvatar (): void {
    this.#clearAvatar()
    this.#dropAvatar = true
    this.#saved = false
  }

  async save (): Promise<boolean> {
    if (!this.canSave) return false
    this.#busy = true
    this.#error = undefined
    try {
      const profile: ProfileInput = { name: this.#name.trim(), bio: this.#bio.trim() }
      if (this.#avatar !== undefined) profile.avatar = { bytes: this.#avatar.bytes, mime: this.#avatar.mime, alt: '' }
      else if (this.#dropAvatar) profile.avatar = null
      // Like the avatar, an unchanged handle is left out and carried over; '' removes it.
      const handle = normalizeHandle(this.#handle)
      if (handle !== this.#currentHandle) profile.handle = handle
      await this.#client.setProfile(profile)
      this.#saved = true
      return true
    } catch (err) {
      this.#error = errorMessage(err)
      return false
    } finally {
      this.#busy = false
    }
  }

  dispose (): void {
    this.#clearAvatar()
  }

  #clearAvatar (): void {
    if (this.#avatar !== undefined) URL.revokeObjectURL(this.#avatar.preview)
    this.#avatar = undefined
  }
}
