/**
 * The settings page: the relay list (saved in this browser, used from the next start), persistent
 * storage, exporting and importing the signed log as a CAR file, and wiping all local data.
 */
import type { FlockClient } from '../app/client.js'
import { relayList, saveRelays } from '../app/relays.js'
import { persistStorage, wipeLocalData } from '../app/session.js'
import { downloadFile, readBytes } from './files.js'
import { importMessage } from './format.js'
import { errorMessage } from './live.js'

export interface RelaySources {
  /** From ?relay= in the page address; used on a first visit, or once they are saved (relays.ts). */
  url: string[]
  /** Saved in this browser. */
  settings: string[]
  /** From the site's bootstrap.json. */
  bootstrap: string[]
  /** What the node uses. */
  effective: string[]
}

export class SettingsState {
  readonly #client: FlockClient
  #relays = $state.raw<RelaySources>()
  #draft = $state('')
  #relayError = $state<string>()
  #relaysChanged = $state(false)
  #persisted = $state<boolean>()
  #busy = $state<string>()
  #message = $state<string>()
  #error = $state<string>()

  constructor (client: FlockClient) {
    this.#client = client
  }

  get relays (): RelaySources | undefined { return this.#relays }
  get relayDraft (): string { return this.#draft }
  set relayDraft (v: string) {
    this.#draft = v
    this.#relayError = undefined
  }

  get relayError (): string | undefined { return this.#relayError }
  /** The saved list changed since the node started: a reload applies it. */
  get relaysChanged (): boolean { return this.#relaysChanged }
  /** Result of the last persistStorage() request. */
  get persisted (): boolean | undefined { return this.#persisted }
  /** Which action runs ('export', 'import', 'wipe', 'persist'), if any. */
  get busy (): string | undefined { return this.#busy }
  /** Outcome of the last action, for a status line. */
  get message (): string | undefined { return this.#message }
  get error (): string | undefined { return this.#error }

  async loadRelays (): Promise<void> {
    try {
      this.#relays = await relayList()
    } catch (err) {
      this.#relayError = errorMessage(err)
    }
  }

  async addRelay (): Promise<void> {
    const addr = this.#draft.trim()
    if (addr === '') return
    const current = this.#relays?.settings ?? []
    if (current.includes(addr)) {
      this.#relayError = 'That relay is in the list already.'
      return
    }
    // Start from the relays in use, so adding one does not silently drop the bootstrap ones.
    const base = current.length > 0 ? current : this.#relays?.effective ?? []
    if (await this.#saveRelays([...base.filter(r => r !== addr), addr])) this.#draft = ''
  }

  async removeRelay (addr: string): Promise<void> {
    const base = (this.#relays?.settings.length ?? 0) > 0 ? this.#relays?.settings ?? [] : this.#relays?.effective ?? []
    await this.#saveRelays(base.filter(r => r !== addr))
  }

  async resetRelays (): Promise<void> {
    await this.#saveRelays([])
  }

  async #saveRelays (list: string[]): Promise<boolean> {
    this.#relayError = undefined
    try {
      await saveRelays(list)
      this.#relaysChanged = true
      await this.loadRelays()
      return true
    } catch (err) {
      this.#relayError = errorMessage(err)
      return false
    }
  }

  async persist (): Promise<void> {
    await this.#action('persist', async () => {
      this.#persisted = await persistStorage()
      return this.#persisted
        ? 'The browser will keep Flock\'s data unless you delete it.'
        : 'The browser did not grant persistent storage; it may clear Flock\'s data when space runs low.'
    })
  }

  async exportLog (): Promise<void> {
    await this.#action('export', async () => {
      const car = await this.#client.exportLog()
      downloadFile('flock-log.car', car, 'application/vnd.ipld.car')
      return `Exported your log (${car.length.toLocaleString('en-US')} bytes).`
    })
  }

  async importLog (file: Blob): Promise<void> {
    await this.#action('import', async () => {
      return importMessage(await this.#client.importLog(await readBytes(file)))
    })
  }

  /** Delete every local trace of Flock, then start over from onboarding. */
  async wipe (): Promise<void> {
    await this.#action('wipe', async () => {
      await wipeLocalData()
      location.reload()
      return 'Local data deleted.'
    })
  }

  async #action (name: string, run: () => Promise<string>): Promise<void> {
    if (this.#busy !== undefined) return
    this.#busy = name
    this.#error = undefined
    this.#message = undefined
    try {
      this.#message = await run()
    } catch (err) {
      this.#error = errorMessage(err)
    } finally {
      this.#busy = undefined
    }
  }
}
