/**
 * What the stress run is made of: the Target each decoder implements, and the strategies every
 * decoder gets (random bytes, mutations of its valid encodings, truncations, wrong-shaped and
 * hand-written CBOR, CBOR bombs, oversized inputs). Decoder-specific strategies live with the targets.
 */
import { concat, encodeRawCbor, type Rng } from '../core/helpers.js'
import { mutate, overwrite, randomLength, remove, splice, tryEncode, type Mutators } from '../core/mutators.js'

export interface Strategy {
  name: string
  /** Share of the inputs, relative to the other strategies of the target. */
  weight: number
  /** One input, or null to draw again (a random value with no DAG-CBOR encoding). */
  make: (rng: Rng) => Uint8Array | null
}

export interface Target {
  /** Row of the report: the decoder as the code calls it. */
  name: string
  /** Encodings the decoder must accept: checked before the run, and the seeds of every mutation. */
  valid: readonly Uint8Array[]
  strategies: readonly Strategy[]
  /**
   * The decoder under test; only this is timed. Rejects with whatever the decoder throws; on
   * acceptance resolves to a check of what was accepted, which throws to say what is wrong with it.
   */
  decode: (bytes: Uint8Array) => Promise<() => Promise<void>>
  /** The name a refusal is counted under, or undefined when `err` is nothing this decoder may throw: a crash. */
  refusal: (err: unknown) => string | undefined
}

/** `extra` inserted at a random position of `src`. */
function embed (rng: Rng, src: Uint8Array, extra: Uint8Array): Uint8Array {
  const at = rng.int(src.length + 1)
  return concat(src.subarray(0, at), extra, src.subarray(at))
}

/** A CBOR head of `major` with an argument `width` bytes wide, each byte one of the extremes. */
function wideHead (rng: Rng, major: number): Uint8Array {
  const [width, minor] = rng.pick([[1, 24], [2, 25], [4, 26], [8, 27]] as const)
  return Uint8Array.from([(major << 5) | minor, ...Array.from({ length: width }, () => rng.pick([0x00, 0x01, 0x7f, 0x80, 0xff, rng.int(256)]))])
}

/**
 * CBOR made to exhaust a decoder rather than to mean anything: nesting as deep as the limit allows
 * (a recursive decoder runs out of stack near 5,000 levels), lengths far beyond what follows,
 * indefinite lengths (not DAG-CBOR), collections as wide as the limit, and floats, simple values,
 * tags and reserved bytes.
 */
export function cborBomb (rng: Rng, limit: number): Uint8Array {
  const size = Math.min(limit, rng.pick([64, 1000, 3000, 6000, limit]))
  switch (rng.int(6)) {
    case 0: return concat(new Uint8Array(size - 1).fill(rng.pick([0x81, 0x9f, 0xd8])), Uint8Array.of(0xf6))
    case 1: {
      const level = Uint8Array.of(0xa1, 0x61, 0x61)
      const depth = Math.floor((size - 1) / level.length)
      const out = new Uint8Array(depth * level.length + 1).fill(0xf6)
      for (let i = 0; i < depth; i++) out.set(level, i * level.length)
      return out
    }
    case 2: return concat(wideHead(rng, rng.pick([2, 3, 4, 5])), rng.bytes(rng.int(32)))
    case 3: {
      const items = Array.from({ length: rng.int(8) }, () => rng.pick([Uint8Array.of(0x41, 0x00), Uint8Array.of(0x61, 0x61), Uint8Array.of(0xf6), Uint8Array.of(0x5f, 0xff)]))
      return concat(Uint8Array.of(rng.pick([0x5f, 0x7f, 0x9f, 0xbf])), ...items, rng.bool(0.7) ? Uint8Array.of(0xff) : new Uint8Array(0))
    }
    case 4: {
      if (rng.bool()) {
        // An array of nulls as long as fits.
        const n = Math.max(0, size - 5)
        return concat(Uint8Array.of(0x9a, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff), new Uint8Array(n).fill(0xf6))
      }
      const keys = Math.floor(size / 8)
      return tryEncode(Object.fromEntries(Array.from({ length: keys }, (_, i) => [i.toString(36), i]))) ?? Uint8Array.of(0xa0)
    }
    default: {
      const odd = [[0xf7], [0xf8, 0x20], [0xf9, 0x7c, 0x00], [0xf9, 0x7e, 0x00], [0xfa, 0x7f, 0xc0, 0x00, 0x00], [0xfb, 0, 0, 0, 0, 0, 0, 0, 1],
        [0xe0], [0xf3], [0xff], [0x1c], [0x3f], [0xc0, 0x60], [0xc2, 0x41, 0x01], [0xd9, 0xd9, 0xf7, 0xf6], [0xd8, 0x2a, 0x40], [0xd8, 0x2a, 0x41, 0x00],
        [0xd8, 0x2a, 0x45, 0x00, 0x01, 0x71, 0x12, 0x20]]
      return Uint8Array.from(Array.from({ length: 1 + rng.int(6) }, () => rng.pick(odd)).flat())
    }
  }
}

/** Past the size limit: random bytes, a valid encoding padded, or megabytes behind a valid start. */
function oversized (rng: Rng, valid: Uint8Array, limit: number): Uint8Array {
  switch (rng.int(3)) {
    case 0: return rng.bytes(limit + 1 + rng.int(2 * limit))
    case 1: return concat(valid, new Uint8Array(Math.max(1, limit + 1 - valid.length) + rng.int(64)))
    default: {
      const out = new Uint8Array((1 + rng.int(4)) << 20)
      out.set(valid)
      return out
    }
  }
}

/**
 * The strategies every decoder gets, drawing on its `valid` encodings; `limit` is its input size
 * limit, which random lengths straddle and oversized inputs exceed.
 */
export function sharedStrategies (m: Mutators, valid: readonly Uint8Array[], limit: number): Strategy[] {
  const pick = (rng: Rng): Uint8Array => rng.pick(valid)
  return [
    { name: 'random bytes', weight: 8, make: rng => rng.bytes(randomLength(rng, limit)) },
    {
      name: 'valid start, random rest',
      weight: 4,
      make: (rng) => {
        const v = pick(rng)
        return concat(v.subarray(0, 1 + rng.int(Math.min(16, v.length))), rng.bytes(rng.int(300)))
      }
    },
    { name: 'bit flips', weight: 15, make: rng => mutate(rng, pick(rng)) },
    { name: 'insertion', weight: 5, make: rng => m.insert(rng, pick(rng)) },
    { name: 'deletion', weight: 5, make: rng => remove(rng, pick(rng)) },
    { name: 'overwrite', weight: 5, make: rng => overwrite(rng, pick(rng)) },
    { name: 'splice of two', weight: 5, make: rng => splice(rng, pick(rng), pick(rng)) },
    {
      name: 'truncation',
      weight: 5,
      make: (rng) => {
        const v = pick(rng)
        return v.slice(0, rng.int(v.length))
      }
    },
    { name: 'appended bytes', weight: 3, make: rng => concat(pick(rng), rng.bytes(1 + rng.int(8))) },
    { name: 'wrong-shaped DAG-CBOR', weight: 6, make: rng => tryEncode(m.randomValue(rng)) },
    { name: 'hand-written CBOR', weight: 5, make: rng => encodeRawCbor(m.randomRaw(rng)) },
    { name: 'CBOR bomb', weight: 3, make: rng => cborBomb(rng, limit) },
    { name: 'CBOR bomb inside', weight: 2, make: rng => embed(rng, pick(rng), cborBomb(rng, limit)) },
    { name: 'oversized', weight: 2, make: rng => oversized(rng, pick(rng), limit) }
  ]
}

/** For formats whose encodings are DAG-CBOR maps: one field replaced, removed, added or swapped. */
export function reshaped (m: Mutators, valid: readonly Uint8Array[]): Strategy {
  return { name: 'field changed', weight: 15, make: rng => m.reshape(rng, rng.pick(valid)) }
}
