/**
 * Differential test: PROTOCOL.md (§1.1 devices, §2 entry fields, §2.1 canonical DAG-CBOR, §3 kinds
 * and bodies, §3.1 extension rules, §4 signing, §5 CIDs, §6 limits, validation order and errors,
 * §8 verdicts) against the reference implementation, for entries of both versions.
 *
 * Every case below was written from the spec text: its expected outcome is what the spec says
 * (accept, or the error class of the first failing step of §6.2), and it names the section it comes
 * from. Part of them is generated from the spec's own tables, read by spec-gen.ts: the body key sets
 * of §3 (required, optional, version-2 only), the entry keys of §2, the kind and handle syntax, and
 * the limits, errors, domains and verdicts the last describe blocks compare with constants.ts,
 * errors.ts and log.ts. Inputs are signed over the raw field map per §4 (spec-gen.ts `sign`), so the
 * reference's own schema checks never run while building them: an entry fails only by the rule the
 * case breaks. Cases without an explicit version are version 1 (the strict rules); the version-2
 * cases build on them.
 *
 * Where the two disagreed, one side was fixed and the case moved to `settled disagreements` below;
 * a new disagreement is decided the same way, never left as a skipped or expected-to-fail test.
 */
import { describe, expect, test } from 'vitest'
import * as dagCbor from '@ipld/dag-cbor'
import { createPublicKey, verify as nodeVerify } from 'node:crypto'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import * as core from '../../src/lib/core/index.js'
import {
  AuthorLog, checkNext, createEntry, deviceBody, gossipVerdict, headOf, cborDepth, revokeBody, validateEntry, verifyEntry,
  EntrySchemaError, FlockError, TextTooLongError, ENTRY_KINDS, MAX_ENTRY_BYTES, MAX_KIND_LENGTH, V1_KINDS,
  type Bodies, type Decision, type EntryKind, type VerifiedEntry
} from '../../src/lib/core/index.js'
import { RawFloat, RawMap, T0, V1, authorFromSeed, concat, encodeRawCbor, hex, Rng, toRaw, type RawValue } from './helpers.js'
import {
  DEVICE_DOMAIN_SPEC, DOMAIN_V1, DOMAIN_V2, ONE_GRAPHEME, REVOKE_DOMAIN_SPEC, SPEC_PATH, cborText, deviceAuth, deviceHeader, header, ids, links, revokeAuth, sign,
  specBodies, specDomains, specEntryKeys, specErrors, specFencedRegex, specKnownKinds, specLimits, specRegex, specSigningInput,
  specTables, splice, utf8, validBodies, validBodiesV2, type Fields
} from './spec-gen.js'
import { readFileSync } from 'node:fs'
import { peerIdFromString } from '@libp2p/peer-id'

type ErrorName =
  | 'EntryTooLargeError' | 'EntryDecodeError' | 'NonCanonicalEncodingError' | 'UnsupportedVersionError'
  | 'EntrySchemaError' | 'TextTooLongError' | 'InvalidAuthorError' | 'InvalidSignatureError'
  | 'WrongAuthorError' | 'DuplicateEntryError' | 'ForkError' | 'SeqGapError' | 'PrevMismatchError'
  | 'TimestampRegressionError' | 'FutureTimestampError' | 'VersionRegressionError'
type Outcome = 'accept' | ErrorName

interface Case {
  /** PROTOCOL.md section the expectation comes from. */
  section: string
  name: string
  bytes: () => Promise<Uint8Array>
  /** What the spec says; a list where the spec allows more than one reading (see the report's ambiguities). */
  spec: Outcome | Outcome[]
  /** For ordering cases inside step 3: the `field` path the first failing rule must carry. */
  field?: string
}

/** Step 2 (§6.2): either class of the decode step. Used where the spec names the step but not the class. */
const STEP2: Outcome[] = ['EntryDecodeError', 'NonCanonicalEncodingError']

const I = await ids()
const L = await links()
const BODIES = await validBodies()
const { a, b } = I
const SPEC_TEXT = readFileSync(SPEC_PATH, 'utf8')
const TABLES = specTables(SPEC_TEXT)
const SPEC_BODIES = specBodies(TABLES)
/** §3.1: the kinds of version 1 and the kinds version 2 adds, as the spec lists them. */
const KNOWN = specKnownKinds(SPEC_TEXT)
const KINDS = KNOWN.both
const OMIT = Symbol('omit')

/** An edit of a valid seq-1 entry: top-level fields replaced (OMIT removes one). */
type Patch = Record<string, unknown>

function apply (base: Fields, patch: Patch): Fields {
  const out: Fields = { ...base }
  for (const [k, v] of Object.entries(patch)) {
    if (v === OMIT) delete out[k]
    // defineProperty, not assignment: a "__proto__" key must become an own property (a map key), not the prototype.
    else Object.defineProperty(out, k, { value: v, enumerable: true, configurable: true, writable: true })
  }
  return out
}

/** A signed entry of `kind`: its valid body edited by `bodyPatch`, the header by `patch`. */
function entry (kind: string, bodyPatch: Patch = {}, patch: Patch = {}, signer = a): () => Promise<Uint8Array> {
  return async () => {
    const body = apply(BODIES[kind] ?? {}, bodyPatch)
    return await sign(signer, apply(await header(kind, body), patch))
  }
}

/** A signed entry of `kind` whose body is exactly `body` (not a patch of the valid one). */
function withBody (kind: string, body: unknown, patch: Patch = {}): () => Promise<Uint8Array> {
  return async () => await sign(a, apply(await header(kind, body), patch))
}

const post = (bodyPatch: Patch, patch: Patch = {}): () => Promise<Uint8Array> => entry('post', bodyPatch, patch)

/** A canonical entry whose fields are exactly `fields` (signed over what is there, §4). */
function raw (fields: Fields): () => Promise<Uint8Array> {
  return async () => await sign(a, fields)
}

const media = (n: number, item: Patch = {}): Fields[] =>
  Array.from({ length: n }, (_, i) => apply({ cid: i === 0 ? L.raw : L.dagPb, mime: 'image/webp', alt: `item ${i}` }, item))
const zeroSig = new Uint8Array(64)
const rep = (unit: string, n: number): string => unit.repeat(n)

async function outcome (bytes: Uint8Array): Promise<{ name: string, field?: string }> {
  try {
    await verifyEntry(bytes)
    return { name: 'accept' }
  } catch (err) {
    if (!(err instanceof FlockError)) return { name: `non-FlockError ${String(err)}` }
    return err instanceof EntrySchemaError || err instanceof TextTooLongError ? { name: err.name, field: err.field } : { name: err.name }
  }
}

async function check (c: Case): Promise<void> {
  const bytes = await c.bytes()
  const got = await outcome(bytes)
  const shown = bytes.length > 200 ? `${hex(bytes.subarray(0, 200))}… (${bytes.length} bytes)` : hex(bytes)
  if (Array.isArray(c.spec)) {
    expect(c.spec, shown).toContain(got.name)
    return
  }
  expect(`${got.name}${got.field !== undefined && c.field !== undefined ? ` @${got.field}` : ''}`, shown).toBe(`${c.spec}${c.field !== undefined ? ` @${c.field}` : ''}`)
}

// ----------------------------------------------------------------------------------------------
// §6.1/§6.2 step 1: size
// ----------------------------------------------------------------------------------------------

/** A post of exactly `target` bytes: text 'a' + combining marks (one grapheme) + padding. */
async function sizedPost (target: number, patch: Patch = {}): Promise<Uint8Array> {
  const sizeOf = async (text: string): Promise<number> => dagCbor.encode({ ...apply(await header('post', { text }), patch), sig: zeroSig }).length
  const base = await sizeOf('a')
  for (let n = Math.max(0, Math.floor((target - base) / 2) - 4); n < target; n++) {
    for (const pad of ['', 'b']) {
      const text = 'a' + '\u0301'.repeat(n) + pad
      const size = await sizeOf(text)
      if (size === target) return await sign(a, apply(await header('post', { text }), patch))
      if (size > target + 2) throw new Error(`no post of ${target} bytes`)
    }
  }
  throw new Error(`no post of ${target} bytes`)
}

const sizeCases: Case[] = [
  { section: '§6.1 MAX_ENTRY_BYTES', name: 'post of exactly 8192 bytes', bytes: () => sizedPost(MAX_ENTRY_BYTES), spec: 'accept' },
  { section: '§6.2 step 1', name: 'otherwise valid post of 8193 bytes', bytes: () => sizedPost(MAX_ENTRY_BYTES + 1), spec: 'EntryTooLargeError' },
  { section: '§6.2 step 1', name: '8193 bytes of garbage (not CBOR)', bytes: async () => new Uint8Array(MAX_ENTRY_BYTES + 1).fill(0xff), spec: 'EntryTooLargeError' },
  { section: '§6.2 step 1 before 3.2', name: '8193 bytes with v = 3', bytes: () => sizedPost(MAX_ENTRY_BYTES + 1, { v: 3 }), spec: 'EntryTooLargeError' },
  { section: '§6.2 step 1 (v2)', name: 'otherwise valid version-2 post of 8193 bytes', bytes: () => sizedPost(MAX_ENTRY_BYTES + 1, { v: 2 }), spec: 'EntryTooLargeError' },
  { section: '§6.1 MAX_ENTRY_BYTES (v2)', name: 'version-2 post of exactly 8192 bytes', bytes: () => sizedPost(MAX_ENTRY_BYTES, { v: 2 }), spec: 'accept' },
  {
    section: '§6.2 step 1 before 2',
    name: '8193 bytes, keys out of order',
    bytes: async () => {
      const ok = await sizedPost(MAX_ENTRY_BYTES + 1)
      const f = dagCbor.decode(ok) as Fields
      return encodeRawCbor(new RawMap(Object.keys(f).sort().map(k => [k, toRaw(f[k])] as const)))
    },
    spec: 'EntryTooLargeError'
  }
]

// ----------------------------------------------------------------------------------------------
// §2.1 / §6.2 step 2: decode and canonical form
// ----------------------------------------------------------------------------------------------

const minimal = post({})
const TS_BYTES = [0x1b, ...Array.from(new Uint8Array(new BigUint64Array([BigInt(T0)]).buffer).reverse())]

function rawMapOf (fields: Fields, order?: string[]): RawMap {
  return new RawMap((order ?? Object.keys(fields)).map(k => [k, fields[k] instanceof RawMap ? fields[k] : toRaw(fields[k])] as const))
}
const canonicalOrder = ['v', 'ts', 'seq', 'sig', 'body', 'kind', 'prev', 'author']

/** The minimal post as hand-written CBOR with field `key` replaced by `value` (canonical key order kept). */
function handWritten (replace: Record<string, RawValue>, extra: Array<readonly [RawValue, RawValue]> = []): () => Promise<Uint8Array> {
  return async () => {
    const f = dagCbor.decode(await minimal()) as Fields
    const pairs = canonicalOrder.map(k => [k, k in replace ? replace[k] as RawValue : toRaw(f[k])] as const)
    return encodeRawCbor(new RawMap([...pairs, ...extra]))
  }
}

function nested (depth: number, leaf: unknown): unknown {
  let v: unknown = leaf
  for (let i = 0; i < depth; i++) v = [v]
  return v
}

const decodeCases: Case[] = [
  { section: '§6.2 step 2', name: 'empty input', bytes: async () => new Uint8Array(0), spec: 'EntryDecodeError' },
  { section: '§6.2 step 2', name: 'truncated by one byte', bytes: async () => (await minimal()).subarray(0, -1), spec: 'EntryDecodeError' },
  { section: '§2.1 one data item', name: 'trailing 0x00', bytes: async () => concat(await minimal(), [0]), spec: 'EntryDecodeError' },
  { section: '§2.1 one data item', name: 'two entries back to back', bytes: async () => concat(await minimal(), await minimal()), spec: 'EntryDecodeError' },
  { section: '§2.1 definite lengths', name: 'indefinite-length map', bytes: async () => concat([0xbf], (await minimal()).subarray(1), [0xff]), spec: 'EntryDecodeError' },
  { section: '§2.1 definite lengths', name: 'indefinite-length text for kind', bytes: async () => splice(await minimal(), [0x64, ...utf8('post')], [0x7f, 0x62, ...utf8('po'), 0x62, ...utf8('st'), 0xff]), spec: 'EntryDecodeError' },
  { section: '§2.1 shortest form', name: 'v = 1 written as 0x18 0x01', bytes: async () => splice(await minimal(), [0x61, 0x76, 0x01], [0x61, 0x76, 0x18, 0x01]), spec: 'EntryDecodeError' },
  { section: '§2.1 shortest form', name: 'map header a8 written as b8 08', bytes: async () => concat([0xb8, 0x08], (await minimal()).subarray(1)), spec: 'EntryDecodeError' },
  { section: '§2.1 shortest form', name: 'kind length written as 78 04', bytes: async () => splice(await minimal(), [0x64, ...utf8('post')], [0x78, 0x04, ...utf8('post')]), spec: 'EntryDecodeError' },
  { section: '§2.1 shortest form', name: 'seq 1 written as 0x19 0x0001', bytes: async () => splice(await minimal(), [0x63, ...utf8('seq'), 0x01], [0x63, ...utf8('seq'), 0x19, 0x00, 0x01]), spec: 'EntryDecodeError' },
  { section: '§2.1 only tag 42', name: 'ts wrapped in tag 1', bytes: async () => splice(await minimal(), TS_BYTES, [0xc1, ...TS_BYTES]), spec: 'EntryDecodeError' },
  { section: '§2.1 only tag 42', name: 'text wrapped in tag 42', bytes: async () => splice(await minimal(), cborText('hello, flock'), [0xd8, 0x2a, ...cborText('hello, flock')]), spec: 'EntryDecodeError' },
  {
    section: '§2.1 tag 42 = 00 ‖ CID',
    name: 'quote link without the 00 prefix',
    bytes: async () => splice(await post({ quote: L.cbor })(), [0xd8, 0x2a, 0x58, 0x25, 0x00], [0xd8, 0x2a, 0x58, 0x24]),
    spec: 'EntryDecodeError'
  },
  {
    section: '§2.1 tag 42 = 00 ‖ CID',
    name: 'quote link with a byte after the CID',
    bytes: async () => splice(await post({ quote: L.cbor })(), [0xd8, 0x2a, 0x58, 0x25, 0x00, ...L.cbor.bytes], [0xd8, 0x2a, 0x58, 0x26, 0x00, ...L.cbor.bytes, 0x00]),
    spec: 'EntryDecodeError'
  },
  { section: '§2.1 map keys are text', name: 'integer map key in the entry', bytes: handWritten({}, [[1, 1]]), spec: 'EntryDecodeError' },
  { section: '§2.1 map keys unique', name: 'second "kind" key', bytes: handWritten({}, [['kind', 'post']]), spec: 'EntryDecodeError' },
  { section: '§2.1 floats never NaN', name: 'ts is a float64 NaN', bytes: handWritten({ ts: new RawFloat(NaN) }), spec: 'EntryDecodeError' },
  { section: '§2.1 floats never infinite', name: 'ts is +Infinity', bytes: handWritten({ ts: new RawFloat(Infinity) }), spec: 'EntryDecodeError' },
  { section: '§2.1 simple values', name: 'prev is simple value 16 (0xf0)', bytes: async () => splice(await minimal(), [0x64, ...utf8('prev'), 0xf6], [0x64, ...utf8('prev'), 0xf0]), spec: 'EntryDecodeError' },
  { section: '§2.1 simple values', name: 'prev is simple value 32 (0xf8 0x20)', bytes: async () => splice(await minimal(), [0x64, ...utf8('prev'), 0xf6], [0x64, ...utf8('prev'), 0xf8, 0x20]), spec: 'EntryDecodeError' },
  { section: '§6.2 step 2 re-encode', name: 'keys sorted alphabetically', bytes: async () => { const f = dagCbor.decode(await minimal()) as Fields; return encodeRawCbor(rawMapOf(f, Object.keys(f).sort())) }, spec: 'NonCanonicalEncodingError' },
  { section: '§6.2 step 2 re-encode', name: 'body keys out of order (reply before text)', bytes: async () => {
    const f = dagCbor.decode(await post({ reply: { root: L.cbor, parent: L.cbor } })()) as Fields
    const body = f.body as Fields
    return encodeRawCbor(new RawMap(canonicalOrder.map(k => [k, k === 'body' ? new RawMap([['reply', toRaw(body.reply)], ['text', toRaw(body.text)]]) : toRaw(f[k])] as const)))
  }, spec: 'NonCanonicalEncodingError' },
  { section: '§2.1 integer as float', name: 'v = 1.0 (float64)', bytes: handWritten({ v: new RawFloat(1) }), spec: 'NonCanonicalEncodingError' },
  { section: '§2.1 integer as float', name: 'ts as float64 of the same value', bytes: handWritten({ ts: new RawFloat(T0) }), spec: 'NonCanonicalEncodingError' },
  { section: '§2.1 integer as float', name: 'seq = 1.0 (float64)', bytes: handWritten({ seq: new RawFloat(1) }), spec: 'NonCanonicalEncodingError' },
  { section: '§2.1 floats are 64-bit', name: 'seq as float16 1.5 (f9 3e00)', bytes: async () => splice(await minimal(), [0x63, ...utf8('seq'), 0x01], [0x63, ...utf8('seq'), 0xf9, 0x3e, 0x00]), spec: 'NonCanonicalEncodingError' },
  { section: '§2.1 floats are 64-bit', name: 'seq as float32 1.5 (fa 3fc00000)', bytes: async () => splice(await minimal(), [0x63, ...utf8('seq'), 0x01], [0x63, ...utf8('seq'), 0xfa, 0x3f, 0xc0, 0x00, 0x00]), spec: 'NonCanonicalEncodingError' },
  { section: '§6.2 step 2 undefined', name: 'prev as undefined (0xf7)', bytes: async () => splice(await minimal(), [0x64, ...utf8('prev'), 0xf6], [0x64, ...utf8('prev'), 0xf7]), spec: 'NonCanonicalEncodingError' },
  { section: '§2.1 valid UTF-8', name: '0xff inside the text', bytes: async () => splice(await minimal(), [0x6c, ...utf8('hello, flock')], [0x6c, ...utf8('hello,'), 0xff, ...utf8('flock')]), spec: 'NonCanonicalEncodingError' },
  { section: '§2.1 valid UTF-8', name: 'overlong "/" (c0 af) inside the text', bytes: async () => splice(await minimal(), [0x6c, ...utf8('hello, flock')], [0x6c, ...utf8('hello, flo'), 0xc0, 0xaf]), spec: 'NonCanonicalEncodingError' },
  { section: '§2.1 valid UTF-8', name: 'UTF-8 encoded surrogate (ed a0 80) inside the text', bytes: async () => splice(await minimal(), [0x6c, ...utf8('hello, flock')], [0x6c, ...utf8('hello, fl'), 0xed, 0xa0, 0x80]), spec: 'NonCanonicalEncodingError' },
  { section: '§2.1 valid UTF-8', name: 'invalid UTF-8 in a map key', bytes: async () => splice(await minimal(), [0x64, ...utf8('kind')], [0x64, 0x6b, 0x69, 0x6e, 0xff]), spec: 'NonCanonicalEncodingError' },
  { section: '§2.1 MAX_CBOR_DEPTH', name: 'depth 16 (entry, body, 14 arrays in an unknown key): decodes, then schema', bytes: post({ x: nested(14, 1) }), spec: 'EntrySchemaError' },
  { section: '§2.1 MAX_CBOR_DEPTH', name: 'depth 17 is refused before decoding', bytes: post({ x: nested(15, 1) }), spec: STEP2 },
  { section: '§2.1 MAX_CBOR_DEPTH (tags count)', name: 'depth 16 ending in a tag 42 link', bytes: post({ x: nested(13, L.cbor) }), spec: 'EntrySchemaError' },
  { section: '§2.1 MAX_CBOR_DEPTH (tags count)', name: 'depth 17 ending in a tag 42 link', bytes: post({ x: nested(14, L.cbor) }), spec: STEP2 },
  {
    section: '§2.1 key order: UTF-8 length, then bytes',
    name: 'unknown body keys "ab" then "é" (2 UTF-8 bytes each, bytewise order): canonical, then schema',
    bytes: async () => encodeRawCbor(rawMapOf({ ...(dagCbor.decode(await minimal()) as Fields), body: new RawMap([['ab', 1], ['é', 1], ['text', 'x']]) as unknown }, canonicalOrder)),
    spec: 'EntrySchemaError',
    field: 'body.ab'
  },
  {
    section: '§2.1 key order: UTF-8 length, then bytes',
    name: 'unknown body keys "é" then "ab" (UTF-16 length order): not canonical',
    bytes: async () => encodeRawCbor(rawMapOf({ ...(dagCbor.decode(await minimal()) as Fields), body: new RawMap([['é', 1], ['ab', 1], ['text', 'x']]) as unknown }, canonicalOrder)),
    spec: 'NonCanonicalEncodingError'
  },
  {
    section: '§2.1 key order: UTF-8 length, then bytes',
    name: 'unknown body keys "text" then "€€" (4 < 6 UTF-8 bytes, though 4 > 2 UTF-16 units): canonical, then schema',
    bytes: async () => encodeRawCbor(rawMapOf({ ...(dagCbor.decode(await minimal()) as Fields), body: new RawMap([['text', 'x'], ['€€', 1]]) as unknown }, canonicalOrder)),
    spec: 'EntrySchemaError',
    field: 'body.€€'
  },
  { section: '§2.1 tag 42 = 00 ‖ CID', name: 'tag 42 holding 00 ‖ a "CIDv2"', bytes: async () => splice(await post({ quote: L.cbor })(), [0x00, 0x01, 0x71, 0x12, 0x20], [0x00, 0x02, 0x71, 0x12, 0x20]), spec: 'EntryDecodeError' },
  { section: '§2.1 tag 42 = 00 ‖ CID', name: 'tag 42 holding a CID whose digest is one byte short', bytes: async () => splice(await post({ quote: L.cbor })(), [0x58, 0x25, 0x00, 0x01, 0x71, 0x12, 0x20], [0x58, 0x25, 0x00, 0x01, 0x71, 0x12, 0x21]), spec: 'EntryDecodeError' },
  // Ambiguity: is float −0.0 "an integer written as a float" (step 2) or a float where an integer belongs (step 3)?
  { section: '§2.1 / §2 ts (ambiguous class)', name: 'ts as float64 −0.0', bytes: handWritten({ ts: new RawFloat(-0) }), spec: ['NonCanonicalEncodingError', 'EntrySchemaError'] },
  { section: '§2.1 valid UTF-8 (U+FEFF not first)', name: 'text with U+FEFF in the middle', bytes: post({ text: 'a\ufeffb' }), spec: 'accept' },
  { section: '§6.2 step 2 before 3.2', name: 'v = 3 with keys out of order', bytes: async () => { const f = dagCbor.decode(await post({}, { v: 3 })()) as Fields; return encodeRawCbor(rawMapOf(f, Object.keys(f).sort())) }, spec: 'NonCanonicalEncodingError' },
  { section: '§6.2 step 2 before 3', name: 'unknown key and integer as float', bytes: handWritten({ ts: new RawFloat(T0) }, [['zzzzzzzzz', 1]]), spec: 'NonCanonicalEncodingError' }
]

// ----------------------------------------------------------------------------------------------
// §6.2 step 3.1–3.4: map, version, key set, sig
// ----------------------------------------------------------------------------------------------

const envelopeCases: Case[] = [
  ...([['list', [1, 2]], ['integer', 1], ['text', 'entry'], ['bytes', new Uint8Array(8)], ['null', null], ['true', true], ['a CID link', L.cbor], ['empty map', {}]] as const)
    .map(([what, v]): Case => ({
      section: '§6.2 step 3.1', name: `top-level value is ${what}`, bytes: async () => dagCbor.encode(v), spec: 'EntrySchemaError'
    })),
  { section: '§6.2 step 3.2', name: 'no v', bytes: post({}, { v: OMIT }), spec: 'EntrySchemaError', field: 'v' },
  { section: '§6.2 step 3.2', name: 'no v, and an unknown key', bytes: post({}, { v: OMIT, lang: 'en' }), spec: 'EntrySchemaError', field: 'v' },
  ...([0, 3, 4, 255, -1, '1', '2', null, true, false, new Uint8Array([1]), [1], [2], { v: 1 }, 2n ** 53n, 2n ** 64n - 1n, 1.5, 2.5] as const).map((v): Case => ({
    section: '§6.2 step 3.2', name: `v = ${typeof v === 'bigint' ? `${v}n` : JSON.stringify(v instanceof Uint8Array ? 'bytes' : v)}`, bytes: post({}, { v }), spec: 'UnsupportedVersionError'
  })),
  { section: '§6.2 step 3.2 before 3.3', name: 'v = 3 with an unknown key', bytes: post({}, { v: 3, lang: 'en' }), spec: 'UnsupportedVersionError' },
  { section: '§6.2 step 3.2 before 3.3', name: 'v = 3 with only {v}', bytes: raw({ v: 3 }), spec: 'UnsupportedVersionError' },
  { section: '§6.2 step 3.2 before 3.4–3.6', name: 'v = 3 with bad sig, author, seq and body', bytes: async () => dagCbor.encode({ v: 3, author: 'x', seq: 0, prev: 1, ts: -1, kind: 'poll', body: [], sig: new Uint8Array(1) }), spec: 'UnsupportedVersionError' },
  { section: '§6.2 step 3.2 before 3.3', name: 'v = 3 with a device key', bytes: post({}, { v: 3, device: I.d.id }), spec: 'UnsupportedVersionError' },
  ...['author', 'seq', 'prev', 'ts', 'kind', 'body'].map((k): Case => ({ section: '§2 / §6.2 step 3.3', name: `no ${k}`, bytes: post({}, { [k]: OMIT }), spec: 'EntrySchemaError' })),
  { section: '§2 / §6.2 step 3.3', name: 'no sig', bytes: async () => dagCbor.encode(await header('post', BODIES.post)), spec: 'EntrySchemaError' },
  ...['lang', 'x', 'V', 'Sig', '', '__proto__', 'toString', 'constructor', 'sig2'].map((k): Case => ({
    section: '§2 / §3 unknown keys', name: `unknown top-level key ${JSON.stringify(k)}`, bytes: post({}, { [k]: 1 }), spec: 'EntrySchemaError'
  })),
  { section: '§6.2 step 3.3 before 3.4', name: 'unknown key and a 63-byte sig', bytes: post({}, { lang: 'en', sig: new Uint8Array(63) }), spec: 'EntrySchemaError' },
  { section: '§6.2 step 3.3 before 3.5', name: 'unknown key and an invalid author', bytes: post({}, { lang: 'en', author: 'alice' }), spec: 'EntrySchemaError' },
  ...([['63 bytes', new Uint8Array(63)], ['65 bytes', new Uint8Array(65)], ['0 bytes', new Uint8Array(0)], ['a text string', 'x'.repeat(64)], ['null', null], ['a list of 64 ints', Array(64).fill(0)], ['an integer', 0]] as const)
    .map(([what, sig]): Case => ({ section: '§2 sig / §6.2 step 3.4', name: `sig is ${what}`, bytes: post({}, { sig }), spec: 'EntrySchemaError', field: 'sig' })),
  { section: '§6.2 step 3.4 before 3.5', name: '63-byte sig and author "alice"', bytes: post({}, { sig: new Uint8Array(63), author: 'alice' }), spec: 'EntrySchemaError', field: 'sig' },
  { section: '§6.2 step 3.4 before 3.6', name: '63-byte sig and 501-grapheme text', bytes: post({ text: rep('a', 501) }, { sig: new Uint8Array(63) }), spec: 'EntrySchemaError', field: 'sig' }
]

// ----------------------------------------------------------------------------------------------
// §1 / §6.2 step 3.5: author
// ----------------------------------------------------------------------------------------------

const authorCases: Case[] = [
  { section: '§1', name: 'canonical id', bytes: post({}), spec: 'accept' },
  ...([
    ['"alice"', 'alice'], ['empty string', ''], ['CIDv1 libp2p-key base32 (bafz…)', I.aAsCid], ['CIDv1 libp2p-key base36 (k51…)', I.aAsBase36],
    ['multibase z prefix', I.aWithMultibase], ['secp256k1 PeerId', I.secp256k1], ['RSA PeerId (Qm…)', I.rsa],
    ['truncated by one character', a.id.slice(0, -1)], ['one extra character', a.id + '1'], ['leading "1" (a zero byte)', '1' + a.id],
    ['lowercased', a.id.toLowerCase()], ['trailing space', a.id + ' '], ['trailing newline', a.id + '\n'], ['NUL inside', a.id.slice(0, 10) + '\0' + a.id.slice(10)]
  ] as const).map(([what, id]): Case => ({ section: '§1 canonical form / §6.2 step 3.5', name: `author is ${what}`, bytes: post({}, { author: id }), spec: 'InvalidAuthorError' })),
  ...([['an integer', 1], ['bytes', utf8(a.id)], ['null', null], ['a list', [a.id]], ['a map', { id: a.id }]] as const)
    .map(([what, id]): Case => ({ section: '§2 author: text string / §6.2 step 3.5', name: `author is ${what}`, bytes: post({}, { author: id }), spec: 'EntrySchemaError', field: 'author' })),
  { section: '§6.2 step 3.5 before 3.6', name: 'invalid author and seq 0', bytes: post({}, { author: 'alice', seq: 0 }), spec: 'InvalidAuthorError' },
  { section: '§6.2 step 3.5 before 3.6', name: 'invalid author and unknown kind', bytes: post({}, { author: I.secp256k1, kind: 'poll' }), spec: 'InvalidAuthorError' },
  { section: '§6.2 step 3.5 before 3.6', name: 'invalid author and 501-grapheme text', bytes: post({ text: rep('a', 501) }, { author: I.aAsCid }), spec: 'InvalidAuthorError' },
  { section: '§6.2 step 3.5 before 4', name: 'invalid author and a zero signature', bytes: post({}, { author: 'alice', sig: zeroSig }), spec: 'InvalidAuthorError' },
  { section: '§4 / §6.2 step 4', name: 'another valid author than the signer', bytes: post({}, { author: b.id }), spec: 'InvalidSignatureError' }
]

// ----------------------------------------------------------------------------------------------
// §2 / §6.2 step 3.6: seq, prev, ts, kind, body (in that order)
// ----------------------------------------------------------------------------------------------

const MAX = 2 ** 53 - 1
const headerCases: Case[] = [
  // seq
  { section: '§2 seq', name: 'seq 1, prev null', bytes: post({}), spec: 'accept' },
  { section: '§2 seq', name: 'seq 2, prev dag-cbor CIDv1', bytes: post({}, { seq: 2, prev: L.cbor }), spec: 'accept' },
  { section: '§2 seq 1 … 2^53 − 1', name: 'seq 2^53 − 1', bytes: post({}, { seq: MAX, prev: L.cbor }), spec: 'accept' },
  { section: '§2 seq 1 … 2^53 − 1', name: 'seq 2^53 (uint64)', bytes: post({}, { seq: 2n ** 53n, prev: L.cbor }), spec: 'EntrySchemaError', field: 'seq' },
  { section: '§2 seq 1 … 2^53 − 1', name: 'seq 2^64 − 1', bytes: post({}, { seq: 2n ** 64n - 1n, prev: L.cbor }), spec: 'EntrySchemaError', field: 'seq' },
  { section: '§2 seq 1 … 2^53 − 1', name: 'seq 0', bytes: post({}, { seq: 0 }), spec: 'EntrySchemaError', field: 'seq' },
  { section: '§2 seq unsigned', name: 'seq −1', bytes: post({}, { seq: -1 }), spec: 'EntrySchemaError', field: 'seq' },
  { section: '§2 seq unsigned', name: 'seq −2^64', bytes: post({}, { seq: -(2n ** 64n) }), spec: 'EntrySchemaError', field: 'seq' },
  { section: '§2 seq unsigned integer', name: 'seq 1.5 (float64, canonical)', bytes: post({}, { seq: 1.5 }), spec: 'EntrySchemaError', field: 'seq' },
  { section: '§2 seq unsigned integer', name: 'seq "1"', bytes: post({}, { seq: '1' }), spec: 'EntrySchemaError', field: 'seq' },
  { section: '§2 seq unsigned integer', name: 'seq null', bytes: post({}, { seq: null }), spec: 'EntrySchemaError', field: 'seq' },
  { section: '§2 seq unsigned integer', name: 'seq true', bytes: post({}, { seq: true }), spec: 'EntrySchemaError', field: 'seq' },
  // prev
  { section: '§2 prev null iff seq 1', name: 'seq 1 with a dag-cbor link', bytes: post({}, { prev: L.cbor }), spec: 'EntrySchemaError', field: 'prev' },
  { section: '§2 prev null iff seq 1', name: 'seq 2 with prev null', bytes: post({}, { seq: 2 }), spec: 'EntrySchemaError', field: 'prev' },
  { section: '§2 prev null iff seq 1', name: 'seq 2^53 − 1 with prev null', bytes: post({}, { seq: MAX }), spec: 'EntrySchemaError', field: 'prev' },
  { section: '§2 prev CIDv1 dag-cbor', name: 'seq 2, prev raw-codec CIDv1', bytes: post({}, { seq: 2, prev: L.raw }), spec: 'EntrySchemaError', field: 'prev' },
  { section: '§2 prev CIDv1 dag-cbor', name: 'seq 2, prev dag-pb CIDv1', bytes: post({}, { seq: 2, prev: L.dagPb }), spec: 'EntrySchemaError', field: 'prev' },
  { section: '§2 prev CIDv1 dag-cbor', name: 'seq 2, prev dag-json CIDv1', bytes: post({}, { seq: 2, prev: L.dagJson }), spec: 'EntrySchemaError', field: 'prev' },
  { section: '§2 prev / §3 CIDv0 rejected', name: 'seq 2, prev CIDv0', bytes: post({}, { seq: 2, prev: L.v0 }), spec: 'EntrySchemaError', field: 'prev' },
  { section: '§2 prev CIDv1 dag-cbor (hash not restricted)', name: 'seq 2, prev dag-cbor with sha2-512', bytes: post({}, { seq: 2, prev: L.sha512Cbor }), spec: 'accept' },
  { section: '§2 prev CIDv1 dag-cbor (hash not restricted)', name: 'seq 2, prev dag-cbor with identity hash', bytes: post({}, { seq: 2, prev: L.identityHash }), spec: 'accept' },
  { section: '§2 prev is a link', name: 'seq 2, prev as untagged CID bytes', bytes: post({}, { seq: 2, prev: L.cbor.bytes }), spec: 'EntrySchemaError', field: 'prev' },
  { section: '§2 prev is a link', name: 'seq 2, prev as CID string', bytes: post({}, { seq: 2, prev: L.cbor.toString() }), spec: 'EntrySchemaError', field: 'prev' },
  { section: '§2 prev null', name: 'seq 1, prev false', bytes: post({}, { prev: false }), spec: 'EntrySchemaError', field: 'prev' },
  // ts
  { section: '§2 ts 0 … 2^53 − 1', name: 'ts 0', bytes: post({}, { ts: 0 }), spec: 'accept' },
  { section: '§2 ts 0 … 2^53 − 1', name: 'ts 2^53 − 1 (verifyEntry has no clock)', bytes: post({}, { ts: MAX }), spec: 'accept' },
  { section: '§2 ts 0 … 2^53 − 1', name: 'ts 2^53', bytes: post({}, { ts: 2n ** 53n }), spec: 'EntrySchemaError', field: 'ts' },
  { section: '§2 ts unsigned', name: 'ts −1', bytes: post({}, { ts: -1 }), spec: 'EntrySchemaError', field: 'ts' },
  { section: '§2 ts unsigned integer', name: 'ts 1.5', bytes: post({}, { ts: 1.5 }), spec: 'EntrySchemaError', field: 'ts' },
  { section: '§2 ts unsigned integer', name: 'ts "0"', bytes: post({}, { ts: '0' }), spec: 'EntrySchemaError', field: 'ts' },
  { section: '§2 ts unsigned integer', name: 'ts null', bytes: post({}, { ts: null }), spec: 'EntrySchemaError', field: 'ts' },
  // kind
  ...KINDS.map((k): Case => ({ section: '§2 kind / §3', name: `kind ${k} with its valid body`, bytes: entry(k), spec: 'accept' })),
  ...['Post', 'POST', 'post ', ' post', '', 'poll', 'posts', 'post\0', 'retweet', 'reply', 'comment'].map((k): Case => ({
    section: '§2 kind', name: `kind ${JSON.stringify(k)}`, bytes: post({}, { kind: k }), spec: 'EntrySchemaError', field: 'kind'
  })),
  ...([['1', 1], ['bytes', utf8('post')], ['null', null], ['list', ['post']]] as const).map(([what, k]): Case => ({
    section: '§2 kind text string', name: `kind is ${what}`, bytes: post({}, { kind: k }), spec: 'EntrySchemaError', field: 'kind'
  })),
  // body
  ...([['a list', ['hello']], ['null', null], ['a string', 'hello'], ['bytes', utf8('hello')], ['an integer', 0], ['a CID link', L.cbor]] as const).map(([what, body]): Case => ({
    section: '§2 body map', name: `body is ${what}`, bytes: withBody('post', body), spec: 'EntrySchemaError', field: 'body'
  })),
  // order inside step 3.6
  { section: '§6.2 step 3.6 order: seq before prev', name: 'seq 0 and prev a raw CID', bytes: post({}, { seq: 0, prev: L.raw }), spec: 'EntrySchemaError', field: 'seq' },
  { section: '§6.2 step 3.6 order: prev before ts', name: 'seq 2, prev null, ts −1', bytes: post({}, { seq: 2, ts: -1 }), spec: 'EntrySchemaError', field: 'prev' },
  { section: '§6.2 step 3.6 order: ts before kind', name: 'ts −1 and kind poll', bytes: post({}, { ts: -1, kind: 'poll' }), spec: 'EntrySchemaError', field: 'ts' },
  { section: '§6.2 step 3.6 order: kind before body', name: 'kind poll and body a list', bytes: withBody('poll', []), spec: 'EntrySchemaError', field: 'kind' },
  { section: '§6.2 step 3.6 order: header before body', name: 'seq 0 and 501-grapheme text', bytes: post({ text: rep('a', 501) }, { seq: 0 }), spec: 'EntrySchemaError', field: 'seq' },
  { section: '§6.2 step 3.6 order: header before body', name: 'ts 2^53 and 51-grapheme name', bytes: entry('profile', { name: rep('a', 51) }, { ts: 2n ** 53n }), spec: 'EntrySchemaError', field: 'ts' },
  { section: '§6.2 step 3 before 4', name: 'unknown body key and a zero signature', bytes: post({ lang: 'en' }, { sig: zeroSig }), spec: 'EntrySchemaError' },
  { section: '§6.2 step 3 before 4', name: '501-grapheme text and a zero signature', bytes: post({ text: rep('a', 501) }, { sig: zeroSig }), spec: 'TextTooLongError' }
]

// ----------------------------------------------------------------------------------------------
// §3 links: every link field, every form
// ----------------------------------------------------------------------------------------------

/** Every link field of a body, and how to put a value there. */
const LINK_FIELDS: Array<[string, (v: unknown) => () => Promise<Uint8Array>, string]> = [
  ['post.reply.root', v => post({ reply: { root: v, parent: L.cbor } }), 'body.reply.root'],
  ['post.reply.parent', v => post({ reply: { root: L.cbor, parent: v } }), 'body.reply.parent'],
  ['post.quote', v => post({ quote: v }), 'body.quote'],
  ['post.media[].cid', v => post({ media: [{ cid: v, mime: 'image/webp', alt: '' }] }), 'body.media[0].cid'],
  ['like.subject', v => entry('like', { subject: v }), 'body.subject'],
  ['repost.subject', v => entry('repost', { subject: v }), 'body.subject'],
  ['profile.avatar', v => entry('profile', { avatar: v }), 'body.avatar'],
  ['delete.subject', v => entry('delete', { subject: v }), 'body.subject']
]

const linkCases: Case[] = LINK_FIELDS.flatMap(([where, put, field]): Case[] => [
  { section: '§3 link = CIDv1', name: `${where}: dag-cbor CIDv1`, bytes: put(L.cbor), spec: 'accept' },
  { section: '§3 link = CIDv1 (only the version is checked)', name: `${where}: raw CIDv1`, bytes: put(L.raw), spec: 'accept' },
  { section: '§3 link = CIDv1 (only the version is checked)', name: `${where}: dag-pb CIDv1`, bytes: put(L.dagPb), spec: 'accept' },
  { section: '§3 link = CIDv1 (only the version is checked)', name: `${where}: dag-json CIDv1`, bytes: put(L.dagJson), spec: 'accept' },
  { section: '§3 link = CIDv1 (only the version is checked)', name: `${where}: identity-hash CIDv1`, bytes: put(L.identityHash), spec: 'accept' },
  { section: '§3 CIDv0 is rejected', name: `${where}: CIDv0`, bytes: put(L.v0), spec: 'EntrySchemaError', field },
  { section: '§3 link (tag 42)', name: `${where}: untagged CID bytes`, bytes: put(L.cbor.bytes), spec: 'EntrySchemaError', field },
  { section: '§3 link (tag 42)', name: `${where}: CID as a string`, bytes: put(L.cbor.toString()), spec: 'EntrySchemaError', field },
  { section: '§3 link / optional fields never null', name: `${where}: null`, bytes: put(null), spec: 'EntrySchemaError', field },
  { section: '§3 link', name: `${where}: a map {"/": cid}`, bytes: put({ '/': L.cbor.toString() }), spec: 'EntrySchemaError', field }
])

// ----------------------------------------------------------------------------------------------
// §3 bodies: key sets, null vs omitted, lists, types
// ----------------------------------------------------------------------------------------------

/**
 * A valid value for every optional field the §3 tables list (`kind.key`, media items as `media.key`).
 * The key sets themselves come from the tables: a field added to the spec without a sample here fails
 * the `§3 tables` test below instead of going untested.
 */
const SAMPLES: Record<string, unknown> = {
  'post.reply': { root: L.cbor, parent: L.cbor2 },
  'post.quote': L.cbor,
  'post.media': media(1),
  'post.mentions': [b.id],
  'post.tags': ['flock'],
  'profile.avatar': L.raw,
  'profile.handle': 'alice.example.org',
  'edit.mentions': [b.id],
  'edit.tags': ['flock'],
  'device.name': 'laptop',
  'media.size': 123456,
  'media.duration': 90_000,
  'media.width': 1920,
  'media.height': 1080,
  'media.poster': L.raw
}

/** §3 tables: the required keys of each kind (every version). */
const REQUIRED: Record<string, string[]> = Object.fromEntries(SPEC_BODIES.bodies.flatMap(t => t.kinds.map(k => [k, t.fields.filter(f => f.required).map(f => f.key)])))
/** §3 tables: a sample of each optional key of each kind, in version `v`. */
const optionalOf = (kind: string, v: 1 | 2): Fields => Object.fromEntries(
  (SPEC_BODIES.bodies.find(t => t.kinds.includes(kind))?.fields ?? []).filter(f => !f.required && (v === 2 || !f.v2Only)).map(f => [f.key, SAMPLES[`${kind}.${f.key}`]])
)
const OPTIONAL: Record<string, Fields> = Object.fromEntries(KINDS.map(k => [k, optionalOf(k, 1)]))

const bodyCases: Case[] = [
  ...KINDS.flatMap((k): Case[] => [
    ...(REQUIRED[k] ?? []).map((key): Case => ({ section: `§3 ${k}: required keys`, name: `${k} without ${key}`, bytes: entry(k, { [key]: OMIT }), spec: 'EntrySchemaError' })),
    ...(REQUIRED[k] ?? []).map((key): Case => ({ section: `§3 ${k}: required keys`, name: `${k} with ${key}: null`, bytes: entry(k, { [key]: null }), spec: 'EntrySchemaError' })),
    ...['lang', 'x', '', '__proto__', 'toString', 'Text', 'subject2'].map((key): Case => ({
      section: '§3 unknown keys rejected (body)', name: `${k} body with unknown key ${JSON.stringify(key)}`, bytes: entry(k, { [key]: 'x' }), spec: 'EntrySchemaError'
    })),
    { section: '§3 body keys', name: `${k} body empty map`, bytes: withBody(k, {}), spec: 'EntrySchemaError' },
    ...Object.entries(OPTIONAL[k] ?? {}).flatMap(([key, v]): Case[] => [
      { section: `§3 ${k}: optional keys`, name: `${k} with only ${key} added`, bytes: entry(k, { [key]: v }), spec: 'accept' },
      { section: '§3 optional fields omitted, never null', name: `${k} with ${key}: null`, bytes: entry(k, { [key]: null }), spec: 'EntrySchemaError' }
    ]),
    ...KINDS.filter(o => o !== k && JSON.stringify(REQUIRED[o]) !== JSON.stringify(REQUIRED[k])).map((o): Case => ({
      section: '§3 body of its kind', name: `kind ${k} with a ${o} body`, bytes: withBody(k, BODIES[o]), spec: 'EntrySchemaError'
    }))
  ]),
  { section: '§3 post: all optional keys', name: 'post with every optional key', bytes: post(OPTIONAL.post as Patch), spec: 'accept' },
  // reply
  { section: '§3 post.reply', name: 'reply with root = parent', bytes: post({ reply: { root: L.cbor, parent: L.cbor } }), spec: 'accept' },
  { section: '§3 post.reply', name: 'reply without parent', bytes: post({ reply: { root: L.cbor } }), spec: 'EntrySchemaError' },
  { section: '§3 post.reply', name: 'reply without root', bytes: post({ reply: { parent: L.cbor } }), spec: 'EntrySchemaError' },
  { section: '§3 post.reply', name: 'reply empty map', bytes: post({ reply: {} }), spec: 'EntrySchemaError' },
  { section: '§3 unknown keys rejected (reply)', name: 'reply with an extra key', bytes: post({ reply: { root: L.cbor, parent: L.cbor, depth: 1 } }), spec: 'EntrySchemaError' },
  { section: '§3 post.reply', name: 'reply is a list [root, parent]', bytes: post({ reply: [L.cbor, L.cbor] }), spec: 'EntrySchemaError' },
  { section: '§3 post.reply', name: 'reply is a link', bytes: post({ reply: L.cbor }), spec: 'EntrySchemaError' },
  { section: '§3 post.reply', name: 'reply root null', bytes: post({ reply: { root: null, parent: L.cbor } }), spec: 'EntrySchemaError' },
  // media
  { section: '§3 post.media 1 … 4', name: '1 item', bytes: post({ media: media(1) }), spec: 'accept' },
  { section: '§3 post.media 1 … 4', name: '4 items', bytes: post({ media: media(4) }), spec: 'accept' },
  { section: '§3 post.media 1 … 4', name: '5 items', bytes: post({ media: media(5) }), spec: 'EntrySchemaError', field: 'body.media' },
  { section: '§3 lists omitted rather than empty', name: 'media []', bytes: post({ media: [] }), spec: 'EntrySchemaError', field: 'body.media' },
  { section: '§3 post.media list', name: 'media is a single map, not a list', bytes: post({ media: media(1)[0] }), spec: 'EntrySchemaError' },
  { section: '§3 post.media (duplicates not forbidden)', name: 'the same item twice', bytes: post({ media: [media(1)[0], media(1)[0]] }), spec: 'accept' },
  ...['cid', 'mime', 'alt'].map((key): Case => ({ section: '§3 post.media: all three keys required', name: `item without ${key}`, bytes: post({ media: media(1, { [key]: OMIT }) }), spec: 'EntrySchemaError' })),
  { section: '§3 unknown keys rejected (media item, v1: width is a v2 field)', name: 'item with an extra key "width"', bytes: post({ media: media(1, { width: 100 }) }), spec: 'EntrySchemaError' },
  { section: '§3 post.media', name: 'item is a list', bytes: post({ media: [[L.raw, 'image/webp', '']] }), spec: 'EntrySchemaError' },
  { section: '§3 post.media', name: 'item is null', bytes: post({ media: [null] }), spec: 'EntrySchemaError' },
  { section: '§3 post.media', name: 'second of two items broken', bytes: post({ media: [media(1)[0], { cid: L.v0, mime: 'image/webp', alt: '' }] }), spec: 'EntrySchemaError', field: 'body.media[1].cid' },
  { section: '§3 post.media alt', name: 'alt empty', bytes: post({ media: media(1, { alt: '' }) }), spec: 'accept' },
  { section: '§3 post.media alt', name: 'alt is bytes', bytes: post({ media: media(1, { alt: utf8('x') }) }), spec: 'EntrySchemaError' },
  { section: '§3 post.media alt', name: 'alt null', bytes: post({ media: media(1, { alt: null }) }), spec: 'EntrySchemaError' },
  // mentions
  { section: '§3 post.mentions 1 … 50', name: '1 mention (another author)', bytes: post({ mentions: [b.id] }), spec: 'accept' },
  { section: '§3 post.mentions', name: 'mentioning oneself', bytes: post({ mentions: [a.id] }), spec: 'accept' },
  { section: '§3 post.mentions 1 … 50', name: '50 mentions', bytes: post({ mentions: I.many.slice(0, 50) }), spec: 'accept' },
  { section: '§3 post.mentions 1 … 50', name: '51 mentions', bytes: post({ mentions: I.many.slice(0, 51) }), spec: 'EntrySchemaError', field: 'body.mentions' },
  { section: '§3 lists omitted rather than empty', name: 'mentions []', bytes: post({ mentions: [] }), spec: 'EntrySchemaError', field: 'body.mentions' },
  { section: '§3 post.mentions no author repeated', name: 'same author twice', bytes: post({ mentions: [b.id, b.id] }), spec: 'EntrySchemaError', field: 'body.mentions' },
  { section: '§3 post.mentions no author repeated', name: 'same author twice among 50', bytes: post({ mentions: [...I.many.slice(0, 49), I.many[0]] }), spec: 'EntrySchemaError', field: 'body.mentions' },
  { section: '§3 post.mentions list', name: 'mentions is a string', bytes: post({ mentions: b.id }), spec: 'EntrySchemaError' },
  // tags (list rules; tag format below)
  { section: '§3 post.tags 1 … 20', name: '1 tag', bytes: post({ tags: ['flock'] }), spec: 'accept' },
  { section: '§3 post.tags 1 … 20', name: '20 tags', bytes: post({ tags: Array.from({ length: 20 }, (_, i) => `t${i}`) }), spec: 'accept' },
  { section: '§3 post.tags 1 … 20', name: '21 tags', bytes: post({ tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }), spec: 'EntrySchemaError', field: 'body.tags' },
  { section: '§3 lists omitted rather than empty', name: 'tags []', bytes: post({ tags: [] }), spec: 'EntrySchemaError', field: 'body.tags' },
  { section: '§3 post.tags no tag repeated', name: 'same tag twice', bytes: post({ tags: ['flock', 'p2p', 'flock'] }), spec: 'EntrySchemaError', field: 'body.tags' },
  { section: '§3 post.tags list', name: 'tags is a string', bytes: post({ tags: 'flock' }), spec: 'EntrySchemaError' },
  { section: '§3 post.tags', name: 'tag is an integer', bytes: post({ tags: [1] }), spec: 'EntrySchemaError' },
  { section: '§3 post.tags', name: 'tag is bytes', bytes: post({ tags: [utf8('flock')] }), spec: 'EntrySchemaError' },
  // text presence
  { section: '§3 post.text "" only with media', name: 'empty text with media', bytes: post({ text: '', media: media(1) }), spec: 'accept' },
  { section: '§3 post.text "" only with media', name: 'empty text, no media', bytes: post({ text: '' }), spec: 'EntrySchemaError', field: 'body.text' },
  { section: '§3 post.text "" only with media', name: 'empty text with tags and mentions but no media', bytes: post({ text: '', tags: ['flock'], mentions: [b.id] }), spec: 'EntrySchemaError', field: 'body.text' },
  { section: '§3 post.text "" only with media', name: 'empty text with quote but no media', bytes: post({ text: '', quote: L.cbor }), spec: 'EntrySchemaError', field: 'body.text' },
  { section: '§3 post.text "" only with media', name: 'empty text with media: [] (empty list)', bytes: post({ text: '', media: [] }), spec: 'EntrySchemaError' },
  { section: '§3 post.text (only "" is special)', name: 'text is a single space, no media', bytes: post({ text: ' ' }), spec: 'accept' },
  { section: '§3 post.text (only "" is special)', name: 'text is a single NUL, no media', bytes: post({ text: '\0' }), spec: 'accept' },
  { section: '§3 text stored as typed (not normalised)', name: 'text in NFD', bytes: post({ text: 'cafe\u0301' }), spec: 'accept' },
  { section: '§3 post.text type', name: 'text is bytes', bytes: post({ text: utf8('hi') }), spec: 'EntrySchemaError', field: 'body.text' },
  { section: '§3 post.text type', name: 'text is an integer', bytes: post({ text: 1 }), spec: 'EntrySchemaError', field: 'body.text' },
  { section: '§3 post.text type', name: 'text is a list of strings', bytes: post({ text: ['hi'] }), spec: 'EntrySchemaError', field: 'body.text' },
  // profile
  { section: '§3 profile', name: 'name and bio empty', bytes: entry('profile', { name: '', bio: '' }), spec: 'accept' },
  { section: '§3 profile', name: 'name is bytes', bytes: entry('profile', { name: utf8('x') }), spec: 'EntrySchemaError', field: 'body.name' },
  { section: '§3 profile', name: 'bio is an integer', bytes: entry('profile', { bio: 0 }), spec: 'EntrySchemaError', field: 'body.bio' },
  // like / repost / follow / unfollow / delete semantics the verifier does not check
  { section: '§3 like (author not checkable)', name: 'like naming oneself as the author', bytes: entry('like', { author: a.id }), spec: 'accept' },
  { section: '§3 repost (author not checkable)', name: 'repost of a raw block', bytes: entry('repost', { subject: L.raw }), spec: 'accept' },
  { section: '§3 follow', name: 'follow oneself', bytes: entry('follow', { author: a.id }), spec: 'accept' },
  { section: '§3 delete (another author is valid, no effect)', name: 'delete of an unknown CID', bytes: entry('delete', { subject: L.cbor2 }), spec: 'accept' }
]

// Body author ids (§1 / §3: canonical Ed25519 id, else EntrySchemaError).
const BODY_AUTHOR_FIELDS: Array<[string, (id: unknown) => () => Promise<Uint8Array>, string]> = [
  ['like.author', id => entry('like', { author: id }), 'body.author'],
  ['repost.author', id => entry('repost', { author: id }), 'body.author'],
  ['follow.author', id => entry('follow', { author: id }), 'body.author'],
  ['unfollow.author', id => entry('unfollow', { author: id }), 'body.author'],
  ['post.mentions[0]', id => post({ mentions: [id] }), 'body.mentions[0]'],
  ['post.mentions[1]', id => post({ mentions: [a.id, id] }), 'body.mentions[1]']
]
const BAD_IDS: Array<[string, unknown]> = [
  ['"alice"', 'alice'], ['empty string', ''], ['CIDv1 base32 form', I.aAsCid], ['CIDv1 base36 form', I.aAsBase36], ['multibase z prefix', I.aWithMultibase],
  ['secp256k1 PeerId', I.secp256k1], ['RSA PeerId', I.rsa], ['truncated', b.id.slice(0, -1)], ['lowercased', b.id.toLowerCase()], ['with "@"', '@' + b.id],
  ['trailing space', b.id + ' '], ['bytes', utf8(b.id)], ['integer', 1], ['null', null]
]
const bodyAuthorCases: Case[] = BODY_AUTHOR_FIELDS.flatMap(([where, put, field]): Case[] => [
  { section: '§3 author id in a body', name: `${where}: canonical id`, bytes: put(b.id), spec: 'accept' },
  ...BAD_IDS.map(([what, id]): Case => ({ section: '§1 / §3 author id in a body → EntrySchemaError', name: `${where}: ${what}`, bytes: put(id), spec: 'EntrySchemaError', field }))
])

// ----------------------------------------------------------------------------------------------
// §3 mime and tag format
// ----------------------------------------------------------------------------------------------

const MIME_OK = ['image/webp', 'image/svg+xml', 'application/vnd.ms-excel', 'a/b', 'x/0', 'image/.', 'image/-', 'image/+', 'video/mp4',
  'a/' + 'b'.repeat(98), 'a'.repeat(98) + '/b']
const MIME_BAD = ['', 'image', 'image/', '/webp', '/', 'Image/webp', 'image/WEBP', 'IMAGE/WEBP', 'image/webp; charset=utf-8', 'image/webp;q=1',
  'image/webp ', ' image/webp', 'image/we_bp', 'image/we bp', 'image//webp', 'image/web/p', 'im4ge/webp', 'x-image/webp', 'image.x/webp',
  'image/webp\n', '\nimage/webp', 'image/webp\r', 'ımage/webp', 'image/ｗebp', 'image/webṕ', 'image/webp\0', 'a/' + 'b'.repeat(99), 'a'.repeat(99) + '/b',
  'a/' + 'b'.repeat(200)]
const mimeCases: Case[] = [
  ...MIME_OK.map((m): Case => ({ section: '§3 mime ^[a-z]+/[a-z0-9.+-]+$, ≤ 100', name: `mime ${JSON.stringify(m.length > 30 ? `${m.slice(0, 12)}… (${m.length})` : m)}`, bytes: post({ media: media(1, { mime: m }) }), spec: 'accept' })),
  ...MIME_BAD.map((m): Case => ({ section: '§3 mime ^[a-z]+/[a-z0-9.+-]+$, ≤ 100', name: `mime ${JSON.stringify(m.length > 30 ? `${m.slice(0, 12)}… (${m.length})` : m)}`, bytes: post({ media: media(1, { mime: m }) }), spec: 'EntrySchemaError', field: 'body.media[0].mime' })),
  ...([['an integer', 1], ['bytes', utf8('image/webp')], ['null', null]] as const).map(([what, m]): Case => ({
    section: '§3 mime', name: `mime is ${what}`, bytes: post({ media: media(1, { mime: m }) }), spec: 'EntrySchemaError', field: 'body.media[0].mime'
  }))
]

const DESERET = '\u{10428}' // DESERET SMALL LETTER LONG I: a lowercase letter outside the BMP (2 UTF-16 units)
const TAG_OK: Array<[string, string]> = [
  ['one letter', 'a'], ['underscore', '_'], ['digit', '0'], ['starts with a digit', '9lives'], ['starts with _', '_x'], ['a_b', 'a_b'],
  ['NFC é', 'café'], ['Devanagari with marks', 'हिन्दी'], ['Thai', 'ภาษาไทย'], ['Han', '中文'], ['Hangul', '한국어'], ['ß', 'ß'], ['dotless ı', 'ı'],
  ['final sigma', 'ς'], ['letter number ⅰ (Nl)', 'ⅰ'], ['superscript two (No)', '²'], ['fullwidth lowercase', 'ｆｌｏｃｋ'], ['ligature ﬁ', 'ﬁ'],
  ['modifier letter ʰ (Lm)', 'ʰ'], ['i + combining dot above', 'i\u0307'], ['spacing mark after a letter (Mc)', 'कः'], ['enclosing mark after a letter (Me)', 'a\u20dd'],
  ['64 ASCII', rep('a', 64)], ['32 astral letters (64 units)', rep(DESERET, 32)], ['62 ASCII + 1 astral (64 units)', rep('a', 62) + DESERET]
]
const TAG_BAD: Array<[string, unknown]> = [
  ['empty', ''], ['with #', '#flock'], ['capital', 'Flock'], ['all caps', 'FLOCK'], ['65 ASCII', rep('a', 65)], ['33 astral letters (66 units)', rep(DESERET, 33)],
  ['63 ASCII + 1 astral (65 units)', rep('a', 63) + DESERET], ['starts with a combining mark', '\u0301a'], ['starts with a spacing mark', 'ःक'], ['NFD (e + U+0301)', 'cafe\u0301'],
  ['hyphen', 'a-b'], ['space', 'a b'], ['dot', 'a.b'], ['leading space', ' a'], ['trailing newline', 'a\n'], ['emoji', '👍'], ['ZWJ (Cf)', 'a\u200db'],
  ['soft hyphen (Cf)', 'a\u00adb'], ['NUL', 'a\0'], ['titlecase ǅ (Lt)', 'ǅ'], ['İ', 'İ'], ['Roman numeral Ⅰ (uppercase Nl)', 'Ⅰ'], ['Σ', 'Σ'],
  ['fullwidth capital', 'Ａ'], ['Kelvin sign (NFC → K)', '\u212a'], ['Angstrom sign (NFC → Å)', '\u212b'], ['@mention-like', '@a'], ['slash', 'a/b'], ['ampersand', 'a&b']
]
const tagCases: Case[] = [
  ...TAG_OK.map(([what, t]): Case => ({ section: '§3 tag format', name: `tag ${what}`, bytes: post({ tags: [t] }), spec: 'accept' })),
  ...TAG_BAD.map(([what, t]): Case => ({ section: '§3 tag format', name: `tag ${what}`, bytes: post({ tags: [t] }), spec: 'EntrySchemaError', field: 'body.tags[0]' })),
  { section: '§3 tag format', name: 'bad tag in second place', bytes: post({ tags: ['ok', 'Bad'] }), spec: 'EntrySchemaError', field: 'body.tags[1]' }
]

// ----------------------------------------------------------------------------------------------
// §3 / §6.1 text limits in graphemes
// ----------------------------------------------------------------------------------------------

interface TextField { where: string, limit: number, put: (s: string) => () => Promise<Uint8Array>, field: string }
const TEXT_FIELDS: TextField[] = [
  { where: 'post.text', limit: 500, put: s => post({ text: s }), field: 'body.text' },
  { where: 'profile.name', limit: 50, put: s => entry('profile', { name: s }), field: 'body.name' },
  { where: 'profile.bio', limit: 300, put: s => entry('profile', { bio: s }), field: 'body.bio' },
  { where: 'post.media[0].alt', limit: 1000, put: s => post({ media: media(1, { alt: s }) }), field: 'body.media[0].alt' },
  { where: 'post.media[3].alt', limit: 1000, put: s => post({ media: [...media(3), { cid: L.raw, mime: 'image/png', alt: s }] }), field: 'body.media[3].alt' }
]
/** Room a text field may take without pushing the entry over MAX_ENTRY_BYTES (the rest of an entry is < 400 bytes). */
const ROOM = MAX_ENTRY_BYTES - 400

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' })
/** The spec's definition (§6.1): graphemes as Intl.Segmenter computes them. */
const oracleCount = (s: string): number => [...segmenter.segment(s)].length
/** Units that stay one grapheme each when repeated (GB11 would join repeated emoji + ZWJ, for instance). */
const REPEATABLE = ONE_GRAPHEME.filter(u => oracleCount(rep(u, 3)) === 3)

const textCases: Case[] = TEXT_FIELDS.flatMap(({ where, limit, put, field }): Case[] => [
  ...REPEATABLE.filter(u => utf8(u).length * (limit + 1) <= ROOM).flatMap((u): Case[] => [
    { section: '§6.1 graphemes', name: `${where}: ${limit} × ${JSON.stringify(u)}`, bytes: put(rep(u, limit)), spec: 'accept' },
    { section: '§6.1 graphemes', name: `${where}: ${limit + 1} × ${JSON.stringify(u)}`, bytes: put(rep(u, limit + 1)), spec: 'TextTooLongError', field }
  ]),
  // Boundaries where a cluster continues past what looks like the last character.
  { section: '§6.1 graphemes (extend)', name: `${where}: ${limit} a + U+0301`, bytes: put(rep('a', limit) + '\u0301'), spec: 'accept' },
  { section: '§6.1 graphemes (ZWJ is Extend)', name: `${where}: ${limit} a + ZWJ`, bytes: put(rep('a', limit) + '\u200d'), spec: 'accept' },
  { section: '§6.1 graphemes (virama)', name: `${where}: ${limit} a + U+094D`, bytes: put(rep('a', limit) + '\u094d'), spec: 'accept' },
  { section: '§6.1 graphemes (skin tone)', name: `${where}: ${limit} 👍 + 🏽`, bytes: put(rep('👍', limit) + '🏽'), spec: 'accept' },
  { section: '§6.1 graphemes (CR LF)', name: `${where}: ${limit - 1} a + CR LF`, bytes: put(rep('a', limit - 1) + '\r\n'), spec: 'accept' },
  { section: '§6.1 graphemes (CR alone)', name: `${where}: ${limit} a + CR`, bytes: put(rep('a', limit) + '\r'), spec: 'TextTooLongError', field },
  { section: '§6.1 graphemes (LF CR is two)', name: `${where}: ${limit - 1} a + LF CR`, bytes: put(rep('a', limit - 1) + '\n\r'), spec: 'TextTooLongError', field },
  { section: '§6.1 graphemes (regional indicators pair)', name: `${where}: ${limit - 1} a + 🇫🇷`, bytes: put(rep('a', limit - 1) + '🇫🇷'), spec: 'accept' },
  { section: '§6.1 graphemes (regional indicators pair)', name: `${where}: ${limit - 1} a + 🇫🇷🇫`, bytes: put(rep('a', limit - 1) + '🇫🇷🇫'), spec: 'TextTooLongError', field },
  { section: '§6.1 graphemes (ZWJ sequence)', name: `${where}: ${limit - 1} a + 😀 ZWJ 👍🏽`, bytes: put(rep('a', limit - 1) + '😀\u200d👍🏽'), spec: 'accept' },
  { section: '§6.1 graphemes (GB9c, Unicode 15.1)', name: `${where}: ${limit - 1} a + क्ष`, bytes: put(rep('a', limit - 1) + 'क्ष'), spec: 'accept' },
  { section: '§6.1 graphemes (combining start)', name: `${where}: U+0301 + ${limit - 1} a`, bytes: put('\u0301' + rep('a', limit - 1)), spec: 'accept' },
  { section: '§6.1 graphemes (combining start)', name: `${where}: U+0301 + ${limit} a`, bytes: put('\u0301' + rep('a', limit)), spec: 'TextTooLongError', field }
])

/** Pieces for random text: whole clusters and fragments that join with their neighbours. */
const PIECES = [...ONE_GRAPHEME, '\u0301', '\u200d', '🏽', '\r', '\n', '\u0e33', '\u094d', 'ष', '🇫', '\u1161', '\u11a8', '\ufe0f', '👍', '😀']

function randomTexts (seed: number, limit: number, n: number): string[] {
  const rng = new Rng(seed)
  const out: string[] = []
  while (out.length < n) {
    const pieces = limit - 4 + rng.int(12)
    let s = ''
    for (let i = 0; i < pieces; i++) s += rng.pick(PIECES)
    if (utf8(s).length <= ROOM) out.push(s)
  }
  return out
}

const randomTextCases: Case[] = TEXT_FIELDS.slice(0, 4).flatMap(({ where, limit, put, field }, k): Case[] =>
  randomTexts(1000 + k, limit, 40).map((s, i): Case => {
    const count = oracleCount(s)
    return { section: '§6.1 graphemes (Intl.Segmenter oracle)', name: `${where}: random text #${i} of ${count} graphemes`, bytes: put(s), spec: count <= limit ? 'accept' : 'TextTooLongError', field: count <= limit ? undefined : field }
  })
)

// ----------------------------------------------------------------------------------------------
// §6.2 step 3.6: field order inside a body
// ----------------------------------------------------------------------------------------------

const bodyOrderCases: Case[] = [
  { section: '§6.2 3.6 post order: text before reply', name: '501-grapheme text and reply without parent', bytes: post({ text: rep('a', 501), reply: { root: L.cbor } }), spec: 'TextTooLongError' },
  { section: '§6.2 3.6 post order: text before quote', name: '501-grapheme text and CIDv0 quote', bytes: post({ text: rep('a', 501), quote: L.v0 }), spec: 'TextTooLongError' },
  { section: '§6.2 3.6 post order: text before media', name: '501-grapheme text and 5 media', bytes: post({ text: rep('a', 501), media: media(5) }), spec: 'TextTooLongError' },
  { section: '§6.2 3.6 post order: text before tags', name: '501-grapheme text and tag "#x"', bytes: post({ text: rep('a', 501), tags: ['#x'] }), spec: 'TextTooLongError' },
  { section: '§6.2 3.6 post order: reply before quote', name: 'bad reply and CIDv0 quote', bytes: post({ reply: { root: L.v0, parent: L.cbor }, quote: L.v0 }), spec: 'EntrySchemaError', field: 'body.reply.root' },
  { section: '§6.2 3.6 post order: quote before media', name: 'CIDv0 quote and media alt of 1001', bytes: post({ quote: L.v0, media: media(1, { alt: rep('a', 1001) }) }), spec: 'EntrySchemaError', field: 'body.quote' },
  { section: '§6.2 3.6 post order: media before mentions', name: 'alt of 1001 and a repeated mention', bytes: post({ media: media(1, { alt: rep('a', 1001) }), mentions: [b.id, b.id] }), spec: 'TextTooLongError' },
  { section: '§6.2 3.6 post order: mentions before tags', name: 'repeated mention and bad tag', bytes: post({ mentions: [b.id, b.id], tags: ['X'] }), spec: 'EntrySchemaError', field: 'body.mentions' },
  { section: '§6.2 3.6 media item order: cid, mime, alt', name: 'CIDv0 cid and alt of 1001', bytes: post({ media: media(1, { cid: L.v0, alt: rep('a', 1001) }) }), spec: 'EntrySchemaError', field: 'body.media[0].cid' },
  { section: '§6.2 3.6 media item order: mime before alt', name: 'bad mime and alt of 1001', bytes: post({ media: media(1, { mime: 'Image/X', alt: rep('a', 1001) }) }), spec: 'EntrySchemaError', field: 'body.media[0].mime' },
  { section: '§6.2 3.6 media order: item 0 before item 1', name: 'alt of 1001 in item 0, CIDv0 in item 1', bytes: post({ media: [{ cid: L.raw, mime: 'a/b', alt: rep('a', 1001) }, { cid: L.v0, mime: 'a/b', alt: '' }] }), spec: 'TextTooLongError' },
  { section: '§6.2 3.6 profile order: name before bio', name: 'name of 51 and bio an integer', bytes: entry('profile', { name: rep('a', 51), bio: 1 }), spec: 'TextTooLongError' },
  { section: '§6.2 3.6 profile order: name before bio', name: 'name an integer and bio of 301', bytes: entry('profile', { name: 1, bio: rep('a', 301) }), spec: 'EntrySchemaError', field: 'body.name' },
  { section: '§6.2 3.6 profile order: bio before avatar', name: 'bio of 301 and CIDv0 avatar', bytes: entry('profile', { bio: rep('a', 301), avatar: L.v0 }), spec: 'TextTooLongError' },
  // Ambiguity: where the key-set rule (§3 general rules) sits in the order of §6.2 3.6.
  { section: '§6.2 3.6 (ambiguous: key set vs field order)', name: '501-grapheme text and an unknown body key', bytes: post({ text: rep('a', 501), lang: 'en' }), spec: ['TextTooLongError', 'EntrySchemaError'] },
  { section: '§6.2 3.6 (ambiguous: key set vs field order)', name: 'media item with alt of 1001 and an unknown key', bytes: post({ media: media(1, { alt: rep('a', 1001), width: 1 }) }), spec: ['TextTooLongError', 'EntrySchemaError'] },
  { section: '§6.2 3.6 like order: subject before author', name: 'CIDv0 subject and bad author', bytes: entry('like', { subject: L.v0, author: 'x' }), spec: 'EntrySchemaError', field: 'body.subject' }
]

// ----------------------------------------------------------------------------------------------
// §4 / §4.1 signature
// ----------------------------------------------------------------------------------------------

const ED25519_L = (1n << 252n) + 27742317777372353535851937790883648493n
function withS (sig: Uint8Array, s: bigint): Uint8Array {
  const out = new Uint8Array(sig)
  for (let i = 0; i < 32; i++) {
    out[32 + i] = Number(s & 0xffn)
    s >>= 8n
  }
  return out
}
function sOf (sig: Uint8Array): bigint {
  let s = 0n
  for (let i = 31; i >= 0; i--) s = (s << 8n) | BigInt(sig[32 + i] as number)
  return s
}
/** The minimal post with its sig replaced by `f(valid sig, fields)`. */
function resigned (f: (sig: Uint8Array, fields: Fields) => Promise<Uint8Array> | Uint8Array): () => Promise<Uint8Array> {
  return async () => {
    const fields = dagCbor.decode(await minimal()) as Fields
    return dagCbor.encode({ ...fields, sig: await f(fields.sig as Uint8Array, fields) })
  }
}
const signBytes = async (m: Uint8Array): Promise<Uint8Array> => Uint8Array.from(await a.privateKey.sign(m))

const vectors = (await import('../vectors/entries.json', { with: { type: 'json' } })).default as { invalid: Array<{ name: string, bytes: string }> }
const vectorBytes = (name: string): Uint8Array => Buffer.from(vectors.invalid.find(v => v.name === name)?.bytes ?? '', 'hex')

const signatureCases: Case[] = [
  { section: '§4', name: 'signature by the author over the §4 input', bytes: minimal, spec: 'accept' },
  { section: '§4.1 step 1', name: 'S + L', bytes: resigned(sig => withS(sig, sOf(sig) + ED25519_L)), spec: 'InvalidSignatureError' },
  { section: '§4.1 step 1', name: 'S = L', bytes: resigned(sig => withS(sig, ED25519_L)), spec: 'InvalidSignatureError' },
  { section: '§4.1 step 1', name: 'S = 2^256 − 1', bytes: resigned(sig => withS(sig, (1n << 256n) - 1n)), spec: 'InvalidSignatureError' },
  { section: '§4.1', name: 'all-zero signature', bytes: resigned(() => zeroSig), spec: 'InvalidSignatureError' },
  { section: '§4.1', name: 'R with its lowest bit flipped', bytes: resigned(sig => { const s = new Uint8Array(sig); s[0] = (s[0] as number) ^ 1; return s }), spec: 'InvalidSignatureError' },
  { section: '§4 domain', name: 'signed without the domain prefix', bytes: resigned(async (_s, f) => await signBytes(specSigningInput(f).subarray(15))), spec: 'InvalidSignatureError' },
  { section: '§4 domain', name: 'signed with domain flock/entry/v2\\n', bytes: resigned(async (_s, f) => await signBytes(concat(utf8('flock/entry/v2\n'), specSigningInput(f).subarray(15)))), spec: 'InvalidSignatureError' },
  { section: '§4 domain', name: 'signed with domain without the newline', bytes: resigned(async (_s, f) => await signBytes(concat(utf8('flock/entry/v1'), specSigningInput(f).subarray(15)))), spec: 'InvalidSignatureError' },
  { section: '§4 input = map without sig', name: 'signed over the 8-key map with a zero sig inside', bytes: resigned(async (_s, f) => await signBytes(concat(utf8('flock/entry/v1\n'), dagCbor.encode({ ...f, sig: zeroSig })))), spec: 'InvalidSignatureError' },
  { section: '§4 input = canonical re-encoding', name: 'signed over the map with keys in alphabetical order', bytes: resigned(async (_s, f) => await signBytes(concat(utf8('flock/entry/v1\n'), encodeRawCbor(new RawMap(Object.keys(f).filter(k => k !== 'sig').sort().map(k => [k, toRaw(f[k])] as const)))))), spec: 'InvalidSignatureError' },
  { section: '§4 input = canonical re-encoding', name: 'signed over the JSON of the fields', bytes: resigned(async (_s, f) => await signBytes(utf8(JSON.stringify({ ...f, sig: undefined })))), spec: 'InvalidSignatureError' },
  { section: '§4', name: 'signed by another key (b) for author a', bytes: resigned(async (_s, f) => Uint8Array.from(await b.privateKey.sign(specSigningInput(f)))), spec: 'InvalidSignatureError' },
  { section: '§4', name: 'signature of the seq-2 version reused on seq 1', bytes: resigned(async (_s, f) => await signBytes(specSigningInput({ ...f, seq: 2, prev: L.cbor }))), spec: 'InvalidSignatureError' },
  { section: '§4', name: 'signature of another text reused', bytes: resigned(async (_s, f) => await signBytes(specSigningInput({ ...f, body: { text: 'hello, flock!' } }))), spec: 'InvalidSignatureError' },
  { section: '§4.1 cofactorless (ZIP-215-only signature, §11 vector)', name: 'valid only under cofactored verification', bytes: async () => vectorBytes('valid only under cofactored (ZIP-215) verification'), spec: 'InvalidSignatureError' },
  { section: '§6.2 step 4 (last of verifyEntry)', name: 'valid schema, signature over another body', bytes: async () => dagCbor.encode({ ...(dagCbor.decode(await entry('profile')()) as Fields), sig: (dagCbor.decode(await minimal()) as Fields).sig }), spec: 'InvalidSignatureError' }
]

// ----------------------------------------------------------------------------------------------
// Version 2: §1.1 devices, §2 keys, §3.1 extension rules, §3 version-2 fields and kinds, §4
// ----------------------------------------------------------------------------------------------

const BODIES2 = await validBodiesV2()
const { d, e } = I
/** A valid body of every known kind of either version. */
const ALL_BODIES: Record<string, Fields> = { ...BODIES, ...BODIES2 }
/** §3.1: every known kind. */
const V2_KNOWN = [...KNOWN.both, ...KNOWN.v2Only]
/** §2's entry table. */
const ENTRY_KEYS = specEntryKeys(TABLES)
/** §3.1 kind syntax and §3 handle syntax, as the spec writes them. */
const KIND_RE = specRegex(/In version 2, `kind` is any text string\s+matching/, SPEC_TEXT)
const HANDLE_RE = specFencedRegex(/\*\*Handle syntax\.\*\*/, SPEC_TEXT)
const dAsCid = peerIdFromString(d.id).toCID().toString()

/** A signed version-2 root-log entry (seq 1, by a) of `kind`: its valid body edited by `bodyPatch`, the header by `patch`. */
function entry2 (kind: string, bodyPatch: Patch = {}, patch: Patch = {}, signer = a, domain?: string): () => Promise<Uint8Array> {
  return async () => await sign(signer, apply(await header(kind, apply(ALL_BODIES[kind] ?? {}, bodyPatch), 2), patch), domain)
}
const post2 = (bodyPatch: Patch, patch: Patch = {}): () => Promise<Uint8Array> => entry2('post', bodyPatch, patch)
/** A signed version-2 root-log entry of `kind` whose body is exactly `body`. */
function withBody2 (kind: string, body: unknown, patch: Patch = {}): () => Promise<Uint8Array> {
  return async () => await sign(a, apply(await header(kind, body, 2), patch))
}
/** An entry of a's device log d at seq 2 (prev a dag-cbor link), signed by d's key. */
function inDevice (kind: string, bodyPatch: Patch = {}, patch: Patch = {}, signer = d, domain?: string): () => Promise<Uint8Array> {
  return async () => await sign(signer, apply(await deviceHeader(kind, apply(ALL_BODIES[kind] ?? {}, bodyPatch)), patch), domain)
}
/** The genesis of d's log (§1.1): seq 1, prev null, kind device, signed by d's key. */
function genesis (bodyPatch: Patch = {}, patch: Patch = {}, signer = d, domain?: string): () => Promise<Uint8Array> {
  return inDevice('device', bodyPatch, { seq: 1, prev: null, ...patch }, signer, domain)
}
/** An `auth` signature by `signer` over `domain` ‖ canonical `map` (§4.2), for auths that are wrong in one way. */
async function authBy (signer: typeof a, domain: string, map: Fields): Promise<Uint8Array> {
  return Uint8Array.from(await signer.privateKey.sign(concat(utf8(domain), dagCbor.encode(map))))
}
/** The valid body builder of `kind` in version `v`: a device body is always a genesis. */
function maker (kind: string, v: 1 | 2): (bodyPatch: Patch) => () => Promise<Uint8Array> {
  if (kind === 'device') return p => genesis(p)
  return v === 1 ? p => entry(kind, p) : p => entry2(kind, p)
}

/** The bounds of a "unsigned integer, A … B" type cell (B may be `2^53 − 1` or `NAME (n)`). */
function boundsOf (type: string): [number, number] | null {
  const m = /^unsigned integer, (\d+) … (.+)$/.exec(type)
  if (m === null) return null
  const hi = m[2] as string
  const upper = /^2\^53 − 1$/.test(hi) ? 2 ** 53 - 1 : Number(/\((\d+)\)/.exec(hi)?.[1] ?? hi)
  if (!Number.isSafeInteger(upper)) throw new Error(`cannot read the bound ${hi}`)
  return [Number(m[1]), upper]
}
/** Values just inside and just outside a field's type (from its §3 table cell), with the outcome each must have. */
function typeProbes (type: string): Array<[string, unknown, 'accept' | 'EntrySchemaError']> {
  const bounds = boundsOf(type)
  if (bounds !== null) {
    const [lo, hi] = bounds
    const above = hi + 1 > Number.MAX_SAFE_INTEGER ? BigInt(hi) + 1n : hi + 1
    return [
      [`${lo} (lowest)`, lo, 'accept'], [`${String(hi)} (highest)`, hi, 'accept'], [`${String(above)} (one above)`, above, 'EntrySchemaError'],
      [lo > 0 ? `${lo - 1} (one below)` : '−1', lo > 0 ? lo - 1 : -1, 'EntrySchemaError'], ['1.5 (a float)', 1.5, 'EntrySchemaError'],
      ['"1" (text)', '1', 'EntrySchemaError'], ['null', null, 'EntrySchemaError']
    ]
  }
  if (type === 'link') {
    return [['raw CIDv1', L.raw, 'accept'], ['dag-cbor CIDv1', L.cbor, 'accept'], ['CIDv0', L.v0, 'EntrySchemaError'], ['CID as text', L.raw.toString(), 'EntrySchemaError'], ['null', null, 'EntrySchemaError']]
  }
  return []
}

const v2EnvelopeCases: Case[] = [
  { section: '§2 v = 1 or 2', name: 'minimal post with v = 2 (root log)', bytes: post2({}), spec: 'accept' },
  ...V2_KNOWN.filter(k => k !== 'device').map((k): Case => ({ section: '§3.1 known kinds (v2, root log)', name: `kind ${k} with its valid body`, bytes: entry2(k), spec: 'accept' })),
  ...V2_KNOWN.filter(k => k !== 'device').map((k): Case => ({ section: '§1.1 device log', name: `kind ${k} at seq 2 of a device log`, bytes: inDevice(k), spec: 'accept' })),
  { section: '§1.1 device genesis', name: 'kind device at seq 1 of a device log', bytes: genesis(), spec: 'accept' },
  // §2 entry table: every key but the optional `device` is required in both versions; `device` is v2 only.
  ...ENTRY_KEYS.filter(k => !k.optional && k.key !== 'sig').flatMap((k): Case[] => [
    { section: '§2 / §6.2 step 3.3 (v2)', name: `root-log entry without ${k.key}`, bytes: post2({}, { [k.key]: OMIT }), spec: 'EntrySchemaError' },
    { section: '§2 / §6.2 step 3.3 (v2)', name: `device-log entry without ${k.key}`, bytes: inDevice('post', {}, { [k.key]: OMIT }), spec: 'EntrySchemaError' }
  ]),
  ...ENTRY_KEYS.filter(k => k.v2Only).map((k): Case => ({
    section: '§2 / §6.2 step 3.3 (v1)', name: `version-1 entry with the v2 key ${k.key}`, bytes: post({}, { [k.key]: d.id }), spec: 'EntrySchemaError', field: `entry.${k.key}`
  })),
  { section: '§2 device absent = root log (§4: signed by the author key)', name: 'device-log entry with its device key removed', bytes: inDevice('post', {}, { device: OMIT }), spec: 'InvalidSignatureError' },
  ...['lang', 'x', 'sig2', 'Device', 'devices', 'log'].flatMap((k): Case[] => [
    { section: '§2 top-level keys stay exact (v2)', name: `root-log entry with unknown key ${JSON.stringify(k)}`, bytes: post2({}, { [k]: 1 }), spec: 'EntrySchemaError' },
    { section: '§2 top-level keys stay exact (v2)', name: `device-log entry with unknown key ${JSON.stringify(k)}`, bytes: inDevice('post', {}, { [k]: 1 }), spec: 'EntrySchemaError' }
  ]),
  ...([['an integer', 1], ['bytes', utf8(d.id)], ['null', null], ['a list', [d.id]], ['a map', { id: d.id }], ['true', true]] as const).map(([what, v]): Case => ({
    section: '§2 device: text string / §6.2 step 3.5', name: `device is ${what}`, bytes: inDevice('post', {}, { device: v }), spec: 'EntrySchemaError', field: 'device'
  })),
  ...([
    ['"alice"', 'alice'], ['empty string', ''], ['CIDv1 form of the device key', dAsCid], ['multibase z prefix', 'z' + d.id], ['secp256k1 PeerId', I.secp256k1],
    ['RSA PeerId', I.rsa], ['identity-point key', I.identityPoint], ['key not on the curve', I.offCurve], ['y ≥ p', I.nonCanonicalY], ['all-zero key', I.zeroKey],
    ['truncated', d.id.slice(0, -1)], ['lowercased', d.id.toLowerCase()], ['trailing space', d.id + ' ']
  ] as const).map(([what, id]): Case => ({ section: '§1 canonical strict id / §6.2 step 3.5', name: `device is ${what}`, bytes: inDevice('post', {}, { device: id }), spec: 'InvalidAuthorError' })),
  { section: '§1.1 / §6.2 step 3.5 device ≠ author', name: 'post with device = author', bytes: post2({}, { device: a.id }), spec: 'EntrySchemaError', field: 'device' },
  { section: '§1.1 / §6.2 step 3.5 device ≠ author', name: 'genesis with device = author', bytes: genesis({ device: a.id, auth: await deviceAuth(a, a.id) }, { device: a.id }, a), spec: 'EntrySchemaError', field: 'device' },
  { section: '§6.2 3.4 before 3.5', name: '63-byte sig and device "alice"', bytes: inDevice('post', {}, { device: 'alice', sig: new Uint8Array(63) }), spec: 'EntrySchemaError', field: 'sig' },
  { section: '§6.2 3.5: author before device', name: 'secp256k1 author and device an integer', bytes: inDevice('post', {}, { author: I.secp256k1, device: 1 }), spec: 'InvalidAuthorError' },
  { section: '§6.2 3.5 before 3.6', name: 'device = author and seq 0', bytes: post2({}, { device: a.id, seq: 0 }), spec: 'EntrySchemaError', field: 'device' },
  { section: '§6.2 3.5 before 3.6', name: 'non-canonical device and kind "Poll"', bytes: inDevice('post', {}, { device: dAsCid, kind: 'Poll' }), spec: 'InvalidAuthorError' },
  { section: '§6.2 3.5 before 4', name: 'non-canonical device and a zero signature', bytes: inDevice('post', {}, { device: dAsCid, sig: zeroSig }), spec: 'InvalidAuthorError' },
  {
    section: '§2.1 key order with device (v2)',
    name: 'device-log entry with device written before author',
    bytes: async () => {
      const f = dagCbor.decode(await inDevice('post')()) as Fields
      return encodeRawCbor(rawMapOf(f, ['v', 'ts', 'seq', 'sig', 'body', 'kind', 'prev', 'device', 'author']))
    },
    spec: 'NonCanonicalEncodingError'
  }
]

const KIND_NAMES = ['poll', 'a', 'z', 'a0', 'a-b', 'a-', 'a--b', 'reaction', 'x'.repeat(MAX_KIND_LENGTH), 'a' + '0'.repeat(31), 'x'.repeat(33), 'a' + '-'.repeat(32),
  '', 'A', 'Poll', 'POLL', '0a', '9', '-a', 'a_b', 'a.b', 'a b', ' poll', 'poll ', 'poll\n', 'é', 'pöll', 'ａ', 'a\0', 'Post', 'post-', 'ı']
const v2KindCases: Case[] = [
  ...KIND_NAMES.map((k): Case => ({
    section: `§3.1 kind syntax ${KIND_RE.source}`, name: `kind ${JSON.stringify(k.length > 20 ? `${k.slice(0, 6)}… (${k.length})` : k)}`,
    bytes: withBody2(k, {}), spec: KIND_RE.test(k) ? 'accept' : 'EntrySchemaError', field: KIND_RE.test(k) ? undefined : 'kind'
  })),
  ...([['1', 1], ['bytes', utf8('poll')], ['null', null], ['a list', ['poll']]] as const).map(([what, k]): Case => ({
    section: '§2 kind text string (v2)', name: `kind is ${what}`, bytes: withBody2(k as unknown as string, {}), spec: 'EntrySchemaError', field: 'kind'
  })),
  ...KNOWN.v2Only.map((k): Case => ({ section: '§3.1 version-2 kinds are unknown in version 1', name: `version-1 entry of kind ${k}`, bytes: entry(k, ALL_BODIES[k]), spec: 'EntrySchemaError', field: 'kind' })),
  // Unknown kinds: any map body, nothing else checked but the rules of every entry.
  { section: '§3.1 unknown kinds', name: 'unknown kind, empty body', bytes: withBody2('poll', {}), spec: 'accept' },
  {
    section: '§3.1 unknown kinds',
    name: 'unknown kind, body of every non-float value',
    bytes: withBody2('poll', { question: 'tea?', options: ['tea', 'coffee'], count: 2, negative: -5, big: 2 ** 53 - 1, flag: true, nothing: null, link: L.cbor, raw: L.raw, v0: L.v0, bytes: new Uint8Array(3), nested: { a: [[1, 'x']] }, É: 1, text: 1, kind: 'post' }),
    spec: 'accept'
  },
  { section: '§3.1 unknown kinds', name: 'unknown kind whose body looks like a broken post', bytes: withBody2('post-v3', { text: 1, media: 'x' }), spec: 'accept' },
  ...([['a list', ['x']], ['null', null], ['a string', 'x'], ['bytes', utf8('x')], ['an integer', 0], ['a CID link', L.cbor], ['true', true]] as const).map(([what, body]): Case => ({
    section: '§3.1 unknown kinds: body MUST be a map', name: `unknown kind, body is ${what}`, bytes: withBody2('poll', body), spec: 'EntrySchemaError', field: 'body'
  })),
  ...([['1.5', 1.5], ['−0.25', -0.25], ['1e300', 1e300], ['1.5 in a nested list', [[1, 1.5]]], ['1.5 in a nested map', { x: { y: 1.5 } }]] as const).map(([what, v]): Case => ({
    section: '§2.1 / §3.1 no float in a v2 body', name: `unknown kind, body holding ${what}`, bytes: withBody2('poll', { n: v }), spec: 'EntrySchemaError'
  })),
  {
    section: '§2.1 no float (class not specified)',
    name: 'unknown kind, body holding the integral float 1.0',
    bytes: async () => {
      const f = dagCbor.decode(await withBody2('poll', { n: 1 })()) as Fields
      return encodeRawCbor(rawMapOf({ ...f, body: new RawMap([['n', new RawFloat(1)]]) as unknown }, canonicalOrder))
    },
    spec: ['NonCanonicalEncodingError', 'EntrySchemaError']
  },
  { section: '§2.1 MAX_CBOR_DEPTH (v2 unknown content may nest deeper)', name: 'unknown kind, depth 16', bytes: withBody2('poll', { x: nested(14, 1) }), spec: 'accept' },
  { section: '§2.1 MAX_CBOR_DEPTH', name: 'unknown kind, depth 17', bytes: withBody2('poll', { x: nested(15, 1) }), spec: STEP2 },
  { section: '§2.1 MAX_CBOR_DEPTH (v2 unknown keys may nest deeper)', name: 'post with an unknown key nesting to depth 16', bytes: post2({ x: nested(14, 1) }), spec: 'accept' },
  { section: '§1.1 device log', name: 'unknown kind at seq 2 of a device log', bytes: inDevice('poll', { question: 'tea?' }), spec: 'accept' }
]

const UNKNOWN_VALUES: Array<[string, unknown]> = [['"en"', 'en'], ['an integer', 7], ['null', null], ['a nested map with a link', { deep: [1, L.cbor] }], ['bytes', new Uint8Array(2)]]
const v2UnknownKeyCases: Case[] = [
  ...V2_KNOWN.flatMap((k): Case[] => [
    ...UNKNOWN_VALUES.map(([what, v]): Case => ({ section: '§3.1 unknown body keys allowed (v2)', name: `${k} body with unknown key "lang" = ${what}`, bytes: maker(k, 2)({ lang: v }), spec: 'accept' })),
    ...['', '__proto__', 'toString', 'constructor', 'Text', 'é'].map((key): Case => ({ section: '§3.1 unknown body keys allowed (v2)', name: `${k} body with unknown key ${JSON.stringify(key)}`, bytes: maker(k, 2)({ [key]: 'x' }), spec: 'accept' })),
    { section: '§3.1 unknown keys: any value except a float', name: `${k} body with unknown key = 1.5`, bytes: maker(k, 2)({ lang: 1.5 }), spec: 'EntrySchemaError' },
    { section: '§3.1 unknown keys: any value except a float', name: `${k} body with unknown key = [1, 2.5]`, bytes: maker(k, 2)({ lang: [1, 2.5] }), spec: 'EntrySchemaError' },
    ...(REQUIRED[k] ?? []).map((key): Case => ({ section: '§3 known keys keep their rules (v2)', name: `${k} without ${key}, with an unknown key`, bytes: maker(k, 2)({ [key]: OMIT, lang: 'en' }), spec: 'EntrySchemaError', field: `body.${key}` })),
    { section: '§3.1 unknown body keys', name: `${k} in a device log with an unknown key`, bytes: k === 'device' ? genesis({ lang: 'en' }) : inDevice(k, { lang: 'en' }), spec: 'accept' }
  ]),
  { section: '§3.1 unknown keys inside reply (v2)', name: 'reply with an extra key', bytes: post2({ reply: { root: L.cbor, parent: L.cbor, depth: 1 } }), spec: 'accept' },
  { section: '§3.1 unknown keys inside reply (v2)', name: 'reply with an extra float', bytes: post2({ reply: { root: L.cbor, parent: L.cbor, depth: 1.5 } }), spec: 'EntrySchemaError' },
  { section: '§3 reply keys still required (v2)', name: 'reply without parent, with an extra key', bytes: post2({ reply: { root: L.cbor, depth: 1 } }), spec: 'EntrySchemaError', field: 'body.reply.parent' },
  { section: '§3.1 unknown keys inside a media item (v2)', name: 'media item with blurhash', bytes: post2({ media: media(1, { blurhash: 'LKO2?U%2Tw=w' }) }), spec: 'accept' },
  { section: '§3.1 unknown keys inside a media item (v2)', name: 'media item with a float focus point', bytes: post2({ media: media(1, { focus: { x: 0.5 } }) }), spec: 'EntrySchemaError' },
  { section: '§3 known keys keep their types (v2)', name: 'text an integer, with an unknown key', bytes: post2({ text: 1, lang: 'en' }), spec: 'EntrySchemaError', field: 'body.text' },
  { section: '§3 known keys keep their types (v2)', name: 'like author "alice", with an unknown key', bytes: entry2('like', { author: 'alice', lang: 'en' }), spec: 'EntrySchemaError', field: 'body.author' },
  { section: '§3 known keys keep their types (v2)', name: 'media mime "Image/X", with an unknown key', bytes: post2({ media: media(1, { mime: 'Image/X', blurhash: 'x' }) }), spec: 'EntrySchemaError', field: 'body.media[0].mime' },
  { section: '§3 post.text "" only with media (v2)', name: 'empty text with an unknown key', bytes: post2({ text: '', lang: 'en' }), spec: 'EntrySchemaError', field: 'body.text' },
  // Ambiguity: §6.2 3.6 checks the known fields in table order, and names the float rule last, without saying whether it comes after them.
  { section: '§6.2 3.6 (ambiguous: float rule vs field order)', name: '501-grapheme text and a float in an unknown key', bytes: post2({ text: rep('a', 501), lang: 1.5 }), spec: ['TextTooLongError', 'EntrySchemaError'] }
]

/** §3 body and media tables, both versions: key sets, null, samples of every optional field, unknown keys. */
const v2TableCases: Case[] = [
  ...SPEC_BODIES.bodies.flatMap(t => t.kinds.flatMap(kind => ([1, 2] as const).filter(v => v === 2 || !t.v2Only).flatMap((v): Case[] => {
    const make = maker(kind, v)
    const section = `§3 ${kind} table (v${v})`
    return [
      { section, name: `${kind}: its valid body`, bytes: make({}), spec: 'accept' },
      ...t.fields.flatMap((f): Case[] => f.required
        ? [
            { section, name: `${kind} without ${f.key}`, bytes: make({ [f.key]: OMIT }), spec: 'EntrySchemaError', field: `body.${f.key}` },
            { section, name: `${kind} with ${f.key}: null`, bytes: make({ [f.key]: null }), spec: 'EntrySchemaError' }
          ]
        : [
            { section: `${section}${f.v2Only ? ', a v2 field' : ''}`, name: `${kind} with ${f.key}`, bytes: make({ [f.key]: SAMPLES[`${kind}.${f.key}`] }), spec: v === 1 && f.v2Only ? 'EntrySchemaError' : 'accept' },
            { section, name: `${kind} with ${f.key}: null`, bytes: make({ [f.key]: null }), spec: 'EntrySchemaError' }
          ]),
      { section, name: `${kind} with every optional field of v${v}`, bytes: make(optionalOf(kind, v)), spec: 'accept' },
      { section: v === 1 ? '§3 (v1) unknown keys rejected' : '§3.1 (v2) unknown keys ignored', name: `${kind} with an unknown key`, bytes: make({ lang: 'en' }), spec: v === 1 ? 'EntrySchemaError' : 'accept' }
    ]
  }))),
  ...([1, 2] as const).flatMap((v): Case[] => {
    const p = v === 1 ? post : post2
    const section = `§3 media item table (v${v})`
    return [
      ...SPEC_BODIES.mediaItem.flatMap((f): Case[] => f.required
        ? [
            { section, name: `item without ${f.key}`, bytes: p({ media: media(1, { [f.key]: OMIT }) }), spec: 'EntrySchemaError', field: `body.media[0].${f.key}` },
            { section, name: `item with ${f.key}: null`, bytes: p({ media: media(1, { [f.key]: null }) }), spec: 'EntrySchemaError', field: `body.media[0].${f.key}` }
          ]
        : [
            { section: `${section}${f.v2Only ? ', a v2 field' : ''}`, name: `item with ${f.key}`, bytes: p({ media: media(1, { [f.key]: SAMPLES[`media.${f.key}`] }) }), spec: v === 1 && f.v2Only ? 'EntrySchemaError' : 'accept', field: v === 1 && f.v2Only ? `body.media[0].${f.key}` : undefined },
            { section, name: `item with ${f.key}: null`, bytes: p({ media: media(1, { [f.key]: null }) }), spec: 'EntrySchemaError' },
            ...(v === 2 ? typeProbes(f.type) : []).map(([what, value, spec]): Case => ({
              section: `§3 media item ${f.key}: ${f.type}`, name: `item with ${f.key} ${what}`, bytes: p({ media: media(1, { [f.key]: value }) }), spec
            }))
          ]),
      { section, name: 'four items, each with every optional field', bytes: p({ media: media(4, Object.fromEntries(SPEC_BODIES.mediaItem.filter(f => !f.required && (v === 2 || !f.v2Only)).map(f => [f.key, SAMPLES[`media.${f.key}`]]))) }), spec: 'accept' }
    ]
  })
]

const HANDLES = [
  'alice.example.org', 'a.b', 'ab.c', 'a.bc', 'xn--bcher-kva.example', 'a-b.c-d.e', '1.a', 'a.1b', 'a.b1', '123.com', '0.0.0.a', 'a.b-c',
  'a'.repeat(63) + '.com', 'a'.repeat(64) + '.com', 'com.' + 'a'.repeat(63), 'com.' + 'a'.repeat(64),
  ('a'.repeat(63) + '.').repeat(3) + 'a'.repeat(61), ('a'.repeat(63) + '.').repeat(3) + 'a'.repeat(62), 'a.' + 'b.'.repeat(125) + 'c',
  'ab', 'a.', '.a', 'example', 'Example.com', 'example.COM', 'example.com.', '.example.com', 'example..com', '-a.com', 'a-.com', 'a.-com', 'a.com-',
  'a_b.com', '1.2.3.4', '192.168.0.1', 'a.123', 'exämple.com', 'example.com ', ' example.com', 'example.com\n', 'a..b', 'a.b.', 'xn--.com', '--.com', 'a--b.c',
  'localhost', 'a/b.com', 'a@b.com', 'a:1.com', 'ｅｘａｍｐｌｅ.com'
]
/** The handle rules as §3's prose states them (lengths, labels, last label), to check the spec's own regex against. */
function handleByProse (s: string): boolean {
  if (s.length < 3 || s.length > 253) return false
  const labels = s.split('.')
  if (labels.length < 2) return false
  if (!labels.every(l => l.length >= 1 && l.length <= 63 && /^[a-z0-9-]+$/.test(l) && !l.startsWith('-') && !l.endsWith('-'))) return false
  return !/^[0-9]+$/.test(labels.at(-1) as string)
}
function randomHandles (seed: number, n: number): string[] {
  const rng = new Rng(seed)
  const alphabet = 'ab0-.-.9zA_'
  return Array.from({ length: n }, () => Array.from({ length: 1 + rng.int(12) }, () => alphabet[rng.int(alphabet.length)]).join(''))
}
const v2HandleCases: Case[] = [
  ...[...HANDLES, ...randomHandles(77, 150)].map((h): Case => ({
    section: '§3 profile.handle syntax (the spec\'s regex)', name: `handle ${JSON.stringify(h.length > 30 ? `${h.slice(0, 10)}… (${h.length})` : h)}`,
    bytes: entry2('profile', { handle: h }), spec: HANDLE_RE.test(h) ? 'accept' : 'EntrySchemaError', field: HANDLE_RE.test(h) ? undefined : 'body.handle'
  })),
  ...([['an integer', 1], ['bytes', utf8('a.b')], ['a list', ['a.b']], ['null', null]] as const).map(([what, h]): Case => ({
    section: '§3 profile.handle text', name: `handle is ${what}`, bytes: entry2('profile', { handle: h }), spec: 'EntrySchemaError', field: 'body.handle'
  })),
  { section: '§3 profile.handle is a v2 field', name: 'version-1 profile with a valid handle', bytes: entry('profile', { handle: 'alice.example.org' }), spec: 'EntrySchemaError', field: 'body.handle' }
]

const v2KindBodyCases: Case[] = [
  // edit
  { section: '§3 edit text 0 … 500 (may be "")', name: 'edit with empty text', bytes: entry2('edit', { text: '' }), spec: 'accept' },
  { section: '§3 edit text 0 … 500', name: 'edit with 500 graphemes', bytes: entry2('edit', { text: rep('👍🏽', 500) }), spec: 'accept' },
  { section: '§3 edit text 0 … 500', name: 'edit with 501 graphemes', bytes: entry2('edit', { text: rep('a', 501) }), spec: 'TextTooLongError', field: 'body.text' },
  { section: '§3 edit text', name: 'edit text an integer', bytes: entry2('edit', { text: 1 }), spec: 'EntrySchemaError', field: 'body.text' },
  { section: '§3 edit subject link', name: 'edit subject CIDv0', bytes: entry2('edit', { subject: L.v0 }), spec: 'EntrySchemaError', field: 'body.subject' },
  { section: '§3 edit subject link', name: 'edit subject as text', bytes: entry2('edit', { subject: L.cbor.toString() }), spec: 'EntrySchemaError', field: 'body.subject' },
  { section: '§3 edit mentions', name: 'edit mentions []', bytes: entry2('edit', { mentions: [] }), spec: 'EntrySchemaError', field: 'body.mentions' },
  { section: '§3 edit mentions', name: 'edit mentions repeated', bytes: entry2('edit', { mentions: [b.id, b.id] }), spec: 'EntrySchemaError', field: 'body.mentions' },
  { section: '§3 edit mentions', name: 'edit mentions 51', bytes: entry2('edit', { mentions: I.many.slice(0, 51) }), spec: 'EntrySchemaError', field: 'body.mentions' },
  { section: '§3 edit tags (tag format as for post)', name: 'edit tag "Flock"', bytes: entry2('edit', { tags: ['Flock'] }), spec: 'EntrySchemaError', field: 'body.tags[0]' },
  { section: '§3 edit tags', name: 'edit tags repeated', bytes: entry2('edit', { tags: ['a', 'a'] }), spec: 'EntrySchemaError', field: 'body.tags' },
  { section: '§3 edit tags', name: 'edit 21 tags', bytes: entry2('edit', { tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }), spec: 'EntrySchemaError', field: 'body.tags' },
  { section: '§3.1 media is not an edit field: an unknown key', name: 'edit with a malformed "media" key', bytes: entry2('edit', { media: 'x', reply: 1 }), spec: 'accept' },
  // device (§1.1, §3 device, §4.2, §6.2 3.7)
  { section: '§3 device name 0 … 50', name: 'genesis with name ""', bytes: genesis({ name: '' }), spec: 'accept' },
  { section: '§3 device name 0 … 50', name: 'genesis with a 50-grapheme name', bytes: genesis({ name: rep('👍🏽', 50) }), spec: 'accept' },
  { section: '§3 device name 0 … 50', name: 'genesis with a 51-grapheme name', bytes: genesis({ name: rep('a', 51) }), spec: 'TextTooLongError', field: 'body.name' },
  { section: '§3 device name text', name: 'genesis with name an integer', bytes: genesis({ name: 1 }), spec: 'EntrySchemaError', field: 'body.name' },
  { section: '§3 device: body.device = entry\'s device', name: 'genesis naming another device', bytes: genesis({ device: e.id, auth: await deviceAuth(a, e.id) }), spec: 'EntrySchemaError', field: 'body.device' },
  { section: '§3 device: body.device = entry\'s device', name: 'genesis naming the author', bytes: genesis({ device: a.id }), spec: 'EntrySchemaError', field: 'body.device' },
  { section: '§3 device: body.device = entry\'s device', name: 'genesis with body.device "alice"', bytes: genesis({ device: 'alice' }), spec: 'EntrySchemaError', field: 'body.device' },
  { section: '§3 device auth 64 bytes', name: 'genesis with a 63-byte auth', bytes: genesis({ auth: new Uint8Array(63) }), spec: 'EntrySchemaError', field: 'body.auth' },
  { section: '§3 device auth 64 bytes', name: 'genesis with a 65-byte auth', bytes: genesis({ auth: new Uint8Array(65) }), spec: 'EntrySchemaError', field: 'body.auth' },
  { section: '§3 device auth byte string', name: 'genesis with auth as text', bytes: genesis({ auth: 'x'.repeat(64) }), spec: 'EntrySchemaError', field: 'body.auth' },
  { section: '§6.2 step 3.7', name: 'kind device in a root log', bytes: entry2('device'), spec: 'EntrySchemaError' },
  { section: '§6.2 step 3.7', name: 'kind device at seq 2 of a device log', bytes: inDevice('device'), spec: 'EntrySchemaError' },
  ...[...V2_KNOWN.filter(k => k !== 'device'), 'poll'].map((k): Case => ({
    section: '§6.2 step 3.7', name: `seq 1 of a device log of kind ${k}`, bytes: inDevice(k, k === 'poll' ? {} : {}, { seq: 1, prev: null }), spec: 'EntrySchemaError'
  })),
  { section: '§2 prev null iff seq 1', name: 'genesis with a prev', bytes: genesis({}, { prev: L.cbor }), spec: 'EntrySchemaError', field: 'prev' },
  { section: '§4.2 auth by the author key', name: 'genesis auth signed by another author', bytes: genesis({ auth: await authBy(b, DEVICE_DOMAIN_SPEC, { author: a.id, device: d.id }) }), spec: 'InvalidSignatureError' },
  { section: '§4.2 auth by the author key', name: 'genesis auth signed by the device key', bytes: genesis({ auth: await authBy(d, DEVICE_DOMAIN_SPEC, { author: a.id, device: d.id }) }), spec: 'InvalidSignatureError' },
  { section: '§4.2 auth domain', name: 'genesis auth under the revoke domain', bytes: genesis({ auth: await authBy(a, REVOKE_DOMAIN_SPEC, { author: a.id, device: d.id }) }), spec: 'InvalidSignatureError' },
  { section: '§4.2 auth domain', name: 'genesis auth under the v2 entry domain', bytes: genesis({ auth: await authBy(a, DOMAIN_V2, { author: a.id, device: d.id }) }), spec: 'InvalidSignatureError' },
  { section: '§4.2 auth domain', name: 'genesis auth without a domain', bytes: genesis({ auth: await authBy(a, '', { author: a.id, device: d.id }) }), spec: 'InvalidSignatureError' },
  { section: '§4.2 auth map', name: 'genesis auth over another device', bytes: genesis({ auth: await deviceAuth(a, e.id) }), spec: 'InvalidSignatureError' },
  { section: '§4.2 auth map', name: 'genesis auth over {author, device, name}', bytes: genesis({ name: 'x', auth: await authBy(a, DEVICE_DOMAIN_SPEC, { author: a.id, device: d.id, name: 'x' }) }), spec: 'InvalidSignatureError' },
  { section: '§4.1 for auth', name: 'genesis auth all zero', bytes: genesis({ auth: zeroSig }), spec: 'InvalidSignatureError' },
  { section: '§4.1 step 1 for auth', name: 'genesis auth with S + L', bytes: genesis({ auth: withS(BODIES2.device?.auth as Uint8Array, sOf(BODIES2.device?.auth as Uint8Array) + ED25519_L) }), spec: 'InvalidSignatureError' },
  { section: '§4 sig by the device key', name: 'genesis signed by the author key', bytes: genesis({}, {}, a), spec: 'InvalidSignatureError' },
  { section: '§4 sig by the device key', name: 'genesis signed by another device key', bytes: genesis({}, {}, e), spec: 'InvalidSignatureError' },
  { section: '§4.2 name not covered by auth (§4.2)', name: 'genesis with a name the auth does not cover', bytes: genesis({ name: 'phone' }), spec: 'accept' },
  // revoke
  { section: '§1.1 revoke in any log', name: 'revoke of e in the root log', bytes: entry2('revoke'), spec: 'accept' },
  { section: '§1.1 revoke in any log', name: 'revoke of e in d\'s log', bytes: inDevice('revoke'), spec: 'accept' },
  { section: '§1.1 revoke in any log (the revoked device\'s own included)', name: 'revoke of d in d\'s log', bytes: inDevice('revoke', { device: d.id, auth: await revokeAuth(a, d.id, 3) }), spec: 'accept' },
  { section: '§3 revoke device: a device id ≠ author', name: 'revoke naming the author', bytes: entry2('revoke', { device: a.id, auth: await revokeAuth(a, a.id, 3) }), spec: 'EntrySchemaError', field: 'body.device' },
  ...([['"alice"', 'alice'], ['CIDv1 form', dAsCid], ['identity-point key', I.identityPoint], ['an integer', 1], ['bytes', utf8(e.id)]] as const).map(([what, id]): Case => ({
    section: '§1 / §3 device id in a body → EntrySchemaError', name: `revoke device ${what}`, bytes: entry2('revoke', { device: id }), spec: 'EntrySchemaError', field: 'body.device'
  })),
  ...typeProbes(SPEC_BODIES.bodies.find(t => t.kinds.includes('revoke'))?.fields.find(f => f.key === 'after')?.type ?? '').map(([what, after, spec]): Case => ({
    section: '§3 revoke after: unsigned integer, 0 … 2^53 − 1', name: `revoke after ${what}`,
    bytes: async () => await entry2('revoke', { after, auth: typeof after === 'number' && Number.isSafeInteger(after) && after >= 0 ? await revokeAuth(a, e.id, after) : new Uint8Array(64) })(),
    spec
  })),
  { section: '§3 revoke auth 64 bytes', name: 'revoke with a 63-byte auth', bytes: entry2('revoke', { auth: new Uint8Array(63) }), spec: 'EntrySchemaError', field: 'body.auth' },
  { section: '§4.2 revoke auth map', name: 'revoke auth over another after', bytes: entry2('revoke', { auth: await revokeAuth(a, e.id, 4) }), spec: 'InvalidSignatureError' },
  { section: '§4.2 revoke auth map', name: 'revoke auth over another device', bytes: entry2('revoke', { auth: await revokeAuth(a, d.id, 3) }), spec: 'InvalidSignatureError' },
  { section: '§4.2 revoke auth by the author key', name: 'revoke auth signed by the device key', bytes: inDevice('revoke', { auth: await authBy(d, REVOKE_DOMAIN_SPEC, { after: 3, author: a.id, device: e.id }) }), spec: 'InvalidSignatureError' },
  { section: '§4.2 revoke auth domain', name: 'revoke auth under the device domain', bytes: entry2('revoke', { auth: await authBy(a, DEVICE_DOMAIN_SPEC, { after: 3, author: a.id, device: e.id }) }), spec: 'InvalidSignatureError' },
  { section: '§4.2 revoke auth map', name: 'revoke auth over {author, device} only', bytes: entry2('revoke', { auth: await authBy(a, REVOKE_DOMAIN_SPEC, { author: a.id, device: e.id }) }), spec: 'InvalidSignatureError' }
]

const v2SignatureCases: Case[] = [
  { section: '§4 domain per version', name: 'version-2 post signed under the version-1 domain', bytes: entry2('post', {}, {}, a, DOMAIN_V1), spec: 'InvalidSignatureError' },
  { section: '§4 domain per version', name: 'version-1 post signed under the version-2 domain', bytes: async () => await sign(a, await header('post', BODIES.post), DOMAIN_V2), spec: 'InvalidSignatureError' },
  { section: '§4 domain per version', name: 'version-2 post signed without a domain', bytes: entry2('post', {}, {}, a, ''), spec: 'InvalidSignatureError' },
  { section: '§4 domain per version', name: 'device-log entry signed under the version-1 domain', bytes: inDevice('post', {}, {}, d, DOMAIN_V1), spec: 'InvalidSignatureError' },
  { section: '§4 "a version-1 entry relabelled v: 2 does not verify"', name: 'version-1 post with v changed to 2, same sig', bytes: async () => dagCbor.encode({ ...(dagCbor.decode(await post({})()) as Fields), v: 2 }), spec: 'InvalidSignatureError' },
  { section: '§4 signed by the log\'s key', name: 'device-log entry signed by the author key', bytes: inDevice('post', {}, {}, a), spec: 'InvalidSignatureError' },
  { section: '§4 signed by the log\'s key', name: 'device-log entry signed by another device key', bytes: inDevice('post', {}, {}, e), spec: 'InvalidSignatureError' },
  { section: '§4 signed by the log\'s key', name: 'device d\'s signature with device e named', bytes: async () => dagCbor.encode({ ...(dagCbor.decode(await inDevice('post')()) as Fields), device: e.id }), spec: 'InvalidSignatureError' },
  { section: '§4.1 step 1 (v2)', name: 'device-log entry with S + L', bytes: async () => { const f = dagCbor.decode(await inDevice('post')()) as Fields; const sig = f.sig as Uint8Array; return dagCbor.encode({ ...f, sig: withS(sig, sOf(sig) + ED25519_L) }) }, spec: 'InvalidSignatureError' },
  // Steps 1–4 cannot attribute a device-log entry: its genesis (step 5) does (§1.1).
  { section: '§6.2 steps 1–4 (attribution is step 5)', name: 'device-log entry naming another author, signed by the device', bytes: inDevice('post', {}, { author: b.id }), spec: 'accept' }
]

const ALL: Array<[string, Case[]]> = [
  ['§6.2 step 1: size', sizeCases],
  ['§2.1 / §6.2 step 2: decode and canonical form', decodeCases],
  ['§6.2 steps 3.1–3.4: map, version, keys, sig', envelopeCases],
  ['§1 / §6.2 step 3.5: author', authorCases],
  ['§2 / §6.2 step 3.6: seq, prev, ts, kind, body', headerCases],
  ['§3 links', linkCases],
  ['§3 bodies', bodyCases],
  ['§1 / §3 author ids in bodies', bodyAuthorCases],
  ['§3 mime', mimeCases],
  ['§3 tag format', tagCases],
  ['§3 / §6.1 text limits', textCases],
  ['§6.1 graphemes, random text against Intl.Segmenter', randomTextCases],
  ['§6.2 step 3.6: order inside a body', bodyOrderCases],
  ['§4 / §4.1 signature', signatureCases],
  ['v2: §1.1 / §2 / §6.2 steps 3.2–3.5: version, keys, device', v2EnvelopeCases],
  ['v2: §3.1 kind names and unknown kinds', v2KindCases],
  ['v2: §3.1 unknown body keys', v2UnknownKeyCases],
  ['v1 and v2: §3 body and media tables', v2TableCases],
  ['v2: §3 profile.handle', v2HandleCases],
  ['v2: §3 edit, device, revoke; §4.2 auth; §6.2 step 3.7', v2KindBodyCases],
  ['v2: §4 signatures', v2SignatureCases]
]

for (const [title, cases] of ALL) {
  describe(title, () => {
    test.each(cases.map(c => [`${c.section} — ${c.name} → ${Array.isArray(c.spec) ? c.spec.join(' | ') : c.spec}`, c] as const))('%s', async (_label, c) => {
      await check(c)
    })
  })
}

// ----------------------------------------------------------------------------------------------
// §2.2, §4, §5: byte layout, signing input, CID (positive properties of what the reference writes)
// ----------------------------------------------------------------------------------------------

describe('§2.2 / §4 / §5: what the reference writes', () => {
  test('§1 example id and §2.2 byte layout of alice\'s first post (version 1), with §5 CID', async () => {
    const alice = await authorFromSeed(1)
    expect(alice.id).toBe('12D3KooWK99VoVxNE7XzyBwXEzW7xhK7Gpv85r9F3V3fyKSUKPH5')
    const v = await createEntry(alice, null, 'post', { text: 'hello, flock' }, 1767225600000, V1)
    expect(v.bytes.length).toBe(192)
    const h = hex(v.bytes)
    expect(h.startsWith('a8' + '6176' + '01' + '627473' + '1b0000019b76daa800' + '63736571' + '01' + '63736967' + '5840')).toBe(true)
    const afterSig = h.slice((1 + 2 + 1 + 3 + 9 + 4 + 1 + 4 + 2 + 64) * 2)
    expect(afterSig).toBe('64626f6479' + 'a1' + '6474657874' + '6c' + hex(utf8('hello, flock')) + '646b696e64' + '64706f7374' + '6470726576' + 'f6' +
      '66617574686f72' + '7834' + hex(utf8(alice.id)))
    expect(v.cid.toString()).toBe('bafyreieyz7fys7fznmkpvw6z7ej4rwlw36a34busg2u7qp3eutydw77htq')
  })

  test.each(KINDS)('§4 signing input and §5 CID of a version-1 %s entry, checked with node:crypto only', async (kind) => {
    const v = await createEntry(a, null, kind as EntryKind, BODIES[kind] as unknown as Bodies[EntryKind], T0, V1)
    const fields = dagCbor.decode(v.bytes) as Fields
    const input = specSigningInput(fields)
    expect(hex(input.subarray(0, 15))).toBe('666c6f636b2f656e7472792f76310a')
    expect(input[15]).toBe(0xa7)
    // §4: the entry bytes with a8 → a7 and the "sig" pair removed.
    const sig = fields.sig as Uint8Array
    const sigPair = concat([0x63, ...utf8('sig'), 0x58, 0x40], sig)
    const cut = splice(v.bytes, sigPair, [])
    cut[0] = 0xa7
    expect(hex(input.subarray(15))).toBe(hex(cut))
    const jwk = { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(a.publicKey.raw).toString('base64url') }
    expect(nodeVerify(null, input, createPublicKey({ key: jwk, format: 'jwk' }), sig)).toBe(true)
    // §4: deterministic.
    const again = await createEntry(a, null, kind as EntryKind, BODIES[kind] as unknown as Bodies[EntryKind], T0, V1)
    expect(hex(again.bytes)).toBe(hex(v.bytes))
    // §5: CIDv1 dag-cbor sha2-256 of the complete bytes; 59 characters starting bafyrei.
    const digest = await sha256.digest(v.bytes)
    expect(v.cid.equals(CID.createV1(0x71, digest))).toBe(true)
    expect(hex(v.cid.bytes)).toBe('01711220' + hex(digest.digest))
    expect(v.cid.toString()).toMatch(/^bafyrei[a-z2-7]{52}$/)
  })

  test('§2.1 a full post nests within MAX_CBOR_DEPTH', async () => {
    const bytes = await post(OPTIONAL.post as Patch)()
    expect(cborDepth(bytes)).toBeLessThanOrEqual(16)
  })
})

// ----------------------------------------------------------------------------------------------
// §6.3: what creating an entry refuses
// ----------------------------------------------------------------------------------------------

describe('§6.1 / §6.3: creation', () => {
  test('§6.1 unpaired surrogate in text: the reference refuses to create (EntrySchemaError)', async () => {
    await expect(createEntry(a, null, 'post', { text: 'a\ud800b' }, T0)).rejects.toHaveProperty('name', 'EntrySchemaError')
    await expect(createEntry(a, null, 'profile', { name: '\udc00', bio: '' }, T0)).rejects.toHaveProperty('name', 'EntrySchemaError')
    await expect(createEntry(a, null, 'post', { text: '', media: [{ cid: L.raw, mime: 'a/b', alt: '\ud83d' }] }, T0)).rejects.toHaveProperty('name', 'EntrySchemaError')
  })
  test('§6.3 EntryTooLargeError also when creating', async () => {
    await expect(createEntry(a, null, 'post', { text: 'a' + '\u0301'.repeat(4200) }, T0)).rejects.toHaveProperty('name', 'EntryTooLargeError')
  })
  test('§6.3 InvalidAuthorError when creating on another author\'s head', async () => {
    const head = await createEntry(b, null, 'post', { text: 'b' }, T0)
    await expect(createEntry(a, head, 'post', { text: 'a' }, T0)).rejects.toHaveProperty('name', 'InvalidAuthorError')
  })
})

// ----------------------------------------------------------------------------------------------
// §6.2 steps 5–6: chain and timestamp, in order
// ----------------------------------------------------------------------------------------------

describe('§6.2 steps 5–6: chain and timestamp', async () => {
  const e1 = await verifyEntry(await sign(a, await header('post', { text: 'one' })))
  const e2 = await verifyEntry(await sign(a, { ...await header('post', { text: 'two' }), seq: 2, prev: e1.cid, ts: T0 + 1000 }))
  const at = (seq: number, prev: CID | null, ts: number, text = 'x', signer = a): Promise<Uint8Array> =>
    sign(signer, { v: 1, author: signer.id, seq, prev, ts, kind: 'post', body: { text } })
  const logWith = (...vs: VerifiedEntry[]): AuthorLog => {
    const log = new AuthorLog(a.id)
    for (const v of vs) log.append(v)
    return log
  }
  const FAR = T0 + 10 ** 9
  const e2v2 = await verifyEntry(await sign(a, { ...await header('post', { text: 'two, version 2' }, 2), seq: 2, prev: e1.cid, ts: T0 + 1000 }))
  const at2 = (seq: number, prev: CID | null, ts: number, text = 'x'): Promise<Uint8Array> =>
    sign(a, { v: 2, author: a.id, seq, prev, ts, kind: 'post', body: { text } })
  const { d } = I
  const g1 = await verifyEntry(await sign(d, { ...await deviceHeader('device', (await validBodiesV2()).device, 1), ts: T0 }))
  const d2 = await verifyEntry(await sign(d, { ...await deviceHeader('post', { text: 'from d' }), prev: g1.cid, ts: T0 + 1000 }))
  const deviceLog = (...vs: VerifiedEntry[]): AuthorLog => {
    const log = new AuthorLog(d.id)
    for (const v of vs) log.append(v)
    return log
  }
  const cases: Array<[string, string, () => Promise<Uint8Array>, () => AuthorLog, number, Outcome]> = [
    ['§6.2 step 5', 'seq 1 on an empty log', async () => e1.bytes, () => logWith(), FAR, 'accept'],
    ['§6.2 step 5', 'seq 2 extending seq 1', async () => e2.bytes, () => logWith(e1), FAR, 'accept'],
    ['§2 ts never decreases (equal allowed)', 'seq 2 with the same ts', () => at(2, e1.cid, T0), () => logWith(e1), FAR, 'accept'],
    ['§6.2 step 5.1', 'another author\'s seq 1', () => at(1, null, T0, 'b', b), () => logWith(), FAR, 'WrongAuthorError'],
    ['§6.2 5.1 before 5.5', 'another author\'s seq 5', () => at(5, L.cbor, T0, 'b', b), () => logWith(e1), FAR, 'WrongAuthorError'],
    ['§6.2 step 5.4', 'the held entry again', async () => e1.bytes, () => logWith(e1, e2), FAR, 'DuplicateEntryError'],
    ['§6.2 step 5.4', 'another entry at a held seq', () => at(1, null, T0, 'fork'), () => logWith(e1, e2), FAR, 'ForkError'],
    ['§6.2 5.4 before 6', 'a fork from the future', () => at(1, null, FAR + 10 ** 9, 'fork'), () => logWith(e1), FAR, 'ForkError'],
    ['§6.2 step 5.5', 'seq 3 on a log at seq 1', () => at(3, e2.cid, T0 + 2000), () => logWith(e1), FAR, 'SeqGapError'],
    ['§6.2 step 5.5', 'seq 2 on an empty log', async () => e2.bytes, () => logWith(), FAR, 'SeqGapError'],
    ['§6.2 5.5 before 5.6', 'seq 3 with a wrong prev on a log at seq 1', () => at(3, L.cbor, T0 + 2000), () => logWith(e1), FAR, 'SeqGapError'],
    ['§6.2 step 5.6', 'seq 2 with a wrong prev', () => at(2, L.cbor, T0 + 1000), () => logWith(e1), FAR, 'PrevMismatchError'],
    ['§6.2 5.6 before 5.8', 'wrong prev and ts regression', () => at(2, L.cbor, T0 - 1), () => logWith(e1), FAR, 'PrevMismatchError'],
    ['§6.2 step 5.8', 'ts one ms before the head', () => at(2, e1.cid, T0 - 1), () => logWith(e1), FAR, 'TimestampRegressionError'],
    ['§6.2 5.8 before 6', 'ts regression with a clock far behind', () => at(2, e1.cid, T0 - 1), () => logWith(e1), 0, 'TimestampRegressionError'],
    ['§6.2 step 6', 'ts exactly now + 300000', () => at(1, null, T0 + 300_000), () => logWith(), T0, 'accept'],
    ['§6.2 step 6', 'ts now + 300001', () => at(1, null, T0 + 300_001), () => logWith(), T0, 'FutureTimestampError'],
    ['§6.2 step 6', 'ts 2^53 − 1', () => at(1, null, 2 ** 53 - 1), () => logWith(), T0, 'FutureTimestampError'],
    // Version 2 (§1.1, §10 step 4): a root log moves from version 1 to 2, never back; device logs are bound by their genesis.
    ['§10 step 4 / §6.2 step 5', 'version-2 seq 2 after version-1 seq 1', async () => e2v2.bytes, () => logWith(e1), FAR, 'accept'],
    ['§6.2 step 5', 'version-2 seq 3 after version-2 seq 2', () => at2(3, e2v2.cid, T0 + 2000), () => logWith(e1, e2v2), FAR, 'accept'],
    ['§6.2 step 5.7', 'version-1 seq 3 after version-2 seq 2', () => at(3, e2v2.cid, T0 + 2000), () => logWith(e1, e2v2), FAR, 'VersionRegressionError'],
    ['§6.2 5.6 before 5.7', 'version-1 seq 3 with a wrong prev after version 2', () => at(3, L.cbor, T0 + 2000), () => logWith(e1, e2v2), FAR, 'PrevMismatchError'],
    ['§6.2 5.5 before 5.7', 'version-1 seq 4 on a version-2 log at seq 2', () => at(4, e2v2.cid, T0 + 2000), () => logWith(e1, e2v2), FAR, 'SeqGapError'],
    ['§6.2 5.7 before 5.8', 'version-1 seq 3 dated before its version-2 head', () => at(3, e2v2.cid, T0), () => logWith(e1, e2v2), FAR, 'VersionRegressionError'],
    ['§6.2 5.7 before 6', 'version-1 seq 3 after version 2, from the future', () => at(3, e2v2.cid, FAR + 10 ** 9), () => logWith(e1, e2v2), FAR, 'VersionRegressionError'],
    ['§6.2 step 5.4 (v1 and v2 at one seq)', 'version-1 seq 2 where version-2 seq 2 is held', async () => e2.bytes, () => logWith(e1, e2v2), FAR, 'ForkError'],
    ['§1.1 device log', 'seq 2 of a device log after its genesis', async () => d2.bytes, () => deviceLog(g1), FAR, 'accept'],
    ['§1.1 / §6.2 step 5.5', 'seq 2 of a device log whose genesis is not held', async () => d2.bytes, () => deviceLog(), FAR, 'SeqGapError'],
    ['§1.1 / §6.2 step 5.1', 'device-log entry naming another author than its genesis', () => sign(d, { v: 2, author: b.id, device: d.id, seq: 2, prev: g1.cid, ts: T0 + 1000, kind: 'post', body: { text: 'x' } }), () => deviceLog(g1), FAR, 'WrongAuthorError'],
    ['§1.1 / §6.2 step 5.1', 'device-log entry offered to the root log', async () => d2.bytes, () => logWith(e1), FAR, 'WrongAuthorError'],
    ['§1.1 / §6.2 step 5.1', 'root-log entry offered to a device log', async () => e2v2.bytes, () => deviceLog(g1), FAR, 'WrongAuthorError'],
    ['§6.2 step 4 before 5', 'bad signature and another author', async () => dagCbor.encode({ ...(dagCbor.decode(await at(1, null, T0, 'b', b)) as Fields), sig: zeroSig }), () => logWith(), FAR, 'InvalidSignatureError']
  ]
  test('§6.3 DuplicateEntryError when only the head is known: any seq at or below it', async () => {
    const other1 = await verifyEntry(await at(1, null, T0, 'another seq 1'))
    expect(() => checkNext(a.id, headOf(e2), other1)).toThrow(expect.objectContaining({ name: 'DuplicateEntryError' }))
    expect(() => checkNext(a.id, headOf(e2), e2)).toThrow(expect.objectContaining({ name: 'DuplicateEntryError' }))
  })

  test.each(cases.map(c => [`${c[0]} — ${c[1]} → ${c[5]}`, c] as const))('%s', async (_label, [, , bytes, log, now, expected]) => {
    let got = 'accept'
    try {
      await validateEntry(await bytes(), { log: log(), now })
    } catch (err) {
      got = (err as Error).name
    }
    expect(got).toBe(expected)
  })
})

/**
 * Where this test first found the spec and the reference apart, and how each was settled (the
 * closing note of issue 11 lists them): the spec now says what the code does, except D1, where
 * both now refuse what neither could carry.
 */
describe('settled disagreements', () => {
  const forgedByIdentity = concat(Uint8Array.from([1]), new Uint8Array(63)) // R = identity point (01 00…00), S = 0

  // D1 §2.1: a text string may not begin with U+FEFF (JS decoders drop it, so the entry could not
  // round-trip); verifiers refuse it as non-canonical, createEntry before signing.
  test.each([
    ['post.text', post({ text: '\ufeffhello' })],
    ['post.text "\ufeff" alone (no media)', post({ text: '\ufeff' })],
    ['profile.name', entry('profile', { name: '\ufeffAlice' })],
    ['profile.bio', entry('profile', { bio: '\ufeff' })],
    ['post.media[0].alt', post({ media: media(1, { alt: '\ufeffalt' }) })]
  ])('D1 §2.1 — %s starting with U+FEFF → NonCanonicalEncodingError', async (_w, bytes) => {
    await check({ section: '§2.1', name: 'leading U+FEFF', bytes, spec: 'NonCanonicalEncodingError' })
  })
  test('D1 §2.1 — createEntry refuses text starting with U+FEFF before signing', async () => {
    await expect(createEntry(a, null, 'post', { text: '\ufeffhello' }, T0)).rejects.toThrow(/U\+FEFF/)
  })

  // D2 §1: the identity point is not an author id, so the forgery it allows is refused before any signature check.
  test('D2 §1 — author = identity-point key, R = identity, S = 0 → InvalidAuthorError', async () => {
    await check({ section: '§1', name: 'identity key', bytes: async () => dagCbor.encode({ ...await header('post', BODIES.post), author: I.identityPoint, sig: forgedByIdentity }), spec: 'InvalidAuthorError' })
  })

  // D3 §1: keys off the curve, non-canonically encoded or of small order are not author ids.
  test.each([
    ['y = 2 (not on the curve)', I.offCurve],
    ['y = p + 3 (non-canonical encoding of a valid point)', I.nonCanonicalY],
    ['all-zero key (y = 0, a point of order 4)', I.zeroKey]
  ])('D3 §1 — author key %s → InvalidAuthorError', async (_w, id) => {
    await check({ section: '§1', name: 'bad key', bytes: post({}, { author: id }), spec: 'InvalidAuthorError' })
  })

  // D4 §1/§3: the same keys inside a body are not author ids either.
  test.each([
    ['post.mentions: identity-point key', post({ mentions: [I.identityPoint] })],
    ['post.mentions: key not on the curve', post({ mentions: [I.offCurve] })],
    ['post.mentions: y ≥ p', post({ mentions: [I.nonCanonicalY] })],
    ['follow.author: all-zero key', entry('follow', { author: I.zeroKey })],
    ['like.author: key not on the curve', entry('like', { author: I.offCurve })]
  ])('D4 §1/§3 — %s → EntrySchemaError', async (_w, bytes) => {
    await check({ section: '§1/§3', name: 'body id', bytes, spec: 'EntrySchemaError' })
  })

  // D5 §2.1: any float is refused; which of the two classes is not specified.
  test.each([
    ['seq = 2^53 as float64', { seq: new RawFloat(2 ** 53), prev: L.cbor }],
    ['ts = 2^53 as float64', { ts: new RawFloat(2 ** 53) }],
    ['ts = 2^60 as float64', { ts: new RawFloat(2 ** 60) }]
  ])('D5 §2.1 — %s → NonCanonicalEncodingError or EntrySchemaError', async (_w, replace) => {
    await check({ section: '§2.1', name: 'integer float', bytes: handWritten(replace as Record<string, RawValue>), spec: ['NonCanonicalEncodingError', 'EntrySchemaError'] })
  })

  // D6 §6.2 3.6: a body's key set is checked before its fields.
  test('D6 §6.2 3.6 — profile with a 51-grapheme name and no bio → EntrySchemaError @body.bio', async () => {
    await check({ section: '§6.2 3.6', name: 'key set then name', bytes: entry('profile', { name: rep('a', 51), bio: OMIT }), spec: 'EntrySchemaError', field: 'body.bio' })
  })
  test('D6 §6.2 3.6 — like with a CIDv0 subject and no author → EntrySchemaError @body.author', async () => {
    await check({ section: '§6.2 3.6', name: 'key set then subject', bytes: entry('like', { subject: L.v0, author: OMIT }), spec: 'EntrySchemaError', field: 'body.author' })
  })

  // D8 §8: "WrongAuthorError because the log held under its log id belongs to another author → ignore".
  // decide() first returned the one decision 'wrong-author' for both WrongAuthorError rows and
  // gossipVerdict answered 'reject'; the reference now marks the bound case and ignores it.
  test('D8 §8 — an entry naming another author than the genesis of its held device log → ignore; another log\'s entry → reject', async () => {
    const { d } = I
    expect(verdictRows.find(([o]) => o.includes('belongs to another author'))?.[1]).toBe('ignore')
    const entry = await verifyEntry(await inDevice('post', {}, { author: b.id })())
    const bound = core.decide(entry, { log: d.id, author: a.id, head: { seq: 1, cid: L.cbor, ts: T0, v: 2 } }, null)
    expect(bound.kind).toBe('wrong-author')
    expect(gossipVerdict(bound)).toBe('ignore')
    const otherLog = core.decide(await verifyEntry(await post2({})()), { log: d.id, author: a.id, head: null }, null)
    expect(otherLog.kind).toBe('wrong-author')
    expect(gossipVerdict(otherLog)).toBe('reject')
  })

  // D7 §2.1: a post with media nests 5 levels, the most a v1 entry needs.
  test('D7 §2.1 — a post with media nests 5 levels', async () => {
    expect(cborDepth(await post({ media: media(1) })())).toBe(5)
  })
})

// ----------------------------------------------------------------------------------------------
// §2.2, §4, §4.2 (v2): byte layout and signing inputs of what the reference writes
// ----------------------------------------------------------------------------------------------

describe('§2.2 / §4 / §4.2 (v2): what the reference writes', () => {
  const { d, e } = I
  const jwk = (raw: Uint8Array): ReturnType<typeof createPublicKey> =>
    createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' })
  const sigPairOf = (sig: Uint8Array): Uint8Array => concat([0x63, ...utf8('sig'), 0x58, 0x40], sig)

  test('§2.2 a version-2 root-log entry has the version-1 layout with v = 02', async () => {
    const alice = await authorFromSeed(1)
    const v1 = await createEntry(alice, null, 'post', { text: 'hello, flock' }, 1767225600000, V1)
    const v2 = await createEntry(alice, null, 'post', { text: 'hello, flock' }, 1767225600000)
    expect(v2.entry.v).toBe(2)
    expect(v2.bytes.length).toBe(192)
    expect(hex(v2.bytes).startsWith('a8' + '6176' + '02' + '627473' + '1b0000019b76daa800')).toBe(true)
    const afterSig = (h: string): string => h.slice((1 + 2 + 1 + 3 + 9 + 4 + 1 + 4 + 2 + 64) * 2)
    expect(afterSig(hex(v2.bytes))).toBe(afterSig(hex(v1.bytes)))
    expect(hex(v2.entry.sig)).not.toBe(hex(v1.entry.sig))
  })

  test('§2.2 a device-log entry: nine pairs, device last; §4 its input is a8 without the sig pair, signed by the device key', async () => {
    const g = await createEntry({ author: a.id, key: d }, null, 'device', await deviceBody(a, d.id, 'laptop'), T0)
    const h = hex(g.bytes)
    expect(h.startsWith('a9' + '6176' + '02')).toBe(true)
    expect(h.endsWith('66617574686f72' + '7834' + hex(utf8(a.id)) + '66646576696365' + '7834' + hex(utf8(d.id)))).toBe(true)
    const input = specSigningInput(dagCbor.decode(g.bytes) as Fields)
    expect(Buffer.from(input.subarray(0, 15)).toString()).toBe(DOMAIN_V2)
    expect(input[15]).toBe(0xa8)
    const cut = splice(g.bytes, sigPairOf(g.entry.sig), [])
    cut[0] = 0xa8
    expect(hex(input.subarray(15))).toBe(hex(cut))
    expect(nodeVerify(null, input, jwk(d.publicKey.raw), g.entry.sig)).toBe(true)
    expect(nodeVerify(null, input, jwk(a.publicKey.raw), g.entry.sig)).toBe(false)
    // §4.2: the auth map, byte for byte as the spec's example writes it, signed by the author key.
    const authInput = concat(utf8(DEVICE_DOMAIN_SPEC), Buffer.from('a2' + '66617574686f72' + '7834' + hex(utf8(a.id)) + '66646576696365' + '7834' + hex(utf8(d.id)), 'hex'))
    expect(nodeVerify(null, authInput, jwk(a.publicKey.raw), g.entry.kind === 'device' ? g.entry.body.auth : new Uint8Array(64))).toBe(true)
  })

  test('§4.2 the revoke auth map is {after, author, device} in canonical order, signed by the author key', async () => {
    for (const after of [0, 23, 24, 70_000, 2 ** 53 - 1]) {
      const body = await revokeBody(a, e.id, after)
      const map = concat([0xa3, ...cborText('after')], dagCbor.encode(after), cborText('author'), cborText(a.id), cborText('device'), cborText(e.id))
      expect(hex(dagCbor.encode({ device: e.id, author: a.id, after }))).toBe(hex(map))
      expect(nodeVerify(null, concat(utf8(REVOKE_DOMAIN_SPEC), map), jwk(a.publicKey.raw), body.auth)).toBe(true)
    }
  })

  test('§2.1 a version-2 post with every media field (poster a link) still nests 5 levels', async () => {
    expect(cborDepth(await post2({ media: media(4, Object.fromEntries(SPEC_BODIES.mediaItem.filter(f => !f.required).map(f => [f.key, SAMPLES[`media.${f.key}`]]))) })())).toBe(5)
  })

  test.each([...KNOWN.both, ...KNOWN.v2Only].filter(k => k !== 'device'))('§4 signing input of a version-2 %s entry, root log and device log, checked with node:crypto only', async (kind) => {
    const body = ALL_BODIES[kind] as unknown as Bodies[EntryKind]
    const rootLog = await createEntry(a, null, kind as EntryKind, body, T0)
    const genesisEntry = await createEntry({ author: a.id, key: d }, null, 'device', await deviceBody(a, d.id), T0)
    const deviceLog = await createEntry({ author: a.id, key: d }, genesisEntry, kind as EntryKind, body, T0)
    for (const [v, key, header] of [[rootLog, a, 0xa7], [deviceLog, d, 0xa8]] as const) {
      const input = specSigningInput(dagCbor.decode(v.bytes) as Fields)
      expect(hex(input.subarray(0, 15))).toBe('666c6f636b2f656e7472792f76320a')
      expect(input[15]).toBe(header)
      expect(nodeVerify(null, input, jwk(key.publicKey.raw), v.entry.sig)).toBe(true)
      expect(hex(v.cid.bytes)).toBe('01711220' + hex((await sha256.digest(v.bytes)).digest))
    }
  })
})

// ----------------------------------------------------------------------------------------------
// PROTOCOL.md's tables against the reference: §2, §3, §3.1, §4, §4.2, §6.1, §6.3, §8
// ----------------------------------------------------------------------------------------------

/** §8's verdict table: outcome, verdict. */
const verdictRows = (TABLES.find(t => t.columns.join('|') === 'outcome|verdict|why')?.rows ?? []).map(r => [r[0] as string, r[1] as string] as const)

describe('PROTOCOL.md tables against the reference', () => {
  test('§3 / §3.1: the body tables name exactly the known kinds, and every optional field has a sample here', () => {
    const tableKinds = SPEC_BODIES.bodies.flatMap(t => t.kinds)
    expect(new Set(tableKinds)).toEqual(new Set(V2_KNOWN))
    expect(new Set(SPEC_BODIES.bodies.filter(t => t.v2Only).flatMap(t => t.kinds))).toEqual(new Set(KNOWN.v2Only))
    const optional = [
      ...SPEC_BODIES.bodies.flatMap(t => t.kinds.flatMap(k => t.fields.filter(f => !f.required).map(f => `${k}.${f.key}`))),
      ...SPEC_BODIES.mediaItem.filter(f => !f.required).map(f => `media.${f.key}`)
    ]
    expect(optional.filter(k => !(k in SAMPLES))).toEqual([])
    expect(Object.keys(SAMPLES).filter(k => !optional.includes(k))).toEqual([])
  })

  test('§3.1 known kinds are V1_KINDS and ENTRY_KINDS', () => {
    expect(KNOWN.both).toEqual([...V1_KINDS])
    expect(new Set([...KNOWN.both, ...KNOWN.v2Only])).toEqual(new Set(ENTRY_KINDS))
  })

  test('§2 the entry table: eight keys in version 1, device the only optional one, v2 only', () => {
    expect(ENTRY_KEYS.filter(k => !k.v2Only).map(k => k.key).sort()).toEqual(['author', 'body', 'kind', 'prev', 'seq', 'sig', 'ts', 'v'])
    expect(ENTRY_KEYS.filter(k => k.optional || k.v2Only).map(k => k.key)).toEqual(['device'])
    // §2 kind (v1) lists exactly the version-1 kinds of §3.1.
    const kindRow = TABLES.find(t => t.columns[0] === 'key' && t.columns[1] === 'DAG-CBOR type')?.rows.find(r => r[0] === 'kind')
    const v1Part = /\(v1\) one of ([^;]*);/.exec(kindRow?.[2] ?? '')?.[1] ?? ''
    expect(v1Part.split(',').map(k => k.trim())).toEqual([...V1_KINDS])
  })

  test('§3.1 the kind syntax allows MAX_KIND_LENGTH characters and no more', () => {
    expect(KIND_RE.test('a'.repeat(MAX_KIND_LENGTH))).toBe(true)
    expect(KIND_RE.test('a'.repeat(MAX_KIND_LENGTH + 1))).toBe(false)
  })

  test('§3 handle syntax: the spec\'s regex says what its prose says', () => {
    const disagree = [...HANDLES, ...randomHandles(77, 150), ...randomHandles(78, 2000)].filter(h => HANDLE_RE.test(h) !== handleByProse(h))
    expect(disagree).toEqual([])
    // Both outcomes occur among the cases above.
    expect(HANDLES.filter(h => HANDLE_RE.test(h)).length).toBeGreaterThan(10)
    expect(HANDLES.filter(h => !HANDLE_RE.test(h)).length).toBeGreaterThan(10)
  })

  /** A §6.1 value cell as a number or string ('2^53 − 1', '300000 (5 min)', '0x71', 'flock/entry/v1\n'). */
  const valueOf = (cell: string): number | string => {
    if (cell === '2^53 − 1') return 2 ** 53 - 1
    const n = /^(0x[0-9a-f]+|\d+)(\s|$)/.exec(cell)
    return n !== null ? Number(n[1]) : cell.replace(/\\n$/, '\n')
  }
  const limits = [...specLimits(TABLES)].flatMap(([names, cell]) => {
    const ns = names.split(',').map(x => x.trim())
    const cells = ns.length === 1 ? [cell] : cell.split(',').map(x => x.trim())
    return ns.map((n, i) => [n, valueOf(cells[i] ?? '')] as const)
  })
  test.each(limits)('§6.1 %s = %s in constants.ts', (name, value) => {
    expect((core as Record<string, unknown>)[name]).toBe(value)
  })

  test.each(specErrors(TABLES).map(r => [r.name, r] as const))('§6.3 %s: name and code as the table says', (_n, row) => {
    const cls = (core as Record<string, unknown>)[row.name] as (new (...args: unknown[]) => Error & { code: string }) | undefined
    expect(typeof cls).toBe('function')
    if (cls === undefined) return
    const err = new cls('x', 1, [1, 2])
    expect([err.name, err.code]).toEqual([row.name, row.code])
  })

  test.each(specDomains(TABLES).map(r => [r.constant, r] as const))('§4 %s: the domain, its bytes and constants.ts agree', (_c, row) => {
    expect((core as Record<string, unknown>)[row.constant]).toBe(row.domain)
    expect(hex(utf8(row.domain))).toBe(row.bytes.replaceAll(' ', ''))
    expect(row.domain).toBe(row.v === 1 ? DOMAIN_V1 : DOMAIN_V2)
  })

  test('§1.1 / §4.2 DEVICE_DOMAIN and REVOKE_DOMAIN: the bytes the spec gives, the table of §4.2, constants.ts', () => {
    const found = [...SPEC_TEXT.matchAll(/\(`(DEVICE_DOMAIN|REVOKE_DOMAIN)`, 16 bytes `([0-9a-f ]+)`/g)].map(m => [m[1], m[2]])
    expect(found.map(([n]) => n)).toEqual(['DEVICE_DOMAIN', 'REVOKE_DOMAIN'])
    for (const [name, bytes] of found) {
      const value = (core as Record<string, unknown>)[name as string] as string
      expect(hex(utf8(value))).toBe((bytes as string).replaceAll(' ', ''))
      expect(value).toBe(name === 'DEVICE_DOMAIN' ? DEVICE_DOMAIN_SPEC : REVOKE_DOMAIN_SPEC)
    }
    const auth = TABLES.find(t => t.heading.startsWith('4.2'))
    expect(auth?.rows.map(r => [r[0], (r[1] as string).split(' ')[0]])).toEqual([['device', 'flock/device/v2\\n'], ['revoke', 'flock/revoke/v2\\n']])
  })

  // §8's verdict table: each outcome names error classes; decide()'s refusal of each, and gossipVerdict's answer.
  const DECISION_OF: Record<string, Decision> = {
    DuplicateEntryError: { kind: 'duplicate' },
    FutureTimestampError: { kind: 'future', skewMs: 0, now: 0 },
    SeqGapError: { kind: 'gap', expected: 1 },
    PrevMismatchError: { kind: 'prev-mismatch' },
    ForkError: { kind: 'fork', seq: 1, held: L.cbor },
    RevokedDeviceError: { kind: 'revoked', after: 0 },
    DeviceLimitError: { kind: 'device-limit' },
    TimestampRegressionError: { kind: 'regression', headTs: 0 },
    VersionRegressionError: { kind: 'version-regression', headV: 2 }
  }
  test('§8 the verdict table is read: every decision kind appears', () => {
    const named = verdictRows.flatMap(([outcome]) => [...outcome.matchAll(/([A-Z][A-Za-z]+Error)/g)].map(m => m[1]))
    expect(new Set(named)).toEqual(new Set([...Object.keys(DECISION_OF), 'WrongAuthorError']))
    expect(verdictRows.some(([o, v]) => o.startsWith('valid and extends') && v === 'accept')).toBe(true)
    expect(gossipVerdict({ kind: 'append' })).toBe('accept')
  })
  test.each(verdictRows.filter(([o]) => !o.includes('WrongAuthorError') && /Error/.test(o) && !o.startsWith('size')))('§8 %s → %s', (outcome, verdict) => {
    for (const m of outcome.matchAll(/([A-Z][A-Za-z]+Error)/g)) {
      const decision = DECISION_OF[m[1] as string]
      expect(decision, m[1]).toBeDefined()
      expect([m[1], gossipVerdict(decision as Decision)]).toEqual([m[1], verdict])
    }
  })
  test('§8 WrongAuthorError: of another author than the topic\'s → reject; the held log bound to another author → ignore', () => {
    expect(verdictRows.find(([o]) => o.startsWith('valid entry of another author'))?.[1]).toBe('reject')
    expect(gossipVerdict({ kind: 'wrong-author' })).toBe('reject')
    expect(verdictRows.find(([o]) => o.includes('belongs to another author'))?.[1]).toBe('ignore')
    expect(gossipVerdict({ kind: 'wrong-author', bound: true })).toBe('ignore')
  })
})

// ----------------------------------------------------------------------------------------------
// Disagreements found between the v2 spec and the reference, and how they were settled.
// ----------------------------------------------------------------------------------------------

describe('settled v2 disagreements', () => {
  // O1 §3.1 said unknown content is "any DAG-CBOR value except a float"; the reference also refused
  // integers outside ±(2^53 − 1). The reference is right (§2 bounds every integer so every language
  // holds it exactly; JavaScript decodes larger ones to BigInt): the spec now says so.
  test.each([
    ['post with unknown key = 2^53', post2({ big: 2n ** 53n })],
    ['post with unknown key = 2^64 − 1', post2({ big: 2n ** 64n - 1n })],
    ['post with unknown key = −2^53', post2({ big: -(2n ** 53n) })],
    ['media item with unknown key = 2^53', post2({ media: media(1, { bytesTotal: 2n ** 53n }) })],
    ['unknown kind with body {n: 2^64 − 1}', withBody2('poll', { n: 2n ** 64n - 1n })]
  ])('O1 §3.1 — %s → EntrySchemaError @body', async (_w, bytes) => {
    await check({ section: '§3.1', name: 'big integer in unknown content', bytes, spec: 'EntrySchemaError', field: 'body' })
  })

  // O2 §6.2 step 3 order: 3.6 (body, with its text limits) comes before 3.7 (device-log rules). The
  // reference checked the device-log rules right after `kind`; it now follows the spec's order.
  test.each([
    ['device log seq 1 of kind post with a 501-grapheme text', inDevice('post', { text: rep('a', 501) }, { seq: 1, prev: null })],
    ['kind device at seq 2 with a 51-grapheme name', inDevice('device', { name: rep('a', 51) })]
  ])('O2 §6.2 3.6 before 3.7 — %s → TextTooLongError', async (_w, bytes) => {
    await check({ section: '§6.2 3.6 before 3.7', name: 'body before device-log rules', bytes, spec: 'TextTooLongError' })
  })
  test('O2 §6.2 3.6 before 3.7 — kind device in a root log: body.device ≠ the entry\'s (absent) device is found first → EntrySchemaError @body.device', async () => {
    await check({ section: '§6.2 3.6 before 3.7', name: 'body before device-log rules', bytes: entry2('device'), spec: 'EntrySchemaError', field: 'body.device' })
  })
})
