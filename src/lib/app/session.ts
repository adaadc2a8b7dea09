/**
 * Browser session: the identity stored in this browser (identity-store.ts) and its device key
 * (device-key.ts), and the client of the node, which one tab per browser profile runs
 * (leadership.ts). The node's code (libp2p, Helia) is imported lazily so the shell renders first,
 * and a returning user's session is ready before the node is: its stored timeline shows while the
 * node starts (starting-client.ts).
 */
import type { FlockClient } from './client.js'
import { DEVICE_DB, createDeviceKey, readDeviceKey, storedDeviceKeyKind, type DeviceKey, type DeviceKeyKind } from './device-key.js'
import { IDENTITY_DB, newNodeKey, readIdentity, writeIdentity } from './identity-store.js'
import { connect, stopLeader, type DeviceKeySource } from './leadership.js'
import { adoptInviteRelays, forgetRelays, relayLinkToConfirm, type RelayLink } from './relays.js'
import type { StartingClient } from './starting-client.js'

export type SessionPhase = 'loading' | 'onboarding' | 'ready' | 'error'

export interface SessionInfo {
  phase: SessionPhase
  client?: FlockClient
  /** 'leader': this tab runs the node; 'follower': another tab does and this one forwards to it. */
  role?: 'leader' | 'follower'
  error?: string
  /**
   * Settles when the node's client is up; rejects with why it did not start. Present when `client`
   * answered from the stored logs before that.
   */
  live?: Promise<unknown>
  /** Relays a ?relay= link proposes: this tab's node starts once the user accepted or refused them. */
  relayLink?: RelayLink
}

/** Longest wait for a frame before the node starts anyway (a tab hidden meanwhile runs no frames). */
const PAINT_WAIT_MAX_MS = 250

let current: Promise<SessionInfo> | undefined
let closeStored: (() => Promise<void>) | undefined
let relayLink: RelayLink | undefined

/** The node's client as a session, once it is up. */
async function connected (backup: string, nodeKey: Uint8Array, device: DeviceKey): Promise<SessionInfo & { client: FlockClient }> {
  const { role, client } = await connect(backup, nodeKey, async () => device.signer, relayLink?.answered)
  return { phase: 'ready', role, client: await client }
}

async function guarded (run: () => Promise<SessionInfo>): Promise<SessionInfo> {
  try {
    return await run()
  } catch (err) {
    return { phase: 'error', error: (err as Error).message }
  }
}

/**
 * The author id of a stored identity. Its backup names it, checked against the key before it was
 * stored (createIdentity, restoreIdentity); only a backup without the field needs its key imported.
 */
async function authorIdOf (backup: string): Promise<string> {
  const named = (JSON.parse(backup) as { author?: unknown }).author
  if (typeof named === 'string') return named
  const { importAuthor } = await import('../core/identity.js')
  return importAuthor(backup).id
}

/**
 * The device key of a stored identity, for the tab that runs its node. An identity stored before
 * device keys has none and gets none: it keeps writing its root log (protocol v2 migration). One
 * stored since always writes a device log: should its key be missing (or made for another author,
 * after a restore that failed half way), a new device is made — never a fall back to the root log,
 * which another device of the author may be writing.
 */
function storedDevice (author: string, deviceLogs: boolean): DeviceKeySource {
  return async () => {
    if (!deviceLogs) return undefined
    const stored = await readDeviceKey()
    if (stored !== null && stored.author === author) return stored.signer
    return (await createDeviceKey(author)).signer
  }
}

/** Resolves once the stored reads the first screen asked for are answered and painted. */
async function firstScreenPainted (client: StartingClient): Promise<void> {
  do await nextPaint()
  while (await client.storedReads() > 0)
}

/** The next frame is painted (or, in a hidden tab, which paints nothing, the next task runs). */
async function nextPaint (): Promise<void> {
  await new Promise<void>((resolve) => {
    const fallback = setTimeout(resolve, PAINT_WAIT_MAX_MS)
    const done = (): void => {
      clearTimeout(fallback)
      setTimeout(resolve, 0)
    }
    if (document.visibilityState === 'hidden') done()
    else requestAnimationFrame(done)
  })
}

/**
 * The session of this tab: onboarding if no identity is stored, else a client that shows the stored
 * timeline at once and switches to the node's client when the node is up.
 */
export async function loadSession (): Promise<SessionInfo> {
  current ??= guarded(async () => {
    const starting = import('./starting-client.js')
    // The entry store opens while the identity is read: neither needs the other.
    const logs = starting.then(async m => await m.openStoredLogs()).catch(() => undefined)
    const identity = await readIdentity().catch(async (err: unknown) => {
      await (await logs)?.close()
      throw err
    })
    relayLink = relayLinkToConfirm(identity !== null)
    if (identity === null) {
      await (await logs)?.close()
      return { phase: 'onboarding', relayLink }
    }
    let author: string
    let nodeKey: Uint8Array
    let early: Awaited<typeof starting>
    try {
      author = await authorIdOf(identity.backup)
      nodeKey = identity.nodeKey ?? await newNodeKey()
      if (identity.nodeKey === undefined) await writeIdentity(identity.backup, nodeKey, identity.deviceLogs)
      early = await starting
    } catch (err) {
      // An open store would block wiping the profile, the way out of a broken identity.
      await (await logs)?.close()
      throw err
    }
    const { StartingClient, storedTimeline } = early
    const stored = logs.then(async l => {
      if (l === undefined) return undefined
      try {
        return { value: await storedTimeline(author, l.value), close: l.close }
      } catch {
        // Without a stored view the session simply waits for the node, as a new profile does.
        await l.close()
        return undefined
      }
    })
    // Starting a node is a burst of main-thread work: it waits until the first screen, drawn from
    // the stored logs, is painted (and until the user answered a relay link, if there is one).
    let painted = (): void => {}
    const firstPaint = new Promise<void>(resolve => { painted = resolve })
    const [{ role, client: live }, timeline] = await Promise.all([
      connect(identity.backup, nodeKey, storedDevice(author, identity.deviceLogs), Promise.all([firstPaint, relayLink?.answered]).then(() => {})),
      stored
    ])
    const client = new StartingClient(author, live, timeline)
    closeStored = async () => { await client.closeStored() }
    void firstScreenPainted(client).then(painted)
    return { phase: 'ready', role, client, live: client.live, relayLink }
  })
  return await current
}

export async function createIdentity (name: string): Promise<SessionInfo> {
  const { exportAuthor, generateAuthor } = await import('../core/identity.js')
  const author = await generateAuthor()
  const backup = exportAuthor(author)
  const nodeKey = await newNodeKey()
  await adoptInviteRelays()
  // The device key first: an identity stored without its key would be taken for one stored before
  // device keys. (writeIdentity marks it as writing device logs as well.)
  const device = await createDeviceKey(author.id)
  await writeIdentity(backup, nodeKey, true)
  current = guarded(async () => {
    const session = await connected(backup, nodeKey, device)
    if (name.trim() !== '') await session.client.setProfile({ name: name.trim(), bio: '' })
    return session
  })
  return await current
}

/**
 * Restore from a backup file; an encrypted one needs its passphrase (WrongPassphraseError if it does
 * not open). What is stored is the plain backup: this browser's copy of the key is kept as before.
 * This browser becomes a new device of the restored author, with a new device key (replacing the
 * one stored, when Settings restores over an identity): the author key signs it in, and nothing is
 * written to the root log, so nothing forks.
 */
export async function restoreIdentity (file: string, passphrase?: string): Promise<SessionInfo> {
  const { exportAuthor, importAuthor } = await import('../core/identity.js')
  const { decryptAuthor, isEncryptedBackup } = await import('../core/backup-crypto.js')
  const backup = isEncryptedBackup(file) ? exportAuthor(await decryptAuthor(file, passphrase ?? '')) : file
  const author = importAuthor(backup) // throws InvalidBackupError before anything is stored
  const nodeKey = await newNodeKey()
  await adoptInviteRelays()
  const device = await createDeviceKey(author.id)
  await writeIdentity(backup, nodeKey, true)
  current = guarded(async () => await connected(backup, nodeKey, device))
  return await current
}

/** The identity backup, sealed under `passphrase` when one is given (backup-crypto.ts). */
export async function backupIdentity (passphrase?: string): Promise<string> {
  const identity = await readIdentity()
  if (identity === null) throw new Error('no identity is stored in this browser')
  if (passphrase === undefined) return identity.backup
  const { importAuthor } = await import('../core/identity.js')
  const { encryptAuthor } = await import('../core/backup-crypto.js')
  return await encryptAuthor(importAuthor(identity.backup), passphrase)
}

/**
 * The kind of device key this browser's identity signs with (device-key.ts): null when no identity
 * is stored, when it writes the author's root log (stored before device keys), or when its key is
 * not made yet (the node makes it on its next start).
 */
export async function deviceKeyKind (): Promise<DeviceKeyKind | null> {
  const identity = await readIdentity()
  if (identity === null || !identity.deviceLogs) return null
  return await storedDeviceKeyKind(await authorIdOf(identity.backup))
}

export async function persistStorage (): Promise<boolean> {
  return await navigator.storage?.persist?.() ?? false
}

/** Delete every trace of Flock from this browser profile: keys (author, node, device), logs, replicated data, settings. */
export async function wipeLocalData (): Promise<void> {
  // The early view lets the user reach Settings while the node still starts; its open databases would
  // block the deletion below, so it is stopped once it is up.
  await stopLeader()
  await closeStored?.()
  const [{ BLOCKS_DB, INDEX_DB }, { VIEWS_DB }] = await Promise.all([import('../p2p/browser-stores.js'), import('./views-store.js')])
  for (const name of [IDENTITY_DB, DEVICE_DB, BLOCKS_DB, INDEX_DB, VIEWS_DB]) {
    await new Promise<void>((resolve, reject) => {
      const req = indexedDB.deleteDatabase(name)
      req.onsuccess = () => { resolve() }
      req.onerror = () => { reject(req.error ?? new Error(`could not delete ${name}`)) }
      req.onblocked = () => { resolve() }
    })
  }
  forgetRelays()
  current = undefined
}
