import { describe, expect, test } from 'vitest'
import fc from 'fast-check'
import * as dagCbor from '@ipld/dag-cbor'
import { MAX_CBOR_DEPTH, EntryDecodeError, SyncFrameError, decodeEntry, decodeFrame, encodeFrame } from '../../src/lib/core/index.js'
import { cborDepth } from '../../src/lib/core/canonical.js'

/** `depth` one-element arrays around an empty one. */
function nestedArrays (depth: number): Uint8Array {
  const bytes = new Uint8Array(depth).fill(0x81)
  bytes[depth - 1] = 0x80
  return bytes
}

/** The nesting depth of a decoded value, as the decoder sees it. */
function depthOf (value: unknown): number {
  if (value instanceof Uint8Array || value === null || typeof value !== 'object') return 0
  const children = Array.isArray(value) ? value : Object.values(value)
  return 1 + Math.max(0, ...children.map(depthOf))
}

describe('cborDepth', () => {
  test.each([
    [dagCbor.encode(1), 0],
    [dagCbor.encode('text'), 0],
    [dagCbor.encode([]), 1],
    [dagCbor.encode({}), 1],
    [dagCbor.encode([[1, [2]], 'x']), 3],
    [dagCbor.encode({ a: { b: [new Uint8Array(300)] }, c: 'y'.repeat(70_000) }), 3],
    [nestedArrays(6_000), MAX_CBOR_DEPTH + 1]
  ])('%#: depth %i', (bytes, depth) => {
    expect(cborDepth(bytes)).toBe(depth)
  })

  test('agrees with the decoded value on arbitrary DAG-CBOR', () => {
    const json = fc.letrec(tie => ({
      value: fc.oneof({ depthSize: 'small', withCrossShrink: true },
        fc.integer(), fc.string(), fc.boolean(), fc.constant(null), fc.uint8Array({ maxLength: 300 }),
        fc.array(tie('value'), { maxLength: 4 }),
        fc.dictionary(fc.string({ maxLength: 5 }), tie('value'), { maxKeys: 4 }))
    })).value
    fc.assert(fc.property(json, (value) => {
      expect(cborDepth(dagCbor.encode(value), 1_000)).toBe(depthOf(value))
    }), { numRuns: 2_000, seed: 16 })
  })

  test('stops at malformed or truncated heads without throwing', () => {
    for (const bytes of [new Uint8Array([0x9f, 0x01]), new Uint8Array([0x5b, 0xff]), new Uint8Array([0x83, 0x01]), new Uint8Array([0x1c]), new Uint8Array([])]) {
      expect(cborDepth(bytes)).toBeLessThanOrEqual(1)
    }
  })

  test('an entry or sync frame nested past the limit is refused before decoding, with the decoders\' own errors', () => {
    const deep = nestedArrays(6_000)
    expect(() => decodeEntry(deep)).toThrow(EntryDecodeError)
    expect(() => decodeEntry(deep)).toThrow(/nest deeper than 16/)
    expect(() => decodeFrame(deep)).toThrow(SyncFrameError)
    // Just within the limit, the usual rules apply.
    expect(() => decodeEntry(nestedArrays(MAX_CBOR_DEPTH))).toThrow(/must be a map/)
    expect(decodeFrame(encodeFrame({ t: 'end' }))).toEqual({ t: 'end' })
  })
})
