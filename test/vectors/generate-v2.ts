/**
 * Builds the version-2 Flock test vectors (PROTOCOL.md §11, entries-v2.json) from fixed seeds and
 * fixed clocks, so the output is the same on every run: Ed25519 signatures are deterministic. The
 * file has the structure of entries.json (generate.ts, version 1); device and revoke vectors also
 * carry the author key's `auth` signature (authInput, authSignature, authorPublicKey), and chains are
 * appended to a store of one author that keeps each log apart (store.ts).
 *
 * ```sh
 * node --import tsx --import ./src/server/polyfill.ts test/vectors/generate-v2.ts
 * ```
 *
 * Every vector is checked against the reference implementation before it is written, so a vector that
 * does not behave as its name says stops the generator instead of landing in the file.
 */
import { fileURLToPath } from 'node:url'
import * as dagCbor from '@ipld/dag-cbor'
import {
  MAX_DEVICE_LOGS, MAX_ENTRY_BYTES, MAX_FUTURE_SKEW_MS, SIGNING_DOMAIN_V1, SIGNING_DOMAIN_V2, authorIdFromPublicKey,
  createEntry, deviceAuthInput, deviceBody, revokeAuthInput, revokeBody,
  type Bodies, type EntryKind, type VerifiedEntry
} from '../../src/lib/core/index.js'
import {
  MINUTE, SECP256K1_ID, T0, cborText, concat, float64, hex, isMain, largestPost, mediaCid, people, person, rawMap, recordSizeLimit,
  recordSkewLimit, recordTruncations, recorders, replaceOnce, signMap, unreducedS, utf8, validVector, vectorFile, withFlippedR,
  withSmallOrderR, writeVectors, type Person, type ValidVector, type VectorFile
} from './common.js'
import { VectorStore } from './store.js'

export interface ValidVectorV2 extends ValidVector<string> {
  /** device and revoke only: hex of the bytes the author key signs in `body.auth` (§4.2). */
  authInput?: string
  /** device and revoke only: hex of `body.auth`. */
  authSignature?: string
  /** device and revoke only: hex of the author's raw public key, which verifies `authSignature`. */
  authorPublicKey?: string
}

/** Its valid vectors' kinds are strings: one of ENTRY_KINDS, or a kind this version does not define (§3.1). */
export type VectorFileV2 = VectorFile<ValidVectorV2>

export const VECTORS_V2_PATH = fileURLToPath(new URL('./entries-v2.json', import.meta.url))

/** Build the whole version-2 vector file. Pure apart from CPU time: same output on every call. */
export async function buildVectorsV2 (): Promise<VectorFileV2> {
  const { alice, bob, carol, dave } = await people()
  // Device keys: alice's laptop and phone, carol's tablet.
  const laptop = await person(0x11)
  const phone = await person(0x12)
  const tablet = await person(0x13)

  const valid: ValidVectorV2[] = []
  /** Create, re-verify and record a valid entry of `who`, written by `device` (its device log) or by the author key (root log). */
  async function ok<K extends EntryKind> (
    name: string, who: Person, device: Person | null, head: VerifiedEntry | null, kind: K, body: Bodies[K], ts: number
  ): Promise<VerifiedEntry<K>> {
    const signer = device === null ? who.author : { author: who.author.id, key: device.author }
    const v = await createEntry(signer, head, kind, body, ts)
    const { vector, again }: { vector: ValidVectorV2, again: VerifiedEntry } = await validVector(name, kind, v, 2, device ?? who, who.author.id)
    const e = again.entry
    if (e.kind === 'device' || e.kind === 'revoke') {
      vector.authInput = hex(e.kind === 'device' ? deviceAuthInput(e.author, e.body.device) : revokeAuthInput(e.author, e.body.device, e.body.after))
      vector.authSignature = hex(e.body.auth)
      vector.authorPublicKey = hex(who.author.publicKey.raw)
    }
    valid.push(vector)
    return v
  }
  /** An entry of a kind this version does not define: createEntry is typed for the known ones. */
  const unknownKind = async (name: string, who: Person, device: Person | null, head: VerifiedEntry | null, kind: string, body: Record<string, unknown>, ts: number): Promise<VerifiedEntry> =>
    await ok(name, who, device, head, kind as EntryKind, body as unknown as Bodies[EntryKind], ts)

  // --- valid: alice's root log (version 2 from its first entry) ---
  const a1 = await ok('post, minimal (root log, seq 1)', alice, null, null, 'post', { text: 'hello, flock' }, T0)
  const b1 = await ok('post by a second author', bob, null, null, 'post', { text: 'hi, I am bob' }, T0 + MINUTE)
  const a2 = await ok('profile with avatar and handle', alice, null, a1, 'profile', {
    name: 'Alice', bio: 'Writes about peer-to-peer systems.', avatar: await mediaCid('avatar of alice'), handle: 'alice.example.org'
  }, T0 + 2 * MINUTE)
  const a3 = await ok('follow', alice, null, a2, 'follow', { author: bob.author.id }, T0 + 3 * MINUTE)
  const a4 = await ok('like', alice, null, a3, 'like', { subject: b1.cid, author: bob.author.id }, T0 + 4 * MINUTE)
  const a5 = await ok('repost', alice, null, a4, 'repost', { subject: b1.cid, author: bob.author.id }, T0 + 5 * MINUTE)
  const a6 = await ok('post with reply, quote, media with every optional field, mentions and tags', alice, null, a5, 'post', {
    text: `@${bob.author.id} agreed, see the clip #flock #p2p`,
    reply: { root: b1.cid, parent: b1.cid },
    quote: a1.cid,
    media: [
      {
        cid: await mediaCid('clip'), mime: 'video/mp4', alt: 'Two peers exchanging signed entries',
        size: 1_048_576, duration: 12_500, width: 1920, height: 1080, poster: await mediaCid('clip poster')
      },
      { cid: await mediaCid('photo'), mime: 'image/jpeg', alt: '', width: 1, height: 65535 }
    ],
    mentions: [bob.author.id],
    tags: ['flock', 'p2p']
  }, T0 + 6 * MINUTE)
  const a7 = await ok('unfollow', alice, null, a6, 'unfollow', { author: bob.author.id }, T0 + 7 * MINUTE)
  const a8 = await ok('delete', alice, null, a7, 'delete', { subject: a6.cid }, T0 + 8 * MINUTE)
  const a9 = await ok('post with the same ts as its predecessor', alice, null, a8, 'post', { text: 'same millisecond' }, T0 + 8 * MINUTE)
  const a10 = await ok('edit of a post, with mentions and tags', alice, null, a9, 'edit', {
    subject: a1.cid, text: `hello, flock and @${bob.author.id} #hello`, mentions: [bob.author.id], tags: ['hello']
  }, T0 + 9 * MINUTE)
  const a11 = await ok('revoke in the root log', alice, null, a10, 'revoke', await revokeBody(alice.author, phone.author.id, 1), T0 + 10 * MINUTE)
  const a12 = await unknownKind('entry of an unknown kind', alice, null, a11, 'poll', {
    question: 'tea or coffee?', options: ['tea', 'coffee'], closes: T0 + 86_400_000, about: a1.cid
  }, T0 + 11 * MINUTE)
  await ok('post with unknown body keys (in the body, in reply, in a media item)', alice, null, a12, 'post', {
    text: 'unknown keys are ignored', lang: 'en',
    reply: { root: b1.cid, parent: b1.cid, depth: 1 },
    media: [{ cid: await mediaCid('sketch'), mime: 'image/png', alt: 'A sketch', blurhash: 'LEHV6nWB2yk8pyo0adR*.7kCMdnj' }]
  } as unknown as Bodies['post'], T0 + 12 * MINUTE)

  // --- valid: alice's device logs ---
  const d1 = await ok('device genesis (device log seq 1), with a name', alice, laptop, null, 'device', await deviceBody(alice.author, laptop.author.id, 'laptop'), T0 + MINUTE)
  const d2 = await ok('post in a device log', alice, laptop, d1, 'post', { text: 'written on the laptop' }, T0 + 2 * MINUTE)
  const d3 = await ok('like in a device log', alice, laptop, d2, 'like', { subject: b1.cid, author: bob.author.id }, T0 + 3 * MINUTE)
  const d4 = await ok('edit in a device log of a root-log post', alice, laptop, d3, 'edit', { subject: a9.cid, text: '' }, T0 + 4 * MINUTE)
  const d5 = await ok('profile in a device log', alice, laptop, d4, 'profile', { name: 'Alice', bio: '' }, T0 + 5 * MINUTE)
  const d6 = await ok('revoke in a device log', alice, laptop, d5, 'revoke', await revokeBody(alice.author, phone.author.id, 0), T0 + 6 * MINUTE)
  await unknownKind('entry of an unknown kind in a device log, with an unknown key', alice, laptop, d6, 'reaction', { emoji: '🎉', to: b1.cid }, T0 + 7 * MINUTE)
  const e1 = await ok('device genesis without a name', alice, phone, null, 'device', await deviceBody(alice.author, phone.author.id), T0)

  // --- valid: carol (a device log only, as a new identity writes) and dave (the largest entry) ---
  const c1 = await ok('profile without avatar, empty bio, emoji in name, in a device log', carol, tablet, await ok(
    'device genesis of a new identity', carol, tablet, null, 'device', await deviceBody(carol.author, tablet.author.id, 'tablet 📱'), T0
  ), 'profile', { name: 'Carol 🌻', bio: '' }, T0 + MINUTE)
  const c2 = await ok('post with media and empty text', carol, tablet, c1, 'post', {
    text: '', media: [{ cid: await mediaCid('sunflower'), mime: 'image/png', alt: 'A sunflower' }]
  }, T0 + 2 * MINUTE)
  await ok('post at the grapheme limit (500 × 👍🏽, 2 code points each), non-ASCII tags', carol, tablet, c2, 'post', {
    text: '👍🏽'.repeat(500), tags: ['日本語', 'ñandú']
  }, T0 + 3 * MINUTE)

  const largest = await largestPost(dave, 2)
  const big = await ok(`post of exactly ${MAX_ENTRY_BYTES} bytes`, dave, null, null, 'post', largest.body, T0)
  if (big.bytes.length !== MAX_ENTRY_BYTES) throw new Error(`large post is ${big.bytes.length} bytes`)

  // --- invalid: each must make verifyEntry throw exactly the named error ---
  const r = recorders(author => new VectorStore(author))
  const { bad, chain, clock } = r
  // Alice's first root-log entry, and the laptop's seq 2, as plain maps: the starting points.
  const base: Record<string, unknown> = { v: 2, author: alice.author.id, seq: 1, prev: null, ts: T0, kind: 'post', body: { text: 'hello, flock' } }
  const dBase: Record<string, unknown> = { v: 2, author: alice.author.id, device: laptop.author.id, seq: 2, prev: d1.cid, ts: T0 + 2 * MINUTE, kind: 'post', body: { text: 'written on the laptop' } }
  const withBody = (body: Record<string, unknown>, kind = 'post'): Record<string, unknown> => ({ ...base, kind, body })
  const genesisMap = (body: Record<string, unknown>, fields: Record<string, unknown> = {}): Record<string, unknown> =>
    ({ ...dBase, seq: 1, prev: null, ts: T0 + MINUTE, kind: 'device', body, ...fields })
  const a1b = a1.bytes
  const tsHex = hex(dagCbor.encode(T0))
  const schema = async (name: string, signer: Person, fields: Record<string, unknown>, note: string): Promise<void> =>
    await bad(name, await signMap(signer, fields), 'EntrySchemaError', note)

  // Step 1
  await recordSizeLimit(r, largest.oneOver)

  // Step 2
  await recordTruncations(r, a1b)
  await bad('indefinite-length map', concat(new Uint8Array([0xbf]), d2.bytes.subarray(1), new Uint8Array([0xff])), 'EntryDecodeError',
    'the laptop\'s seq 2 with its map header 0xa9 replaced by 0xbf … 0xff')
  await bad('integer not in shortest form', replaceOnce(a1b, cborText('seq') + '01', cborText('seq') + '1801'), 'EntryDecodeError', 'seq 1 written as 0x18 0x01')
  await bad('tag other than 42', replaceOnce(a1b, cborText('ts') + tsHex, cborText('ts') + 'c1' + tsHex), 'EntryDecodeError', 'ts wrapped in tag 1 (epoch date)')
  await bad('duplicate map key', concat(new Uint8Array([0xa9]), a1b.subarray(1), dagCbor.encode('kind'), dagCbor.encode('post')), 'EntryDecodeError',
    'the minimal post with a second "kind" key appended')
  await bad('CID tag without the 0x00 prefix', replaceOnce(a2.bytes, 'd82a5825000171', 'd82a58240171'), 'EntryDecodeError',
    'prev of the seq 2 profile, tag 42 content without its leading multibase 0x00')
  await bad('NaN', replaceOnce(a1b, cborText('v') + '02', cborText('v') + 'f97e00'), 'EntryDecodeError', 'v as a half-precision NaN')

  await bad('map keys out of order', rawMap(Object.entries(a1.entry).sort(([x], [y]) => x < y ? -1 : 1)), 'NonCanonicalEncodingError',
    'the minimal post with its keys sorted alphabetically instead of length-first')
  const d2Fields = Object.entries(d2.entry)
  await bad('device before author', rawMap([...d2Fields.filter(([k]) => k !== 'author' && k !== 'device'), ['device', d2.entry.device], ['author', d2.entry.author]]),
    'NonCanonicalEncodingError', 'the laptop\'s seq 2 with "device" written before "author"; both are 6 bytes long and "author" sorts first')
  await bad('integer as float', replaceOnce(a1b, cborText('ts') + tsHex, cborText('ts') + float64(T0)), 'NonCanonicalEncodingError', 'ts written as a float64 with the same integer value')
  await bad('integral float in an unknown body key', await signMap(alice, withBody({ text: 'x', n: 1 })).then(b => replaceOnce(b, cborText('n') + '01', cborText('n') + float64(1))),
    'NonCanonicalEncodingError', 'unknown key n = 1.0 as a float64: decoders that turn it into the integer 1 re-encode it differently (EntrySchemaError would be as right, §2.1)')
  await bad('undefined for null', replaceOnce(a1b, cborText('prev') + 'f6', cborText('prev') + 'f7'), 'NonCanonicalEncodingError', 'prev written as undefined (0xf7)')
  await bad('invalid UTF-8', replaceOnce(a1b, cborText('hello, flock'), '6c' + hex(utf8.encode('hello,')) + 'ff' + hex(utf8.encode('flock'))),
    'NonCanonicalEncodingError', 'a 0xff byte inside the text string')

  // Step 3.2
  await bad('version 3', await signMap(alice, { ...base, v: 3 }), 'UnsupportedVersionError', 'v = 3, otherwise a correctly signed minimal post (signed under the version-2 domain)')
  await bad('version 3 with a device', await signMap(laptop, { ...dBase, v: 3 }), 'UnsupportedVersionError', 'the laptop\'s seq 2 with v = 3')
  await bad('version as text', await signMap(alice, { ...base, v: '2' }), 'UnsupportedVersionError', 'v is the text "2", not the integer 2')

  // Step 3: envelope and header
  const noV: Record<string, unknown> = { ...base }
  delete noV.v
  await bad('not a map', dagCbor.encode(['post', 'hello, flock']), 'EntrySchemaError', 'the top-level value is a list')
  await schema('version missing', alice, noV, 'no v key at all')
  await schema('unknown top-level key', alice, { ...base, lang: 'en' }, 'top-level keys stay exact in version 2: a new one needs a new version')
  await schema('unknown top-level key in a device log', laptop, { ...dBase, log: laptop.author.id }, 'an extra "log" key in a device-log entry')
  await schema('seq 0', alice, { ...base, seq: 0 }, 'seq starts at 1')
  await schema('no prev on seq 2', alice, { ...base, seq: 2 }, 'seq 2 with prev null')
  await bad('signature too short', dagCbor.encode({ ...a1.entry, sig: a1.entry.sig.subarray(0, 63) }), 'EntrySchemaError', 'sig of 63 bytes')
  await schema('device equal to author', alice, { ...base, device: alice.author.id }, 'device must differ from author; signed by the author key')
  await schema('device of the wrong type', laptop, { ...dBase, device: laptop.author.publicKey.raw }, 'device as the raw 32-byte key instead of its id string')
  await schema('seq 1 of a device log not of kind device', laptop, { ...dBase, seq: 1, prev: null }, 'a device log must open with its genesis')
  await schema('kind device in a root log', alice, withBody(await deviceBody(alice.author, laptop.author.id) as unknown as Record<string, unknown>, 'device'),
    'a genesis without device: the author key cannot write kind device')
  await schema('kind device above seq 1', laptop, { ...dBase, kind: 'device', body: await deviceBody(alice.author, laptop.author.id) },
    'kind device at seq 2 of the laptop\'s log')
  await schema('body.device not the entry\'s device', laptop, genesisMap(await deviceBody(alice.author, phone.author.id) as unknown as Record<string, unknown>),
    'the laptop\'s genesis carrying the phone\'s id (and a valid auth for the phone)')
  await schema('kind name breaking the syntax', alice, withBody({ question: 'tea?' }, 'Poll'), 'kind names are ^[a-z][a-z0-9-]{0,31}$: no capitals')
  await schema('kind name too long', alice, withBody({}, 'a'.repeat(33)), '33 characters; at most 32')
  await schema('unknown kind whose body is not a map', alice, { ...base, kind: 'poll', body: ['tea', 'coffee'] }, 'the body of any kind is a map')
  await schema('float in an unknown body key', alice, withBody({ text: 'x', score: 1.5 }), 'no float anywhere in a version-2 body, unknown keys included')
  await schema('float in the body of an unknown kind', alice, withBody({ threshold: 0.75 }, 'poll'), 'no float in unknown content either')
  await schema('malformed handle', alice, withBody({ name: 'Alice', bio: '', handle: 'Alice.example.org' }, 'profile'), 'handles are lowercase')
  await schema('handle with one label', alice, withBody({ name: 'Alice', bio: '', handle: 'localhost' }, 'profile'), 'a handle has at least two labels')
  await schema('handle that is an IP address', alice, withBody({ name: 'Alice', bio: '', handle: '192.168.0.1' }, 'profile'), 'the last label is not all digits')
  const media = async (over: Record<string, unknown>): Promise<Record<string, unknown>> =>
    withBody({ text: 'pic', media: [{ cid: await mediaCid('x'), mime: 'image/png', alt: '', ...over }] })
  await schema('media width 0', alice, await media({ width: 0 }), 'width is 1 … 65535')
  await schema('media width 65536', alice, await media({ width: 65536 }), 'width is 1 … 65535')
  await schema('media height 0', alice, await media({ height: 0 }), 'height is 1 … 65535')
  await schema('media poster not a link', alice, await media({ poster: (await mediaCid('p')).toString() }), 'poster is a CIDv1 link, not its string')
  await schema('revoke of the author key', alice, withBody(await revokeBody(alice.author, alice.author.id, 0) as unknown as Record<string, unknown>, 'revoke'), 'revoke.device must differ from author')
  await schema('revoke after negative', alice, withBody({ device: phone.author.id, after: -1, auth: new Uint8Array(64) }, 'revoke'), 'after is an unsigned integer')
  await schema('device auth not 64 bytes', laptop, genesisMap({ device: laptop.author.id, auth: new Uint8Array(63) }), 'auth is a 64-byte signature')
  await schema('edit without subject', alice, withBody({ text: 'x' }, 'edit'), 'subject is required')
  await schema('known key with a wrong type next to an unknown key', alice, withBody({ text: 7, lang: 'en' }), 'unknown keys are ignored, known keys keep their types')
  const v1 = { ...base, v: 1 }
  await schema('version-1 entry with a device key', laptop, { ...dBase, v: 1 }, 'device is a version-2 key (signed under the version-1 domain)')
  await schema('version-1 entry of a version-2 kind', alice, { ...v1, kind: 'edit', body: { subject: a1.cid, text: 'x' } }, 'edit does not exist in version 1')
  await schema('version-1 entry with a version-2 field', alice, { ...v1, kind: 'profile', body: { name: 'Alice', bio: '', handle: 'alice.example.org' } }, 'handle does not exist in version 1')
  await schema('version-1 entry with a version-2 media field', alice, { ...(await media({ width: 100 })), v: 1 }, 'media width does not exist in version 1')
  await schema('version-1 entry with an unknown body key', alice, { ...v1, body: { text: 'hello, flock', lang: 'en' } }, 'version 1 is strict')
  await schema('version-1 entry of an unknown kind', alice, { ...v1, kind: 'poll', body: {} }, 'version 1 knows seven kinds only')

  const tooLong = async (name: string, signer: Person, fields: Record<string, unknown>, note: string): Promise<void> =>
    await bad(name, await signMap(signer, fields), 'TextTooLongError', note)
  await tooLong('text over 500 graphemes', alice, withBody({ text: '👍🏽'.repeat(501) }), '501 graphemes of 2 code points each')
  await tooLong('edit text over 500 graphemes', alice, withBody({ subject: a1.cid, text: 'a'.repeat(501) }, 'edit'), 'edit text of 501 graphemes')
  await tooLong('name over 50 graphemes', alice, withBody({ name: 'n'.repeat(51), bio: '' }, 'profile'), 'profile name of 51 graphemes')
  await tooLong('device name over 50 graphemes', laptop, genesisMap({ ...await deviceBody(alice.author, laptop.author.id), name: 'l'.repeat(51) }), 'device name of 51 graphemes')

  // Step 3.5
  const smallOrder = new Uint8Array(32)
  smallOrder[0] = 1
  await bad('author is not a PeerId', await signMap(alice, { ...base, author: 'alice' }), 'InvalidAuthorError', 'author "alice"')
  await bad('author is a secp256k1 PeerId', await signMap(alice, { ...base, author: SECP256K1_ID }), 'InvalidAuthorError', `author ${SECP256K1_ID}`)
  await bad('device not in canonical form', await signMap(laptop, { ...dBase, device: laptop.author.publicKey.toCID().toString() }), 'InvalidAuthorError',
    'the laptop\'s key written as a CIDv1 (libp2p-key, base32) instead of the base58btc multihash')
  await bad('device key of small order (identity point)', await signMap(laptop, { ...dBase, device: authorIdFromPublicKey(smallOrder) }), 'InvalidAuthorError',
    'device names the identity point, which is no strict Ed25519 key')

  // Step 4
  const sigBad = async (name: string, bytes: Uint8Array, note: string): Promise<void> => await bad(name, bytes, 'InvalidSignatureError', note)
  await sigBad('flipped signature bit', withFlippedR(d2.entry), 'the laptop\'s seq 2 with the lowest bit of R flipped')
  await sigBad('S not reduced (S + L)', dagCbor.encode({ ...a1.entry, sig: unreducedS(a1.entry.sig) }), 'the minimal post with S replaced by S + L')
  await sigBad('signed by another key', await signMap(bob, base), 'the minimal post of alice signed by bob\'s key')
  await sigBad('signed without the domain prefix', await signMap(alice, base, ''), 'signature over the bare encoding, without "flock/entry/v2\\n"')
  await sigBad('version-2 entry signed under the version-1 domain', await signMap(alice, base, SIGNING_DOMAIN_V1), 'v = 2, signed over "flock/entry/v1\\n" ‖ the map')
  await sigBad('version-1 entry signed under the version-2 domain', await signMap(alice, v1, SIGNING_DOMAIN_V2), 'v = 1, signed over "flock/entry/v2\\n" ‖ the map')
  await sigBad('version-1 entry relabelled version 2', dagCbor.encode({ ...(await createEntry(alice.author, null, 'post', { text: 'hello, flock' }, T0, { version: 1 })).entry, v: 2 }),
    'the version-1 minimal post with v changed to 2 and its signature kept')
  await sigBad('device-log entry signed by the author key', await signMap(alice, dBase), 'the laptop\'s seq 2 signed by alice\'s author key: a device log is signed by its device key')
  await sigBad('device-log entry signed by another device key', await signMap(phone, dBase), 'the laptop\'s seq 2 signed by the phone\'s key')
  await sigBad('invalid auth in a device body', await signMap(laptop, genesisMap({ device: laptop.author.id, auth: await laptop.author.privateKey.sign(deviceAuthInput(alice.author.id, laptop.author.id)) })),
    'the laptop\'s genesis whose auth is signed by the laptop itself, not by the author key')
  await sigBad('device auth over another device', await signMap(laptop, genesisMap({ device: laptop.author.id, auth: (await deviceBody(alice.author, phone.author.id)).auth })),
    'auth is alice\'s consent to the phone, not to the laptop')
  await sigBad('invalid auth in a revoke body', await signMap(alice, withBody({ device: phone.author.id, after: 1, auth: (await revokeBody(alice.author, phone.author.id, 2)).auth }, 'revoke')),
    'the auth covers after = 2, the body says 1')
  await sigBad('revoke auth by a device key', await signMap(laptop, { ...dBase, kind: 'revoke', body: { device: phone.author.id, after: 1, auth: await laptop.author.privateKey.sign(revokeAuthInput(alice.author.id, phone.author.id, 1)) } }),
    'only the author key can revoke: auth signed by the laptop')
  await sigBad('valid only under cofactored (ZIP-215) verification', withSmallOrderR(alice, a1.entry),
    'R carries a point of order 8: [8][S]B = [8]R + [8][k]A holds, [S]B = R + [k]A does not; Flock rejects it')
  await sigBad('device auth with S not reduced (S + L)', await signMap(laptop, genesisMap({ device: laptop.author.id, auth: unreducedS(d1.entry.body.auth), name: 'laptop' })),
    'the laptop\'s genesis with the S of its auth replaced by S + L')

  // --- chains: append in order to an empty store of `author`, each entry to the log its log id names ---
  const rootLog = valid.filter(v => v.author === alice.author.id && (v.entry as { device?: string }).device === undefined).map(v => Buffer.from(v.bytes, 'hex'))
  const laptopLog = valid.filter(v => (v.entry as { device?: string }).device === laptop.author.id).map(v => Buffer.from(v.bytes, 'hex'))
  await chain('complete root log', alice, rootLog, null, null, `alice's ${rootLog.length} valid root-log entries in order`)
  await chain('complete device log', alice, laptopLog, null, null, `the laptop's ${laptopLog.length} valid entries in order, genesis first`)
  await chain('logs interleaved', alice, [a1.bytes, d1.bytes, a2.bytes, d2.bytes, e1.bytes, d3.bytes, a3.bytes], null, null,
    'entries of the root log and two device logs of alice, interleaved: each log has its own seq')

  // Version 1 → 2 in one root log, and back.
  const r1 = await createEntry(alice.author, null, 'post', { text: 'written in version 1' }, T0, { version: 1 })
  const r2 = await createEntry(alice.author, r1, 'post', { text: 'written in version 2' }, T0 + MINUTE)
  const r3 = await createEntry(alice.author, r2, 'profile', { name: 'Alice', bio: 'migrated', handle: 'alice.example.org' }, T0 + 2 * MINUTE)
  await chain('root log continuing from version 1 into version 2', alice, [r1.bytes, r2.bytes, r3.bytes], null, null,
    'seq 1 is version 1, seq 2 and 3 are version 2: a root log may move to version 2 at any seq')
  await chain('version regression', alice, [r1.bytes, r2.bytes, await signMap(alice, { ...v1, seq: 3, prev: r2.cid, ts: T0 + 2 * MINUTE, body: { text: 'back to version 1' } })],
    'VersionRegressionError', 2, 'a version-1 seq 3 after a version-2 seq 2 in one log')

  // Revokes.
  const p2 = await createEntry({ author: alice.author.id, key: phone.author }, e1, 'post', { text: 'phone 2' }, T0 + MINUTE)
  const p3 = await createEntry({ author: alice.author.id, key: phone.author }, p2, 'post', { text: 'phone 3' }, T0 + 2 * MINUTE)
  const revokeAfter = async (after: number, head: VerifiedEntry | null = null, ts = T0 + 30 * MINUTE): Promise<VerifiedEntry> =>
    await createEntry(alice.author, head, 'revoke', await revokeBody(alice.author, phone.author.id, after), ts)
  const rv2 = await revokeAfter(2)
  await chain('revoked device', alice, [e1.bytes, rv2.bytes, p2.bytes, p3.bytes], 'RevokedDeviceError', 3,
    'the phone\'s genesis, a root-log revoke of the phone with after = 2, then the phone\'s seq 2 (at after: accepted) and seq 3 (above: refused)')
  const rv3 = await revokeAfter(3)
  const rv1 = await revokeAfter(1, rv3, T0 + 31 * MINUTE)
  await chain('revoked device, smallest after wins', alice, [e1.bytes, rv3.bytes, rv1.bytes, p2.bytes], 'RevokedDeviceError', 3,
    'two root-log revokes of the phone, after = 3 then after = 1: the phone\'s seq 2 is refused')
  const selfRevoke = await createEntry({ author: alice.author.id, key: phone.author }, e1, 'revoke', await revokeBody(alice.author, phone.author.id, 2), T0 + MINUTE)
  const selfNext = await createEntry({ author: alice.author.id, key: phone.author }, selfRevoke, 'post', { text: 'after my own revoke' }, T0 + 2 * MINUTE)
  await chain('revoke in the revoked device\'s own log', alice, [e1.bytes, selfRevoke.bytes, selfNext.bytes], 'RevokedDeviceError', 2,
    'the phone revokes itself after = 2 at its own seq 2 (accepted); its seq 3 is refused')
  await chain('revoke held before the genesis', alice, [(await revokeAfter(0)).bytes, e1.bytes], 'RevokedDeviceError', 1,
    'a root-log revoke of the phone with after = 0 withdraws the whole log, its genesis included')

  // Device logs bound to their author, and the device limit.
  const hijack = await signMap(laptop, { ...dBase, author: bob.author.id, prev: d1.cid, body: { text: 'posting as bob' } })
  await chain('wrong author in a device log', alice, [d1.bytes, hijack], 'WrongAuthorError', 1,
    'the laptop\'s genesis binds its log to alice; a seq 2 signed by the laptop naming bob as author is refused (in this store of alice it is also an entry of another author: both rules of step 5.1 refuse it)')
  await chain('entry of another author', alice, [a1.bytes, b1.bytes], 'WrongAuthorError', 1, 'bob\'s entry offered to alice\'s store')
  const geneses: Uint8Array[] = []
  for (let i = 0; i <= MAX_DEVICE_LOGS; i++) {
    const device = await person(0x40 + i)
    geneses.push((await createEntry({ author: alice.author.id, key: device.author }, null, 'device', await deviceBody(alice.author, device.author.id), T0 + i)).bytes)
  }
  await chain('device limit', alice, geneses, 'DeviceLimitError', MAX_DEVICE_LOGS,
    `${MAX_DEVICE_LOGS + 1} device geneses of alice (device seeds 0x40 … 0x${(0x40 + MAX_DEVICE_LOGS).toString(16)}): the ${MAX_DEVICE_LOGS + 1}th would start one device log too many`)

  // The version-1 chain rules, per log.
  const dNext = async (fields: Record<string, unknown>): Promise<Uint8Array> => await signMap(laptop, { ...dBase, ...fields })
  await chain('gap in a device log', alice, [d1.bytes, d3.bytes], 'SeqGapError', 1, 'the laptop\'s seq 3 offered when its log ends at seq 1')
  await chain('device log without its genesis', alice, [d2.bytes], 'SeqGapError', 0, 'the laptop\'s seq 2 offered to an empty store: no genesis, nothing to attribute it to')
  await chain('gap in the root log', alice, [a1.bytes, a3.bytes], 'SeqGapError', 1, 'root-log seq 3 offered when the log ends at seq 1')
  await chain('prev names another entry', alice, [d1.bytes, await dNext({ prev: a1.cid })], 'PrevMismatchError', 1,
    'the laptop\'s seq 2 whose prev is alice\'s root-log seq 1 instead of the genesis')
  await chain('same entry twice', alice, [d1.bytes, d2.bytes, d2.bytes], 'DuplicateEntryError', 2, 'the laptop\'s seq 2 offered again, same CID')
  await chain('fork in a device log', alice, [d1.bytes, d2.bytes, await dNext({ body: { text: 'another history' } })], 'ForkError', 2,
    'a second, validly signed seq 2 of the laptop with prev = its genesis and a different CID: keep both as evidence')
  await chain('fork in the root log', alice, [a1.bytes, a2.bytes, await signMap(alice, { ...base, seq: 2, prev: a1.cid, ts: T0 + MINUTE, body: { text: 'another history' } })], 'ForkError', 2,
    'a second, validly signed root-log seq 2')
  await chain('timestamp goes back', alice, [d1.bytes, await dNext({ ts: T0 })], 'TimestampRegressionError', 1,
    'the laptop\'s seq 2 dated 1 minute before its genesis')

  // --- timestamps: checkTimestamp(entry, now) with the default skew ---
  await recordSkewLimit(r, a1.bytes)
  await clock('device genesis just too far in the future', d1.bytes, d1.entry.ts - MAX_FUTURE_SKEW_MS - 1, 'FutureTimestampError', 'the same rule in a device log')

  return vectorFile(
    'Flock protocol version 2 test vectors (PROTOCOL.md §11). Hex strings are lowercase; ' +
      'entries are verified with verifyEntry, chains appended in order to an empty store of `author` (each entry to the log ' +
      'its log id names; revokes held in any log and the device limit apply), timestamps checked against `now` with a skew ' +
      'of 300000 ms. Device-log vectors have the device key as publicKey and seed; device and revoke vectors also carry ' +
      'authInput, authSignature and authorPublicKey. Generated by test/vectors/generate-v2.ts; do not edit by hand.',
    SIGNING_DOMAIN_V2, valid, r)
}

if (isMain(import.meta.url)) await writeVectors(VECTORS_V2_PATH, await buildVectorsV2())
