/**
 * Input generator for the spec differential test (spec-diff.test.ts): valid entries of every kind and
 * both versions, field-level edits of them signed exactly as §4 says (so only the edited rule can
 * fail), byte-level splices for §2.1/§6.2 step 2, author ids of every form §1 mentions, text made of
 * grapheme clusters of known shape, and a reader of PROTOCOL.md's own tables (the body tables of §3,
 * the entry table of §2, the limits of §6.1, the errors of §6.3, the domains of §4), from which
 * spec-diff.test.ts derives key sets and cases. Nothing here calls the schema code under test:
 * entries are signed over the raw map, so the reference's own checks never run.
 */
import { readFileSync } from 'node:fs'
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import { base58btc } from 'multiformats/bases/base58'
import { identity } from 'multiformats/hashes/identity'
import { sha256, sha512 } from 'multiformats/hashes/sha2'
import { privateKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { Author } from '../../src/lib/core/index.js'
import { T0, authorFromSeed, concat } from './helpers.js'

export type Fields = Record<string, unknown>

// The domains as §4 and §4.2 spell them, not as constants.ts does (spec-diff compares the two).
export const DOMAIN_V1 = 'flock/entry/v1\n'
export const DOMAIN_V2 = 'flock/entry/v2\n'
export const DEVICE_DOMAIN_SPEC = 'flock/device/v2\n'
export const REVOKE_DOMAIN_SPEC = 'flock/revoke/v2\n'

/**
 * §4 signing input of any field map (sig left out): the domain of its `v` ‖ canonical DAG-CBOR. No
 * schema check. `v` = 2 takes the version-2 domain; anything else (1, or a version no domain exists
 * for) the version-1 one. `domain` overrides the choice, for entries signed under the wrong domain.
 */
export function specSigningInput (fields: Fields, domain?: string): Uint8Array {
  const { sig: _sig, ...unsigned } = fields
  return concat(utf8(domain ?? (fields.v === 2 ? DOMAIN_V2 : DOMAIN_V1)), dagCbor.encode(unsigned))
}

/** Sign `fields` per §4 and return the canonical entry bytes (sig added, or kept when `fields.sig` is set). */
export async function sign (signer: Author, fields: Fields, domain?: string): Promise<Uint8Array> {
  if ('sig' in fields) return dagCbor.encode(fields)
  const sig = Uint8Array.from(await signer.privateKey.sign(specSigningInput(fields, domain)))
  return dagCbor.encode({ ...fields, sig })
}

/** §1.1 / §4.2: the author key's `auth` over DEVICE_DOMAIN ‖ canonical {author, device}. */
export async function deviceAuth (author: Author, device: string, domain = DEVICE_DOMAIN_SPEC): Promise<Uint8Array> {
  return Uint8Array.from(await author.privateKey.sign(concat(utf8(domain), dagCbor.encode({ author: author.id, device }))))
}

/** §1.1 / §4.2: the author key's `auth` over REVOKE_DOMAIN ‖ canonical {after, author, device}. */
export async function revokeAuth (author: Author, device: string, after: number, domain = REVOKE_DOMAIN_SPEC): Promise<Uint8Array> {
  return Uint8Array.from(await author.privateKey.sign(concat(utf8(domain), dagCbor.encode({ after, author: author.id, device }))))
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
  /** Device keys of a (§1.1): d writes a device log, e is a second device. */
  d: Author
  e: Author
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
      d: await authorFromSeed(0xd1),
      e: await authorFromSeed(0xd2),
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

/** The eight §2 fields of a valid seq-1 entry of `kind` by a, with `body` (version 1 unless `v` says otherwise). */
export async function header (kind: string, body: unknown, v = 1): Promise<Fields> {
  const { a } = await ids()
  return { v, author: a.id, seq: 1, prev: null, ts: T0, kind, body }
}

/** The nine §2 fields of a version-2 entry of a's device log d (seq 2 unless patched), with `body`. */
export async function deviceHeader (kind: string, body: unknown, seq = 2): Promise<Fields> {
  const { a, d } = await ids()
  const l = await links()
  return { v: 2, author: a.id, device: d.id, seq, prev: seq === 1 ? null : l.cbor, ts: T0, kind, body }
}

/** Valid bodies of the version-2 kinds (§3): edit; device (the genesis of d's log); revoke of e. */
export async function validBodiesV2 (): Promise<Record<string, Fields>> {
  const { a, d, e } = await ids()
  const l = await links()
  return {
    edit: { subject: l.cbor, text: 'hello, flock (edited)' },
    device: { device: d.id, auth: await deviceAuth(a, d.id) },
    revoke: { device: e.id, after: 3, auth: await revokeAuth(a, e.id, 3) }
  }
}

// --- PROTOCOL.md, read as data ----------------------------------------------------------------

export const SPEC_PATH = new URL('../../src/lib/core/PROTOCOL.md', import.meta.url)

export interface SpecTable {
  /** The closest heading above the table, without its #s. */
  heading: string
  columns: string[]
  /** Cells with their backticks and bold markers removed. */
  rows: string[][]
}

/** One cell as plain text: `code` and **bold** markers dropped, whitespace trimmed. */
function cell (s: string): string {
  return s.replaceAll('`', '').replaceAll('**', '').trim()
}

/** Every Markdown table of the spec, with its heading. Tables inside fenced code blocks are skipped. */
export function specTables (text = readFileSync(SPEC_PATH, 'utf8')): SpecTable[] {
  const out: SpecTable[] = []
  let heading = ''
  let fenced = false
  let current: SpecTable | null = null
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced
    if (fenced) continue
    const h = /^#{1,4} (.*)$/.exec(line)
    if (h !== null) heading = (h[1] as string).trim()
    if (!line.startsWith('|')) {
      current = null
      continue
    }
    const cells = line.slice(1, line.endsWith('|') ? -1 : undefined).split('|').map(cell)
    if (current === null) {
      current = { heading, columns: cells, rows: [] }
      out.push(current)
    } else if (!cells.every(c => /^:?-+:?$/.test(c))) {
      current.rows.push(cells)
    }
  }
  return out
}

/** A body field as a §3 table lists it. */
export interface SpecField {
  key: string
  required: boolean
  /** Marked "v2" in the required column: unknown in version 1. */
  v2Only: boolean
  type: string
  rule: string
}

/** A §3 body table: the kinds its heading names, and its fields. */
export interface SpecBody {
  kinds: string[]
  /** The heading says "(v2)": the kinds exist in version 2 only. */
  v2Only: boolean
  fields: SpecField[]
}

function fieldsOf (t: SpecTable): SpecField[] {
  const at = (name: string): number => {
    const i = t.columns.indexOf(name)
    if (i < 0) throw new Error(`table under "${t.heading}" has no column "${name}"`)
    return i
  }
  return t.rows.map(r => ({
    key: r[at('key')] as string,
    required: /^yes\b/.test(r[at('required')] as string),
    v2Only: /\bv2\b/.test(r[at('required')] as string),
    type: r[at('type')] as string,
    rule: r[at('rule')] as string
  }))
}

/**
 * §3's body tables (columns key | required | type | rule), one per kind heading. The post heading has
 * two: the body, then the media item, returned as `mediaItem`.
 */
export function specBodies (tables = specTables()): { bodies: SpecBody[], mediaItem: SpecField[] } {
  const bodies: SpecBody[] = []
  let mediaItem: SpecField[] | undefined
  for (const t of tables) {
    if (t.columns.join('|') !== 'key|required|type|rule') continue
    const v2Only = /\(v2\)/.test(t.heading)
    const kinds = t.heading.replace(/\(v2\)/, '').split(',').map(k => k.trim())
    if (kinds.length === 1 && kinds[0] === 'post' && bodies.some(b => b.kinds.includes('post'))) {
      mediaItem = fieldsOf(t)
      continue
    }
    bodies.push({ kinds, v2Only, fields: fieldsOf(t) })
  }
  if (mediaItem === undefined) throw new Error('PROTOCOL.md: no media item table under ### post')
  return { bodies, mediaItem }
}

/** §2's entry table: key, DAG-CBOR type, and whether it is the optional version-2 key. */
export function specEntryKeys (tables = specTables()): Array<{ key: string, type: string, v2Only: boolean, optional: boolean }> {
  const t = tables.find(t => t.columns.join('|') === 'key|DAG-CBOR type|meaning')
  if (t === undefined) throw new Error('PROTOCOL.md: no entry table in §2')
  return t.rows.map(r => ({ key: r[0] as string, type: r[1] as string, v2Only: /v2 only/.test(r[1] as string), optional: /optional/.test(r[1] as string) }))
}

/** §6.1's limits: constant name(s) → the value column as written. */
export function specLimits (tables = specTables()): Map<string, string> {
  const t = tables.find(t => t.columns.join('|') === 'constant|value|what it limits')
  if (t === undefined) throw new Error('PROTOCOL.md: no limits table in §6.1')
  return new Map(t.rows.map(r => [r[0] as string, r[1] as string]))
}

/** §6.3's error classes: name, code, step. */
export function specErrors (tables = specTables()): Array<{ name: string, code: string, step: string }> {
  const t = tables.find(t => t.columns.join('|') === 'name|code|step|raised when')
  if (t === undefined) throw new Error('PROTOCOL.md: no error table in §6.3')
  return t.rows.map(r => ({ name: r[0] as string, code: r[1] as string, step: r[2] as string }))
}

/** §4's signing domains: v → { constant, domain (with a real newline), the bytes column }. */
export function specDomains (tables = specTables()): Array<{ v: number, constant: string, domain: string, bytes: string }> {
  const t = tables.find(t => t.columns[0] === 'v' && t.columns[1] === 'constant' && t.columns[2] === 'domain')
  if (t === undefined) throw new Error('PROTOCOL.md: no signing domain table in §4')
  return t.rows.map(r => ({ v: Number(r[0]), constant: r[1] as string, domain: (r[2] as string).replace(/\\n$/, '\n'), bytes: r[3] as string }))
}

/** A regular expression the spec writes in backticks right after `marker` (first match). */
export function specRegex (marker: RegExp, text = readFileSync(SPEC_PATH, 'utf8')): RegExp {
  const m = new RegExp(marker.source + '[^`]*`(\\^[^`]+\\$)`').exec(text)
  if (m === null) throw new Error(`PROTOCOL.md: no regex after ${String(marker)}`)
  return new RegExp(m[1] as string)
}

/** The regex in the first fenced block after `marker` whose only line starts with ^ (the handle syntax). */
export function specFencedRegex (marker: RegExp, text = readFileSync(SPEC_PATH, 'utf8')): RegExp {
  const from = text.search(marker)
  if (from < 0) throw new Error(`PROTOCOL.md: no ${String(marker)}`)
  const m = /```\n(\^[^\n]+\$)\n```/.exec(text.slice(from))
  if (m === null) throw new Error(`PROTOCOL.md: no fenced regex after ${String(marker)}`)
  return new RegExp(m[1] as string)
}

/** §3.1's list of known kinds: those of both versions, and those of version 2 only. */
export function specKnownKinds (text = readFileSync(SPEC_PATH, 'utf8')): { both: string[], v2Only: string[] } {
  const m = /\*\*Known kinds\*\* are ([^(]*)\(both\s+versions\) and ([^(]*)\(v2 only\)/.exec(text)
  if (m === null) throw new Error('PROTOCOL.md: no list of known kinds in §3.1')
  const names = (s: string): string[] => [...s.matchAll(/`([a-z-]+)`/g)].map(x => x[1] as string)
  return { both: names(m[1] as string), v2Only: names(m[2] as string) }
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
