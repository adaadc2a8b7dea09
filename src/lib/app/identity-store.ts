/**
 * This browser's identity in IndexedDB: the author backup (the signing key of our log) and the
 * libp2p node key, which stays the same across starts so peers keep recognising this node.
 */

export const IDENTITY_DB = 'flock-identity'

export interface StoredIdentity {
  /** The author backup, as exportAuthor() writes it. */
  backup: string
  /** Absent for an identity stored before node keys were kept. */
  nodeKey: Uint8Array | undefined
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
    const [backup, nodeKey] = await Promise.all([read('/author'), read('/node-key')])
    return backup === undefined ? null : { backup: new TextDecoder().decode(backup), nodeKey }
  } finally {
    await store.close()
  }
}

export async function writeIdentity (backup: string, nodeKey: Uint8Array): Promise<void> {
  const { Key } = await import('interface-datastore')
  const store = await identityStore()
  try {
    await store.put(new Key('/author'), new TextEncoder().encode(backup))
    await store.put(new Key('/node-key'), nodeKey)
  } finally {
    await store.close()
  }
}

/** A new libp2p node key, as the protobuf bytes writeIdentity() stores. */
export async function newNodeKey (): Promise<Uint8Array> {
  const { generateKeyPair, privateKeyToProtobuf } = await import('@libp2p/crypto/keys')
  return privateKeyToProtobuf(await generateKeyPair('Ed25519'))
}
