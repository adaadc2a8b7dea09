/**
 * Re-checks every vector in entries-v2.json (PROTOCOL.md §11, the version-2 file) against the
 * reference implementation, and the valid ones a second time with stock node:crypto (Ed25519 via
 * OpenSSL, SHA-256) plus hand-written base32/base58 and CBOR heads: the entry signature under the
 * log's key (the device key in a device log), and for device and revoke entries the author key's
 * auth signature over a map written out by hand from §4.2.
 */
import { describe, expect, test } from 'vitest'
import * as dagCbor from '@ipld/dag-cbor'
import {
  ENTRY_KINDS, ForkError, MAX_DEVICE_LOGS, SIGNING_DOMAIN_V2, createEntry, decodeEntry, isKnownKind, signingInput,
  verifyEntry, type Bodies, type EntryKind, type VerifiedEntry
} from '../../src/lib/core/index.js'
import {
  ENTRY_ERRORS, expectedReplay, LOG_OUTCOMES, entryFields, entryOf, fromHex, headIn, hex, idOf, keyFromSeed, keyOf,
  loadVectors, offerFork, recordedFields, replayChain, serialize, stockReading, stockVerify, strictVerify, timestampError, utf8, verifyError,
  zip215Equations
} from './common.js'
import { VECTORS_V2_PATH, buildVectorsV2, type VectorFileV2 } from './generate-v2.js'
import { VectorStore } from './store.js'

const { text, file } = await loadVectors<VectorFileV2>(VECTORS_V2_PATH)

/** CBOR heads written out by hand (RFC 8949 §3): major type, shortest argument. */
function head (major: number, n: number): number[] {
  const m = major << 5
  if (n < 24) return [m | n]
  if (n < 0x100) return [m | 24, n]
  if (n < 0x10000) return [m | 25, n >> 8, n & 0xff]
  if (n < 0x100000000) return [m | 26, ...[24, 16, 8, 0].map(s => (n / 2 ** s) & 0xff)]
  const hi = Math.floor(n / 2 ** 32)
  return [m | 27, ...[24, 16, 8, 0].map(s => (hi >>> s) & 0xff), ...[24, 16, 8, 0].map(s => ((n % 2 ** 32) >>> s) & 0xff)]
}
const textItem = (s: string): number[] => [...head(3, utf8.encode(s).length), ...utf8.encode(s)]

/** §4.2: the bytes the author key signs in a device or revoke body, built without any CBOR library. */
function authInputByHand (kind: string, author: string, device: string, after?: number): Uint8Array {
  const map = kind === 'device'
    ? [0xa2, ...textItem('author'), ...textItem(author), ...textItem('device'), ...textItem(device)]
    : [0xa3, ...textItem('after'), ...head(0, after as number), ...textItem('author'), ...textItem(author), ...textItem('device'), ...textItem(device)]
  return new Uint8Array([...utf8.encode(kind === 'device' ? 'flock/device/v2\n' : 'flock/revoke/v2\n'), ...map])
}

test('entries-v2.json is exactly what generate-v2.ts produces', async () => {
  expect(text).toBe(serialize(await buildVectorsV2()))
})

test('the file covers what §11 asks of it', () => {
  expect(file.signingDomain).toBe(SIGNING_DOMAIN_V2)
  expect(file.signingDomain).toBe('flock/entry/v2\n')
  const entries = file.valid.map(entryOf)
  expect(new Set(entries.map(e => e.v))).toEqual(new Set([2]))
  // Every kind of version 2, each in a root log and in a device log somewhere; an unknown kind too.
  expect(new Set(file.valid.map(v => v.kind).filter(k => isKnownKind(k)))).toEqual(new Set(ENTRY_KINDS))
  expect(file.valid.some(v => !isKnownKind(v.kind))).toBe(true)
  expect(entries.some(e => e.device !== undefined && !isKnownKind(e.kind))).toBe(true)
  for (const kind of ['post', 'like', 'profile', 'edit', 'revoke']) {
    expect([kind, entries.some(e => e.kind === kind && e.device === undefined)]).toEqual([kind, true])
    expect([kind, entries.some(e => e.kind === kind && e.device !== undefined)]).toEqual([kind, true])
  }
  // A device genesis, a handle, a media item with every optional field, unknown body keys at every level.
  expect(entries.filter(e => e.kind === 'device').every(e => e.seq === 1 && e.device !== undefined)).toBe(true)
  expect(entries.some(e => e.kind === 'profile' && 'handle' in e.body)).toBe(true)
  expect(entries.some(e => e.kind === 'post' && (e.body.media ?? []).some(m => ['size', 'duration', 'width', 'height', 'poster'].every(k => k in m)))).toBe(true)
  const unknownKeys = entries.find(e => e.kind === 'post' && 'lang' in e.body)
  expect(unknownKeys).toBeDefined()
  if (unknownKeys?.kind === 'post') {
    expect(Object.keys(unknownKeys.body.reply ?? {})).toContain('depth')
    expect(Object.keys(unknownKeys.body.media?.[0] ?? {})).toContain('blurhash')
  }
  // Boundary cases, as in the version-1 file.
  expect(file.valid.some(v => fromHex(v.bytes).length === 8192)).toBe(true)
  expect(entries.some(e => e.kind === 'post' && e.body.text === '' && e.body.media !== undefined)).toBe(true)
  // Every device and revoke vector carries its auth.
  for (const v of file.valid.filter(v => v.kind === 'device' || v.kind === 'revoke')) {
    expect([v.name, typeof v.authInput, typeof v.authSignature, typeof v.authorPublicKey]).toEqual([v.name, 'string', 'string', 'string'])
  }
  expect(new Set(file.invalid.map(v => v.error))).toEqual(new Set(ENTRY_ERRORS))
  expect(new Set(file.chains.map(c => c.error))).toEqual(new Set([...LOG_OUTCOMES, 'VersionRegressionError', 'RevokedDeviceError', 'DeviceLimitError']))
  expect(file.chains.find(c => c.error === 'DeviceLimitError')?.failsAt).toBe(MAX_DEVICE_LOGS)
  expect(file.timestamps.map(t => t.error)).toContain('FutureTimestampError')
  expect(file.timestamps.map(t => t.error)).toContain(null)
})

describe('valid vectors', () => {
  test.each(file.valid.map(v => [v.name, v] as const))('%s: verifyEntry accepts it', async (_name, vec) => {
    const v = await verifyEntry(fromHex(vec.bytes))
    expect(entryFields(v)).toEqual(recordedFields(vec))
    expect(v.entry.v).toBe(2)
  })

  test.each(file.valid.map(v => [v.name, v] as const))('%s: re-created from its fields, byte for byte', async (_name, vec) => {
    const key = await keyFromSeed(vec.seed)
    expect(hex(key.publicKey.raw)).toBe(vec.publicKey)
    const entry = entryOf(vec)
    expect(key.id).toBe(entry.device ?? vec.author)
    expect(hex(dagCbor.encode(entry))).toBe(vec.bytes)
    // Heads come from earlier vectors: every seq > 1 vector's prev is itself a valid vector of the same log.
    const head = await headIn(file, entry)
    if (head !== null) expect(head.entry.device).toBe(entry.device)
    const signer = entry.device === undefined ? key : { author: vec.author, key }
    const again = await createEntry(signer, head, entry.kind as EntryKind, entry.body as Bodies[EntryKind], entry.ts, { version: 2 })
    expect(entryFields(again)).toEqual(recordedFields(vec))
  })

  test.each(file.valid.map(v => [v.name, v] as const))('%s: checks out with stock node:crypto', (_name, vec) => {
    const entry = entryOf(vec)
    // The log's key: the device key named by `device`, else the author key (§4).
    expect(stockReading(vec)).toEqual({ cid: vec.cid, keyId: entry.device ?? vec.author, domain: 'flock/entry/v2\n', verifies: true, withinLimit: true })
    const input = fromHex(vec.signingInput)
    // §4: the entry bytes with the map header one smaller and the sig pair cut out.
    expect(input[15]).toBe(fromHex(vec.bytes)[0] === 0xa9 ? 0xa8 : 0xa7)
    if (entry.device !== undefined) {
      // Not the author key's: a device log is signed by its device (§1.1).
      expect(stockVerify(input, keyOf(vec.author), fromHex(vec.signature))).toBe(false)
    }
  })

  const authVectors = file.valid.filter(v => v.authInput !== undefined)
  test.each(authVectors.map(v => [v.name, v] as const))('%s: its auth checks out with stock node:crypto', (_name, vec) => {
    const entry = entryOf(vec)
    if (entry.kind !== 'device' && entry.kind !== 'revoke') throw new Error('auth on another kind')
    const authorKey = fromHex(vec.authorPublicKey ?? '')
    expect(idOf(authorKey)).toBe(vec.author)
    const authInput = fromHex(vec.authInput ?? '')
    const after = entry.kind === 'revoke' ? entry.body.after : undefined
    expect(hex(authInput)).toBe(hex(authInputByHand(entry.kind, vec.author, entry.body.device, after)))
    expect(vec.authSignature).toBe(hex(entry.body.auth))
    const auth = fromHex(vec.authSignature ?? '')
    expect(strictVerify(authInput, authorKey, auth)).toBe(true)
    // Only the author key's: neither the log's key nor another domain verifies it.
    expect(stockVerify(authInput, fromHex(vec.publicKey), auth)).toBe(vec.publicKey === vec.authorPublicKey)
    const otherDomain = new Uint8Array([...utf8.encode(entry.kind === 'device' ? 'flock/revoke/v2\n' : 'flock/device/v2\n'), ...authInput.subarray(16)])
    expect(stockVerify(otherDomain, authorKey, auth)).toBe(false)
  })
})

describe('invalid vectors', () => {
  test.each(file.invalid.map(v => [v.name, v] as const))('%s: verifyEntry throws the named error', async (_name, vec) => {
    expect(await verifyError(fromHex(vec.bytes))).toBe(vec.error)
  })

  const signatureCases = file.invalid.filter(v => v.error === 'InvalidSignatureError')
  test.each(signatureCases.map(v => [v.name, v] as const))('%s: stock node:crypto rejects it too', (_name, vec) => {
    const entry = decodeEntry(fromHex(vec.bytes))
    const logKey = keyOf(entry.device ?? entry.author)
    const sigOk = strictVerify(signingInput(entry), logKey, entry.sig)
    let authOk = true
    if (entry.kind === 'device' || entry.kind === 'revoke') {
      const input = authInputByHand(entry.kind, entry.author, entry.body.device, entry.kind === 'revoke' ? entry.body.after : undefined)
      authOk = strictVerify(input, keyOf(entry.author), entry.body.auth)
    }
    expect(sigOk && authOk).toBe(false)
  })

  test('the small-order-R vector is valid under the cofactored equation only', () => {
    expect(zip215Equations(file.invalid)).toEqual({ cofactorless: false, cofactored: true })
  })
})

describe('chain vectors', () => {
  test.each(file.chains.map(c => [c.name, c] as const))('%s', async (_name, vec) => {
    expect(await replayChain(vec, author => new VectorStore(author), store => store.size)).toEqual(expectedReplay(vec))
  })

  test('a ForkError in a device log carries both entries as evidence', async () => {
    const vec = file.chains.find(c => c.error === 'ForkError' && c.name.includes('device'))
    const { target: store, last, thrown } = await offerFork(vec, author => new VectorStore(author))
    expect(thrown).toBeInstanceOf(ForkError)
    const err = thrown as ForkError<VerifiedEntry>
    expect(err.author).toBe(last.entry.device)
    expect(err.evidence.map(v => v.cid.toString())).toEqual([store.log(last.entry.device ?? '').at(last.entry.seq - 1)?.cid.toString(), last.cid.toString()])
  })

  test('the version-1 → version-2 chain really changes version inside one root log', async () => {
    const vec = file.chains.find(c => c.name.includes('from version 1 into version 2'))
    if (vec === undefined) throw new Error('continuation vector missing')
    const entries = vec.entries.map(h => decodeEntry(fromHex(h)))
    expect(entries.map(e => e.v)).toEqual([1, 2, 2])
    expect(entries.every(e => e.device === undefined && e.author === vec.author)).toBe(true)
  })

  test('the revoked-device chains: a genesis, a revoke, then an entry of that device above after', async () => {
    for (const vec of file.chains.filter(c => c.error === 'RevokedDeviceError')) {
      const entries = vec.entries.map(h => decodeEntry(fromHex(h)))
      const failing = entries[vec.failsAt ?? -1]
      const revokes = entries.slice(0, vec.failsAt ?? 0).filter(e => e.kind === 'revoke')
      expect(revokes.length).toBeGreaterThan(0)
      const after = Math.min(...revokes.map(e => e.kind === 'revoke' ? e.body.after : Infinity))
      expect([vec.name, (failing?.seq ?? 0) > after]).toEqual([vec.name, true])
    }
  })
})

describe('timestamp vectors', () => {
  test.each(file.timestamps.map(t => [t.name, t] as const))('%s', async (_name, vec) => {
    expect(await timestampError(fromHex(vec.bytes), vec.now)).toBe(vec.error)
  })
})
