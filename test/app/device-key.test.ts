/**
 * This browser's device key (src/lib/app/device-key.ts), as far as it runs in Node (no IndexedDB
 * here): the non-extractable WebCrypto key and its fallback sign entries that verify, the WebCrypto
 * key survives a structured clone (what IndexedDB stores) still non-extractable, stored records are
 * checked, and the device name describes the browser.
 */
import { describe, expect, test } from 'vitest'
import {
  InvalidSignatureError, authorIdFromPublicKey, createEntry, deviceBody, isAuthorId, verifyEntry, type Author, type SignerKey
} from '../../src/lib/core/index.js'
import {
  DeviceKeyError, checkRecord, describeBrowser, deviceKeyOf, generateDeviceRecord, type DeviceKey, type DeviceRecord
} from '../../src/lib/app/device-key.js'
import { T0, authorFromSeed } from '../core/helpers.js'

const subtle = globalThis.crypto.subtle

/** A device log of `author` signed by `device`: its genesis (signed in by the author key) and a post. */
async function deviceLog (author: Author, device: SignerKey, name?: string): Promise<Uint8Array[]> {
  const signer = { author: author.id, key: device }
  const genesis = await createEntry(signer, null, 'device', await deviceBody(author, device.id, name), T0)
  const post = await createEntry(signer, genesis, 'post', { text: 'from my device' }, T0 + 1)
  return [genesis.bytes, post.bytes]
}

async function expectVerifiedLog (author: Author, device: DeviceKey): Promise<void> {
  for (const [i, bytes] of (await deviceLog(author, device.signer, 'Test on Node')).entries()) {
    const { entry } = await verifyEntry(bytes)
    expect(entry.v).toBe(2)
    expect(entry.author).toBe(author.id)
    expect(entry.device).toBe(device.signer.id)
    expect(entry.seq).toBe(i + 1)
  }
}

/** A SubtleCrypto without Ed25519, as in browsers before it shipped. */
const noEd25519 = {
  generateKey: async () => { throw new DOMException('Unrecognized algorithm name', 'NotSupportedError') }
} as unknown as SubtleCrypto

describe('WebCrypto device key', () => {
  test('is a non-extractable Ed25519 key whose public half names the device', async () => {
    const author = await authorFromSeed(1)
    const record = await generateDeviceRecord(author.id)
    expect(record.kind).toBe('webcrypto')
    if (record.kind !== 'webcrypto') return
    expect(record.author).toBe(author.id)
    expect(record.privateKey.extractable).toBe(false)
    expect(record.privateKey.type).toBe('private')
    expect(record.publicKey).toHaveLength(32)
    await expect(subtle.exportKey('pkcs8', record.privateKey)).rejects.toThrow()
    await expect(subtle.exportKey('jwk', record.privateKey)).rejects.toThrow()

    const device = await deviceKeyOf(record)
    expect(device.kind).toBe('webcrypto')
    expect(device.author).toBe(author.id)
    expect(isAuthorId(device.signer.id)).toBe(true)
    expect(device.signer.id).toBe(authorIdFromPublicKey(record.publicKey))
    expect(device.signer.id).not.toBe(author.id)
    // No private bytes: signing goes through sign(), i.e. WebCrypto.
    expect(device.signer.privateKey.raw).toBeUndefined()
  })

  test('signs a device log that verifies: genesis signed in by the author key, then a post', async () => {
    const author = await authorFromSeed(2)
    await expectVerifiedLog(author, await deviceKeyOf(await generateDeviceRecord(author.id)))
  })

  test('survives a structured clone (what IndexedDB stores): still non-extractable, same device, still signs', async () => {
    const author = await authorFromSeed(3)
    const record = await generateDeviceRecord(author.id)
    const clone = structuredClone(record)
    const checked = checkRecord(clone)
    expect(checked.kind).toBe('webcrypto')
    if (checked.kind !== 'webcrypto') return
    expect(checked.privateKey.extractable).toBe(false)
    await expect(subtle.exportKey('pkcs8', checked.privateKey)).rejects.toThrow()
    const device = await deviceKeyOf(checked)
    expect(device.signer.id).toBe((await deviceKeyOf(record)).signer.id)
    await expectVerifiedLog(author, device)
  })

  test('a genesis signed in by another author key does not verify', async () => {
    const author = await authorFromSeed(4)
    const other = await authorFromSeed(5)
    const device = await deviceKeyOf(await generateDeviceRecord(author.id))
    const body = await deviceBody(other, device.signer.id)
    const genesis = await createEntry({ author: author.id, key: device.signer }, null, 'device', body, T0)
    await expect(verifyEntry(genesis.bytes)).rejects.toThrow(InvalidSignatureError)
  })
})

describe('fallback device key (no WebCrypto Ed25519)', () => {
  test('is an extractable libp2p key stored as protobuf bytes, and signs a log that verifies', async () => {
    const author = await authorFromSeed(6)
    for (const without of [noEd25519, null]) {
      const record = await generateDeviceRecord(author.id, without)
      expect(record.kind).toBe('fallback')
      expect(record.privateKey).toBeInstanceOf(Uint8Array)
      const device = await deviceKeyOf(checkRecord(structuredClone(record)))
      expect(device.kind).toBe('fallback')
      expect(device.signer.privateKey.raw).toBeInstanceOf(Uint8Array)
      expect(device.signer.id).toBe(authorIdFromPublicKey(record.publicKey))
      await expectVerifiedLog(author, device)
    }
  })
})

describe('stored records', () => {
  test('an unreadable record is an error, never taken for an absent one', async () => {
    const good = await generateDeviceRecord((await authorFromSeed(7)).id)
    const ecdsa = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])
    const ed = await subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']) as CryptoKeyPair
    const bad: unknown[] = [
      null,
      'device',
      { ...good, kind: 'hsm' },
      { ...good, author: undefined },
      { ...good, publicKey: new Uint8Array(31) },
      { ...good, privateKey: ecdsa.privateKey },
      { ...good, privateKey: ed.publicKey },
      { ...good, kind: 'fallback', privateKey: 'not bytes' }
    ]
    for (const value of bad) expect(() => checkRecord(value), JSON.stringify(value)).toThrow(DeviceKeyError)
    expect(checkRecord(good)).toBe(good)
  })

  test('a fallback record holding another key type is refused', async () => {
    const { generateKeyPair, privateKeyToProtobuf } = await import('@libp2p/crypto/keys')
    const secp = privateKeyToProtobuf(await generateKeyPair('secp256k1'))
    const record: DeviceRecord = { kind: 'fallback', author: (await authorFromSeed(8)).id, publicKey: new Uint8Array(32), privateKey: secp }
    await expect(deviceKeyOf(record)).rejects.toThrow(DeviceKeyError)
  })
})

describe('describeBrowser', () => {
  test.each([
    [{ userAgentData: { brands: [{ brand: 'Not)A;Brand' }, { brand: 'Chromium' }, { brand: 'Google Chrome' }], platform: 'macOS' } }, 'Chrome on macOS'],
    [{ userAgentData: { brands: [{ brand: 'Chromium' }, { brand: 'Not_A Brand' }], platform: 'Linux' } }, 'Chromium on Linux'],
    [{ userAgentData: { brands: [{ brand: 'Microsoft Edge' }, { brand: 'Chromium' }], platform: '' }, userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)' }, 'Edge on Windows'],
    [{ userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0' }, 'Firefox on Linux'],
    [{ userAgent: 'Mozilla/5.0 (Android 14; Mobile; rv:128.0) Gecko/128.0 Firefox/128.0' }, 'Firefox on Android'],
    [{ userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1' }, 'Safari on iOS'],
    [{ userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15' }, 'Safari on macOS'],
    [{ userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0' }, 'Edge on Windows'],
    [{ userAgent: 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36' }, 'Chrome on Android'],
    [{ userAgent: 'something else' }, 'Browser'],
    [{}, 'Browser'],
    [undefined, 'Browser']
  ])('%j → %s', (nav, name) => {
    expect(describeBrowser(nav)).toBe(name)
  })

  test('stays within the 50 graphemes a device name may have', () => {
    const name = describeBrowser({ userAgentData: { brands: [{ brand: 'x'.repeat(80) }], platform: 'y'.repeat(80) } })
    expect(Array.from(name).length).toBeLessThanOrEqual(50)
  })
})
