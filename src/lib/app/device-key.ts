/**
 * This browser's device key (PROTOCOL.md §1, Devices): the key that signs this browser's own log.
 * The author key signs it in once (the log's first entry, written by the node on its first start),
 * so after that the author key is needed only to add or revoke a device.
 *
 * Preferred kind, 'webcrypto': a NON-EXTRACTABLE WebCrypto Ed25519 key. IndexedDB stores the
 * CryptoKey object itself (a structured clone keeps it non-extractable), so script in this page can
 * sign with it but can never read or copy its private bytes. Only the public key is exported.
 *
 * Fallback kind, 'fallback': where WebCrypto has no Ed25519 (generateKey throws — browsers from
 * before Chrome 137, Firefox 129, Safari 17), or IndexedDB refuses to store a CryptoKey, the device
 * key is an ordinary EXTRACTABLE libp2p Ed25519 key stored as its protobuf bytes, as the author
 * backup and the node key are (identity-store.ts). It signs the same entries; its bytes, like the
 * author key's, are readable by script in this origin.
 *
 * The key lives in its own database, DEVICE_DB (raw IndexedDB: datastore-idb stores only bytes), as
 * one record that also names the author it was made for: a key signed in by one author can never
 * write for another.
 *
 * ```ts
 * const device = await createDeviceKey(author.id)   // new identity, or a restore: a new key, stored
 * const again = await readDeviceKey()               // later starts: again.signer.id === device.signer.id
 * ```
 */
import type { SignerKey } from '../core/entry.js'

export const DEVICE_DB = 'flock-device'
const DB_VERSION = 1
const STORE = 'keys'
const RECORD = 'device'

/** Which kind of device key this browser holds: see the top of this file. */
export type DeviceKeyKind = 'webcrypto' | 'fallback'

/** The record DEVICE_DB holds, under RECORD. */
export type DeviceRecord =
  | { kind: 'webcrypto', author: string, publicKey: Uint8Array, privateKey: CryptoKey }
  | { kind: 'fallback', author: string, publicKey: Uint8Array, privateKey: Uint8Array }

export interface DeviceKey {
  /** The author the key was made for: only that author's key signs it in. */
  author: string
  kind: DeviceKeyKind
  /** The key as the node signs with it: `signer.id` is the device id, its log's id. */
  signer: SignerKey
}

/**
 * A new device key for `author`, not stored: a non-extractable WebCrypto key where the runtime has
 * WebCrypto Ed25519, else the fallback (an extractable libp2p key). `subtle` null: no WebCrypto.
 */
export async function generateDeviceRecord (author: string, subtle: SubtleCrypto | null = globalThis.crypto?.subtle ?? null): Promise<DeviceRecord> {
  if (subtle !== null) {
    let pair: CryptoKeyPair | undefined
    try {
      pair = await subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']) as CryptoKeyPair
    } catch {
      // No Ed25519 in this browser's WebCrypto: the fallback below.
    }
    if (pair !== undefined) {
      // Only the public half is exported; the private half was made non-extractable.
      const publicKey = new Uint8Array(await subtle.exportKey('raw', pair.publicKey))
      return { kind: 'webcrypto', author, publicKey, privateKey: pair.privateKey }
    }
  }
  return await fallbackRecord(author)
}

/** The fallback: an extractable libp2p Ed25519 key, as protobuf bytes. */
async function fallbackRecord (author: string): Promise<DeviceRecord> {
  const { generateKeyPair, privateKeyToProtobuf } = await import('@libp2p/crypto/keys')
  const key = await generateKeyPair('Ed25519')
  return { kind: 'fallback', author, publicKey: key.publicKey.raw, privateKey: privateKeyToProtobuf(key) }
}

/** The device key a record holds, ready to sign. */
export async function deviceKeyOf (record: DeviceRecord, subtle: SubtleCrypto | undefined = globalThis.crypto?.subtle): Promise<DeviceKey> {
  const { authorIdFromPublicKey } = await import('../core/identity.js')
  if (record.kind === 'fallback') {
    const { privateKeyFromProtobuf } = await import('@libp2p/crypto/keys')
    const key = privateKeyFromProtobuf(record.privateKey)
    if (key.type !== 'Ed25519') throw new DeviceKeyError('the device key stored in this browser is not an Ed25519 key')
    return { author: record.author, kind: 'fallback', signer: { id: authorIdFromPublicKey(key.publicKey.raw), privateKey: key } }
  }
  if (subtle === undefined) throw new DeviceKeyError('this browser has no WebCrypto to sign with its device key')
  const cryptoKey = record.privateKey
  const raw = Uint8Array.from(record.publicKey)
  return {
    author: record.author,
    kind: 'webcrypto',
    signer: {
      id: authorIdFromPublicKey(raw),
      // No `raw`: the private bytes are out of reach, so signing always goes through sign().
      privateKey: {
        publicKey: { raw },
        sign: async (message: Uint8Array) => new Uint8Array(await subtle.sign('Ed25519', cryptoKey, message as Uint8Array<ArrayBuffer>))
      }
    }
  }
}

/**
 * Make a new device key for `author` and store it, replacing any key stored before (a restore into
 * a browser that had another identity, or the same one, gets a new device and so a new log).
 */
export async function createDeviceKey (author: string): Promise<DeviceKey> {
  let record = await generateDeviceRecord(author)
  try {
    await writeRecord(record)
  } catch (err) {
    // A browser with WebCrypto Ed25519 whose IndexedDB cannot hold a CryptoKey: the fallback.
    if (record.kind !== 'webcrypto' || (err as Error).name !== 'DataCloneError') throw err
    record = await fallbackRecord(author)
    await writeRecord(record)
  }
  return await deviceKeyOf(record)
}

/** The device key stored in this browser, or null if there is none. */
export async function readDeviceKey (): Promise<DeviceKey | null> {
  const record = await readRecord()
  return record === null ? null : await deviceKeyOf(record)
}

/** The kind of device key stored in this browser for `author`, or null if it has none for that author. */
export async function storedDeviceKeyKind (author: string): Promise<DeviceKeyKind | null> {
  const record = await readRecord()
  return record !== null && record.author === author ? record.kind : null
}

export class DeviceKeyError extends Error {
  override readonly name = 'DeviceKeyError'
}

/** Check what IndexedDB gave back: an unreadable key must not pass for an absent one. */
export function checkRecord (value: unknown): DeviceRecord {
  const bad = (why: string): never => { throw new DeviceKeyError(`the device key stored in this browser is unreadable: ${why}`) }
  if (typeof value !== 'object' || value === null) return bad('not a record')
  const r = value as Record<string, unknown>
  if (typeof r.author !== 'string') bad('no author')
  if (!(r.publicKey instanceof Uint8Array) || r.publicKey.length !== 32) bad('no public key')
  if (r.kind === 'webcrypto') {
    const key = r.privateKey as Partial<CryptoKey> | undefined
    if (key?.type !== 'private' || key.algorithm?.name !== 'Ed25519' || key.usages?.includes('sign') !== true) bad('not an Ed25519 signing key')
  } else if (r.kind === 'fallback') {
    if (!(r.privateKey instanceof Uint8Array)) bad('no private key')
  } else {
    bad(`unknown kind ${String(r.kind)}`)
  }
  return value as DeviceRecord
}

async function openDb (): Promise<IDBDatabase> {
  return await new Promise<IDBDatabase>((resolve, reject) => {
    const req = indexedDB.open(DEVICE_DB, DB_VERSION)
    req.onupgradeneeded = () => { req.result.createObjectStore(STORE) }
    req.onsuccess = () => {
      const db = req.result
      // Never block a wipe (deleteDatabase) from another tab.
      db.onversionchange = () => { db.close() }
      resolve(db)
    }
    req.onerror = () => { reject(req.error ?? new Error(`could not open ${DEVICE_DB}`)) }
    req.onblocked = () => { reject(new Error(`${DEVICE_DB} is blocked by another tab`)) }
  })
}

async function inTransaction<T> (mode: IDBTransactionMode, run: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await openDb()
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(STORE, mode)
      let req: IDBRequest<T>
      try {
        req = run(tx.objectStore(STORE))
      } catch (err) {
        // put() throws DataCloneError at once for a value IndexedDB cannot store.
        tx.abort()
        reject(err as Error)
        return
      }
      tx.oncomplete = () => { resolve(req.result) }
      tx.onerror = () => { reject(tx.error ?? req.error ?? new Error(`${DEVICE_DB}: transaction failed`)) }
      tx.onabort = () => { reject(tx.error ?? new Error(`${DEVICE_DB}: transaction aborted`)) }
    })
  } finally {
    db.close()
  }
}

async function readRecord (): Promise<DeviceRecord | null> {
  const value = await inTransaction<unknown>('readonly', store => store.get(RECORD))
  return value === undefined ? null : checkRecord(value)
}

async function writeRecord (record: DeviceRecord): Promise<void> {
  await inTransaction('readwrite', store => store.put(record, RECORD))
}

interface UserAgentData {
  brands?: Array<{ brand: string }>
  platform?: string
}

/** Device names are at most 50 graphemes (PROTOCOL.md, kind device); ours are short ASCII anyway. */
const DEVICE_NAME_MAX = 50

// First match wins: Edge and Opera also say Chrome, and Chrome also says Safari.
const BROWSERS: Array<[RegExp, string]> = [
  [/Edg(e|A|iOS)?\//, 'Edge'], [/OPR\//, 'Opera'], [/(Firefox|FxiOS)\//, 'Firefox'], [/(Chrome|CriOS)\//, 'Chrome'], [/Safari\//, 'Safari']
]
// Android also says Linux; iPadOS may pass for macOS.
const PLATFORMS: Array<[RegExp, string]> = [
  [/Android/, 'Android'], [/iPhone|iPad|iPod/, 'iOS'], [/CrOS/, 'ChromeOS'], [/Macintosh|Mac OS X/, 'macOS'], [/Windows/, 'Windows'], [/Linux/, 'Linux']
]

/**
 * A short description of this browser for its device entry, e.g. "Firefox on Linux"; "Browser"
 * when nothing better is known.
 */
export function describeBrowser (nav: { userAgent?: string, userAgentData?: UserAgentData } | undefined = globalThis.navigator as never): string {
  const ua = nav?.userAgent ?? ''
  const brands = (nav?.userAgentData?.brands ?? []).map(b => b.brand.trim()).filter(b => b !== '' && !/not.?a.?brand/i.test(b))
  const brand = brands.find(b => b !== 'Chromium') ?? brands[0]
  const browser = brand?.replace(/^(Google|Microsoft) /, '') ?? BROWSERS.find(([re]) => re.test(ua))?.[1]
  const uaPlatform = nav?.userAgentData?.platform?.trim()
  const platform = uaPlatform !== undefined && uaPlatform !== '' ? uaPlatform : PLATFORMS.find(([re]) => re.test(ua))?.[1]
  const name = browser !== undefined && platform !== undefined ? `${browser} on ${platform}` : browser ?? platform ?? 'Browser'
  return Array.from(name).slice(0, DEVICE_NAME_MAX).join('').trim()
}
