/**
 * Builds the Flock test vectors (PROTOCOL.md §11) from fixed seeds and fixed clocks, so the output is
 * the same on every run: Ed25519 signatures are deterministic. Run it after a deliberate protocol
 * change and review the diff of entries.json; vectors.test.ts fails while the file is out of date.
 *
 * ```sh
 * node --import tsx --import ./src/server/polyfill.ts test/vectors/generate.ts
 * ```
 *
 * Every vector is checked against the reference implementation before it is written, so a vector that
 * does not behave as its name says stops the generator instead of landing in the file.
 */
import { fileURLToPath } from 'node:url'
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import {
  AuthorLog, MAX_ENTRY_BYTES, SIGNING_DOMAIN_V1, authorIdFromPublicKey, createEntry,
  type Bodies, type EntryKind, type VerifiedEntry
} from '../../src/lib/core/index.js'
import {
  MINUTE, SECP256K1_ID, T0, cborText, concat, float64, hex, isMain, largestPost, mediaCid, people, rawMap, recordSizeLimit,
  recordSkewLimit, recordTruncations, recorders, replaceOnce, signMap, unreducedS, utf8, validVector, vectorFile, withFlippedR,
  withSmallOrderR, writeVectors, type Person, type ValidVector, type VectorFile
} from './common.js'

export const VECTORS_PATH = fileURLToPath(new URL('./entries.json', import.meta.url))

/** Build the whole vector file. Pure apart from CPU time: same output on every call. */
export async function buildVectors (): Promise<VectorFile> {
  const { alice, bob, carol, dave } = await people()

  const valid: ValidVector[] = []
  async function ok<K extends EntryKind> (
    name: string, who: Person, head: VerifiedEntry | null, kind: K, body: Bodies[K], ts: number
  ): Promise<VerifiedEntry<K>> {
    const v = await createEntry(who.author, head, kind, body, ts, { version: 1 })
    valid.push((await validVector(name, kind, v, 1, who, who.author.id)).vector)
    return v
  }

  // --- valid: alice's log, with bob's first post to act on, then single entries of carol and dave ---
  const a1 = await ok('post, minimal (seq 1, prev null)', alice, null, 'post', { text: 'hello, flock' }, T0)
  const b1 = await ok('post by a second author', bob, null, 'post', { text: 'hi, I am bob' }, T0 + MINUTE)
  const a2 = await ok('profile with avatar (seq 2, prev = seq 1)', alice, a1, 'profile', {
    name: 'Alice', bio: 'Writes about peer-to-peer systems.', avatar: await mediaCid('avatar of alice')
  }, T0 + 2 * MINUTE)
  const a3 = await ok('follow', alice, a2, 'follow', { author: bob.author.id }, T0 + 3 * MINUTE)
  const a4 = await ok('like', alice, a3, 'like', { subject: b1.cid, author: bob.author.id }, T0 + 4 * MINUTE)
  const a5 = await ok('repost', alice, a4, 'repost', { subject: b1.cid, author: bob.author.id }, T0 + 5 * MINUTE)
  const a6 = await ok('post with reply, quote, media, mentions and tags', alice, a5, 'post', {
    text: `@${bob.author.id} agreed, see the diagram #flock #p2p`,
    reply: { root: b1.cid, parent: b1.cid },
    quote: a1.cid,
    media: [
      { cid: await mediaCid('diagram'), mime: 'image/webp', alt: 'Two peers exchanging signed entries' },
      { cid: await mediaCid('photo'), mime: 'image/jpeg', alt: '' }
    ],
    mentions: [bob.author.id],
    tags: ['flock', 'p2p']
  }, T0 + 6 * MINUTE)
  const a7 = await ok('unfollow', alice, a6, 'unfollow', { author: bob.author.id }, T0 + 7 * MINUTE)
  const a8 = await ok('delete', alice, a7, 'delete', { subject: a6.cid }, T0 + 8 * MINUTE)
  const a9 = await ok('post with the same ts as its predecessor', alice, a8, 'post', { text: 'same millisecond' }, T0 + 8 * MINUTE)
  const c1 = await ok('profile without avatar, empty bio, emoji in name', carol, null, 'profile', { name: 'Carol 🌻', bio: '' }, T0)
  const c2 = await ok('post with media and empty text', carol, c1, 'post', {
    text: '', media: [{ cid: await mediaCid('sunflower'), mime: 'image/png', alt: 'A sunflower' }]
  }, T0 + MINUTE)
  await ok('post at the grapheme limit (500 × 👍🏽, 2 code points each), non-ASCII tags', carol, c2, 'post', {
    text: '👍🏽'.repeat(500), tags: ['日本語', 'ñandú']
  }, T0 + 2 * MINUTE)

  const largest = await largestPost(dave, 1)
  const big = await ok(`post of exactly ${MAX_ENTRY_BYTES} bytes`, dave, null, 'post', largest.body, T0)
  if (big.bytes.length !== MAX_ENTRY_BYTES) throw new Error(`large post is ${big.bytes.length} bytes`)

  // --- invalid: each must make verifyEntry throw exactly the named error ---
  const r = recorders(author => new AuthorLog(author))
  const { bad, chain } = r
  // Alice's first entry as a plain map: the starting point of most invalid vectors.
  const base: Record<string, unknown> = { v: 1, author: alice.author.id, seq: 1, prev: null, ts: T0, kind: 'post', body: { text: 'hello, flock' } }
  const withBody = (body: Record<string, unknown>, kind = 'post'): Record<string, unknown> => ({ ...base, kind, body })
  const a1b = a1.bytes
  const tsHex = hex(dagCbor.encode(T0))

  await recordSizeLimit(r, largest.oneOver)

  await recordTruncations(r, a1b)
  await bad('indefinite-length map', concat(new Uint8Array([0xbf]), a1b.subarray(1), new Uint8Array([0xff])), 'EntryDecodeError',
    'the minimal post with its map header 0xa8 replaced by 0xbf … 0xff')
  await bad('integer not in shortest form', replaceOnce(a1b, cborText('seq') + '01', cborText('seq') + '1801'), 'EntryDecodeError',
    'seq 1 written as 0x18 0x01')
  await bad('tag other than 42', replaceOnce(a1b, cborText('ts') + tsHex, cborText('ts') + 'c1' + tsHex), 'EntryDecodeError',
    'ts wrapped in tag 1 (epoch date); DAG-CBOR allows tag 42 only')
  await bad('duplicate map key', concat(new Uint8Array([0xa9]), a1b.subarray(1), dagCbor.encode('kind'), dagCbor.encode('post')), 'EntryDecodeError',
    'the minimal post with a second "kind" key appended')
  await bad('CID tag without the 0x00 prefix', replaceOnce(a2.bytes, 'd82a5825000171', 'd82a58240171'), 'EntryDecodeError',
    'prev of the seq 2 profile, tag 42 content without its leading multibase 0x00')
  await bad('NaN', replaceOnce(a1b, cborText('v') + '01', cborText('v') + 'f97e00'), 'EntryDecodeError',
    'v as a half-precision NaN; DAG-CBOR has no NaN or infinities')

  await bad('map keys out of order', rawMap(Object.entries(a1.entry).sort(([x], [y]) => x < y ? -1 : 1)), 'NonCanonicalEncodingError',
    'the minimal post with its keys sorted alphabetically instead of length-first')
  await bad('integer as float', replaceOnce(a1b, cborText('ts') + tsHex, cborText('ts') + float64(T0)), 'NonCanonicalEncodingError',
    'ts written as a float64 with the same integer value')
  await bad('undefined for null', replaceOnce(a1b, cborText('prev') + 'f6', cborText('prev') + 'f7'), 'NonCanonicalEncodingError',
    'prev written as undefined (0xf7) instead of null (0xf6)')
  await bad('invalid UTF-8', replaceOnce(a1b, cborText('hello, flock'), '6c' + hex(utf8.encode('hello,')) + 'ff' + hex(utf8.encode('flock'))),
    'NonCanonicalEncodingError', 'a 0xff byte inside the text string; the decoder substitutes U+FFFD, which re-encodes differently')

  await bad('version 3', await signMap(alice, { ...base, v: 3 }), 'UnsupportedVersionError', 'v = 3, otherwise a correctly signed minimal post')
  await bad('version as text', await signMap(alice, { ...base, v: '1' }), 'UnsupportedVersionError', 'v is the text "1", not the integer 1')

  const noV: Record<string, unknown> = { ...base }
  delete noV.v
  const schema = async (name: string, fields: Record<string, unknown>, note: string): Promise<void> =>
    await bad(name, await signMap(alice, fields), 'EntrySchemaError', note)
  await bad('not a map', dagCbor.encode(['post', 'hello, flock']), 'EntrySchemaError', 'the top-level value is a list')
  await schema('version missing', noV, 'no v key at all')
  await schema('unknown top-level key', { ...base, lang: 'en' }, 'an extra "lang" key next to the known fields (covered by the signature)')
  await schema('unknown body key', withBody({ text: 'hello, flock', lang: 'en' }), 'post body with an extra "lang" key')
  await schema('null for an omitted field', withBody({ text: 'hello, flock', quote: null }), 'quote: null; optional fields are omitted, never null')
  await schema('empty list', withBody({ text: 'hello, flock', tags: [] }), 'tags: []; lists are omitted rather than empty')
  await schema('seq 0', { ...base, seq: 0 }, 'seq starts at 1')
  await schema('negative ts', { ...base, ts: -1 }, 'ts is a non-negative integer')
  await schema('prev on seq 1', { ...base, prev: b1.cid }, 'seq 1 must have prev null')
  await schema('no prev on seq 2', { ...base, seq: 2 }, 'seq 2 with prev null')
  await schema('prev not a DAG-CBOR link', { ...base, seq: 2, prev: await mediaCid('not an entry') }, 'prev is a raw-codec CID')
  await schema('unknown kind', withBody({ question: 'tea or coffee?' }, 'poll'), 'kind "poll" is not defined in version 1')
  await bad('signature too short', dagCbor.encode({ ...a1.entry, sig: a1.entry.sig.subarray(0, 63) }), 'EntrySchemaError', 'sig of 63 bytes')
  await bad('signature missing', dagCbor.encode(base), 'EntrySchemaError', 'the minimal post without its sig field')
  await schema('like without author', withBody({ subject: b1.cid }, 'like'), 'like body needs subject and author')
  await schema('empty post', withBody({ text: '' }), 'text may be empty only when media is present')
  await schema('text not a string', withBody({ text: 42 }), 'text is an integer')
  await schema('mime type not lowercase', withBody({ text: 'pic', media: [{ cid: await mediaCid('x'), mime: 'image/PNG', alt: '' }] }), 'mime image/PNG')
  await schema('media missing alt', withBody({ text: 'pic', media: [{ cid: await mediaCid('x'), mime: 'image/png' }] }), 'alt is required (it may be empty)')
  await schema('too many media', withBody({
    text: 'pics', media: await Promise.all([0, 1, 2, 3, 4].map(async i => ({ cid: await mediaCid(`m${i}`), mime: 'image/png', alt: '' })))
  }), 'five media items; at most 4')
  await schema('tag with #', withBody({ text: 'hello #flock', tags: ['#flock'] }), 'tags are stored without the #')
  await schema('tag not lowercase', withBody({ text: 'hello #Flock', tags: ['Flock'] }), 'tags are stored lowercase')
  await schema('repeated mention', withBody({ text: 'hi', mentions: [bob.author.id, bob.author.id] }), 'mentions must be distinct')
  await schema('follow of a non-author', withBody({ author: 'bob' }, 'follow'), 'body.author must be an Ed25519 PeerId (a schema error, unlike the top-level author)')
  await schema('quote is a CIDv0', withBody({ text: 'see this', quote: CID.createV0(await sha256.digest(utf8.encode('v0'))) }), 'links must be CIDv1')

  const tooLong = async (name: string, fields: Record<string, unknown>, note: string): Promise<void> =>
    await bad(name, await signMap(alice, fields), 'TextTooLongError', note)
  await tooLong('text over 500 graphemes', withBody({ text: '👍🏽'.repeat(501) }), '501 graphemes of 2 code points each')
  await tooLong('name over 50 graphemes', withBody({ name: 'n'.repeat(51), bio: '' }, 'profile'), 'profile name of 51 graphemes')
  await tooLong('bio over 300 graphemes', withBody({ name: 'Alice', bio: 'b'.repeat(301) }, 'profile'), 'profile bio of 301 graphemes')
  await tooLong('alt over 1000 graphemes', withBody({ text: 'pic', media: [{ cid: await mediaCid('x'), mime: 'image/png', alt: 'a'.repeat(1001) }] }),
    'media alt text of 1001 graphemes')

  await bad('author is not a PeerId', await signMap(alice, { ...base, author: 'alice' }), 'InvalidAuthorError', 'author "alice"')
  await bad('author is a secp256k1 PeerId', await signMap(alice, { ...base, author: SECP256K1_ID }), 'InvalidAuthorError', `author ${SECP256K1_ID}`)
  await bad('author not in canonical form', await signMap(alice, { ...base, author: alice.author.publicKey.toCID().toString() }), 'InvalidAuthorError',
    "alice's key written as a CIDv1 (libp2p-key, base32) instead of the base58btc multihash")

  const sigBad = async (name: string, bytes: Uint8Array, note: string): Promise<void> => await bad(name, bytes, 'InvalidSignatureError', note)
  await sigBad('flipped signature bit', withFlippedR(a1.entry), 'the minimal post with the lowest bit of R flipped')
  await sigBad('S not reduced (S + L)', dagCbor.encode({ ...a1.entry, sig: unreducedS(a1.entry.sig) }),
    'the minimal post with S replaced by S + L; the verification equation holds but RFC 8032 requires S < L')
  await sigBad('signed by another key', await signMap(bob, base), "the minimal post of alice signed by bob's key")
  await sigBad('signed without the domain prefix', await signMap(alice, base, ''), `signature over the bare encoding, without "${SIGNING_DOMAIN_V1.trim()}\\n"`)
  await sigBad('valid only under cofactored (ZIP-215) verification', withSmallOrderR(alice, a1.entry),
    'R carries a point of order 8: [8][S]B = [8]R + [8][k]A holds, [S]B = R + [k]A does not; ZIP-215 verifiers accept it, Flock rejects it')
  const offCurve = new Uint8Array(32)
  offCurve[0] = 2
  await bad('author key not on the curve', await signMap(alice, { ...base, author: authorIdFromPublicKey(offCurve) }), 'InvalidAuthorError',
    'author names 32 bytes (y = 2) that decode to no curve point: not a valid Ed25519 public key')
  const smallOrder = new Uint8Array(32)
  smallOrder[0] = 1
  const forged = { ...base, author: authorIdFromPublicKey(smallOrder) }
  const forgedSig = new Uint8Array(64)
  forgedSig.set(smallOrder, 0)
  await bad('author key of small order (identity point)', dagCbor.encode({ ...forged, sig: forgedSig }), 'InvalidAuthorError',
    'author key is the identity point; with R = identity and S = 0 the cofactorless equation holds for any message, so such keys are refused outright')

  // --- chains: append in order to an AuthorLog of `author` ---
  const next = async (fields: Partial<Record<string, unknown>>): Promise<Uint8Array> =>
    await signMap(alice, { ...base, seq: 2, prev: a1.cid, ts: T0 + MINUTE, ...fields })
  const aliceLog = [a1, a2, a3, a4, a5, a6, a7, a8, a9].map(v => v.bytes)
  await chain('complete log', alice, aliceLog, null, null, "alice's nine valid entries in order")
  await chain('gap', alice, [a1.bytes, a3.bytes], 'SeqGapError', 1, 'seq 3 offered when the log ends at seq 1')
  await chain('first entry missing', alice, [a2.bytes], 'SeqGapError', 0, 'seq 2 offered to an empty log')
  await chain('prev names another entry', alice, [a1.bytes, await next({ prev: b1.cid })], 'PrevMismatchError', 1,
    "seq 2 whose prev is bob's first post instead of alice's seq 1")
  await chain('same entry twice', alice, [a1.bytes, a2.bytes, a2.bytes], 'DuplicateEntryError', 2, 'seq 2 offered again, same CID')
  await chain('fork', alice, [a1.bytes, a2.bytes, await next({ body: { text: 'another history' } })], 'ForkError', 2,
    'a second, validly signed seq 2 with prev = seq 1 and a different CID: keep both as evidence')
  await chain('timestamp goes back', alice, [a1.bytes, await next({ ts: T0 - 1 })], 'TimestampRegressionError', 1,
    'seq 2 dated 1 ms before seq 1')
  await chain('entry of another author', alice, [a1.bytes, b1.bytes], 'WrongAuthorError', 1, "bob's entry offered to alice's log")

  // --- timestamps: checkTimestamp(entry, now) with the default skew ---
  await recordSkewLimit(r, a1.bytes)

  return vectorFile(
    'Flock protocol version 1 test vectors (PROTOCOL.md §11). Hex strings are lowercase; ' +
      'entries are verified with verifyEntry, chains appended in order to an empty log of `author`, ' +
      'timestamps checked against `now` with a skew of 300000 ms. Generated by test/vectors/generate.ts; do not edit by hand.',
    SIGNING_DOMAIN_V1, valid, r)
}

if (isMain(import.meta.url)) await writeVectors(VECTORS_PATH, await buildVectors())
