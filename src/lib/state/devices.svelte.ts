/**
 * The devices that write for us (settings → Devices): this browser, our other devices (a restored
 * backup, a headless peer), and the author key's own log from before devices. Revoking one asks for
 * a confirmation first; a revoked device's entries after the revoke are no longer shown by anyone
 * who has the revoke.
 *
 * ```ts
 * const devices = new DevicesState(client)
 * onMount(() => devices.start())
 * devices.askRevoke(id); await devices.revoke(id)
 * ```
 */
import type { DeviceView, FlockClient } from '../app/client.js'
import { shortAuthor } from './format.js'
import { coalesce, errorMessage, type Refresher } from './live.js'

/** What a device row is called: its name, else what it is, else its short id. */
export function deviceLabel (d: DeviceView): string {
  const name = d.name?.trim() ?? ''
  // Device names are lowercase phrases such as "headless peer"; a row reads better capitalised.
  if (name !== '') return name.charAt(0).toUpperCase() + name.slice(1)
  if (d.current) return 'This browser'
  return shortAuthor(d.id)
}

/** Whether the row offers "Revoke": not this device, not the author key's log, not revoked already. */
export function canRevoke (d: DeviceView): boolean {
  return !d.current && !d.root && d.revokedAfter === undefined
}

/** This device first, then the ones in use, most recently active first; revoked ones last. */
export function sortDevices (list: readonly DeviceView[]): DeviceView[] {
  const rank = (d: DeviceView): number => d.current ? 0 : d.revokedAfter === undefined ? 1 : 2
  return [...list].sort((a, b) => rank(a) - rank(b) || (b.lastTs ?? -Infinity) - (a.lastTs ?? -Infinity) || (a.id < b.id ? -1 : 1))
}

export class DevicesState {
  readonly #client: FlockClient
  readonly #refresher: Refresher
  #devices = $state.raw<DeviceView[]>()
  #error = $state<string>()
  #confirming = $state<string>()
  #revoking = $state<string>()

  constructor (client: FlockClient, gapMs = 500) {
    this.#client = client
    this.#refresher = coalesce(async () => { await this.load() }, gapMs)
  }

  /** Undefined until the first answer. */
  get devices (): DeviceView[] | undefined { return this.#devices }
  get error (): string | undefined { return this.#error }
  /** The device whose revoke waits for a confirmation. */
  get confirming (): string | undefined { return this.#confirming }
  /** The device being revoked right now. */
  get revoking (): string | undefined { return this.#revoking }

  /** Load, and load again when one of our entries arrives (a device joined, one was revoked, counts moved); returns the stop. */
  start (): () => void {
    const me = this.#client.author
    this.#refresher.resume()
    this.#refresher.request()
    const off = this.#client.subscribe(event => {
      if ((event.type === 'entry' && event.entry.author === me) || event.type === 'live') this.#refresher.request()
    })
    return () => {
      off()
      this.#refresher.cancel()
    }
  }

  async load (): Promise<void> {
    try {
      this.#devices = sortDevices(await this.#client.devices())
      this.#error = undefined
    } catch (err) {
      this.#error = errorMessage(err)
    }
  }

  askRevoke (id: string): void {
    this.#confirming = id
    this.#error = undefined
  }

  cancelRevoke (): void {
    this.#confirming = undefined
  }

  /** Revoke `id` once its revoke was asked for (askRevoke); the list is read again after. */
  async revoke (id: string): Promise<void> {
    if (this.#confirming !== id || this.#revoking !== undefined) return
    this.#revoking = id
    this.#error = undefined
    try {
      await this.#client.revokeDevice(id)
      this.#confirming = undefined
      await this.load()
    } catch (err) {
      this.#error = errorMessage(err)
    } finally {
      this.#revoking = undefined
    }
  }
}
