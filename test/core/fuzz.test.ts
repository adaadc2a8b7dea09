/**
 * Hostile bytes: well over 100,000 deterministic inputs (random, mutated, spliced, wrong-shaped) fed
 * to the decoder, and to the verifier whenever they decode. Nothing may escape as anything but a
 * FlockError, and nothing may be accepted unless it is byte for byte one of the entries we signed.
 */
import { describe, expect, test } from 'vitest'
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import type { MultihashDigest } from 'multiformats/hashes/interface'
import {
  createEntry, decodeEntry, entryCid, validateEntry, verifyEntry, AuthorLog, FlockError, MAX_ENTRY_BYTES,
  type VerifiedEntry
} from '../../src/lib/core/index.js'
import {
  RawFloat, RawInt, RawMap, Rng, T0, cborCid, decodeRaw, encodeRawCbor, equalBytes, fixtures, hex, rawCid,
  type RawValue
} from './helpers.js'

const { a, b, other, chain } = await fixtures()
const big = await createEntry(a, null, 'post', { text: 'e' + '\u0301'.repeat(3900) }, T0)
const valid: VerifiedEntry[] = [other, big, ...chain.map(c => c.v)]
const validHex = new Set(valid.map(v => hex(v.bytes)))
const cids: CID[] = [
  other.cid, chain[0]?.v.cid as CID, await rawCid('x'), await cborCid('y'),
  CID.createV0(other.cid.multihash as MultihashDigest<0x12>) as unknown as CID
]

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

function randomLength (rng: Rng): number {
  const r = rng.int(100)
  if (r < 60) return rng.int(64)
  if (r < 85) return 64 + rng.int(960)
  if (r < 93) return 1024 + rng.int(MAX_ENTRY_BYTES - 1024 + 1)
  return MAX_ENTRY_BYTES + 1 + rng.int(4000)
}

const KEYS = ['v', 'ts', 'seq', 'sig', 'body', 'kind', 'prev', 'author', 'text', 'reply', 'root', 'parent', 'quote',
  'media', 'cid', 'mime', 'alt', 'mentions', 'tags', 'subject', 'name', 'bio', 'avatar', 'toString', 'valueOf',
  '__proto__', 'constructor', 'hasOwnProperty', '/', 'bytes', 'version', 'code', 'multihash', 'asCID', '']
const STRINGS = [...KEYS, 'post', 'like', 'repost', 'follow', 'unfollow', 'profile', 'delete', a.id, b.id, 'image/webp',
  '👍🏽', 'e\u0301', '\u0000', 'x'.repeat(600), '12D3KooW', a.id.slice(0, -1)]

/** Strings at and just over the grapheme limits (text 500, name 50, bio 300, alt 1000). */
const LONG = [51, 301, 501, 1001, 50, 300, 500, 1000].flatMap(n => ['x'.repeat(n), '👍🏽'.repeat(n), 'e\u0301'.repeat(n)])

/** A random value of the IPLD data model (what a canonical encoder will write). */
function randomValue (rng: Rng, depth = 0): unknown {
  switch (rng.int(depth > 2 ? 8 : 10)) {
    case 0: return null
    case 1: return rng.bool()
    case 2: return rng.pick([0, 1, 2, -1, 23, 24, 255, 256, 65535, 65536, 2 ** 32, T0, Number.MAX_SAFE_INTEGER, -(2 ** 40)])
    case 3: return rng.bool() ? rng.int(1 << 30) : rng.pick([1.5, -0.25, 1e300, 2 ** 60, 2n ** 64n - 1n, -(2n ** 64n)])
    case 4: return rng.pick(STRINGS)
    case 5: return new TextDecoder().decode(rng.bytes(rng.int(20)))
    case 6: return rng.bytes(rng.bool(0.3) ? 64 : rng.int(80))
    case 7: return rng.pick(cids)
    case 8: return Array.from({ length: rng.int(5) }, () => randomValue(rng, depth + 1))
    default: {
      const obj: Record<string, unknown> = {}
      const n = rng.int(6)
      for (let i = 0; i < n; i++) obj[rng.bool(0.8) ? rng.pick(KEYS) : new TextDecoder().decode(rng.bytes(rng.int(6)))] = randomValue(rng, depth + 1)
      return obj
    }
  }
}

/** A random value for the hand-rolled writer: any key order, wide integers, floats, duplicate keys. */
function randomRaw (rng: Rng, depth = 0): RawValue {
  switch (rng.int(depth > 2 ? 7 : 9)) {
    case 0: return null
    case 1: return rng.bool()
    case 2: return new RawInt(rng.pick([0, 1, 23, 24, 1000, T0, -5]), rng.pick(['minimal', 'minimal', 1, 2, 4, 8] as const))
    case 3: return new RawFloat(rng.pick([0, 1, T0, 1.5, -0, NaN, Infinity]))
    case 4: return rng.pick(STRINGS)
    case 5: return rng.bytes(rng.int(70))
    case 6: return rng.pick(cids)
    case 7: return Array.from({ length: rng.int(4) }, () => randomRaw(rng, depth + 1))
    default: return new RawMap(Array.from({ length: rng.int(9) }, () => [rng.pick(KEYS), randomRaw(rng, depth + 1)] as const))
  }
}

function mutate (rng: Rng, src: Uint8Array): Uint8Array {
  const out = new Uint8Array(src)
  const flips = 1 + rng.int(rng.bool(0.7) ? 2 : 8)
  for (let i = 0; i < flips; i++) {
    const at = rng.int(out.length)
    out[at] = (out[at] as number) ^ (1 << rng.int(8))
  }
  return out
}

function insert (rng: Rng, src: Uint8Array): Uint8Array {
  const at = rng.int(src.length + 1)
  const extra = rng.bool(0.5)
    ? rng.bytes(1 + rng.int(8))
    : tryEncode(randomValue(rng, 2)) ?? Uint8Array.of(0xf6)
  const out = new Uint8Array(src.length + extra.length)
  out.set(src.subarray(0, at))
  out.set(extra, at)
  out.set(src.subarray(at), at + extra.length)
  return out
}

function remove (rng: Rng, src: Uint8Array): Uint8Array {
  const at = rng.int(src.length)
  const n = 1 + rng.int(Math.min(16, src.length - at))
  return Uint8Array.from([...src.subarray(0, at), ...src.subarray(at + n)])
}

function overwrite (rng: Rng, src: Uint8Array): Uint8Array {
  const out = new Uint8Array(src)
  const at = rng.int(out.length)
  const n = 1 + rng.int(8)
  for (let i = at; i < Math.min(out.length, at + n); i++) out[i] = rng.pick([0x00, 0xff, 0x18, 0x1b, 0x40, 0x58, 0x60, 0x78, 0xa0, 0xa8, 0xd8, 0x2a, 0xf6, 0xf7, 0xfb, rng.int(256)])
  return out
}

function splice (rng: Rng, x: Uint8Array, y: Uint8Array): Uint8Array {
  const i = rng.int(x.length + 1)
  const j = rng.int(y.length + 1)
  return Uint8Array.from([...x.subarray(0, i), ...y.subarray(j)])
}

/** A valid entry with one field replaced, removed or added, canonically re-encoded. */
function reshape (rng: Rng, v: VerifiedEntry): Uint8Array | null {
  const e = decodeRaw(v.bytes)
  const targets: Array<Record<string, unknown>> = [e]
  const body = e.body as Record<string, unknown>
  targets.push(body)
  for (const value of Object.values(body)) {
    if (Array.isArray(value)) for (const item of value) if (item !== null && typeof item === 'object' && CID.asCID(item) === null) targets.push(item as Record<string, unknown>)
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && CID.asCID(value) === null && !(value instanceof Uint8Array)) targets.push(value as Record<string, unknown>)
  }
  const target = rng.pick(targets)
  const keys = Object.keys(target)
  const stringKeys = keys.filter(k => typeof target[k] === 'string')
  switch (rng.int(stringKeys.length > 0 ? 5 : 4)) {
    case 0: target[rng.pick(keys)] = randomValue(rng, 1); break
    case 4: target[rng.pick(stringKeys)] = rng.pick(LONG); break
    case 1: delete target[rng.pick(keys)]; break
    case 2: target[rng.pick(KEYS)] = randomValue(rng, 1); break
    default: {
      // Swap two values of the same map: same shape, often same types.
      const [k1, k2] = [rng.pick(keys), rng.pick(keys)]
      const t = target[k1]
      target[k1] = target[k2]
      target[k2] = t
    }
  }
  return tryEncode(e)
}

/** Canonical encoding, or null for values DAG-CBOR cannot represent (nothing to feed then). */
function tryEncode (value: unknown): Uint8Array | null {
  try {
    return dagCbor.encode(value)
  } catch {
    return null
  }
}

describe('hostile bytes never escape as anything but a FlockError', () => {
  test('every valid fixture entry is accepted by the same harness', async () => {
    for (const v of valid) expect(await feed(v.bytes, 'valid')).toBe('accepted')
  })

  test('random bytes of random lengths (30,000)', async () => {
    const rng = new Rng(1)
    for (let i = 0; i < 30_000; i++) await feed(rng.bytes(randomLength(rng)), 'random')
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
    for (let i = 0; i < 10_000; i++) await feed(insert(rng, rng.pick(valid).bytes), 'insert')
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
      const bytes = tryEncode(randomValue(rng))
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
      const bytes = reshape(rng, rng.pick(valid))
      if (bytes === null) continue
      fed++
      await feed(bytes, 'reshape')
    }
    expect(counts.get('UnsupportedVersionError') ?? 0).toBeGreaterThan(0)
    expect(counts.get('InvalidAuthorError') ?? 0).toBeGreaterThan(0)
  })

  test('hand-written CBOR: any key order, wide integers, floats, duplicate keys, CID look-alikes (6,000)', async () => {
    const rng = new Rng(9)
    for (let i = 0; i < 5000; i++) await feed(encodeRawCbor(randomRaw(rng)), 'raw')
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
