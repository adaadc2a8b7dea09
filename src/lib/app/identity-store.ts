/**
 * This browser's identity in IndexedDB: the author backup (the author key), the libp2p node key,
 * which stays the same across starts so peers keep recognising this node, and whether this identity
 * writes a device log. The device key itself is in its own database (device-key.ts).
 */

export const IDENTITY_DB = 'flock-identity'

export interface StoredIdentity {
  /** The author backup, as exportAuthor() writes it. */
  backup: string
  /** Absent for an identity stored before node keys were kept. */
  nodeKey: Uint8Array | undefined
  /**
   * True for an identity stored by this version or later (created or restored here): this browser
   * writes its own device log, never the author's root log. False for one stored before device keys:
   * it keeps writing the root log it wrote so far (the migration path of protocol version 2).
   */
  deviceLogs: boolean
}

async function identityStore (): Promise<import('datastore-idb').IDBDatastore> {
  const { IDBDatastore } = await import('datastore-idb')
  const store = new IDBDatastore(IDENTITY_DB)
  await store.open()
  return store
}

export async function readIdentity (): Promise<StoredIdentity | null> {
  const [{ Key }, store] = await Promise.all([import('interface-datastore'), identityStore()])
  // Both reads at once, each one round trip: an absent key throws NotFoundError.
  const read = async (key: string): Promise<Uint8Array | undefined> => await store.get(new Key(key)).catch((err: unknown) => {
    if (err instanceof Error && err.name === 'NotFoundError') return undefined
    throw err
  })
  try {
    const [backup, nodeKey, deviceLogs] = await Promise.all([read('/author'), read('/node-key'), read('/device-logs')])
    return backup === undefined ? null : { backup: new TextDecoder().decode(backup), nodeKey, deviceLogs: deviceLogs !== undefined }
  } finally {
    await store.close()
  }
}

/**
 * Store the identity. `deviceLogs` true marks it as one that writes a device log; the mark is written
 * first, so a write that fails half way never leaves a new backup without it (that identity would
 * then write its root log, which another device may write too). The mark is never removed: false
 * (an identity stored before device keys, given its node key) leaves the store as it is.
 */
export async function writeIdentity (backup: string, nodeKey: Uint8Array, deviceLogs: boolean): Promise<void> {
  const { Key } = await import('interface-datastore')
  const store = await identityStore()
  try {
    // Separate puts, not a batch: datastore-idb's batch swallows a failed commit.
    if (deviceLogs) await store.put(new Key('/device-logs'), Uint8Array.of(1))
    await store.put(new Key('/node-key'), nodeKey)
    await store.put(new Key('/author'), new TextEncoder().encode(backup))
  } finally {
    await store.close()
  }
}

/** A new libp2p node key, as the protobuf bytes writeIdentity() stores. */
export async function newNodeKey (): Promise<Uint8Array> {
  const { generateKeyPair, privateKeyToProtobuf } = await import('@libp2p/crypto/keys')
  return privateKeyToProtobuf(await generateKeyPair('Ed25519'))
}
