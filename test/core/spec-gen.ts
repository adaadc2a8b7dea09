/**
 * Input generator for the spec differential test (spec-diff.test.ts): valid v1 entries of every kind
 * built from PROTOCOL.md's tables, field-level edits of them signed exactly as §4 says (so only the
 * edited rule can fail), byte-level splices for §2.1/§6.2 step 2, author ids of every form §1
 * mentions, and text made of grapheme clusters of known shape. Nothing here calls the schema code
 * under test: entries are signed over the raw map, so the reference's own checks never run.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import { base58btc } from 'multiformats/bases/base58'
import { identity } from 'multiformats/hashes/identity'
import { sha256, sha512 } from 'multiformats/hashes/sha2'
import { privateKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { Author } from '../../src/lib/core/index.js'
import { SIGNING_DOMAIN } from '../../src/lib/core/index.js'
import { T0, authorFromSeed, concat } from './helpers.js'

export type Fields = Record<string, unknown>

const domain = new TextEncoder().encode(SIGNING_DOMAIN)

/** §4 signing input of any field map (sig left out): domain ‖ canonical DAG-CBOR. No schema check. */
export function specSigningInput (fields: Fields): Uint8Array {
  const { sig: _sig, ...unsigned } = fields
  return concat(domain, dagCbor.encode(unsigned))
}

/** Sign `fields` per §4 and return the canonical entry bytes (sig added, or kept when `fields.sig` is set). */
export async function sign (author: Author, fields: Fields): Promise<Uint8Array> {
  if ('sig' in fields) return dagCbor.encode(fields)
  const sig = Uint8Array.from(await author.privateKey.sign(specSigningInput(fields)))
  return dagCbor.encode({ ...fields, sig })
}

/** Replace the first occurrence of `find` in `bytes` with `put` (byte-level edits of canonical entries). */
export function splice (bytes: Uint8Array, find: number[] | Uint8Array, put: number[] | Uint8Array): Uint8Array {
  const f = Array.from(find)
  outer: for (let i = 0; i + f.length <= bytes.length; i++) {
    for (let j = 0; j < f.length; j++) if (bytes[i + j] !== f[j]) continue outer
    return concat(bytes.subarray(0, i), Array.from(put), bytes.subarray(i + f.length))
  }
  throw new Error(`splice: pattern ${Buffer.from(f).toString('hex')} not found`)
}

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

/** CBOR text string head + UTF-8 bytes, shortest form. */
export function cborText (s: string): Uint8Array {
  return dagCbor.encode(s)
}

// --- §1 author ids of every form ---------------------------------------------------------------

/** §1 steps 1–3 for a raw 32-byte key, whatever the bytes: base58btc(00 24 08 01 12 20 ‖ key). */
export function idOfRawKey (raw: Uint8Array): string {
  return base58btc.baseEncode(concat([0x00, 0x24, 0x08, 0x01, 0x12, 0x20], raw))
}

function le32 (n: bigint): Uint8Array {
  const b = new Uint8Array(32)
  for (let i = 0; i < 32; i++) {
    b[i] = Number(n & 0xffn)
    n >>= 8n
  }
  return b
}

const P25519 = (1n << 255n) - 19n

export interface Ids {
  /** Canonical ids of fixed-seed authors. */
  a: Author
  b: Author
  /** Signer whose key is the identity point (for the Appendix A forgery). */
  identityPoint: string
  /** 32 bytes that decode to no curve point (y = 2). */
  offCurve: string
  /** y = p + 3: a non-canonical encoding of a valid, not small-order point (RFC 8032 §5.1.3 rejects y ≥ p). */
  nonCanonicalY: string
  /** All-zero key: y = 0, a point of order 4. */
  zeroKey: string
  /** a's key as CIDv1 libp2p-key in base32 (bafz…). */
  aAsCid: string
  /** a's key as CIDv1 libp2p-key in base36 (k51…). */
  aAsBase36: string
  /** a's id with a multibase 'z' prefix. */
  aWithMultibase: string
  /** a secp256k1 PeerId (16Uiu2…). */
  secp256k1: string
  /** an RSA PeerId (Qm…, a sha2-256 multihash). */
  rsa: string
  /** 60 further canonical ids (for list limits). */
  many: string[]
}

let idsCache: Promise<Ids> | undefined
export function ids (): Promise<Ids> {
  idsCache ??= (async () => {
    const a = await authorFromSeed(1)
    const b = await authorFromSeed(2)
    const aRaw = a.publicKey.raw
    const mh = concat([0x00, 0x24, 0x08, 0x01, 0x12, 0x20], aRaw)
    const keyCid = CID.createV1(0x72, identity.digest(mh.subarray(2)))
    const { base36 } = await import('multiformats/bases/base36')
    const secp = peerIdFromPrivateKey(privateKeyFromRaw(new Uint8Array(32).fill(7)))
    const many: string[] = []
    for (let i = 10; i < 70; i++) many.push((await authorFromSeed(i)).id)
    return {
      a,
      b,
      identityPoint: idOfRawKey(le32(1n)),
      offCurve: idOfRawKey(le32(2n)),
      nonCanonicalY: idOfRawKey(le32(P25519 + 3n)),
      zeroKey: idOfRawKey(new Uint8Array(32)),
      aAsCid: keyCid.toString(),
      aAsBase36: keyCid.toString(base36),
      aWithMultibase: 'z' + a.id,
      secp256k1: secp.toString(),
      rsa: 'QmcgpsyWgH8Y8ajJz1Cu72KnS5uo2Aa2LpzU7kinSupNKC',
      many
    }
  })()
  return idsCache
}

// --- links ---------------------------------------------------------------------------------

export interface Links {
  cbor: CID
  cbor2: CID
  raw: CID
  dagPb: CID
  v0: CID
  identityHash: CID
  sha512Cbor: CID
  dagJson: CID
}

let linksCache: Promise<Links> | undefined
export function links (): Promise<Links> {
  linksCache ??= (async () => {
    const d = await sha256.digest(utf8('spec-diff'))
    return {
      cbor: CID.createV1(0x71, d),
      cbor2: CID.createV1(0x71, await sha256.digest(utf8('spec-diff 2'))),
      raw: CID.createV1(0x55, d),
      dagPb: CID.createV1(0x70, d),
      v0: CID.createV0(d),
      identityHash: CID.createV1(0x71, identity.digest(utf8('inline'))),
      sha512Cbor: CID.createV1(0x71, await sha512.digest(utf8('spec-diff'))),
      dagJson: CID.createV1(0x0129, d)
    }
  })()
  return linksCache
}

// --- valid bodies of every kind (§3) -------------------------------------------------------

export async function validBodies (): Promise<Record<string, Fields>> {
  const { b } = await ids()
  const l = await links()
  return {
    post: { text: 'hello, flock' },
    like: { subject: l.cbor, author: b.id },
    repost: { subject: l.cbor, author: b.id },
    follow: { author: b.id },
    unfollow: { author: b.id },
    profile: { name: 'Alice', bio: 'bio' },
    delete: { subject: l.cbor }
  }
}

/** The eight §2 fields of a valid seq-1 entry of `kind` by a, with `body`. */
export async function header (kind: string, body: unknown): Promise<Fields> {
  const { a } = await ids()
  return { v: 1, author: a.id, seq: 1, prev: null, ts: T0, kind, body }
}

// --- text of known grapheme count (§6.1) ------------------------------------------------------

/**
 * Grapheme clusters whose UAX #29 count is known: each string is exactly one extended grapheme
 * cluster on its own. Some are chosen to sit next to ASCII (a combining mark after `a`), which is
 * where a fast path could miscount.
 */
export const ONE_GRAPHEME = [
  'a', 'Z', '0', ' ', '\r\n', 'é', 'e\u0301', 'e\u0301\u0302\u0303', '👍🏽', '🇫🇷', '👨‍👩‍👧', '❤️', '각', '\u1100\u1161\u11a8',
  'ก', 'กำ', 'क्ष', 'नि', '😀\u200d', '𝐀', '\u0000', '\ufffd', '中'
]
// U+FEFF is left out on purpose: as the first character of a string it hits a decoder bug (see the
// disagreements in spec-diff.test.ts), which would drown the grapheme cases in that one fault.
