/**
 * Generators of hostile bytes, shared by the entry fuzz test (fuzz.test.ts) and the long adversarial
 * run (test/stress): byte-level mutations of valid encodings, random values of the IPLD data model,
 * hand-written CBOR a canonical encoder would refuse to write, and field-level reshaping of maps.
 * Every generator draws only from the Rng it is given, so a seed replays the same inputs.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import type { MultihashDigest } from 'multiformats/hashes/interface'
import { ENTRY_KINDS } from '../../src/lib/core/index.js'
import { RawFloat, RawInt, RawMap, T0, cborCid, decodeRaw, rawCid, type Fixtures, type RawValue, type Rng } from './helpers.js'

/** Entry fields, then keys that trip up JavaScript objects and CID.asCID. */
const ENTRY_KEYS = ['v', 'ts', 'seq', 'sig', 'body', 'kind', 'prev', 'author', 'text', 'reply', 'root', 'parent', 'quote',
  'media', 'cid', 'mime', 'alt', 'mentions', 'tags', 'subject', 'name', 'bio', 'avatar', 'toString', 'valueOf',
  '__proto__', 'constructor', 'hasOwnProperty', '/', 'bytes', 'version', 'code', 'multihash', 'asCID', '']

/** Strings at and just over the grapheme limits (text 500, name 50, bio 300, alt 1000). */
const LONG = [51, 301, 501, 1001, 50, 300, 500, 1000].flatMap(n => ['x'.repeat(n), '👍🏽'.repeat(n), 'e\u0301'.repeat(n)])

/** What random values are made of besides fixed edge cases: names and links that mean something to the decoder under test. */
export interface Vocabulary {
  /** Valid author ids; the first also gives a near miss (its last character cut). */
  authors: readonly string[]
  cids: readonly CID[]
  /** Map keys of other formats, tried after the entry fields (without them the inputs are those of fuzz.test.ts). */
  keys?: readonly string[]
  /** Further strings to pick, likewise after the built-in ones. */
  strings?: readonly string[]
}

/** Mostly short lengths, some up to `max`, a few beyond it. */
export function randomLength (rng: Rng, max: number): number {
  const r = rng.int(100)
  if (r < 60) return rng.int(64)
  if (r < 85) return 64 + rng.int(960)
  if (r < 93) return 1024 + rng.int(max - 1024 + 1)
  return max + 1 + rng.int(4000)
}

/** Canonical encoding, or null for values DAG-CBOR cannot represent (nothing to feed then). */
export function tryEncode (value: unknown): Uint8Array | null {
  try {
    return dagCbor.encode(value)
  } catch {
    return null
  }
}

/** One to two (sometimes up to eight) flipped bits. */
export function mutate (rng: Rng, src: Uint8Array): Uint8Array {
  const out = new Uint8Array(src)
  const flips = 1 + rng.int(rng.bool(0.7) ? 2 : 8)
  for (let i = 0; i < flips; i++) {
    const at = rng.int(out.length)
    out[at] = (out[at] as number) ^ (1 << rng.int(8))
  }
  return out
}

export function remove (rng: Rng, src: Uint8Array): Uint8Array {
  const at = rng.int(src.length)
  const n = 1 + rng.int(Math.min(16, src.length - at))
  return Uint8Array.from([...src.subarray(0, at), ...src.subarray(at + n)])
}

/** Up to eight bytes overwritten, mostly with CBOR headers that change what follows. */
export function overwrite (rng: Rng, src: Uint8Array): Uint8Array {
  const out = new Uint8Array(src)
  const at = rng.int(out.length)
  const n = 1 + rng.int(8)
  for (let i = at; i < Math.min(out.length, at + n); i++) out[i] = rng.pick([0x00, 0xff, 0x18, 0x1b, 0x40, 0x58, 0x60, 0x78, 0xa0, 0xa8, 0xd8, 0x2a, 0xf6, 0xf7, 0xfb, rng.int(256)])
  return out
}

/** The start of `x` followed by the end of `y`. */
export function splice (rng: Rng, x: Uint8Array, y: Uint8Array): Uint8Array {
  const i = rng.int(x.length + 1)
  const j = rng.int(y.length + 1)
  return Uint8Array.from([...x.subarray(0, i), ...y.subarray(j)])
}

/**
 * `obj[key] = value` as an own property even for '__proto__' (which plain assignment would make the
 * prototype: the key would vanish from the encoding, and a CID prototype's getters would then refuse
 * later assignments).
 */
function put (obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true })
}

const isMap = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Uint8Array) && CID.asCID(value) === null

/** `map` and every map inside it, directly or as a list item, in encoding order. */
function mapsIn (map: Record<string, unknown>, out: Array<Record<string, unknown>> = []): Array<Record<string, unknown>> {
  out.push(map)
  for (const value of Object.values(map)) {
    if (isMap(value)) mapsIn(value, out)
    else if (Array.isArray(value)) for (const item of value) if (isMap(item)) mapsIn(item, out)
  }
  return out
}

/**
 * Mutators for the fixtures (helpers.ts): random values name their authors and link to their entries,
 * a raw block, a DAG-CBOR block that is no entry, and a CIDv0.
 */
export async function fixtureMutators ({ a, b, other, chain }: Fixtures, more: Pick<Vocabulary, 'keys' | 'strings'> = {}): Promise<Mutators> {
  const cids: CID[] = [
    other.cid, chain[0]?.v.cid as CID, await rawCid('x'), await cborCid('y'),
    CID.createV0(other.cid.multihash as MultihashDigest<0x12>) as unknown as CID
  ]
  return new Mutators({ authors: [a.id, b.id], cids, ...more })
}

export class Mutators {
  readonly keys: readonly string[]
  readonly strings: readonly string[]
  readonly cids: readonly CID[]

  constructor ({ authors, cids, keys = [], strings = [] }: Vocabulary) {
    this.keys = [...ENTRY_KEYS, ...keys]
    this.strings = [...this.keys, ...ENTRY_KINDS, ...authors, 'image/webp', '👍🏽', 'e\u0301', '\u0000', 'x'.repeat(600),
      '12D3KooW', ...authors.slice(0, 1).map(id => id.slice(0, -1)), ...strings]
    this.cids = cids
  }

  /** A random value of the IPLD data model (what a canonical encoder will write). */
  randomValue (rng: Rng, depth = 0): unknown {
    switch (rng.int(depth > 2 ? 8 : 10)) {
      case 0: return null
      case 1: return rng.bool()
      case 2: return rng.pick([0, 1, 2, -1, 23, 24, 255, 256, 65535, 65536, 2 ** 32, T0, Number.MAX_SAFE_INTEGER, -(2 ** 40)])
      case 3: return rng.bool() ? rng.int(1 << 30) : rng.pick([1.5, -0.25, 1e300, 2 ** 60, 2n ** 64n - 1n, -(2n ** 64n)])
      case 4: return rng.pick(this.strings)
      case 5: return new TextDecoder().decode(rng.bytes(rng.int(20)))
      case 6: return rng.bytes(rng.bool(0.3) ? 64 : rng.int(80))
      case 7: return rng.pick(this.cids)
      case 8: return Array.from({ length: rng.int(5) }, () => this.randomValue(rng, depth + 1))
      default: {
        const obj: Record<string, unknown> = {}
        const n = rng.int(6)
        for (let i = 0; i < n; i++) put(obj, rng.bool(0.8) ? rng.pick(this.keys) : new TextDecoder().decode(rng.bytes(rng.int(6))), this.randomValue(rng, depth + 1))
        return obj
      }
    }
  }

  /** A random value for the hand-rolled writer: any key order, wide integers, floats, duplicate keys. */
  randomRaw (rng: Rng, depth = 0): RawValue {
    switch (rng.int(depth > 2 ? 7 : 9)) {
      case 0: return null
      case 1: return rng.bool()
      case 2: return new RawInt(rng.pick([0, 1, 23, 24, 1000, T0, -5]), rng.pick(['minimal', 'minimal', 1, 2, 4, 8] as const))
      case 3: return new RawFloat(rng.pick([0, 1, T0, 1.5, -0, NaN, Infinity]))
      case 4: return rng.pick(this.strings)
      case 5: return rng.bytes(rng.int(70))
      case 6: return rng.pick(this.cids)
      case 7: return Array.from({ length: rng.int(4) }, () => this.randomRaw(rng, depth + 1))
      default: return new RawMap(Array.from({ length: rng.int(9) }, () => [rng.pick(this.keys), this.randomRaw(rng, depth + 1)] as const))
    }
  }

  /** A few random bytes or one encoded random value, inserted anywhere. */
  insert (rng: Rng, src: Uint8Array): Uint8Array {
    const at = rng.int(src.length + 1)
    const extra = rng.bool(0.5)
      ? rng.bytes(1 + rng.int(8))
      : tryEncode(this.randomValue(rng, 2)) ?? Uint8Array.of(0xf6)
    const out = new Uint8Array(src.length + extra.length)
    out.set(src.subarray(0, at))
    out.set(extra, at)
    out.set(src.subarray(at), at + extra.length)
    return out
  }

  /**
   * The canonical encoding of a DAG-CBOR map (an entry, a sync frame, …) with one field of it or of a
   * map inside it replaced, removed, added or swapped, canonically re-encoded; null when the result
   * has no DAG-CBOR encoding.
   */
  reshape (rng: Rng, bytes: Uint8Array): Uint8Array | null {
    const root = decodeRaw(bytes)
    const target = rng.pick(mapsIn(root))
    const keys = Object.keys(target)
    const stringKeys = keys.filter(k => typeof target[k] === 'string')
    switch (rng.int(stringKeys.length > 0 ? 5 : 4)) {
      case 0: put(target, rng.pick(keys), this.randomValue(rng, 1)); break
      case 4: put(target, rng.pick(stringKeys), rng.pick(LONG)); break
      case 1: delete target[rng.pick(keys)]; break
      case 2: put(target, rng.pick(this.keys), this.randomValue(rng, 1)); break
      default: {
        // Swap two values of the same map: same shape, often same types.
        const [k1, k2] = [rng.pick(keys), rng.pick(keys)]
        const t = target[k1]
        target[k1] = target[k2]
        target[k2] = t
      }
    }
    return tryEncode(root)
  }
}
