/**
 * Shared fixtures for the core tests: fixed-seed authors, one signed entry of every kind, a way to
 * sign entries that createEntry would refuse (to reach checks that only the decoder runs), a tiny
 * hand-rolled CBOR writer for non-canonical encodings, and a seeded PRNG.
 */
import { expect } from 'vitest'
import * as dagCbor from '@ipld/dag-cbor'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import {
  SIGNING_DOMAIN_V1, authorFromPrivateKey, createEntry, signingInput, type Author, type Bodies, type EntryKind, type UnsignedEntry,
  type VerifiedEntry
} from '../../src/lib/core/index.js'

/** A fixed "now" for every entry the tests sign: 2023-11-14T22:13:20Z. */
export const T0 = 1_700_000_000_000

/** createEntry options for a version-1 entry: the tests of version-1 rules say so explicitly. */
export const V1 = { version: 1 } as const

export async function authorFromSeed (byte: number): Promise<Author> {
  return authorFromPrivateKey(await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(byte)))
}

/** CIDv1 of `text` as a raw block, standing in for media files. */
export async function rawCid (text: string): Promise<CID> {
  return CID.createV1(0x55, await sha256.digest(new TextEncoder().encode(text)))
}

/** CIDv1 dag-cbor of `text`, standing in for an entry that is not in any log. */
export async function cborCid (text: string): Promise<CID> {
  return CID.createV1(0x71, await sha256.digest(new TextEncoder().encode(text)))
}

/**
 * Sign an arbitrary set of entry fields exactly as createEntry would, but without any schema check,
 * and return the canonical DAG-CBOR bytes with `sig` added.
 */
export async function signRaw (author: Author, fields: Record<string, unknown>): Promise<Uint8Array> {
  // signingInput needs every header field; entries missing one get the same prefix over what they have.
  const complete = ['v', 'author', 'seq', 'prev', 'ts', 'kind', 'body'].every(k => k in fields)
  const input = complete
    ? signingInput(fields as unknown as UnsignedEntry)
    : Uint8Array.from([...new TextEncoder().encode(SIGNING_DOMAIN_V1), ...dagCbor.encode(fields)])
  const sig = await author.privateKey.sign(input)
  return dagCbor.encode({ ...fields, sig })
}

/** Decode bytes to a mutable plain object (no schema check). */
export function decodeRaw (bytes: Uint8Array): Record<string, unknown> {
  return dagCbor.decode(bytes) as Record<string, unknown>
}

export interface Fixtures {
  a: Author
  b: Author
  /** B's first post: the thing A's entries point at. */
  other: VerifiedEntry<'post'>
  /** A's log, one entry of each version-1 kind (seq 1…10), all version 1, created with fixed timestamps. */
  chain: Array<{ label: string, v: VerifiedEntry }>
}

let cached: Promise<Fixtures> | undefined

export function fixtures (): Promise<Fixtures> {
  cached ??= buildFixtures()
  return cached
}

async function buildFixtures (): Promise<Fixtures> {
  const a = await authorFromSeed(1)
  const b = await authorFromSeed(2)
  const other = await createEntry(b, null, 'post', { text: 'hello from b' }, T0, V1)
  const chain: Array<{ label: string, v: VerifiedEntry }> = []
  let head: VerifiedEntry | null = null
  let n = 0
  const add = async <K extends EntryKind>(label: string, kind: K, body: Bodies[K]): Promise<VerifiedEntry<K>> => {
    const v: VerifiedEntry<K> = await createEntry(a, head, kind, body, T0 + 1000 * n++, V1)
    chain.push({ label, v })
    head = v
    return v
  }
  const first = await add('post (text only)', 'post', { text: 'hi' })
  await add('post (every optional field)', 'post', {
    text: 'replying to @b with #flock and #p2p 👍🏽',
    reply: { root: other.cid, parent: other.cid },
    quote: other.cid,
    media: [
      { cid: await rawCid('img0'), mime: 'image/webp', alt: 'a cat' },
      { cid: await rawCid('img1'), mime: 'image/png', alt: '' },
      { cid: await rawCid('img2'), mime: 'image/jpeg', alt: 'e\u0301te\u0301' },
      { cid: await rawCid('img3'), mime: 'video/mp4', alt: 'a clip' }
    ],
    mentions: [b.id],
    tags: ['flock', 'p2p']
  })
  await add('post (media only, empty text)', 'post', {
    text: '',
    media: [{ cid: await rawCid('img4'), mime: 'image/gif', alt: 'dancing' }]
  })
  await add('like', 'like', { subject: other.cid, author: b.id })
  await add('repost', 'repost', { subject: other.cid, author: b.id })
  await add('follow', 'follow', { author: b.id })
  await add('unfollow', 'unfollow', { author: b.id })
  await add('profile (no avatar)', 'profile', { name: 'Alice', bio: 'writes tests' })
  await add('profile (avatar)', 'profile', { name: 'Alice 🐦', bio: '', avatar: await rawCid('avatar') })
  await add('delete', 'delete', { subject: first.cid })
  return { a, b, other, chain }
}

type ErrorClass = abstract new (...args: never[]) => Error

function checkError (err: unknown, cls: ErrorClass, name: string): Error {
  expect(err).toBeInstanceOf(cls)
  expect((err as Error).name).toBe(name)
  return err as Error
}

/**
 * Await `p`, expect it to reject with an instance of `cls` whose `name` is `name`, and return the
 * error for further checks. Names are asserted separately from classes because callers across
 * bundles tell errors apart by name.
 */
export async function rejectsWith<E extends Error> (
  p: Promise<unknown>, cls: abstract new (...args: never[]) => E, name: string
): Promise<E> {
  let err: unknown
  try {
    await p
  } catch (e) {
    err = e
  }
  if (err === undefined) expect.fail(`expected a ${name}, but it resolved`)
  return checkError(err, cls, name) as E
}

export function throwsWith<E extends Error> (
  fn: () => unknown, cls: abstract new (...args: never[]) => E, name: string
): E {
  let err: unknown
  try {
    fn()
  } catch (e) {
    err = e
  }
  if (err === undefined) expect.fail(`expected a ${name}, but nothing was thrown`)
  return checkError(err, cls, name) as E
}

export function hex (bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex')
}

export function equalBytes (x: Uint8Array, y: Uint8Array): boolean {
  return x.length === y.length && x.every((byte, i) => byte === y[i])
}

/** xorshift32: small, fast and deterministic; the fuzzers must replay the same inputs every run. */
export class Rng {
  #state: number
  constructor (seed: number) {
    this.#state = seed >>> 0 || 0x9e3779b9
  }

  next (): number {
    let x = this.#state
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    this.#state = x
    return x
  }

  /** Integer in [0, n). */
  int (n: number): number {
    return n <= 0 ? 0 : this.next() % n
  }

  bool (pTrue = 0.5): boolean {
    return this.next() / 0x1_0000_0000 < pTrue
  }

  bytes (n: number): Uint8Array {
    const out = new Uint8Array(n)
    for (let i = 0; i < n; i++) out[i] = this.next() & 0xff
    return out
  }

  pick<T> (items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list')
    return items[this.int(items.length)] as T
  }
}

/*
 * A minimal CBOR writer that does exactly what it is told, for bytes a canonical encoder refuses to
 * produce: map keys in any order, integers in wider headers than needed, floats, duplicate keys.
 */

/** A map whose pairs are written in the given order (duplicates allowed). */
export class RawMap {
  constructor (readonly pairs: Array<readonly [RawValue, RawValue]>) {}
}

/** An unsigned or negative integer written with a header of the given argument width. */
export class RawInt {
  constructor (readonly value: number, readonly width: 'minimal' | 1 | 2 | 4 | 8) {}
}

/** A float64, whatever its value. */
export class RawFloat {
  constructor (readonly value: number) {}
}

export type RawValue = null | boolean | number | string | Uint8Array | CID | RawValue[] | RawMap | RawInt | RawFloat

function header (major: number, n: number, width: 'minimal' | 1 | 2 | 4 | 8 = 'minimal'): number[] {
  const m = major << 5
  const w = width === 'minimal' ? (n < 24 ? 0 : n < 0x100 ? 1 : n < 0x10000 ? 2 : n < 0x1_0000_0000 ? 4 : 8) : width
  if (w === 0) return [m | n]
  const out: number[] = []
  let big = BigInt(n)
  for (let i = 0; i < w; i++) {
    out.unshift(Number(big & 0xffn))
    big >>= 8n
  }
  return [m | ({ 1: 24, 2: 25, 4: 26, 8: 27 } as const)[w], ...out]
}

export function encodeRawCbor (value: RawValue): Uint8Array {
  const out: number[] = []
  const write = (v: RawValue): void => {
    if (v === null) out.push(0xf6)
    else if (v === true) out.push(0xf5)
    else if (v === false) out.push(0xf4)
    else if (typeof v === 'number') write(new RawInt(v, 'minimal'))
    else if (v instanceof RawInt) out.push(...(v.value >= 0 ? header(0, v.value, v.width) : header(1, -1 - v.value, v.width)))
    else if (v instanceof RawFloat) {
      const view = new DataView(new ArrayBuffer(8))
      view.setFloat64(0, v.value)
      out.push(0xfb, ...new Uint8Array(view.buffer))
    } else if (typeof v === 'string') {
      const utf8 = new TextEncoder().encode(v)
      out.push(...header(3, utf8.length), ...utf8)
    } else if (v instanceof Uint8Array) {
      out.push(...header(2, v.length), ...v)
    } else if (Array.isArray(v)) {
      out.push(...header(4, v.length))
      v.forEach(write)
    } else if (v instanceof RawMap) {
      out.push(...header(5, v.pairs.length))
      for (const [k, val] of v.pairs) {
        write(k)
        write(val)
      }
    } else {
      // CID: tag 42 around the CID bytes behind a zero byte (the DAG-CBOR link encoding).
      out.push(0xd8, 42, ...header(2, v.bytes.length + 1), 0, ...v.bytes)
    }
  }
  write(value)
  return Uint8Array.from(out)
}

/** Canonical DAG-CBOR key order: shorter keys first, then bytewise. */
export function canonicalKeyOrder (keys: string[]): string[] {
  return [...keys].sort((x, y) => x.length - y.length || (x < y ? -1 : x > y ? 1 : 0))
}

/** Rewrite a decoded entry-like object as RawValue so single fields can be encoded by hand. */
export function toRaw (value: unknown): RawValue {
  const cid = CID.asCID(value)
  if (cid !== null) return cid
  if (value === null || typeof value === 'boolean' || typeof value === 'number' || typeof value === 'string') return value
  if (value instanceof Uint8Array) return value
  if (Array.isArray(value)) return value.map(toRaw)
  if (typeof value === 'object') {
    const obj = value as Record<string, unknown>
    return new RawMap(canonicalKeyOrder(Object.keys(obj)).map(k => [k, toRaw(obj[k])] as const))
  }
  throw new Error(`cannot write ${typeof value}`)
}

/** The bytes of `parts` one after another. */
export function concat (...parts: Array<Uint8Array | number[]>): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}
