/**
 * Re-checks every vector in entries.json (PROTOCOL.md §11, the version-1 file) against the reference implementation, and
 * the valid ones a second time with stock node:crypto (Ed25519 via OpenSSL, SHA-256) plus hand-written
 * base32/base58, so the file is not only self-consistent with the code that wrote it.
 */
import { describe, expect, test } from 'vitest'
import * as dagCbor from '@ipld/dag-cbor'
import {
  AuthorLog, ForkError, V1_KINDS, SIGNING_DOMAIN_V1, createEntry, decodeEntry, signingInput, verifyEntry, type VerifiedEntry
} from '../../src/lib/core/index.js'
import {
  ENTRY_ERRORS, expectedReplay, LOG_OUTCOMES, entryFields, entryOf, fromHex, headIn, hex, keyFromSeed, keyOf,
  loadVectors, offerFork, recordedFields, replayChain, serialize, stockReading, stockVerify, timestampError, verifyError, zip215Equations,
  type VectorFile
} from './common.js'
import { VECTORS_PATH, buildVectors } from './generate.js'

const { text, file } = await loadVectors<VectorFile>(VECTORS_PATH)

test('entries.json is exactly what generate.ts produces', async () => {
  expect(text).toBe(serialize(await buildVectors()))
})

test('the file covers every kind and every error class', () => {
  expect(file.signingDomain).toBe(SIGNING_DOMAIN_V1)
  expect(new Set(file.valid.map(v => v.kind))).toEqual(new Set(V1_KINDS))
  // The version-1 file: every valid entry is version 1, and the version-2 file (entries-v2.json) holds the rest.
  expect(new Set(file.valid.map(v => (v.entry as { v: unknown }).v))).toEqual(new Set([1]))
  expect(new Set(file.invalid.map(v => v.error))).toEqual(new Set(ENTRY_ERRORS))
  expect(new Set(file.chains.map(c => c.error))).toEqual(new Set(LOG_OUTCOMES))
  expect(file.timestamps.map(t => t.error)).toContain('FutureTimestampError')
})

describe('valid vectors', () => {
  test.each(file.valid.map(v => [v.name, v] as const))('%s: verifyEntry accepts it', async (_name, vec) => {
    expect(entryFields(await verifyEntry(fromHex(vec.bytes)))).toEqual(recordedFields(vec))
  })

  test.each(file.valid.map(v => [v.name, v] as const))('%s: re-created from its fields, byte for byte', async (_name, vec) => {
    const author = await keyFromSeed(vec.seed)
    expect(author.id).toBe(vec.author)
    expect(hex(author.publicKey.raw)).toBe(vec.publicKey)
    const entry = entryOf(vec)
    expect(hex(dagCbor.encode(entry))).toBe(vec.bytes)
    // Heads come from earlier vectors: every seq > 1 vector's prev is itself a valid vector.
    const again = await createEntry(author, await headIn(file, entry), entry.kind, entry.body, entry.ts, { version: 1 })
    expect(entryFields(again)).toEqual(recordedFields(vec))
  })

  test.each(file.valid.map(v => [v.name, v] as const))('%s: checks out with stock node:crypto', (_name, vec) => {
    expect(stockReading(vec)).toEqual({ cid: vec.cid, keyId: vec.author, domain: 'flock/entry/v1\n', verifies: true, withinLimit: true })
  })
})

describe('invalid vectors', () => {
  test.each(file.invalid.map(v => [v.name, v] as const))('%s: verifyEntry throws the named error', async (_name, vec) => {
    expect(await verifyError(fromHex(vec.bytes))).toBe(vec.error)
  })

  const signatureCases = file.invalid.filter(v => v.error === 'InvalidSignatureError')
  test.each(signatureCases.map(v => [v.name, v] as const))('%s: stock node:crypto rejects it too', (_name, vec) => {
    const entry = decodeEntry(fromHex(vec.bytes))
    expect(stockVerify(signingInput(entry), keyOf(entry.author), entry.sig)).toBe(false)
  })

  test('the small-order-R vector is valid under the cofactored equation only', () => {
    expect(zip215Equations(file.invalid)).toEqual({ cofactorless: false, cofactored: true })
  })
})

describe('chain vectors', () => {
  test.each(file.chains.map(c => [c.name, c] as const))('%s', async (_name, vec) => {
    expect(await replayChain(vec, author => new AuthorLog(author), log => log.length)).toEqual(expectedReplay(vec))
  })

  test('a ForkError carries both entries as evidence', async () => {
    const { target: log, last, thrown } = await offerFork(file.chains.find(c => c.error === 'ForkError'), author => new AuthorLog(author))
    expect(thrown).toBeInstanceOf(ForkError)
    const evidence = (thrown as ForkError<VerifiedEntry>).evidence
    expect(evidence.map(v => v.cid.toString())).toEqual([log.get(last.entry.seq)?.cid.toString(), last.cid.toString()])
    expect(evidence[0]?.cid.equals(last.cid)).toBe(false)
  })
})

describe('timestamp vectors', () => {
  test.each(file.timestamps.map(t => [t.name, t] as const))('%s', async (_name, vec) => {
    expect(await timestampError(fromHex(vec.bytes), vec.now)).toBe(vec.error)
  })
})
