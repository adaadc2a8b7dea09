/**
 * Re-checks every vector in entries-v2.json (PROTOCOL.md §11, the version-2 file) against the
 * reference implementation, and the valid ones a second time with stock node:crypto (Ed25519 via
 * OpenSSL, SHA-256) plus hand-written base32/base58 and CBOR heads: the entry signature under the
 * log's key (the device key in a device log), and for device and revoke entries the author key's
 * auth signature over a map written out by hand from §4.2.
 */
import { describe, expect, test } from 'vitest'
import { createHash, createPublicKey, verify as cryptoVerify } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import * as dagCbor from '@ipld/dag-cbor'
import * as dagJson from '@ipld/dag-json'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import {
  ENTRY_KINDS, ForkError, MAX_DEVICE_LOGS, SIGNING_DOMAIN_V2, authorFromPrivateKey, checkTimestamp, createEntry,
  decodeEntry, isKnownKind, signingInput, verifyEntry, type Bodies, type Entry, type EntryKind, type VerifiedEntry
} from '../../src/lib/core/index.js'
import { L, leToInt, verifyEquations } from './ed25519-math.js'
import { VECTORS_V2_PATH, buildVectorsV2, serializeV2, type VectorFileV2 } from './generate-v2.js'
import { VectorStore } from './store.js'

const text = await readFile(VECTORS_V2_PATH, 'utf8')
const file = JSON.parse(text) as VectorFileV2

const fromHex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'))
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

async function errorName (run: () => unknown): Promise<string | null> {
  try {
    await run()
    return null
  } catch (err) {
    return (err as Error).name
  }
}

// --- a second implementation of the encodings, from the RFCs rather than from our dependencies ---

function base32Lower (bytes: Uint8Array): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567'
  let out = ''
  let bits = 0
  let value = 0
  for (const byte of bytes) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31]
  return out
}

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'

function base58btc (bytes: Uint8Array): string {
  let n = 0n
  for (const byte of bytes) n = (n << 8n) | BigInt(byte)
  let out = ''
  while (n > 0n) {
    out = (BASE58[Number(n % 58n)] as string) + out
    n /= 58n
  }
  for (const byte of bytes) {
    if (byte !== 0) break
    out = '1' + out
  }
  return out
}

function decodeBase58 (s: string): Uint8Array {
  let n = 0n
  for (const c of s) {
    const i = BASE58.indexOf(c)
    if (i < 0) throw new Error(`not base58: ${c}`)
    n = n * 58n + BigInt(i)
  }
  const out: number[] = []
  while (n > 0n) {
    out.unshift(Number(n & 0xffn))
    n >>= 8n
  }
  for (const c of s) {
    if (c !== '1') break
    out.unshift(0)
  }
  return new Uint8Array(out)
}

/** PROTOCOL.md §1: base58btc of the identity multihash of the protobuf public key. */
const idOf = (publicKey: Uint8Array): string => base58btc(new Uint8Array([0x00, 0x24, 0x08, 0x01, 0x12, 0x20, ...publicKey]))
/** The raw key an id names (§1, read backwards). */
const keyOf = (id: string): Uint8Array => {
  const bytes = decodeBase58(id)
  expect(hex(bytes.subarray(0, 6))).toBe('002408011220')
  return bytes.subarray(6)
}

/** PROTOCOL.md §5: CIDv1, dag-cbor, sha2-256, base32 lower with the multibase prefix b. */
const cidOf = (bytes: Uint8Array): string =>
  'b' + base32Lower(new Uint8Array([0x01, 0x71, 0x12, 0x20, ...createHash('sha256').update(bytes).digest()]))

const spkiKey = (raw: Uint8Array): ReturnType<typeof createPublicKey> =>
  createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), raw]), format: 'der', type: 'spki' })

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
const textItem = (s: string): number[] => [...head(3, utf8(s).length), ...utf8(s)]

/** §4.2: the bytes the author key signs in a device or revoke body, built without any CBOR library. */
function authInputByHand (kind: string, author: string, device: string, after?: number): Uint8Array {
  const map = kind === 'device'
    ? [0xa2, ...textItem('author'), ...textItem(author), ...textItem('device'), ...textItem(device)]
    : [0xa3, ...textItem('after'), ...head(0, after as number), ...textItem('author'), ...textItem(author), ...textItem('device'), ...textItem(device)]
  return new Uint8Array([...utf8(kind === 'device' ? 'flock/device/v2\n' : 'flock/revoke/v2\n'), ...map])
}

function findValid (cid: string): VectorFileV2['valid'][number] {
  const vec = file.valid.find(v => v.cid === cid)
  if (vec === undefined) throw new Error(`no valid vector with cid ${cid}`)
  return vec
}

const entryOf = (vec: { entry: unknown }): Entry => dagJson.decode<Entry>(new TextEncoder().encode(JSON.stringify(vec.entry)))

test('entries-v2.json is exactly what generate-v2.ts produces', async () => {
  expect(text).toBe(serializeV2(await buildVectorsV2()))
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
  expect(new Set(file.invalid.map(v => v.error))).toEqual(new Set([
    'EntryTooLargeError', 'EntryDecodeError', 'NonCanonicalEncodingError', 'UnsupportedVersionError',
    'EntrySchemaError', 'TextTooLongError', 'InvalidAuthorError', 'InvalidSignatureError'
  ]))
  expect(new Set(file.chains.map(c => c.error))).toEqual(new Set([
    null, 'SeqGapError', 'PrevMismatchError', 'DuplicateEntryError', 'ForkError', 'TimestampRegressionError', 'WrongAuthorError',
    'VersionRegressionError', 'RevokedDeviceError', 'DeviceLimitError'
  ]))
  expect(file.chains.find(c => c.error === 'DeviceLimitError')?.failsAt).toBe(MAX_DEVICE_LOGS)
  expect(file.timestamps.map(t => t.error)).toContain('FutureTimestampError')
  expect(file.timestamps.map(t => t.error)).toContain(null)
})

describe('valid vectors', () => {
  test.each(file.valid.map(v => [v.name, v] as const))('%s: verifyEntry accepts it', async (_name, vec) => {
    const v = await verifyEntry(fromHex(vec.bytes))
    expect(v.cid.toString()).toBe(vec.cid)
    expect(v.entry.author).toBe(vec.author)
    expect(v.entry.kind).toBe(vec.kind)
    expect(v.entry.v).toBe(2)
    expect(hex(v.entry.sig)).toBe(vec.signature)
    expect(hex(signingInput(v.entry))).toBe(vec.signingInput)
  })

  test.each(file.valid.map(v => [v.name, v] as const))('%s: re-created from its fields, byte for byte', async (_name, vec) => {
    const key = authorFromPrivateKey(await generateKeyPairFromSeed('Ed25519', fromHex(vec.seed)))
    expect(hex(key.publicKey.raw)).toBe(vec.publicKey)
    const entry = entryOf(vec)
    expect(key.id).toBe(entry.device ?? vec.author)
    expect(hex(dagCbor.encode(entry))).toBe(vec.bytes)
    // Heads come from earlier vectors: every seq > 1 vector's prev is itself a valid vector of the same log.
    const head: VerifiedEntry | null = entry.prev === null ? null : await verifyEntry(fromHex(findValid(entry.prev.toString()).bytes))
    if (head !== null) expect(head.entry.device).toBe(entry.device)
    const signer = entry.device === undefined ? key : { author: vec.author, key }
    const again = await createEntry(signer, head, entry.kind as EntryKind, entry.body as Bodies[EntryKind], entry.ts, { version: 2 })
    expect(hex(again.bytes)).toBe(vec.bytes)
    expect(again.cid.toString()).toBe(vec.cid)
    expect(hex(signingInput(again.entry))).toBe(vec.signingInput)
    expect(hex(again.entry.sig)).toBe(vec.signature)
  })

  test.each(file.valid.map(v => [v.name, v] as const))('%s: checks out with stock node:crypto', (_name, vec) => {
    const bytes = fromHex(vec.bytes)
    const input = fromHex(vec.signingInput)
    const sig = fromHex(vec.signature)
    const publicKey = fromHex(vec.publicKey)
    const entry = entryOf(vec)
    expect(cidOf(bytes)).toBe(vec.cid)
    // The log's key: the device key named by `device`, else the author key (§4).
    expect(idOf(publicKey)).toBe(entry.device ?? vec.author)
    expect(Buffer.from(input.subarray(0, 15)).toString('utf8')).toBe('flock/entry/v2\n')
    // §4: the entry bytes with the map header one smaller and the sig pair cut out.
    expect(input[15]).toBe(bytes[0] === 0xa9 ? 0xa8 : 0xa7)
    expect(cryptoVerify(null, input, spkiKey(publicKey), sig)).toBe(true)
    expect(leToInt(sig.subarray(32)) < L).toBe(true)
    expect(bytes.length).toBeLessThanOrEqual(8192)
    if (entry.device !== undefined) {
      // Not the author key's: a device log is signed by its device (§1.1).
      expect(cryptoVerify(null, input, spkiKey(keyOf(vec.author)), sig)).toBe(false)
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
    expect(cryptoVerify(null, authInput, spkiKey(authorKey), auth)).toBe(true)
    expect(leToInt(auth.subarray(32)) < L).toBe(true)
    // Only the author key's: neither the log's key nor another domain verifies it.
    expect(cryptoVerify(null, authInput, spkiKey(fromHex(vec.publicKey)), auth)).toBe(vec.publicKey === vec.authorPublicKey)
    const otherDomain = new Uint8Array([...utf8(entry.kind === 'device' ? 'flock/revoke/v2\n' : 'flock/device/v2\n'), ...authInput.subarray(16)])
    expect(cryptoVerify(null, otherDomain, spkiKey(authorKey), auth)).toBe(false)
  })
})

describe('invalid vectors', () => {
  test.each(file.invalid.map(v => [v.name, v] as const))('%s: verifyEntry throws the named error', async (_name, vec) => {
    expect(await errorName(async () => await verifyEntry(fromHex(vec.bytes)))).toBe(vec.error)
  })

  const signatureCases = file.invalid.filter(v => v.error === 'InvalidSignatureError')
  test.each(signatureCases.map(v => [v.name, v] as const))('%s: stock node:crypto rejects it too', (_name, vec) => {
    const entry = decodeEntry(fromHex(vec.bytes))
    const logKey = keyOf(entry.device ?? entry.author)
    const sigOk = cryptoVerify(null, signingInput(entry), spkiKey(logKey), entry.sig) && leToInt(entry.sig.subarray(32)) < L
    let authOk = true
    if (entry.kind === 'device' || entry.kind === 'revoke') {
      const input = authInputByHand(entry.kind, entry.author, entry.body.device, entry.kind === 'revoke' ? entry.body.after : undefined)
      authOk = cryptoVerify(null, input, spkiKey(keyOf(entry.author)), entry.body.auth) && leToInt(entry.body.auth.subarray(32)) < L
    }
    expect(sigOk && authOk).toBe(false)
  })

  test('the small-order-R vector is valid under the cofactored equation only', () => {
    const vec = file.invalid.find(v => v.name.includes('ZIP-215'))
    if (vec === undefined) throw new Error('ZIP-215 vector missing')
    const entry = decodeEntry(fromHex(vec.bytes))
    expect(verifyEquations(keyOf(entry.author), signingInput(entry), entry.sig)).toEqual({ cofactorless: false, cofactored: true })
  })
})

describe('chain vectors', () => {
  test.each(file.chains.map(c => [c.name, c] as const))('%s', async (_name, vec) => {
    const store = new VectorStore(vec.author)
    let failure: { error: string, at: number } | null = null
    for (const [i, h] of vec.entries.entries()) {
      const v = await verifyEntry(fromHex(h))
      const error = await errorName(() => store.append(v))
      if (error !== null) {
        failure = { error, at: i }
        break
      }
    }
    expect(failure).toEqual(vec.error === null ? null : { error: vec.error, at: vec.failsAt })
    expect(store.size).toBe(vec.error === null ? vec.entries.length : vec.failsAt)
    if (vec.error === 'ForkError') {
      expect(store.forks).toHaveLength(1)
      const [held, other] = store.forks[0] ?? []
      expect(held?.entry.seq).toBe(other?.entry.seq)
      expect(held?.cid.equals(other?.cid)).toBe(false)
    }
  })

  test('a ForkError in a device log carries both entries as evidence', async () => {
    const vec = file.chains.find(c => c.error === 'ForkError' && c.name.includes('device'))
    if (vec === undefined || vec.failsAt === null) throw new Error('device-log fork vector missing')
    const store = new VectorStore(vec.author)
    const entries = await Promise.all(vec.entries.map(async h => await verifyEntry(fromHex(h))))
    for (const v of entries.slice(0, vec.failsAt)) store.append(v)
    const last = entries[vec.failsAt]
    if (last === undefined) throw new Error('failsAt out of range')
    let thrown: unknown
    try {
      store.append(last)
    } catch (err) {
      thrown = err
    }
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
    const v = await verifyEntry(fromHex(vec.bytes))
    expect(await errorName(() => checkTimestamp(v, vec.now))).toBe(vec.error)
  })
})
