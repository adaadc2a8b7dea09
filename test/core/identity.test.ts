import { describe, expect, test } from 'vitest'
import { generateKeyPair, privateKeyFromRaw, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { base64url } from 'multiformats/bases/base64'
import {
  BACKUP_FORMAT, BACKUP_VERSION, InvalidAuthorError, InvalidBackupError, authorIdFromPublicKey, createEntry,
  exportAuthor, generateAuthor, importAuthor, isAuthorId, publicKeyOfAuthor, verifyEntry, type AuthorBackup
} from '../../src/lib/core/index.js'
import { T0, authorFromSeed, equalBytes, throwsWith } from './helpers.js'

describe('author ids', () => {
  test('a generated author is an Ed25519 PeerId', async () => {
    const me = await generateAuthor()
    expect(me.id).toMatch(/^12D3KooW[1-9A-HJ-NP-Za-km-z]{44}$/)
    expect(me.publicKey.type).toBe('Ed25519')
    expect(me.privateKey.type).toBe('Ed25519')
    expect(authorIdFromPublicKey(me.publicKey.raw)).toBe(me.id)
    expect(peerIdFromString(me.id).toString()).toBe(me.id)
    expect(isAuthorId(me.id)).toBe(true)
    expect(equalBytes(publicKeyOfAuthor(me.id).raw, me.publicKey.raw)).toBe(true)
  })

  test('two generated authors differ', async () => {
    const [x, y] = await Promise.all([generateAuthor(), generateAuthor()])
    expect(x.id).not.toBe(y.id)
  })

  test('a fixed seed gives a fixed id', async () => {
    const a = await authorFromSeed(1)
    expect(a.id).toBe('12D3KooWK99VoVxNE7XzyBwXEzW7xhK7Gpv85r9F3V3fyKSUKPH5')
    expect(authorIdFromPublicKey(a.publicKey.raw)).toBe(a.id)
    expect((await authorFromSeed(2)).id).not.toBe(a.id)
  })

  test('invalid ids are refused with InvalidAuthorError', async () => {
    const a = await authorFromSeed(1)
    const secp = peerIdFromPrivateKey(privateKeyFromRaw(new Uint8Array(32).fill(7))).toString()
    expect(secp).toMatch(/^16Uiu2/)
    const bad = ['', 'x', a.id.slice(1), a.id.toLowerCase(), a.id + 'a', secp, peerIdFromString(a.id).toCID().toString(), ' ' + a.id]
    for (const id of bad) {
      throwsWith(() => publicKeyOfAuthor(id), InvalidAuthorError, 'InvalidAuthorError')
      expect(isAuthorId(id)).toBe(false)
    }
    expect(throwsWith(() => publicKeyOfAuthor(secp), InvalidAuthorError, 'InvalidAuthorError').code).toBe('INVALID_AUTHOR')
    for (const value of [undefined, null, 42, {}, [a.id], new TextEncoder().encode(a.id)]) expect(isAuthorId(value)).toBe(false)
  })
})

describe('backups', () => {
  test('export then import gives the same author, whose key signs entries that verify', async () => {
    const me = await authorFromSeed(9)
    const file = exportAuthor(me)
    const parsed = JSON.parse(file) as AuthorBackup
    expect(parsed.format).toBe(BACKUP_FORMAT)
    expect(parsed.format).toBe('flock-identity')
    expect(parsed.version).toBe(BACKUP_VERSION)
    expect(parsed.author).toBe(me.id)
    expect(parsed.privateKey).toMatch(/^[A-Za-z0-9_-]+$/)
    expect(Object.keys(parsed).sort()).toEqual(['author', 'format', 'privateKey', 'version'])

    const again = importAuthor(file)
    expect(again.id).toBe(me.id)
    expect(equalBytes(again.publicKey.raw, me.publicKey.raw)).toBe(true)
    const v = await createEntry(again, null, 'post', { text: 'restored' }, T0)
    const checked = await verifyEntry(v.bytes)
    expect(checked.entry.author).toBe(me.id)
    // Ed25519 signatures are deterministic: the restored key writes byte-identical entries.
    const original = await createEntry(me, null, 'post', { text: 'restored' }, T0)
    expect(equalBytes(v.bytes, original.bytes)).toBe(true)
    // And exporting again gives the same file.
    expect(exportAuthor(again)).toBe(file)
  })

  test('a generated author round-trips too', async () => {
    const me = await generateAuthor()
    expect(importAuthor(exportAuthor(me)).id).toBe(me.id)
  })

  test('the author field is optional, the key decides', async () => {
    const me = await authorFromSeed(9)
    const { author: _author, ...rest } = JSON.parse(exportAuthor(me)) as AuthorBackup
    expect(importAuthor(JSON.stringify(rest)).id).toBe(me.id)
  })

  describe('bad backups throw InvalidBackupError', async () => {
    const me = await authorFromSeed(9)
    const other = await authorFromSeed(10)
    const good = JSON.parse(exportAuthor(me)) as Record<string, unknown>
    const secp = await generateKeyPair('secp256k1')
    const edit = (over: Record<string, unknown>): string => JSON.stringify({ ...good, ...over })
    const keyBytes = base64url.baseDecode(good.privateKey as string)
    const cases: Array<[string, string]> = [
      ['not JSON', 'this is not json'],
      ['empty', ''],
      ['truncated JSON', exportAuthor(me).slice(0, 40)],
      ['null', 'null'],
      ['a number', '42'],
      ['a string', JSON.stringify(exportAuthor(me))],
      ['an array', '[]'],
      ['no format', JSON.stringify({ version: 1, privateKey: good.privateKey })],
      ['another format', edit({ format: 'nostr-nsec' })],
      ['version 2', edit({ version: 2 })],
      ['version as a string', edit({ version: '1' })],
      ['version that breaks String()', edit({ version: { toString: 1 } })],
      ['no private key', edit({ privateKey: undefined })],
      ['private key not a string', edit({ privateKey: 12345 })],
      ['private key not base64url', edit({ privateKey: '!!!not base64!!!' })],
      ['private key is random bytes', edit({ privateKey: base64url.baseEncode(new Uint8Array(68).fill(0x5a)) })],
      ['private key truncated', edit({ privateKey: base64url.baseEncode(keyBytes.subarray(0, 40)) })],
      ['private key empty', edit({ privateKey: '' })],
      ['private key is secp256k1', edit({ privateKey: base64url.baseEncode(privateKeyToProtobuf(secp)) })],
      ['author belongs to another key', edit({ author: other.id })],
      ['author is garbage', edit({ author: 'me' })],
      ['author is null', edit({ author: null })]
    ]
    test.each(cases)('%s', (_name, text) => {
      const err = throwsWith(() => importAuthor(text), InvalidBackupError, 'InvalidBackupError')
      expect(err.code).toBe('INVALID_BACKUP')
    })

    // libp2p's Ed25519 key encoding carries the seed and the public key side by side; a backup whose
    // public half is someone else's key would import as that someone else but sign with the seed.
    test('private key whose public half does not match its seed', () => {
      const mixed = new Uint8Array(keyBytes)
      mixed.set(other.publicKey.raw, mixed.length - 32)
      throwsWith(() => importAuthor(edit({ author: undefined, privateKey: base64url.baseEncode(mixed) })), InvalidBackupError, 'InvalidBackupError')
    })
  })
})
