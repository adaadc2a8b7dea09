/**
 * Browser session: the author identity kept in IndexedDB, the relay list (URL, then settings, then
 * bootstrap.json), and which tab runs the node. Exactly one tab per browser profile holds the Web
 * Lock and runs the node; the others get a client that forwards to it, and reload into the leader's
 * place when it closes. The node's code (libp2p, Helia) is imported lazily so the shell renders first,
 * and a returning user's session is ready before the node is: its stored timeline shows while the
 * node starts (starting-client.ts).
 */
import type { FlockClient } from './client.js'
import type { StartingClient } from './starting-client.js'
import { NODE_LOCK, connectToLeader, serveTabs } from './tabs.js'

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
}

const IDENTITY_DB = 'flock-identity'
const RELAYS_KEY = 'flock.relays'
/** Longest wait for a frame before the node starts anyway (a tab hidden meanwhile runs no frames). */
const PAINT_WAIT_MAX_MS = 250

let current: Promise<SessionInfo> | undefined
let stopNode: (() => Promise<void>) | undefined
let closeStored: (() => Promise<void>) | undefined

async function identityStore (): Promise<import('datastore-idb').IDBDatastore> {
  const { IDBDatastore } = await import('datastore-idb')
  const store = new IDBDatastore(IDENTITY_DB)
  await store.open()
  return store
}

async function readIdentity (): Promise<{ backup: string, nodeKey: Uint8Array | undefined } | null> {
  const [{ Key }, store] = await Promise.all([import('interface-datastore'), identityStore()])
  // Both reads at once, each one round trip: an absent key throws NotFoundError.
  const read = async (key: string): Promise<Uint8Array | undefined> => await store.get(new Key(key)).catch((err: unknown) => {
    if (err instanceof Error && err.name === 'NotFoundError') return undefined
    throw err
  })
  try {
    const [backup, nodeKey] = await Promise.all([read('/author'), read('/node-key')])
    return backup === undefined ? null : { backup: new TextDecoder().decode(backup), nodeKey }
  } finally {
    await store.close()
  }
}

async function writeIdentity (backup: string, nodeKey: Uint8Array): Promise<void> {
  const { Key } = await import('interface-datastore')
  const store = await identityStore()
  try {
    await store.put(new Key('/author'), new TextEncoder().encode(backup))
    await store.put(new Key('/node-key'), nodeKey)
  } finally {
    await store.close()
  }
}

function isLoopbackPage (): boolean {
  return ['127.0.0.1', 'localhost', '[::1]'].includes(location.hostname)
}

export async function relayList (): Promise<{ url: string[], settings: string[], bootstrap: string[], effective: string[] }> {
  const url = new URLSearchParams(location.search).getAll('relay').filter(r => r !== '')
  let settings: string[] = []
  try {
    const parsed = JSON.parse(localStorage.getItem(RELAYS_KEY) ?? '[]') as unknown
    if (Array.isArray(parsed)) settings = parsed.filter((r): r is string => typeof r === 'string')
  } catch {
    settings = []
  }
  let bootstrap: string[] = []
  try {
    const res = await fetch('/bootstrap.json', { cache: 'no-cache' })
    if (res.ok) {
      const body = await res.json() as { relays?: unknown }
      if (Array.isArray(body.relays)) bootstrap = body.relays.filter((r): r is string => typeof r === 'string')
    }
  } catch {
    bootstrap = []
  }
  const effective = url.length > 0 ? url : settings.length > 0 ? settings : bootstrap
  return { url, settings, bootstrap, effective }
}

export async function saveRelays (relays: string[]): Promise<void> {
  const { multiaddr } = await import('@multiformats/multiaddr')
  for (const r of relays) multiaddr(r) // throws a readable error for a malformed address
  localStorage.setItem(RELAYS_KEY, JSON.stringify(relays))
}

/** The node this tab is starting, while it starts: a wipe must wait for it, then stop it. */
let leaderStarting: Promise<unknown> | undefined

async function startLeader (backup: string, nodeKeyBytes: Uint8Array): Promise<FlockClient> {
  const run = startLeaderNode(backup, nodeKeyBytes)
  leaderStarting = run
  try {
    return await run
  } finally {
    if (leaderStarting === run) leaderStarting = undefined
  }
}

async function startLeaderNode (backup: string, nodeKeyBytes: Uint8Array): Promise<FlockClient> {
  const [{ importAuthor }, { privateKeyFromProtobuf }, { createBrowserFlockNode }, { LocalClient }] = await Promise.all([
    import('../core/identity.js'),
    import('@libp2p/crypto/keys'),
    import('../p2p/runtime-browser.js'),
    import('./local-client.js')
  ])
  const { effective } = await relayList()
  const node = await createBrowserFlockNode({
    author: importAuthor(backup),
    nodeKey: privateKeyFromProtobuf(nodeKeyBytes),
    relays: effective,
    allowLocal: isLoopbackPage()
  })
  const client = new LocalClient(node, effective)
  const stopServing = serveTabs(client)
  stopNode = async () => {
    stopServing()
    await node.stop()
  }
  return client
}

interface Connection {
  role: 'leader' | 'follower'
  /** The node's client: this tab's own node, or a forwarder to the tab running it. */
  client: Promise<FlockClient>
}

/**
 * Take the node lock if no other tab holds it and run the node here; otherwise forward to the tab
 * that does, and queue for the lock so this tab takes over (by reloading) when that one closes.
 * Returns as soon as the role is known, before the node is up.
 */
async function connect (backup: string, nodeKey: Uint8Array, start: Promise<void> = Promise.resolve()): Promise<Connection> {
  const lead = async (): Promise<FlockClient> => {
    await start
    return await startLeader(backup, nodeKey)
  }
  if (!('locks' in navigator)) return { role: 'leader', client: lead() }
  return await new Promise<Connection>((resolve) => {
    void navigator.locks.request(NODE_LOCK, { ifAvailable: true }, async (lock) => {
      if (lock === null) {
        void navigator.locks.request(NODE_LOCK, () => { location.reload() })
        resolve({ role: 'follower', client: connectToLeader(AbortSignal.timeout(30_000)) })
        return
      }
      const client = lead()
      resolve({ role: 'leader', client })
      // A node that failed to start releases the lock; a running one holds it for the life of this tab.
      if (await client.then(() => true, () => false)) await new Promise(() => {})
    })
  })
}

/** The node's client as a session, once it is up. */
async function connected (backup: string, nodeKey: Uint8Array): Promise<SessionInfo & { client: FlockClient }> {
  const { role, client } = await connect(backup, nodeKey)
  return { phase: 'ready', role, client: await client }
}

async function newNodeKey (): Promise<Uint8Array> {
  const { generateKeyPair, privateKeyToProtobuf } = await import('@libp2p/crypto/keys')
  return privateKeyToProtobuf(await generateKeyPair('Ed25519'))
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
    if (identity === null) {
      await (await logs)?.close()
      return { phase: 'onboarding' }
    }
    let author: string
    let nodeKey: Uint8Array
    let early: Awaited<typeof starting>
    try {
      author = await authorIdOf(identity.backup)
      nodeKey = identity.nodeKey ?? await newNodeKey()
      if (identity.nodeKey === undefined) await writeIdentity(identity.backup, nodeKey)
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
    // the stored logs, is painted.
    let painted = (): void => {}
    const [{ role, client: live }, timeline] = await Promise.all([
      connect(identity.backup, nodeKey, new Promise<void>(resolve => { painted = resolve })),
      stored
    ])
    const client = new StartingClient(author, live, timeline)
    closeStored = async () => { await client.closeStored() }
    void firstScreenPainted(client).then(painted)
    return { phase: 'ready', role, client, live: client.live }
  })
  return await current
}

export async function createIdentity (name: string): Promise<SessionInfo> {
  const { exportAuthor, generateAuthor } = await import('../core/identity.js')
  const backup = exportAuthor(await generateAuthor())
  const nodeKey = await newNodeKey()
  await writeIdentity(backup, nodeKey)
  current = guarded(async () => {
    const session = await connected(backup, nodeKey)
    if (name.trim() !== '') await session.client.setProfile({ name: name.trim(), bio: '' })
    return session
  })
  return await current
}

export async function restoreIdentity (backup: string): Promise<SessionInfo> {
  const { importAuthor } = await import('../core/identity.js')
  importAuthor(backup) // throws InvalidBackupError before anything is stored
  const nodeKey = await newNodeKey()
  await writeIdentity(backup, nodeKey)
  current = guarded(async () => await connected(backup, nodeKey))
  return await current
}

export async function backupIdentity (): Promise<string> {
  const identity = await readIdentity()
  if (identity === null) throw new Error('no identity is stored in this browser')
  return identity.backup
}

export async function persistStorage (): Promise<boolean> {
  return await navigator.storage?.persist?.() ?? false
}

/** Delete every trace of Flock from this browser profile: keys, log, replicated data, settings. */
export async function wipeLocalData (): Promise<void> {
  // The early view lets the user reach Settings while the node still starts; its open databases would
  // block the deletion below, so it is stopped once it is up.
  await leaderStarting?.catch(() => {})
  await stopNode?.()
  await closeStored?.()
  const { BLOCKS_DB, INDEX_DB } = await import('../p2p/browser-stores.js')
  for (const name of [IDENTITY_DB, BLOCKS_DB, INDEX_DB]) {
    await new Promise<void>((resolve, reject) => {
      const req = indexedDB.deleteDatabase(name)
      req.onsuccess = () => { resolve() }
      req.onerror = () => { reject(req.error ?? new Error(`could not delete ${name}`)) }
      req.onblocked = () => { resolve() }
    })
  }
  localStorage.removeItem(RELAYS_KEY)
  current = undefined
}
