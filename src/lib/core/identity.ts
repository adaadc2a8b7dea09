/**
 * Author identity: an Ed25519 key pair whose public half, written as a libp2p PeerId string
 * (`12D3KooW…`), is the author id. Backups are a small JSON document holding the private key in
 * libp2p's protobuf key encoding, so any libp2p implementation can read it.
 *
 * ```ts
 * const me = await generateAuthor()
 * const file = exportAuthor(me)           // save it somewhere safe
 * const again = importAuthor(file)        // again.id === me.id
 * ```
 */
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf, publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey, peerIdFromString } from '@libp2p/peer-id'
import type { Ed25519PrivateKey, Ed25519PublicKey } from '@libp2p/interface'
import { base64url } from 'multiformats/bases/base64'
import { InvalidAuthorError } from './errors.js'
import { isStrictPublicKey } from './signature.js'
import { ed25519 } from '@noble/curves/ed25519.js'

export interface Author {
  /** PeerId string of the public key. */
  readonly id: string
  readonly publicKey: Ed25519PublicKey
  readonly privateKey: Ed25519PrivateKey
}

export const BACKUP_FORMAT = 'flock-identity'
export const BACKUP_VERSION = 1

export interface AuthorBackup {
  format: typeof BACKUP_FORMAT
  version: typeof BACKUP_VERSION
  author: string
  /** base64url (no padding) of the libp2p protobuf encoding of the Ed25519 private key. */
  privateKey: string
}

export function authorFromPrivateKey (privateKey: Ed25519PrivateKey): Author {
  return { id: peerIdFromPublicKey(privateKey.publicKey).toString(), publicKey: privateKey.publicKey, privateKey }
}

export async function generateAuthor (): Promise<Author> {
  return authorFromPrivateKey(await generateKeyPair('Ed25519'))
}

export function authorIdFromPublicKey (raw: Uint8Array): string {
  return peerIdFromPublicKey(publicKeyFromRaw(raw) as Ed25519PublicKey).toString()
}

// Parsing an id costs a base58 decode and a key import; the same few authors recur constantly.
const keyCache = new Map<string, Ed25519PublicKey>()
const KEY_CACHE_SIZE = 4096

/** The Ed25519 public key an author id names; throws InvalidAuthorError for anything else. */
export function publicKeyOfAuthor (id: string): Ed25519PublicKey {
  const cached = keyCache.get(id)
  if (cached !== undefined) return cached
  let key: Ed25519PublicKey
  try {
    const peerId = peerIdFromString(id)
    if (peerId.type !== 'Ed25519') throw new InvalidAuthorError(`author ${id} is not an Ed25519 key`)
    key = peerId.publicKey
  } catch (err) {
    if (err instanceof InvalidAuthorError) throw err
    throw new InvalidAuthorError(`author id is not a valid PeerId: ${(err as Error).message}`)
  }
  // Non-canonical spellings of one key (e.g. other multibase) would give one author two ids.
  if (key.toString() !== id) throw new InvalidAuthorError('author id is not in canonical form')
  // Small-order and off-curve keys let anyone forge "signatures" some libraries accept (PROTOCOL.md §1).
  if (!isStrictPublicKey(key.raw)) throw new InvalidAuthorError(`author ${id} is not a valid Ed25519 public key`)
  if (keyCache.size >= KEY_CACHE_SIZE) keyCache.clear()
  keyCache.set(id, key)
  return key
}

export function isAuthorId (id: unknown): id is string {
  if (typeof id !== 'string') return false
  try {
    publicKeyOfAuthor(id)
    return true
  } catch {
    return false
  }
}

export function exportAuthor (author: Author): string {
  const backup: AuthorBackup = {
    format: BACKUP_FORMAT,
    version: BACKUP_VERSION,
    author: author.id,
    privateKey: base64url.baseEncode(privateKeyToProtobuf(author.privateKey))
  }
  return JSON.stringify(backup, null, 2)
}

/** Thrown for a backup file that is not a Flock identity or whose key does not match its author. */
export class InvalidBackupError extends Error {
  readonly code = 'INVALID_BACKUP'
  override readonly name = 'InvalidBackupError'
}

/** The fields of a backup file, plain or encrypted, none of them checked yet. */
export function backupFields (text: string): Record<string, unknown> {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new InvalidBackupError('backup is not JSON')
  }
  if (typeof parsed !== 'object' || parsed === null) throw new InvalidBackupError('backup is not an object')
  return parsed as Record<string, unknown>
}

export function importAuthor (text: string): Author {
  const b = backupFields(text) as Partial<AuthorBackup>
  if (b.format !== BACKUP_FORMAT) throw new InvalidBackupError('not a Flock identity backup')
  // Not String(b.version): JSON like {"toString": 1} makes String() throw a TypeError.
  if (b.version !== BACKUP_VERSION) throw new InvalidBackupError(`unsupported backup version ${typeof b.version === 'number' ? b.version : typeof b.version}`)
  if (typeof b.privateKey !== 'string') throw new InvalidBackupError('backup has no private key')
  let bytes: Uint8Array
  try {
    bytes = base64url.baseDecode(b.privateKey)
  } catch {
    throw new InvalidBackupError('private key is unreadable')
  }
  return authorFromBackupKey(bytes, b.author)
}

/**
 * The author whose private key, in libp2p's protobuf encoding, a backup holds; `claimed` is the
 * author id the backup names, if any. Shared by plain and encrypted backups.
 */
export function authorFromBackupKey (bytes: Uint8Array, claimed: unknown): Author {
  let key
  try {
    key = privateKeyFromProtobuf(bytes)
  } catch {
    throw new InvalidBackupError('private key is unreadable')
  }
  if (key.type !== 'Ed25519') throw new InvalidBackupError('private key is not Ed25519')
  // The protobuf form carries seed and public key side by side; a mismatched pair would sign
  // entries that never verify.
  const derived = ed25519.getPublicKey(key.raw.subarray(0, 32))
  if (!derived.every((b, i) => b === key.publicKey.raw[i])) throw new InvalidBackupError('private and public key in the backup do not match')
  const author = authorFromPrivateKey(key)
  if (claimed !== undefined && claimed !== author.id) throw new InvalidBackupError('private key does not match the author id in the backup')
  return author
}
