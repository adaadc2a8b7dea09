/**
 * Re-checks every vector in entries.json (PROTOCOL.md §11, the version-1 file) against the reference implementation, and
 * the valid ones a second time with stock node:crypto (Ed25519 via OpenSSL, SHA-256) plus hand-written
 * base32/base58, so the file is not only self-consistent with the code that wrote it.
 */
import { describe, expect, test } from 'vitest'
import { createHash, createPublicKey, verify as cryptoVerify } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import * as dagCbor from '@ipld/dag-cbor'
import * as dagJson from '@ipld/dag-json'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import {
  AuthorLog, ForkError, V1_KINDS, SIGNING_DOMAIN_V1, authorFromPrivateKey, checkTimestamp, createEntry,
  decodeEntry, signingInput, verifyEntry, type Entry, type VerifiedEntry
} from '../../src/lib/core/index.js'
import { L, leToInt, verifyEquations } from './ed25519-math.js'
import { VECTORS_PATH, buildVectors, serialize, type VectorFile } from './generate.js'

const text = await readFile(VECTORS_PATH, 'utf8')
const file = JSON.parse(text) as VectorFile

const fromHex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'))
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

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

function base58btc (bytes: Uint8Array): string {
  const alphabet = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'
  let n = 0n
  for (const byte of bytes) n = (n << 8n) | BigInt(byte)
  let out = ''
  while (n > 0n) {
    out = (alphabet[Number(n % 58n)] as string) + out
    n /= 58n
  }
  for (const byte of bytes) {
    if (byte !== 0) break
    out = '1' + out
  }
  return out
}

/** PROTOCOL.md §1: base58btc of the identity multihash of the protobuf public key. */
const authorIdOf = (publicKey: Uint8Array): string =>
  base58btc(new Uint8Array([0x00, 0x24, 0x08, 0x01, 0x12, 0x20, ...publicKey]))

/** PROTOCOL.md §5: CIDv1, dag-cbor, sha2-256, base32 lower with the multibase prefix b. */
const cidOf = (bytes: Uint8Array): string =>
  'b' + base32Lower(new Uint8Array([0x01, 0x71, 0x12, 0x20, ...createHash('sha256').update(bytes).digest()]))

const spkiKey = (raw: Uint8Array): ReturnType<typeof createPublicKey> =>
  createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), raw]), format: 'der', type: 'spki' })

test('entries.json is exactly what generate.ts produces', async () => {
  expect(text).toBe(serialize(await buildVectors()))
})

test('the file covers every kind and every error class', () => {
  expect(file.signingDomain).toBe(SIGNING_DOMAIN_V1)
  expect(new Set(file.valid.map(v => v.kind))).toEqual(new Set(V1_KINDS))
  // The version-1 file: every valid entry is version 1, and the version-2 file (entries-v2.json) holds the rest.
  expect(new Set(file.valid.map(v => (v.entry as { v: unknown }).v))).toEqual(new Set([1]))
  expect(new Set(file.invalid.map(v => v.error))).toEqual(new Set([
    'EntryTooLargeError', 'EntryDecodeError', 'NonCanonicalEncodingError', 'UnsupportedVersionError',
    'EntrySchemaError', 'TextTooLongError', 'InvalidAuthorError', 'InvalidSignatureError'
  ]))
  expect(new Set(file.chains.map(c => c.error))).toEqual(new Set([
    null, 'SeqGapError', 'PrevMismatchError', 'DuplicateEntryError', 'ForkError', 'TimestampRegressionError', 'WrongAuthorError'
  ]))
  expect(file.timestamps.map(t => t.error)).toContain('FutureTimestampError')
})

describe('valid vectors', () => {
  test.each(file.valid.map(v => [v.name, v] as const))('%s: verifyEntry accepts it', async (_name, vec) => {
    const v = await verifyEntry(fromHex(vec.bytes))
    expect(v.cid.toString()).toBe(vec.cid)
    expect(v.entry.author).toBe(vec.author)
    expect(v.entry.kind).toBe(vec.kind)
    expect(hex(v.entry.sig)).toBe(vec.signature)
    expect(hex(signingInput(v.entry))).toBe(vec.signingInput)
  })

  test.each(file.valid.map(v => [v.name, v] as const))('%s: re-created from its fields, byte for byte', async (_name, vec) => {
    const author = authorFromPrivateKey(await generateKeyPairFromSeed('Ed25519', fromHex(vec.seed)))
    expect(author.id).toBe(vec.author)
    expect(hex(author.publicKey.raw)).toBe(vec.publicKey)
    const entry = dagJson.decode<Entry>(new TextEncoder().encode(JSON.stringify(vec.entry)))
    expect(hex(dagCbor.encode(entry))).toBe(vec.bytes)
    // Heads come from earlier vectors: every seq > 1 vector's prev is itself a valid vector.
    const head = entry.prev === null ? null : await verifyEntry(fromHex(findValid(entry.prev.toString()).bytes))
    const again = await createEntry(author, head, entry.kind, entry.body, entry.ts, { version: 1 })
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
    expect(cidOf(bytes)).toBe(vec.cid)
    expect(authorIdOf(publicKey)).toBe(vec.author)
    expect(Buffer.from(input.subarray(0, SIGNING_DOMAIN_V1.length)).toString('utf8')).toBe('flock/entry/v1\n')
    expect(cryptoVerify(null, input, spkiKey(publicKey), sig)).toBe(true)
    expect(leToInt(sig.subarray(32)) < L).toBe(true)
    expect(bytes.length).toBeLessThanOrEqual(8192)
  })
})

function findValid (cid: string): VectorFile['valid'][number] {
  const vec = file.valid.find(v => v.cid === cid)
  if (vec === undefined) throw new Error(`no valid vector with cid ${cid}`)
  return vec
}

describe('invalid vectors', () => {
  test.each(file.invalid.map(v => [v.name, v] as const))('%s: verifyEntry throws the named error', async (_name, vec) => {
    expect(await errorName(async () => await verifyEntry(fromHex(vec.bytes)))).toBe(vec.error)
  })

  const signatureCases = file.invalid.filter(v => v.error === 'InvalidSignatureError')
  test.each(signatureCases.map(v => [v.name, v] as const))('%s: stock node:crypto rejects it too', (_name, vec) => {
    const entry = decodeEntry(fromHex(vec.bytes))
    const peerIdBytes = decodeBase58(entry.author)
    const publicKey = peerIdBytes.subarray(6)
    expect(hex(peerIdBytes.subarray(0, 6))).toBe('002408011220')
    expect(cryptoVerify(null, signingInput(entry), spkiKey(publicKey), entry.sig)).toBe(false)
  })

  test('the small-order-R vector is valid under the cofactored equation only', () => {
    const vec = file.invalid.find(v => v.name.includes('ZIP-215'))
    if (vec === undefined) throw new Error('ZIP-215 vector missing')
    const entry = decodeEntry(fromHex(vec.bytes))
    const publicKey = decodeBase58(entry.author).subarray(6)
    expect(verifyEquations(publicKey, signingInput(entry), entry.sig)).toEqual({ cofactorless: false, cofactored: true })
  })
})

function decodeBase58 (s: string): Uint8Array {
  const alphabet = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'
  let n = 0n
  for (const c of s) {
    const i = alphabet.indexOf(c)
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

describe('chain vectors', () => {
  test.each(file.chains.map(c => [c.name, c] as const))('%s', async (_name, vec) => {
    const log = new AuthorLog(vec.author)
    let failure: { error: string, at: number } | null = null
    for (const [i, h] of vec.entries.entries()) {
      const v = await verifyEntry(fromHex(h))
      const error = await errorName(() => log.append(v))
      if (error !== null) {
        failure = { error, at: i }
        break
      }
    }
    expect(failure).toEqual(vec.error === null ? null : { error: vec.error, at: vec.failsAt })
    if (vec.error === null) expect(log.length).toBe(vec.entries.length)
    else expect(log.length).toBe(vec.failsAt)
    if (vec.error === 'ForkError') {
      expect(log.forks).toHaveLength(1)
      const [held, other] = log.forks[0] ?? []
      expect(held?.entry.seq).toBe(other?.entry.seq)
      expect(held?.cid.equals(other?.cid)).toBe(false)
    }
  })

  test('a ForkError carries both entries as evidence', async () => {
    const vec = file.chains.find(c => c.error === 'ForkError')
    if (vec === undefined || vec.failsAt === null) throw new Error('fork vector missing')
    const log = new AuthorLog(vec.author)
    const entries = await Promise.all(vec.entries.map(async h => await verifyEntry(fromHex(h))))
    for (const v of entries.slice(0, vec.failsAt)) log.append(v)
    const last = entries[vec.failsAt]
    if (last === undefined) throw new Error('failsAt out of range')
    let thrown: unknown
    try {
      log.append(last)
    } catch (err) {
      thrown = err
    }
    expect(thrown).toBeInstanceOf(ForkError)
    const evidence = (thrown as ForkError<VerifiedEntry>).evidence
    expect(evidence.map(v => v.cid.toString())).toEqual([log.get(last.entry.seq)?.cid.toString(), last.cid.toString()])
    expect(evidence[0]?.cid.equals(last.cid)).toBe(false)
  })
})

describe('timestamp vectors', () => {
  test.each(file.timestamps.map(t => [t.name, t] as const))('%s', async (_name, vec) => {
    const v = await verifyEntry(fromHex(vec.bytes))
    expect(await errorName(() => checkTimestamp(v, vec.now))).toBe(vec.error)
  })
})
