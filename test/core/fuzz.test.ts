/**
 * Hostile bytes: well over 100,000 deterministic inputs (random, mutated, spliced, wrong-shaped) fed
 * to the decoder, and to the verifier whenever they decode. Nothing may escape as anything but a
 * FlockError, and nothing may be accepted unless it is byte for byte one of the entries we signed.
 */
import { describe, expect, test } from 'vitest'
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import {
  createEntry, decodeEntry, entryCid, validateEntry, verifyEntry, AuthorLog, FlockError, MAX_ENTRY_BYTES,
  type VerifiedEntry
} from '../../src/lib/core/index.js'
import {
  RawMap, Rng, T0, decodeRaw, encodeRawCbor, equalBytes, fixtures, hex, type RawValue
} from './helpers.js'
import { fixtureMutators, mutate, overwrite, randomLength, remove, splice, tryEncode } from './mutators.js'

const f = await fixtures()
const { a, b, other, chain } = f
const big = await createEntry(a, null, 'post', { text: 'e' + '\u0301'.repeat(3900) }, T0)
const valid: VerifiedEntry[] = [other, big, ...chain.map(c => c.v)]
const validHex = new Set(valid.map(v => hex(v.bytes)))
const m = await fixtureMutators(f)

const counts = new Map<string, number>()
let total = 0

function count (name: string): void {
  counts.set(name, (counts.get(name) ?? 0) + 1)
}

function fail (source: string, bytes: Uint8Array, why: string): never {
  const shown = bytes.length > 256 ? `${hex(bytes.subarray(0, 256))}… (${bytes.length} bytes)` : hex(bytes)
  return expect.fail(`[${source}] ${why}: ${shown}`)
}

/**
 * Feed one input. decodeEntry for all of them (cheap); verifyEntry only for what decodes, since the
 * signature is the only step left. Returns the error name, or 'accepted'.
 */
async function feed (bytes: Uint8Array, source: string): Promise<string> {
  total++
  try {
    decodeEntry(bytes)
  } catch (err) {
    if (!(err instanceof FlockError)) fail(source, bytes, `decodeEntry threw a non-FlockError ${String(err)}`)
    count(err.name)
    return err.name
  }
  let v: VerifiedEntry
  try {
    v = await verifyEntry(bytes)
  } catch (err) {
    if (!(err instanceof FlockError)) fail(source, bytes, `verifyEntry threw a non-FlockError ${String(err)}`)
    // Everything that decodes has passed size, encoding and schema: only the signature is left.
    if (err.name !== 'InvalidSignatureError') fail(source, bytes, `decoded, then failed verification with ${err.name}`)
    count(err.name)
    return err.name
  }
  if (!validHex.has(hex(bytes))) fail(source, bytes, 'accepted an entry we never signed')
  if (!equalBytes(dagCbor.encode(v.entry), bytes)) fail(source, bytes, 'accepted entry does not re-encode to its bytes')
  if (!(await entryCid(bytes)).equals(v.cid)) fail(source, bytes, 'accepted entry has the wrong CID')
  count('accepted')
  return 'accepted'
}

describe('hostile bytes never escape as anything but a FlockError', () => {
  test('every valid fixture entry is accepted by the same harness', async () => {
    for (const v of valid) expect(await feed(v.bytes, 'valid')).toBe('accepted')
  })

  test('random bytes of random lengths (30,000)', async () => {
    const rng = new Rng(1)
    for (let i = 0; i < 30_000; i++) await feed(rng.bytes(randomLength(rng, MAX_ENTRY_BYTES)), 'random')
    expect(counts.get('EntryTooLargeError') ?? 0).toBeGreaterThan(1000)
    expect(counts.get('EntryDecodeError') ?? 0).toBeGreaterThan(10_000)
  })

  test('random bytes behind an 8-key map header (5,000)', async () => {
    const rng = new Rng(2)
    for (let i = 0; i < 5000; i++) {
      const tail = rng.bytes(rng.int(300))
      await feed(Uint8Array.from([0xa8, ...tail]), 'map-header')
    }
  })

  test('bit flips of valid entries (25,000)', async () => {
    const rng = new Rng(3)
    const before = counts.get('InvalidSignatureError') ?? 0
    for (let i = 0; i < 25_000; i++) {
      const v = rng.pick(valid)
      const m = mutate(rng, v.bytes)
      const got = await feed(m, 'flip')
      if (got === 'accepted' && !equalBytes(m, v.bytes)) fail('flip', m, 'a flipped entry was accepted')
    }
    // Many flips land in sig, text or ts and decode fine: the signature check must be reached often.
    expect((counts.get('InvalidSignatureError') ?? 0) - before).toBeGreaterThan(2000)
  })

  test('every truncation of every valid entry, plus appended bytes (about 15,000)', async () => {
    const rng = new Rng(4)
    for (const v of valid) {
      for (let n = 0; n < v.bytes.length; n++) {
        if (v.bytes.length > 2000 && rng.int(4) !== 0) continue
        await feed(v.bytes.subarray(0, n), 'truncate')
      }
      for (let i = 0; i < 50; i++) await feed(Uint8Array.from([...v.bytes, ...rng.bytes(1 + rng.int(8))]), 'append')
    }
  })

  test('insertions, deletions and overwrites in valid entries (30,000)', async () => {
    const rng = new Rng(5)
    for (let i = 0; i < 10_000; i++) await feed(m.insert(rng, rng.pick(valid).bytes), 'insert')
    for (let i = 0; i < 10_000; i++) await feed(remove(rng, rng.pick(valid).bytes), 'remove')
    for (let i = 0; i < 10_000; i++) {
      const v = rng.pick(valid)
      const m = overwrite(rng, v.bytes)
      if (await feed(m, 'overwrite') === 'accepted' && !equalBytes(m, v.bytes)) fail('overwrite', m, 'accepted')
    }
  })

  test('splices of two entries (10,000)', async () => {
    const rng = new Rng(6)
    for (let i = 0; i < 10_000; i++) await feed(splice(rng, rng.pick(valid).bytes, rng.pick(valid).bytes), 'splice')
  })

  test('valid DAG-CBOR of the wrong shape (10,000)', async () => {
    const rng = new Rng(7)
    let fed = 0
    while (fed < 10_000) {
      const bytes = tryEncode(m.randomValue(rng))
      if (bytes === null) continue
      fed++
      await feed(bytes, 'shape')
    }
    expect(counts.get('EntrySchemaError') ?? 0).toBeGreaterThan(1000)
  })

  test('valid entries with one field replaced, removed, added or swapped (10,000)', async () => {
    const rng = new Rng(8)
    let fed = 0
    while (fed < 10_000) {
      const bytes = m.reshape(rng, rng.pick(valid).bytes)
      if (bytes === null) continue
      fed++
      await feed(bytes, 'reshape')
    }
    expect(counts.get('UnsupportedVersionError') ?? 0).toBeGreaterThan(0)
    expect(counts.get('InvalidAuthorError') ?? 0).toBeGreaterThan(0)
  })

  test('hand-written CBOR: any key order, wide integers, floats, duplicate keys, CID look-alikes (6,000)', async () => {
    const rng = new Rng(9)
    for (let i = 0; i < 5000; i++) await feed(encodeRawCbor(m.randomRaw(rng)), 'raw')
    // Maps that claim to be CIDs to CID.asCID ({'/': x, bytes: x}) in every position of an entry.
    const lookalikes: RawValue[] = [
      new RawMap([['/', 1], ['bytes', 1], ['code', 0x71], ['version', 1]]),
      new RawMap([['/', 'x'], ['bytes', 'x'], ['version', 1]]),
      new RawMap([['/', true], ['bytes', true]]),
      new RawMap([['toString', 1]]),
      new RawMap([['valueOf', new RawMap([])], ['toString', new RawMap([])]]),
      new RawMap([['__proto__', new RawMap([['v', 1]])]])
    ]
    const e = decodeRaw((chain[3]?.v as VerifiedEntry).bytes)
    for (let i = 0; i < 1000; i++) {
      const fake = rng.pick(lookalikes)
      const body = new RawMap([['author', b.id], ['subject', rng.bool() ? fake : other.cid]])
      const top: Array<readonly [RawValue, RawValue]> = [
        ['v', rng.bool(0.8) ? 1 : fake], ['ts', T0], ['seq', 4], ['sig', e.sig as Uint8Array], ['body', body],
        ['kind', 'like'], ['prev', rng.bool() ? fake : (e.prev as CID)], ['author', a.id]
      ]
      await feed(encodeRawCbor(rng.bool(0.2) ? fake : new RawMap(top)), 'lookalike')
    }
  })

  test('the whole pipeline with a log holds up too (2,000)', async () => {
    const rng = new Rng(10)
    const log = new AuthorLog(a.id)
    for (const { v } of chain.slice(0, 5)) log.append(v)
    for (let i = 0; i < 2000; i++) {
      const v = rng.pick(valid)
      const bytes = rng.bool(0.1) ? v.bytes : mutate(rng, v.bytes)
      total++
      try {
        await validateEntry(bytes, { log, now: T0 })
        if (!validHex.has(hex(bytes))) fail('pipeline', bytes, 'accepted an entry we never signed')
      } catch (err) {
        if (!(err instanceof FlockError)) fail('pipeline', bytes, `non-FlockError ${String(err)}`)
      }
    }
    expect(log.length).toBe(5)
  })

  test('in total: over 100,000 inputs, each layer reached', () => {
    expect(total).toBeGreaterThanOrEqual(100_000)
    for (const name of ['EntryTooLargeError', 'EntryDecodeError', 'NonCanonicalEncodingError', 'UnsupportedVersionError',
      'EntrySchemaError', 'TextTooLongError', 'InvalidAuthorError', 'InvalidSignatureError', 'accepted']) {
      expect(counts.get(name) ?? 0, name).toBeGreaterThan(0)
    }
    console.log(`fuzz: ${total} inputs`, Object.fromEntries([...counts].sort()))
  })
})
