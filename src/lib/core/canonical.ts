/**
 * Canonical DAG-CBOR (PROTOCOL.md §2.1) and domain-separated signing input, shared by entries and
 * discovery announcements: each signed record has exactly one encoding, and its signature covers a
 * prefix naming what kind of record it is.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { MAX_CBOR_DEPTH } from './constants.js'

/** How decoding failed: not DAG-CBOR at all, not re-encodable, or not the one canonical encoding. */
export type CanonicalFailure = 'decode' | 'reencode' | 'noncanonical'

/**
 * How deeply arrays, maps and tags nest in the CBOR at the start of `bytes`, counting stops once past
 * `limit`: a walk over the item heads, with no decoding. The decoder and the canonical re-encoding
 * both recurse per level, so 8 KiB of nested one-element arrays cost them tens of milliseconds
 * (and 8,000 levels overflow the stack); this refuses such input in microseconds. Malformed heads
 * end the walk early, leaving the error to the decoder.
 */
export function cborDepth (bytes: Uint8Array, limit = MAX_CBOR_DEPTH): number {
  // Items still to read in each open array or map (a map holds two per entry, a tag one).
  const open: number[] = []
  let deepest = 0
  let pos = 0
  do {
    if (pos >= bytes.length) break
    const head = bytes[pos++] as number
    const major = head >> 5
    const info = head & 31
    let arg = info
    if (info >= 24) {
      const size = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : 0
      if (size === 0 || pos + size > bytes.length) break
      arg = 0
      for (let i = 0; i < size; i++) arg = arg * 256 + (bytes[pos++] as number)
    }
    const top = open.length - 1
    if (top >= 0) open[top] = (open[top] as number) - 1
    if (major === 2 || major === 3) {
      pos += arg
    } else if (major >= 4 && major <= 6) {
      deepest = Math.max(deepest, open.length + 1)
      if (deepest > limit) return deepest
      const items = major === 4 ? arg : major === 5 ? 2 * arg : 1
      if (items > bytes.length - pos) break
      if (items > 0) open.push(items)
    }
    while (open.length > 0 && open[open.length - 1] === 0) open.pop()
  } while (open.length > 0)
  return deepest
}

/** Decode `bytes`, requiring them to be the canonical encoding of what they decode to; `fail` makes the caller's error. */
export function decodeCanonical (bytes: Uint8Array, fail: (why: CanonicalFailure, detail: string) => Error): unknown {
  const depth = cborDepth(bytes)
  if (depth > MAX_CBOR_DEPTH) throw fail('decode', `arrays, maps and tags nest deeper than ${MAX_CBOR_DEPTH} levels`)
  let value: unknown
  try {
    value = dagCbor.decode(bytes)
  } catch (err) {
    throw fail('decode', (err as Error).message)
  }
  let canonical: Uint8Array
  try {
    canonical = dagCbor.encode(value)
  } catch (err) {
    throw fail('reencode', (err as Error).message)
  }
  if (!equalBytes(canonical, bytes)) throw fail('noncanonical', 'bytes are not the canonical DAG-CBOR encoding')
  return value
}

/** `domain` followed by the canonical encoding of `value`: the bytes a signature covers. */
export function domainSeparated (domain: Uint8Array, value: unknown): Uint8Array {
  const encoded = dagCbor.encode(value)
  const out = new Uint8Array(domain.length + encoded.length)
  out.set(domain, 0)
  out.set(encoded, domain.length)
  return out
}

export function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
