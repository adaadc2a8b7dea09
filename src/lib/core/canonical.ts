/**
 * Canonical DAG-CBOR (PROTOCOL.md §2.1) and domain-separated signing input, shared by entries and
 * discovery announcements: each signed record has exactly one encoding, and its signature covers a
 * prefix naming what kind of record it is.
 */
import * as dagCbor from '@ipld/dag-cbor'

/** How decoding failed: not DAG-CBOR at all, not re-encodable, or not the one canonical encoding. */
export type CanonicalFailure = 'decode' | 'reencode' | 'noncanonical'

/** Decode `bytes`, requiring them to be the canonical encoding of what they decode to; `fail` makes the caller's error. */
export function decodeCanonical (bytes: Uint8Array, fail: (why: CanonicalFailure, detail: string) => Error): unknown {
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
