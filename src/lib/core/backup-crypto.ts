/**
 * Passphrase-encrypted identity backups (PROTOCOL.md §1, "Encrypted backup"). The private key a
 * plain backup holds is sealed with XChaCha20-Poly1305 under a 32-byte key that scrypt derives from
 * the passphrase (NFKC-normalised, then UTF-8), as NIP-49 does for Nostr keys. The header — format,
 * version, author and KDF parameters — is the AEAD's associated data, so altering any of it fails
 * exactly like a wrong passphrase.
 *
 * ```ts
 * const file = await encryptAuthor(me, 'correct horse battery staple')
 * const again = await decryptAuthor(file, 'correct horse battery staple')   // again.id === me.id
 * ```
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { scryptAsync } from '@noble/hashes/scrypt.js'
import { privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { base64url } from 'multiformats/bases/base64'
import { InvalidBackupError, authorFromBackupKey, backupFields, type Author } from './identity.js'

export const ENCRYPTED_BACKUP_FORMAT = 'flock-identity-encrypted'
export const ENCRYPTED_BACKUP_VERSION = 1
/** scrypt cost written into new backups: N = 2^16, 64 MiB and a fraction of a second, as NIP-49 recommends at least. */
export const SCRYPT_LOG_N = 16
/**
 * Highest cost a backup may ask for when read: 2^18 takes 256 MiB, about what a phone's tab can
 * spare. A file is a stranger's input until its passphrase opens it.
 */
export const SCRYPT_MAX_LOG_N = 18
const SCRYPT_R = 8
const SCRYPT_P = 1
const SALT_BYTES = 16
const NONCE_BYTES = 24

export interface EncryptedBackup {
  format: typeof ENCRYPTED_BACKUP_FORMAT
  version: typeof ENCRYPTED_BACKUP_VERSION
  author: string
  kdf: { name: 'scrypt', logN: number, r: number, p: number, salt: string }
  cipher: { name: 'xchacha20-poly1305', nonce: string }
  /** base64url (no padding) of the sealed protobuf private key, tag included. */
  ciphertext: string
}

/** The passphrase does not open the backup: it is wrong, or the file was altered. */
export class WrongPassphraseError extends Error {
  readonly code = 'WRONG_PASSPHRASE'
  override readonly name = 'WrongPassphraseError'
}

/** Whether `text` is an encrypted backup (well formed or not): it then needs a passphrase. */
export function isEncryptedBackup (text: string): boolean {
  try {
    const parsed = JSON.parse(text) as unknown
    return typeof parsed === 'object' && parsed !== null && (parsed as { format?: unknown }).format === ENCRYPTED_BACKUP_FORMAT
  } catch {
    return false
  }
}

function passphraseBytes (passphrase: string): Uint8Array {
  const normalised = passphrase.normalize('NFKC')
  if (normalised === '') throw new WrongPassphraseError('the passphrase is empty')
  return new TextEncoder().encode(normalised)
}

/** What the AEAD authenticates besides the key: everything in the header. */
function associatedData (b: Pick<EncryptedBackup, 'author' | 'kdf'>): Uint8Array {
  const { logN, r, p, salt } = b.kdf
  return new TextEncoder().encode(`${ENCRYPTED_BACKUP_FORMAT}/${ENCRYPTED_BACKUP_VERSION}\n${b.author}\nscrypt/${logN}/${r}/${p}/${salt}`)
}

async function deriveKey (passphrase: string, salt: Uint8Array, logN: number): Promise<Uint8Array> {
  return await scryptAsync(passphraseBytes(passphrase), salt, { N: 2 ** logN, r: SCRYPT_R, p: SCRYPT_P, dkLen: 32, maxmem: 2 ** (logN + 10) + 1024 * 1024 })
}

export async function encryptAuthor (author: Author, passphrase: string, options: { logN?: number } = {}): Promise<string> {
  const logN = options.logN ?? SCRYPT_LOG_N
  if (!Number.isInteger(logN) || logN < SCRYPT_LOG_N || logN > SCRYPT_MAX_LOG_N) throw new RangeError(`scrypt logN must be ${SCRYPT_LOG_N} to ${SCRYPT_MAX_LOG_N}`)
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES))
  const nonce = crypto.getRandomValues(new Uint8Array(NONCE_BYTES))
  const header = {
    author: author.id,
    kdf: { name: 'scrypt' as const, logN, r: SCRYPT_R, p: SCRYPT_P, salt: base64url.baseEncode(salt) }
  }
  const key = await deriveKey(passphrase, salt, logN)
  const sealed = xchacha20poly1305(key, nonce, associatedData(header)).encrypt(privateKeyToProtobuf(author.privateKey))
  const backup: EncryptedBackup = {
    format: ENCRYPTED_BACKUP_FORMAT,
    version: ENCRYPTED_BACKUP_VERSION,
    ...header,
    cipher: { name: 'xchacha20-poly1305', nonce: base64url.baseEncode(nonce) },
    ciphertext: base64url.baseEncode(sealed)
  }
  return JSON.stringify(backup, null, 2)
}

function decodeField (value: unknown, bytes: number | undefined, what: string): Uint8Array {
  if (typeof value !== 'string') throw new InvalidBackupError(`encrypted backup has no ${what}`)
  let out: Uint8Array
  try {
    out = base64url.baseDecode(value)
  } catch {
    throw new InvalidBackupError(`encrypted backup's ${what} is not base64url`)
  }
  if (bytes !== undefined && out.length !== bytes) throw new InvalidBackupError(`encrypted backup's ${what} must be ${bytes} bytes`)
  return out
}

/** Open an encrypted backup: InvalidBackupError for a malformed file, WrongPassphraseError when it does not open. */
export async function decryptAuthor (text: string, passphrase: string): Promise<Author> {
  const b = backupFields(text) as Partial<Record<keyof EncryptedBackup, unknown>>
  if (b.format !== ENCRYPTED_BACKUP_FORMAT) throw new InvalidBackupError('not an encrypted Flock identity backup')
  if (b.version !== ENCRYPTED_BACKUP_VERSION) throw new InvalidBackupError(`unsupported encrypted backup version ${typeof b.version === 'number' ? b.version : typeof b.version}`)
  if (typeof b.author !== 'string') throw new InvalidBackupError('encrypted backup names no author')
  const kdf = (b.kdf ?? {}) as Partial<EncryptedBackup['kdf']>
  const cipher = (b.cipher ?? {}) as Partial<EncryptedBackup['cipher']>
  if (kdf.name !== 'scrypt' || kdf.r !== SCRYPT_R || kdf.p !== SCRYPT_P) throw new InvalidBackupError(`encrypted backup must use scrypt with r = ${SCRYPT_R}, p = ${SCRYPT_P}`)
  const logN = kdf.logN
  if (typeof logN !== 'number' || !Number.isInteger(logN) || logN < SCRYPT_LOG_N || logN > SCRYPT_MAX_LOG_N) {
    throw new InvalidBackupError(`encrypted backup's scrypt cost must be 2^${SCRYPT_LOG_N} to 2^${SCRYPT_MAX_LOG_N}`)
  }
  if (cipher.name !== 'xchacha20-poly1305') throw new InvalidBackupError('encrypted backup must use xchacha20-poly1305')
  const salt = decodeField(kdf.salt, SALT_BYTES, 'salt')
  const nonce = decodeField(cipher.nonce, NONCE_BYTES, 'nonce')
  const sealed = decodeField(b.ciphertext, undefined, 'ciphertext')
  const key = await deriveKey(passphrase, salt, logN)
  let plain: Uint8Array
  try {
    plain = xchacha20poly1305(key, nonce, associatedData({ author: b.author, kdf: { name: 'scrypt', logN, r: SCRYPT_R, p: SCRYPT_P, salt: kdf.salt as string } })).decrypt(sealed)
  } catch {
    throw new WrongPassphraseError('wrong passphrase, or the backup file was altered')
  }
  return authorFromBackupKey(plain, b.author)
}
