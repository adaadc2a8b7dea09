/**
 * What the two vector files (PROTOCOL.md §11: entries.json for version 1, entries-v2.json for
 * version 2) share: their record types, the helpers both generators build vectors with, the recorders
 * that check every vector against the reference implementation before it is written, and the second
 * implementation of the encodings that both tests read the files back with. Kept free of vitest so the
 * generators run under plain node.
 */
import { createHash, createPublicKey, verify as cryptoVerify } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { pathToFileURL } from 'node:url'
import * as dagCbor from '@ipld/dag-cbor'
import * as dagJson from '@ipld/dag-json'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { base58btc as multibase58btc } from 'multiformats/bases/base58'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import {
  MAX_ENTRY_BYTES, MAX_FUTURE_SKEW_MS, SIGNING_DOMAIN_V1, SIGNING_DOMAIN_V2, authorFromPrivateKey, checkTimestamp,
  decodeEntry, signingInput, verifyEntry, type Author, type Bodies, type Entry, type EntryKind, type VerifiedEntry
} from '../../src/lib/core/index.js'
import { L, SMALL_ORDER_POINT, intToLe, leToInt, signWithShiftedR, verifyEquations } from './ed25519-math.js'

// --- the files ---

export interface ValidVector<K extends string = EntryKind> {
  name: string
  kind: K
  /** The entry in DAG-JSON form: CIDs as {"/": "bafy…"}, bytes as {"/": {"bytes": base64}}. */
  entry: unknown
  /** Hex of the complete signed entry: exactly what travels on gossip and sync. */
  bytes: string
  cid: string
  /** Hex of the raw 32-byte Ed25519 public key of the entry's log: the one `device` names, else `author`'s. */
  publicKey: string
  /** Hex of the 32-byte Ed25519 secret seed (RFC 8032 private key) that signed it. Test keys only. */
  seed: string
  author: string
  /** Hex of the version's signing domain ‖ canonical DAG-CBOR of every field but sig. */
  signingInput: string
  signature: string
}

export interface InvalidVector {
  name: string
  bytes: string
  /** `name` of the error class verifyEntry must throw. */
  error: string
  note: string
}

export interface ChainVector {
  name: string
  /** The author whose log (or store) the entries are appended to, in order. */
  author: string
  entries: string[]
  /** Error class thrown by the append at index `failsAt`; null when every append succeeds. */
  error: string | null
  failsAt: number | null
  note: string
}

export interface TimestampVector {
  name: string
  bytes: string
  /** The receiver's clock, ms since the Unix epoch. */
  now: number
  error: string | null
  note: string
}

export interface VectorFile<V extends ValidVector<string> = ValidVector> {
  description: string
  signingDomain: string
  valid: V[]
  invalid: InvalidVector[]
  chains: ChainVector[]
  timestamps: TimestampVector[]
}

/** Every error verifyEntry throws: each file has an invalid vector of each. */
export const ENTRY_ERRORS = [
  'EntryTooLargeError', 'EntryDecodeError', 'NonCanonicalEncodingError', 'UnsupportedVersionError',
  'EntrySchemaError', 'TextTooLongError', 'InvalidAuthorError', 'InvalidSignatureError'
]

/** The outcomes of appending to one log: null, or the error of a chain rule of version 1. */
export const LOG_OUTCOMES = [
  null, 'SeqGapError', 'PrevMismatchError', 'DuplicateEntryError', 'ForkError', 'TimestampRegressionError', 'WrongAuthorError'
]

export function serialize (file: VectorFile<ValidVector<string>>): string {
  return JSON.stringify(file, null, 2) + '\n'
}

export async function loadVectors<F extends VectorFile<ValidVector<string>>> (path: string): Promise<{ text: string, file: F }> {
  const text = await readFile(path, 'utf8')
  return { text, file: JSON.parse(text) as F }
}

/** True when the module at `url` is the script node was started with, not an import. */
export const isMain = (url: string): boolean => process.argv[1] !== undefined && url === pathToFileURL(process.argv[1]).href

export async function writeVectors (path: string, file: VectorFile<ValidVector<string>>): Promise<void> {
  await writeFile(path, serialize(file))
  console.log(`wrote ${path}: ${file.valid.length} valid, ${file.invalid.length} invalid, ${file.chains.length} chains, ${file.timestamps.length} timestamps`)
}

// --- bytes ---

export const utf8 = new TextEncoder()
export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
export const fromHex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'))
export const concat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts))
/** Hex of the canonical encoding of a text string, for byte patterns. */
export const cborText = (s: string): string => hex(dagCbor.encode(s))

export async function errorName (run: () => unknown): Promise<string | null> {
  try {
    await run()
    return null
  } catch (err) {
    return (err as Error).name
  }
}

export const verifyError = async (bytes: Uint8Array): Promise<string | null> => await errorName(async () => await verifyEntry(bytes))

export const timestampError = async (bytes: Uint8Array, now: number): Promise<string | null> => {
  const v = await verifyEntry(bytes)
  return await errorName(() => checkTimestamp(v, now))
}

/** The one interface of AuthorLog (version 1) and VectorStore (version 2) that chain vectors exercise. */
export interface AppendTarget { append: (v: VerifiedEntry) => void }

/** Verify and append `entries` in order; the first refusal, or null when all were appended. */
export async function appendInOrder (target: AppendTarget, entries: Uint8Array[]): Promise<{ error: string, at: number } | null> {
  for (const [i, bytes] of entries.entries()) {
    const error = await errorName(async () => target.append(await verifyEntry(bytes)))
    if (error !== null) return { error, at: i }
  }
  return null
}

// --- building vectors ---

/** 2026-01-01T00:00:00Z: the clock every vector is built around. */
export const T0 = Date.UTC(2026, 0, 1)
export const MINUTE = 60_000

export interface Person { seed: Uint8Array, author: Author }

export async function person (byte: number): Promise<Person> {
  const seed = new Uint8Array(32).fill(byte)
  return { seed, author: authorFromPrivateKey(await generateKeyPairFromSeed('Ed25519', seed)) }
}

/** The four authors of both files; their seeds, and so every vector of theirs, are fixed. */
export async function people (): Promise<{ alice: Person, bob: Person, carol: Person, dave: Person }> {
  return { alice: await person(0x01), bob: await person(0x02), carol: await person(0x03), dave: await person(0x04) }
}

/** A CIDv1 (raw, sha2-256) standing in for a media file: only its form matters to entries. */
export async function mediaCid (label: string): Promise<CID> {
  return CID.createV1(0x55, await sha256.digest(utf8.encode(label)))
}

/**
 * Sign an arbitrary map the way the spec says (§4): `domain` ‖ the canonical encoding of every field
 * but sig. The default is the domain of the map's `v` (version 2 for v = 2, version 1 otherwise); the
 * parameter is there to sign under the wrong domain, or none (''), on purpose.
 */
export async function signMap (
  signer: Person, fields: Record<string, unknown>, domain = fields.v === 2 ? SIGNING_DOMAIN_V2 : SIGNING_DOMAIN_V1
): Promise<Uint8Array> {
  const sig = await signer.author.privateKey.sign(concat(utf8.encode(domain), dagCbor.encode(fields)))
  return dagCbor.encode({ ...fields, sig })
}

/** A map whose keys are written in the given order, each key and value canonically encoded. */
export function rawMap (pairs: Array<[string, unknown]>): Uint8Array {
  if (pairs.length > 23) throw new Error('rawMap handles small maps only')
  return concat(new Uint8Array([0xa0 | pairs.length]), ...pairs.flatMap(([k, v]) => [dagCbor.encode(k), dagCbor.encode(v)]))
}

/** Replace the single occurrence of `find` in `bytes`; throws when it occurs zero or several times. */
export function replaceOnce (bytes: Uint8Array, find: string, replace: string): Uint8Array {
  const buf = Buffer.from(bytes)
  const needle = Buffer.from(find, 'hex')
  const at = buf.indexOf(needle)
  if (at < 0 || buf.indexOf(needle, at + 1) >= 0) throw new Error(`pattern ${find} does not occur exactly once`)
  return concat(buf.subarray(0, at), Buffer.from(replace, 'hex'), buf.subarray(at + needle.length))
}

export function float64 (n: number): string {
  const b = Buffer.alloc(9)
  b[0] = 0xfb
  b.writeDoubleBE(n, 1)
  return b.toString('hex')
}

/** A signature with S replaced by S + L: the verification equation still holds, but RFC 8032 requires S < L. */
export const unreducedS = (sig: Uint8Array): Uint8Array => concat(sig.subarray(0, 32), intToLe(leToInt(sig.subarray(32)) + L))

/** `e` with the lowest bit of its signature's R flipped. */
export function withFlippedR (e: Entry): Uint8Array {
  const sig = new Uint8Array(e.sig)
  sig[0] = (sig[0] as number) ^ 0x01
  return dagCbor.encode({ ...e, sig })
}

/** `e` signed again by `signer` with a small-order component in R: valid under the cofactored (ZIP-215) equation only. */
export function withSmallOrderR (signer: Person, e: Entry): Uint8Array {
  const sig = signWithShiftedR(signer.seed, signingInput(e), SMALL_ORDER_POINT)
  const eq = verifyEquations(signer.author.publicKey.raw, signingInput(e), sig)
  if (!eq.cofactored || eq.cofactorless) throw new Error('small-order R vector does not separate the two equations')
  return dagCbor.encode({ ...e, sig })
}

// The secp256k1 generator point as a libp2p public key: a valid PeerId, but not an Ed25519 key.
const secp256k1Key = concat(new Uint8Array([0x08, 0x02, 0x12, 0x21]), fromHex('0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798'))
export const SECP256K1_ID = multibase58btc.baseEncode(concat(new Uint8Array([0x00, secp256k1Key.length]), secp256k1Key))

/**
 * The body of a post by `author` whose entry (version `v`, seq 1, ts T0) is exactly MAX_ENTRY_BYTES,
 * and that entry one byte larger, correctly signed. The last alt text is tuned to hit the limit.
 */
export async function largestPost (author: Person, v: number): Promise<{ body: Bodies['post'], oneOver: Uint8Array }> {
  const bodyWith = async (extra: number): Promise<Bodies['post']> => ({
    text: 'é'.repeat(500),
    media: [
      ...await Promise.all([0, 1, 2].map(async i => ({ cid: await mediaCid(`large ${i}`), mime: 'image/webp', alt: 'é'.repeat(1000) }))),
      { cid: await mediaCid('large 3'), mime: 'image/webp', alt: 'a'.repeat(extra) }
    ]
  })
  const fieldsWith = async (extra: number): Promise<Record<string, unknown>> =>
    ({ v, author: author.author.id, seq: 1, prev: null, ts: T0, kind: 'post', body: await bodyWith(extra) })
  let extra = 0
  while (dagCbor.encode({ ...await fieldsWith(extra), sig: new Uint8Array(64) }).length < MAX_ENTRY_BYTES) extra++
  return { body: await bodyWith(extra), oneOver: await signMap(author, await fieldsWith(extra + 1)) }
}

/**
 * The record of a valid entry `v` of `author`, signed by `key`, after checking that verifyEntry gives
 * back the same version-`version` entry; `again` is that re-verified entry.
 */
export async function validVector<K extends string> (
  name: string, kind: K, v: VerifiedEntry, version: number, key: Person, author: string
): Promise<{ vector: ValidVector<K>, again: VerifiedEntry }> {
  const again = await verifyEntry(v.bytes)
  if (!again.cid.equals(v.cid) || again.entry.v !== version) throw new Error(`${name}: does not verify to the same version-${version} CID`)
  const vector: ValidVector<K> = {
    name,
    kind,
    entry: JSON.parse(new TextDecoder().decode(dagJson.encode(v.entry))),
    bytes: hex(v.bytes),
    cid: v.cid.toString(),
    publicKey: hex(key.author.publicKey.raw),
    seed: hex(key.seed),
    author,
    signingInput: hex(signingInput(again.entry)),
    signature: hex(v.entry.sig)
  }
  return { vector, again }
}

/** The invalid, chain and timestamp vectors of a file, each recorded only once it does what its name says. */
export interface Recorders {
  invalid: InvalidVector[]
  chains: ChainVector[]
  timestamps: TimestampVector[]
  /** Record bytes on which verifyEntry must throw `error`. */
  bad: (name: string, bytes: Uint8Array, error: string, note: string) => Promise<void>
  /** Record entries that, appended in order to an empty log or store of `author`, fail with `error` at `failsAt` (or all succeed). */
  chain: (name: string, author: Person, entries: Uint8Array[], error: string | null, failsAt: number | null, note: string) => Promise<void>
  /** Record an entry on which checkTimestamp(entry, now) must throw `error` (or pass). */
  clock: (name: string, bytes: Uint8Array, now: number, error: string | null, note: string) => Promise<void>
}

/** Recorders whose chains are appended to `open(author)`: an AuthorLog in version 1, a VectorStore in version 2. */
export function recorders (open: (author: string) => AppendTarget): Recorders {
  const r: Recorders = {
    invalid: [],
    chains: [],
    timestamps: [],
    async bad (name, bytes, error, note) {
      const got = await verifyError(bytes)
      if (got !== error) throw new Error(`invalid vector "${name}": expected ${error}, got ${String(got)}`)
      r.invalid.push({ name, bytes: hex(bytes), error, note })
    },
    async chain (name, author, entries, error, failsAt, note) {
      const got = await appendInOrder(open(author.author.id), entries)
      if ((got?.error ?? null) !== error || (got?.at ?? null) !== failsAt) {
        throw new Error(`chain "${name}": expected ${String(error)} at ${String(failsAt)}, got ${JSON.stringify(got)}`)
      }
      r.chains.push({ name, author: author.author.id, entries: entries.map(hex), error, failsAt, note })
    },
    async clock (name, bytes, now, error, note) {
      const got = await timestampError(bytes, now)
      if (got !== error) throw new Error(`timestamp vector "${name}": expected ${String(error)}, got ${String(got)}`)
      r.timestamps.push({ name, bytes: hex(bytes), now, error, note })
    }
  }
  return r
}

/** The two size vectors every version has: the largest valid entry plus one byte, and garbage of that size. */
export async function recordSizeLimit (r: Recorders, oneOver: Uint8Array): Promise<void> {
  await r.bad('one byte over the size limit', oneOver, 'EntryTooLargeError',
    `the largest valid vector with one more character of alt text: ${oneOver.length} bytes, correctly signed`)
  await r.bad('oversized garbage', new Uint8Array(MAX_ENTRY_BYTES + 1).fill(0xff), 'EntryTooLargeError',
    'size is checked before decoding: these bytes are not CBOR at all')
}

/** The first decoding vectors every version has, cut from and added to the bytes of the minimal post. */
export async function recordTruncations (r: Recorders, minimal: Uint8Array): Promise<void> {
  await r.bad('empty', new Uint8Array(), 'EntryDecodeError', 'no bytes')
  await r.bad('truncated', minimal.subarray(0, minimal.length - 1), 'EntryDecodeError', 'the minimal post without its last byte')
  await r.bad('trailing byte', concat(minimal, new Uint8Array([0])), 'EntryDecodeError', 'the minimal post followed by 0x00: more than one data item')
}

/** The two clock vectors every version has, around the minimal post dated T0. */
export async function recordSkewLimit (r: Recorders, minimal: Uint8Array): Promise<void> {
  await r.clock('just too far in the future', minimal, T0 - MAX_FUTURE_SKEW_MS - 1, 'FutureTimestampError', `ts is ${MAX_FUTURE_SKEW_MS + 1} ms after now`)
  await r.clock('at the skew limit', minimal, T0 - MAX_FUTURE_SKEW_MS, null, `ts is exactly ${MAX_FUTURE_SKEW_MS} ms after now: accepted`)
}

/** The file, its keys in the order both files have always had them. */
export function vectorFile<V extends ValidVector<string>> (description: string, signingDomain: string, valid: V[], r: Recorders): VectorFile<V> {
  return { description, signingDomain, valid, invalid: r.invalid, chains: r.chains, timestamps: r.timestamps }
}

// --- reading vectors back ---

export const entryOf = (vec: { entry: unknown }): Entry => dagJson.decode<Entry>(utf8.encode(JSON.stringify(vec.entry)))

export function findValid<V extends ValidVector<string>> (file: VectorFile<V>, cid: string): V {
  const vec = file.valid.find(v => v.cid === cid)
  if (vec === undefined) throw new Error(`no valid vector with cid ${cid}`)
  return vec
}

/** The head an entry was created on: its prev, which is itself a valid vector of the file. */
export async function headIn (file: VectorFile<ValidVector<string>>, entry: Entry): Promise<VerifiedEntry | null> {
  return entry.prev === null ? null : await verifyEntry(fromHex(findValid(file, entry.prev.toString()).bytes))
}

export const keyFromSeed = async (seed: string): Promise<Author> => authorFromPrivateKey(await generateKeyPairFromSeed('Ed25519', fromHex(seed)))

/** The fields of a valid vector that a verified (or re-created) entry must reproduce. */
export const recordedFields = (vec: ValidVector<string>): Record<string, string> =>
  ({ bytes: vec.bytes, cid: vec.cid, author: vec.author, kind: vec.kind, signingInput: vec.signingInput, signature: vec.signature })

export const entryFields = (v: VerifiedEntry): Record<string, string> =>
  ({ bytes: hex(v.bytes), cid: v.cid.toString(), author: v.entry.author, kind: v.entry.kind, signingInput: hex(signingInput(v.entry)), signature: hex(v.entry.sig) })

/** The store of one author (AuthorLog, or VectorStore with its device logs) that a chain vector is appended to. */
export interface ChainTarget extends AppendTarget {
  readonly forks: ReadonlyArray<readonly [VerifiedEntry, VerifiedEntry]>
}

export interface ChainReplay {
  failure: { error: string, at: number | null } | null
  /** Entries held afterwards: all of them, or those before the refusal. */
  held: number | null
  /** Per piece of fork evidence: whether both entries have the same seq, and the same CID. */
  forks: Array<{ sameSeq: boolean, sameCid: boolean }>
}

/** Append a chain vector's entries in order to `open(vec.author)`, and report what it came to. */
export async function replayChain<T extends ChainTarget> (vec: ChainVector, open: (author: string) => T, held: (target: T) => number): Promise<ChainReplay> {
  const target = open(vec.author)
  const failure = await appendInOrder(target, vec.entries.map(fromHex))
  const forks = target.forks.map(([a, b]) => ({ sameSeq: a.entry.seq === b.entry.seq, sameCid: a.cid.equals(b.cid) }))
  return { failure, held: held(target), forks }
}

/** What replayChain must report for `vec`: a fork leaves one piece of evidence, two entries of one seq. */
export const expectedReplay = (vec: ChainVector): ChainReplay => ({
  failure: vec.error === null ? null : { error: vec.error, at: vec.failsAt },
  held: vec.error === null ? vec.entries.length : vec.failsAt,
  forks: vec.error === 'ForkError' ? [{ sameSeq: true, sameCid: false }] : []
})

/**
 * Replay a fork chain vector up to the entry that forks, on `open(vec.author)`, then offer that entry;
 * what it threw, for the test to check the evidence.
 */
export async function offerFork<T extends AppendTarget> (
  vec: ChainVector | undefined, open: (author: string) => T
): Promise<{ target: T, last: VerifiedEntry, thrown: unknown }> {
  if (vec === undefined || vec.failsAt === null) throw new Error('fork vector missing')
  const target = open(vec.author)
  const entries = await Promise.all(vec.entries.map(async h => await verifyEntry(fromHex(h))))
  for (const v of entries.slice(0, vec.failsAt)) target.append(v)
  const last = entries[vec.failsAt]
  if (last === undefined) throw new Error('failsAt out of range')
  try {
    target.append(last)
  } catch (err) {
    return { target, last, thrown: err }
  }
  return { target, last, thrown: undefined }
}

/** verifyEquations on the invalid vector named for ZIP-215, with the key its author names. */
export function zip215Equations (invalid: InvalidVector[]): { cofactorless: boolean, cofactored: boolean } {
  const vec = invalid.find(v => v.name.includes('ZIP-215'))
  if (vec === undefined) throw new Error('ZIP-215 vector missing')
  const entry = decodeEntry(fromHex(vec.bytes))
  return verifyEquations(keyOf(entry.author), signingInput(entry), entry.sig)
}

// --- a second implementation of the encodings, from the RFCs rather than from our dependencies ---

export function base32Lower (bytes: Uint8Array): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567'
  let out = ''
  let bits = 0
  let value = 0
  for (const byte of bytes) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31]
  return out
}

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'

export function base58btc (bytes: Uint8Array): string {
  let n = 0n
  for (const byte of bytes) n = (n << 8n) | BigInt(byte)
  let out = ''
  while (n > 0n) {
    out = (BASE58[Number(n % 58n)] as string) + out
    n /= 58n
  }
  for (const byte of bytes) {
    if (byte !== 0) break
    out = '1' + out
  }
  return out
}

export function decodeBase58 (s: string): Uint8Array {
  let n = 0n
  for (const c of s) {
    const i = BASE58.indexOf(c)
    if (i < 0) throw new Error(`not base58: ${c}`)
    n = n * 58n + BigInt(i)
  }
  const out: number[] = []
  while (n > 0n) {
    out.unshift(Number(n & 0xffn))
    n >>= 8n
  }
  for (const c of s) {
    if (c !== '1') break
    out.unshift(0)
  }
  return new Uint8Array(out)
}

/** The identity multihash of a protobuf Ed25519 public key, up to the raw key (§1). */
const ED25519_ID_PREFIX = '002408011220'

/** PROTOCOL.md §1: base58btc of the identity multihash of the protobuf public key. */
export const idOf = (publicKey: Uint8Array): string => base58btc(concat(fromHex(ED25519_ID_PREFIX), publicKey))

/** The raw key an id names (§1, read backwards); throws for an id that names no Ed25519 key. */
export function keyOf (id: string): Uint8Array {
  const bytes = decodeBase58(id)
  if (hex(bytes.subarray(0, 6)) !== ED25519_ID_PREFIX) throw new Error(`${id} is not an Ed25519 PeerId: ${hex(bytes.subarray(0, 6))}`)
  return bytes.subarray(6)
}

/** PROTOCOL.md §5: CIDv1, dag-cbor, sha2-256, base32 lower with the multibase prefix b. */
export const cidOf = (bytes: Uint8Array): string =>
  'b' + base32Lower(new Uint8Array([0x01, 0x71, 0x12, 0x20, ...createHash('sha256').update(bytes).digest()]))

export const spkiKey = (raw: Uint8Array): ReturnType<typeof createPublicKey> =>
  createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), raw]), format: 'der', type: 'spki' })

/** Ed25519 as PROTOCOL.md §4 has it, with stock node:crypto: OpenSSL's verify, and S < L on top. */
export const strictVerify = (message: Uint8Array, publicKey: Uint8Array, sig: Uint8Array): boolean =>
  cryptoVerify(null, message, spkiKey(publicKey), sig) && leToInt(sig.subarray(32)) < L

export const stockVerify = (message: Uint8Array, publicKey: Uint8Array, sig: Uint8Array): boolean =>
  cryptoVerify(null, message, spkiKey(publicKey), sig)

/**
 * A valid vector as the second implementation reads it: its CID, the id of its public key, the domain
 * its signing input opens with, whether the signature verifies strictly, whether it is within the size
 * limit (8192 written out, not taken from the reference).
 */
export function stockReading (vec: ValidVector<string>): { cid: string, keyId: string, domain: string, verifies: boolean, withinLimit: boolean } {
  const bytes = fromHex(vec.bytes)
  const input = fromHex(vec.signingInput)
  const publicKey = fromHex(vec.publicKey)
  return {
    cid: cidOf(bytes),
    keyId: idOf(publicKey),
    domain: Buffer.from(input.subarray(0, 15)).toString('utf8'),
    verifies: strictVerify(input, publicKey, fromHex(vec.signature)),
    withinLimit: bytes.length <= 8192
  }
}
