import { describe, expect, test } from 'vitest'
import { InvalidBackupError, exportAuthor, importAuthor } from '../../src/lib/core/index.js'
import {
  ENCRYPTED_BACKUP_FORMAT, WrongPassphraseError, decryptAuthor, encryptAuthor, isEncryptedBackup, type EncryptedBackup
} from '../../src/lib/core/backup-crypto.js'
import { authorFromSeed } from './helpers.js'

describe('encrypted identity backups', () => {
  let base: EncryptedBackup | undefined
  test('round trip: the passphrase opens it, NFKC-normalised; the key is not in the file', async () => {
    const me = await authorFromSeed(90)
    // 'ﬁ' (U+FB01) is NFKC 'fi': the same passphrase typed on another keyboard.
    const file = await encryptAuthor(me, 'ﬁve gold rings')
    expect(isEncryptedBackup(file)).toBe(true)
    expect(isEncryptedBackup(exportAuthor(me))).toBe(false)
    const parsed = JSON.parse(file) as EncryptedBackup
    expect(parsed).toMatchObject({ format: ENCRYPTED_BACKUP_FORMAT, version: 1, author: me.id, kdf: { name: 'scrypt', logN: 16, r: 8, p: 1 }, cipher: { name: 'xchacha20-poly1305' } })
    expect(file).not.toContain(JSON.parse(exportAuthor(me)).privateKey)
    const again = await decryptAuthor(file, 'five gold rings')
    expect(again.id).toBe(me.id)
    expect(again.privateKey.equals(me.privateKey)).toBe(true)
    // Two encryptions of one key differ (fresh salt and nonce).
    expect((JSON.parse(await encryptAuthor(me, 'x')) as EncryptedBackup).ciphertext).not.toBe(parsed.ciphertext)
  }, 30_000)

  test('a wrong passphrase, a changed header or a tampered ciphertext is WrongPassphraseError', async () => {
    const me = await authorFromSeed(91)
    const other = await authorFromSeed(92)
    const file = await encryptAuthor(me, 'right')
    const parsed = JSON.parse(file) as EncryptedBackup
    await expect(decryptAuthor(file, 'wrong')).rejects.toThrow(WrongPassphraseError)
    const flipped = parsed.ciphertext.slice(0, 10) + (parsed.ciphertext[10] === 'A' ? 'B' : 'A') + parsed.ciphertext.slice(11)
    await expect(decryptAuthor(JSON.stringify({ ...parsed, ciphertext: flipped }), 'right')).rejects.toThrow(WrongPassphraseError)
    // Another author's id in the header: the AEAD refuses before any key is read.
    await expect(decryptAuthor(JSON.stringify({ ...parsed, author: other.id }), 'right')).rejects.toThrow(WrongPassphraseError)
    await expect(decryptAuthor(JSON.stringify({ ...parsed, kdf: { ...parsed.kdf, logN: 17 } }), 'right')).rejects.toThrow(WrongPassphraseError)
    await expect(decryptAuthor(file, '')).rejects.toThrow(WrongPassphraseError)
  }, 60_000)

  test.each([
    ['not JSON', 'nope'],
    ['another format', JSON.stringify({ format: 'flock-identity', version: 1 })],
    ['a newer version', JSON.stringify({ format: ENCRYPTED_BACKUP_FORMAT, version: 2 })],
    ['a cost beyond what a tab can spare', (f: EncryptedBackup) => ({ ...f, kdf: { ...f.kdf, logN: 30 } })],
    ['a weaker cost', (f: EncryptedBackup) => ({ ...f, kdf: { ...f.kdf, logN: 10 } })],
    ['another cipher', (f: EncryptedBackup) => ({ ...f, cipher: { ...f.cipher, name: 'aes-gcm' } })],
    ['a short nonce', (f: EncryptedBackup) => ({ ...f, cipher: { ...f.cipher, nonce: 'AAAA' } })],
    ['no ciphertext', (f: EncryptedBackup) => ({ ...f, ciphertext: 5 })]
  ])('a malformed file (%s) is InvalidBackupError', async (_what, change) => {
    base ??= JSON.parse(await encryptAuthor(await authorFromSeed(93), 'p')) as EncryptedBackup
    const text = typeof change === 'string' ? change : JSON.stringify(change(base))
    await expect(decryptAuthor(text, 'p')).rejects.toThrow(InvalidBackupError)
  }, 30_000)

  test('a plain backup still imports, and importAuthor does not mistake an encrypted one for it', async () => {
    const me = await authorFromSeed(94)
    expect(importAuthor(exportAuthor(me)).id).toBe(me.id)
    expect(() => importAuthor('{"format":"flock-identity-encrypted","version":1}')).toThrow(InvalidBackupError)
  })
})
