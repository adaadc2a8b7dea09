/**
 * Browser session: the author identity kept in IndexedDB, the relay list (URL, then settings, then
 * bootstrap.json), and which tab runs the node. Exactly one tab per browser profile holds the Web
 * Lock and runs the node; the others get a client that forwards to it, and reload into the leader's
 * place when it closes. The node's code (libp2p, Helia) is imported lazily so the shell renders first.
 */
import type { FlockClient } from './client.js'
import { NODE_LOCK, connectToLeader, serveTabs } from './tabs.js'

export type SessionPhase = 'loading' | 'onboarding' | 'ready' | 'error'

export interface SessionInfo {
  phase: SessionPhase
  client?: FlockClient
  /** 'leader': this tab runs the node; 'follower': another tab does and this one forwards to it. */
  role?: 'leader' | 'follower'
  error?: string
}

const IDENTITY_DB = 'flock-identity'
const RELAYS_KEY = 'flock.relays'

let current: Promise<SessionInfo> | undefined
let stopNode: (() => Promise<void>) | undefined

async function identityStore (): Promise<import('datastore-idb').IDBDatastore> {
  const { IDBDatastore } = await import('datastore-idb')
  const store = new IDBDatastore(IDENTITY_DB)
  await store.open()
  return store
}

async function readIdentity (): Promise<{ backup: string, nodeKey: Uint8Array | undefined } | null> {
  const { Key } = await import('interface-datastore')
  const store = await identityStore()
  try {
    if (!await store.has(new Key('/author'))) return null
    const backup = new TextDecoder().decode(await store.get(new Key('/author')))
    const nodeKey = await store.has(new Key('/node-key')) ? await store.get(new Key('/node-key')) : undefined
    return { backup, nodeKey }
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

async function startLeader (backup: string, nodeKeyBytes: Uint8Array): Promise<FlockClient> {
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

/**
 * Take the node lock if no other tab holds it and run the node here; otherwise forward to the tab
 * that does, and queue for the lock so this tab takes over (by reloading) when that one closes.
 */
async function connect (backup: string, nodeKey: Uint8Array): Promise<SessionInfo> {
  if (!('locks' in navigator)) return { phase: 'ready', role: 'leader', client: await startLeader(backup, nodeKey) }
  const leader = await new Promise<FlockClient | null>((resolve, reject) => {
    void navigator.locks.request(NODE_LOCK, { ifAvailable: true }, async (lock) => {
      if (lock === null) return resolve(null)
      try {
        resolve(await startLeader(backup, nodeKey))
      } catch (err) {
        reject(err as Error)
        return
      }
      // Hold the lock for the life of this tab.
      await new Promise(() => {})
    })
  })
  if (leader !== null) return { phase: 'ready', role: 'leader', client: leader }
  void navigator.locks.request(NODE_LOCK, () => { location.reload() })
  return { phase: 'ready', role: 'follower', client: await connectToLeader(AbortSignal.timeout(30_000)) }
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

/** The session of this tab: onboarding if no identity is stored, else a connected client. */
export async function loadSession (): Promise<SessionInfo> {
  current ??= guarded(async () => {
    const identity = await readIdentity()
    if (identity === null) return { phase: 'onboarding' }
    const nodeKey = identity.nodeKey ?? await newNodeKey()
    if (identity.nodeKey === undefined) await writeIdentity(identity.backup, nodeKey)
    return await connect(identity.backup, nodeKey)
  })
  return await current
}

export async function createIdentity (name: string): Promise<SessionInfo> {
  const { exportAuthor, generateAuthor } = await import('../core/identity.js')
  const backup = exportAuthor(await generateAuthor())
  const nodeKey = await newNodeKey()
  await writeIdentity(backup, nodeKey)
  current = guarded(async () => {
    const session = await connect(backup, nodeKey)
    if (name.trim() !== '') await session.client?.setProfile({ name: name.trim(), bio: '' })
    return session
  })
  return await current
}

export async function restoreIdentity (backup: string): Promise<SessionInfo> {
  const { importAuthor } = await import('../core/identity.js')
  importAuthor(backup) // throws InvalidBackupError before anything is stored
  const nodeKey = await newNodeKey()
  await writeIdentity(backup, nodeKey)
  current = guarded(async () => await connect(backup, nodeKey))
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
  await stopNode?.()
  const { BLOCKS_DB, INDEX_DB } = await import('../p2p/runtime-browser.js')
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
