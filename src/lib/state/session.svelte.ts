/**
 * The session of this tab as reactive state: loading, onboarding, ready (with a client) or error.
 * Wraps src/lib/app/session.ts; once ready it also holds the per-session states the whole app shares
 * (the unread-notifications badge and the sync banner), and the question a ?relay= link asks before
 * its relays replace the user's (src/lib/app/relays.ts).
 *
 * ```ts
 * const session = new SessionState()
 * await session.load()
 * if (session.phase === 'onboarding') await session.create('Ada')
 * ```
 */
import { createContext } from 'svelte'
import type { FlockClient } from '../app/client.js'
import type { RelayLink } from '../app/relays.js'
import {
  backupIdentity, createIdentity, loadSession, restoreIdentity, type SessionInfo, type SessionPhase
} from '../app/session.js'
import { backupFileName } from './format.js'
import { downloadFile, readText } from './files.js'
import { errorMessage } from './live.js'
import { NotificationsState } from './notifications.svelte.js'
import { SyncState } from './sync.svelte.js'

/** What a ready session offers every page. */
export interface App {
  client: FlockClient
  author: string
  role: 'leader' | 'follower'
  notifications: NotificationsState
  sync: SyncState
}

export class SessionState {
  #phase = $state<SessionPhase>('loading')
  #app = $state.raw<App>()
  #error = $state<string>()
  #busy = $state(false)
  #relayLink = $state.raw<RelayLink>()
  #relayLinkError = $state<string>()

  get phase (): SessionPhase { return this.#phase }
  /** Present exactly when phase is 'ready'. */
  get app (): App | undefined { return this.#app }
  get client (): FlockClient | undefined { return this.#app?.client }
  get role (): 'leader' | 'follower' | undefined { return this.#app?.role }
  /** Why the session failed, or why the last onboarding action failed. */
  get error (): string | undefined { return this.#error }
  /** An onboarding action (create, restore) is running. */
  get busy (): boolean { return this.#busy }
  /** Relays a ?relay= link proposes, until the user accepts or refuses them. */
  get relayLink (): RelayLink | undefined { return this.#relayLink }
  /** Why accepting the link's relays failed (a malformed address, say). */
  get relayLinkError (): string | undefined { return this.#relayLinkError }

  async load (): Promise<void> {
    const info = await loadSession()
    this.#relayLink = info.relayLink
    this.#apply(info)
  }

  /** Save the link's relays as this browser's, and start the node with them. */
  async useLinkRelays (): Promise<void> {
    const link = this.#relayLink
    if (link === undefined) return
    this.#relayLinkError = undefined
    try {
      await link.use()
      this.#relayLink = undefined
    } catch (err) {
      this.#relayLinkError = errorMessage(err)
    }
  }

  /** Start the node with the user's own relays and forget the link's. */
  keepMyRelays (): void {
    this.#relayLink?.keep()
    this.#relayLink = undefined
    this.#relayLinkError = undefined
  }

  async create (name: string): Promise<void> {
    await this.#run(async () => await createIdentity(name))
  }

  /** Restore an identity from a backup file chosen by the user. */
  async restore (file: Blob, passphrase?: string): Promise<void> {
    await this.#run(async () => await restoreIdentity(await readText(file), passphrase))
  }

  /** Download the identity backup as flock-identity-<short id>.json, encrypted when a passphrase is given. */
  async downloadBackup (passphrase?: string): Promise<void> {
    const backup = await backupIdentity(passphrase)
    const author = this.#app?.author ?? 'unknown'
    downloadFile(backupFileName(author), backup, 'application/json')
  }

  async #run (action: () => Promise<SessionInfo>): Promise<void> {
    if (this.#busy) return
    this.#busy = true
    this.#error = undefined
    try {
      const info = await action()
      if (info.phase === 'error') {
        // The identity may be stored already; the error says why the node did not start.
        this.#error = info.error ?? 'Flock could not start.'
        this.#phase = 'error'
      } else {
        this.#apply(info)
      }
    } catch (err) {
      // Nothing was stored (e.g. an invalid backup file): stay on the onboarding form.
      this.#error = errorMessage(err)
    } finally {
      this.#busy = false
    }
  }

  #apply (info: SessionInfo): void {
    if (info.phase === 'ready' && info.client !== undefined) {
      const client = info.client
      const app: App = {
        client,
        author: client.author,
        role: info.role ?? 'leader',
        notifications: new NotificationsState(client),
        sync: new SyncState(client)
      }
      this.#app = app
      // The stored timeline may show before the node is up; a node that then fails to start ends the session as before.
      info.live?.catch((err: unknown) => {
        if (this.#app !== app) return
        this.#error = errorMessage(err)
        this.#phase = 'error'
      })
    }
    this.#error = info.error
    this.#phase = info.phase === 'ready' && info.client === undefined ? 'error' : info.phase
    if (this.#phase === 'error') this.#error ??= 'Flock could not start.'
  }
}

const [getSession, setSession] = createContext<SessionState>()

export { getSession, setSession }

/** The ready session's app state; pages render only once the session is ready. */
export function getApp (): App {
  const app = getSession().app
  if (app === undefined) throw new Error('getApp() called before the session is ready')
  return app
}
