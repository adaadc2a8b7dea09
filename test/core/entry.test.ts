import { describe, expect, test } from 'vitest'
import fc from 'fast-check'
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import type { MultihashDigest } from 'multiformats/hashes/interface'
import { privateKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import {
  createEntry, decodeEntry, entryCid, restoreVerified, signEd25519, signingInput, signingInputOf, verifyEntry,
  MAX_SEQ,
  V1_KINDS, MAX_ALT_GRAPHEMES, MAX_BIO_GRAPHEMES, MAX_ENTRY_BYTES, MAX_MEDIA, MAX_MENTIONS,
  MAX_NAME_GRAPHEMES, MAX_TAG_LENGTH, MAX_TAGS, MAX_TEXT_GRAPHEMES, SIGNING_DOMAIN_V1,
  EntryDecodeError, EntrySchemaError, EntryTooLargeError, FlockError, InvalidAuthorError, InvalidSignatureError,
  NonCanonicalEncodingError, TextTooLongError, UnsupportedVersionError,
  type Entry, type Media, type PostBody, type VerifiedEntry
} from '../../src/lib/core/index.js'
import {
  T0, V1, RawFloat, RawInt, RawMap, authorFromSeed, cborCid, decodeRaw, encodeRawCbor, equalBytes, fixtures, hex,
  rawCid, rejectsWith, signRaw, throwsWith, toRaw, type RawValue
} from './helpers.js'

const ED25519_L = (1n << 252n) + 27742317777372353535851937790883648493n

/** The error classes decodeEntry may throw for a well-sized input. */
const DECODE_ERRORS = new Set([
  'EntryDecodeError', 'NonCanonicalEncodingError', 'UnsupportedVersionError', 'EntrySchemaError',
  'TextTooLongError', 'InvalidAuthorError'
])

function decodeError (bytes: Uint8Array): FlockError | null {
  try {
    decodeEntry(bytes)
    return null
  } catch (err) {
    expect(err).toBeInstanceOf(FlockError)
    return err as FlockError
  }
}

/** Every check on a tampered copy of `original`: rejected, and by the step that should reject it. */
async function expectTamperRejected (mutated: Uint8Array, original: Uint8Array): Promise<void> {
  expect(equalBytes(mutated, original)).toBe(false)
  const atDecode = decodeError(mutated)
  let err: unknown
  try {
    await verifyEntry(mutated)
  } catch (e) {
    err = e
  }
  if (err === undefined) expect.fail(`tampered entry accepted: ${hex(mutated)}`)
  expect(err).toBeInstanceOf(FlockError)
  if (atDecode === null) {
    // Well-formed and schema-valid: only the signature can catch it.
    expect((err as Error).name).toBe('InvalidSignatureError')
  } else {
    expect(DECODE_ERRORS.has(atDecode.name)).toBe(true)
    expect((err as Error).name).toBe(atDecode.name)
  }
}

function flipBit (bytes: Uint8Array, index: number, bit: number): Uint8Array {
  const out = new Uint8Array(bytes)
  out[index] = (out[index] as number) ^ (1 << bit)
  return out
}

describe('round trip of every kind', async () => {
  const { chain } = await fixtures()

  test('the fixture chain covers every version-1 kind, all in version-1 entries', () => {
    expect(new Set(chain.map(c => c.v.entry.kind))).toEqual(new Set(V1_KINDS))
    expect(new Set(chain.map(c => c.v.entry.v))).toEqual(new Set([1]))
  })

  test.each(chain.map(c => [c.label, c.v] as const))('%s', async (_label, v) => {
    const again = await verifyEntry(v.bytes)
    expect(again.entry).toEqual(v.entry)
    expect(again.bytes).toBe(v.bytes)
    expect(again.cid.equals(v.cid)).toBe(true)
    expect(again.cid.toString()).toBe(v.cid.toString())
    expect(decodeEntry(v.bytes)).toEqual(v.entry)
    // The bytes are the canonical encoding of the entry and the CID is CIDv1(dag-cbor, sha2-256) of them.
    expect(equalBytes(dagCbor.encode(v.entry), v.bytes)).toBe(true)
    expect((await entryCid(v.bytes)).equals(v.cid)).toBe(true)
    expect(v.cid.version).toBe(1)
    expect(v.cid.code).toBe(0x71)
    expect(v.cid.multihash.code).toBe(0x12)
    expect(v.entry.v).toBe(1)
    expect(v.entry.sig).toHaveLength(64)
    const restored = restoreVerified(v.bytes, v.cid)
    expect(restored.entry).toEqual(v.entry)
    // The signing input cut from the canonical bytes is the one encoded from the fields.
    expect(equalBytes(signingInputOf(decodeEntry(v.bytes), v.bytes), signingInput(v.entry))).toBe(true)
  })

  test('property: the signing input cut from the bytes equals the encoded one at every seq and ts width', async () => {
    const a = await authorFromSeed(9)
    const prev = chain[0]?.v.cid as CID
    // Integer widths change at 24, 2^8, 2^16 and 2^32: bias the values towards those edges.
    const edge = (max: number): fc.Arbitrary<number> => fc.oneof(
      fc.constantFrom(...[0, 1, 23, 24, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, max].filter(x => x <= max)),
      fc.integer({ min: 0, max })
    )
    await fc.assert(fc.property(edge(MAX_SEQ), edge(Number.MAX_SAFE_INTEGER), fc.constantFrom(1, 2), (seqish, ts, version) => {
      const seq = Math.max(1, seqish)
      const entry = { v: version, author: a.id, seq, prev: seq === 1 ? null : prev, ts, kind: 'post', body: { text: 'x' }, sig: new Uint8Array(64).fill(7) } as Entry
      expect(equalBytes(signingInputOf(entry, dagCbor.encode(entry)), signingInput(entry))).toBe(true)
    }), { seed: 5, numRuns: 300 })
  })

  test('signEd25519 gives the signature libp2p gives (Ed25519 is deterministic), as plain bytes', async () => {
    const a = await authorFromSeed(10)
    for (const message of [new Uint8Array(0), new TextEncoder().encode('flock'), new Uint8Array(9000).fill(3)]) {
      const ours = await signEd25519(a.privateKey, message)
      expect(Object.getPrototypeOf(ours)).toBe(Uint8Array.prototype)
      expect(equalBytes(ours, await a.privateKey.sign(message))).toBe(true)
    }
  })

  test('all optional post fields survive', () => {
    const full = chain.find(c => c.label === 'post (every optional field)')?.v
    if (full?.entry.kind !== 'post') throw new Error('fixture missing')
    const body = decodeEntry(full.bytes).body as PostBody
    expect(Object.keys(body).sort()).toEqual(['media', 'mentions', 'quote', 'reply', 'tags', 'text'])
    expect(body.media).toHaveLength(4)
    expect(body.media?.map(m => m.mime)).toEqual(['image/webp', 'image/png', 'image/jpeg', 'video/mp4'])
    expect(body.media?.[2]?.alt).toBe('e\u0301te\u0301')
    expect(body.tags).toEqual(['flock', 'p2p'])
    expect(body.reply?.root.equals(full.entry.body.reply?.root)).toBe(true)
  })

  test('the chain links seq and prev', () => {
    chain.forEach(({ v }, i) => {
      expect(v.entry.seq).toBe(i + 1)
      expect(v.entry.ts).toBe(T0 + 1000 * i)
      if (i === 0) expect(v.entry.prev).toBeNull()
      else expect(v.entry.prev?.equals(chain[i - 1]?.v.cid)).toBe(true)
    })
  })

  test('fixed keys give fixed bytes (regression vector, version 1)', async () => {
    const a = await authorFromSeed(1)
    const v = await createEntry(a, null, 'post', { text: 'hi' }, T0, V1)
    expect(a.id).toBe('12D3KooWK99VoVxNE7XzyBwXEzW7xhK7Gpv85r9F3V3fyKSUKPH5')
    expect(v.cid.toString()).toBe('bafyreidw7axxxqycp2yobxdjckvtertnqpdsiyedfiqsanqqoczracohpu')
    expect(hex(v.bytes)).toBe(
      'a86176016274731b0000018bcfe568006373657101637369675840c477b35146382208aea444162ba2fe23cb111a79a789e9' +
      '2ec91f39d86bf3cef592fcc383d975edc344514d5bb1086accb944268d570fa4294fe684e6df12ae0d64626f6479a164746578' +
      '74626869646b696e6464706f73746470726576f666617574686f727834313244334b6f6f574b3939566f56784e4537587a7942' +
      '7758457a573778684b37477076383572394633563366794b53554b504835'
    )
  })

  test('signing input is the version-1 domain prefix then the canonical encoding of everything but sig', async () => {
    const { chain } = await fixtures()
    const v = chain[1]?.v as VerifiedEntry
    const { sig: _sig, ...unsigned } = v.entry
    const input = signingInput(v.entry)
    const prefix = new TextEncoder().encode(SIGNING_DOMAIN_V1)
    expect(equalBytes(input.subarray(0, prefix.length), prefix)).toBe(true)
    expect(equalBytes(input.subarray(prefix.length), dagCbor.encode(unsigned))).toBe(true)
    expect(await (await authorFromSeed(1)).publicKey.verify(input, v.entry.sig)).toBe(true)
  })

  test('createEntry drops undefined optional fields and does not mutate the body', async () => {
    const a = await authorFromSeed(1)
    const body = { text: 'x', quote: undefined, tags: undefined }
    const v = await createEntry(a, null, 'post', body, T0)
    expect(Object.keys(v.entry.body)).toEqual(['text'])
    expect(Object.keys(body)).toEqual(['text', 'quote', 'tags'])
    expect((await verifyEntry(v.bytes)).cid.equals(v.cid)).toBe(true)
  })

  test('createEntry refuses a head of another author', async () => {
    const { b, chain } = await fixtures()
    await rejectsWith(createEntry(b, chain[0]?.v as VerifiedEntry, 'post', { text: 'x' }, T0), InvalidAuthorError, 'InvalidAuthorError')
  })

  test('createEntry never lets the timestamp go backwards', async () => {
    const a = await authorFromSeed(1)
    const first = await createEntry(a, null, 'post', { text: '1' }, T0)
    const second = await createEntry(a, first, 'post', { text: '2' }, T0 - 60_000)
    expect(second.entry.ts).toBe(T0)
    const third = await createEntry(a, second, 'post', { text: '3' }, T0 + 1.9)
    expect(third.entry.ts).toBe(T0 + 1)
  })

  test('verifyEntry does not mutate its input', async () => {
    const { chain } = await fixtures()
    const v = chain[1]?.v as VerifiedEntry
    const copy = new Uint8Array(v.bytes)
    await verifyEntry(copy)
    expect(equalBytes(copy, v.bytes)).toBe(true)
  })

  test('property: createEntry then verifyEntry is the identity for random post bodies', async () => {
    const a = await authorFromSeed(3)
    const cids = await Promise.all([0, 1, 2, 3].map(i => rawCid(`m${i}`)))
    const media = fc.array(
      fc.record({ cid: fc.constantFrom(...cids), mime: fc.constantFrom('image/webp', 'image/png', 'video/mp4'), alt: fc.string({ maxLength: 40 }) }),
      { minLength: 1, maxLength: MAX_MEDIA }
    )
    const tag = fc.stringMatching(/^[a-z0-9_]{1,20}$/)
    const body = fc.record({
      text: fc.string({ minLength: 1, maxLength: 200, unit: 'grapheme' }),
      quote: fc.option(fc.constantFrom(...cids), { nil: undefined }),
      media: fc.option(media, { nil: undefined }),
      tags: fc.option(fc.uniqueArray(tag, { minLength: 1, maxLength: MAX_TAGS }), { nil: undefined })
    })
    await fc.assert(fc.asyncProperty(body, fc.integer({ min: 0, max: 2 ** 45 }), async (b, ts) => {
      const v = await createEntry(a, null, 'post', b as PostBody, ts)
      const again = await verifyEntry(v.bytes)
      expect(again.entry).toEqual(v.entry)
      expect(again.cid.equals(v.cid)).toBe(true)
      expect(again.entry.ts).toBe(ts)
    }), { seed: 20261121, numRuns: 200 })
  })
})

describe('whatever the text, the signed bytes say exactly what the entry says', async () => {
  const a = await authorFromSeed(4)
  test('property: any string is either refused with a FlockError or round-trips unchanged', async () => {
    let refused = 0
    // fast-check's 'binary' unit never yields a lone surrogate, so mix surrogate halves in by hand.
    const unit = fc.oneof(
      { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map(c => String.fromCharCode(c)) },
      { weight: 15, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) }
    )
    await fc.assert(fc.asyncProperty(fc.string({ unit, maxLength: 30 }), async text => {
      let v: VerifiedEntry
      try {
        v = await createEntry(a, null, 'post', { text }, T0)
      } catch (err) {
        expect(err).toBeInstanceOf(FlockError)
        refused++
        return
      }
      expect((await verifyEntry(v.bytes)).entry.body).toEqual({ text })
    }), { seed: 99, numRuns: 500 })
    // Lone surrogates and empty strings are the refused ones; make sure both branches ran.
    expect(refused).toBeGreaterThan(0)
    expect(refused).toBeLessThan(500)
  })
})

describe('tampering', async () => {
  const { a, b, other, chain } = await fixtures()

  test('property: flipping any bit of any entry is rejected with the right error', async () => {
    const arb = fc.record({
      which: fc.nat({ max: chain.length - 1 }),
      flips: fc.array(fc.record({ at: fc.nat(), bit: fc.nat({ max: 7 }) }), { minLength: 1, maxLength: 4 })
    })
    await fc.assert(fc.asyncProperty(arb, async ({ which, flips }) => {
      const original = chain[which]?.v.bytes as Uint8Array
      let mutated = original
      for (const { at, bit } of flips) mutated = flipBit(mutated, at % original.length, bit)
      fc.pre(!equalBytes(mutated, original))
      await expectTamperRejected(mutated, original)
    }), { seed: 42, numRuns: 3000 })
  })

  test('every single-bit flip of every fixture entry is rejected (exhaustive)', async () => {
    const names = new Map<string, number>()
    for (const { v } of chain) {
      for (let i = 0; i < v.bytes.length; i++) {
        for (let bit = 0; bit < 8; bit++) {
          const mutated = flipBit(v.bytes, i, bit)
          await expectTamperRejected(mutated, v.bytes)
          const err = decodeError(mutated)
          const name = err?.name ?? 'InvalidSignatureError'
          names.set(name, (names.get(name) ?? 0) + 1)
        }
      }
    }
    // Flips in sig, text and ts bytes decode fine; the signature must be what catches them.
    expect(names.get('InvalidSignatureError') ?? 0).toBeGreaterThan(1000)
    expect(names.get('EntryDecodeError') ?? 0).toBeGreaterThan(0)
    expect(names.get('NonCanonicalEncodingError') ?? 0).toBeGreaterThan(0)
  })

  const byLabel = (label: string): VerifiedEntry => {
    const v = chain.find(c => c.label === label)?.v
    if (v === undefined) throw new Error(`no fixture ${label}`)
    return v
  }

  type Edit = (e: Record<string, unknown>, body: Record<string, unknown>) => void
  const someCid = (): Promise<CID> => cborCid('elsewhere')
  const edits: Array<[string, string, () => Promise<Edit>]> = [
    ['post (every optional field)', 'text', async () => (_e, body) => { body.text = 'replying to @b with #flock and #p2p 👍🏿' }],
    ['post (every optional field)', 'seq (and prev kept valid)', async () => e => { e.seq = 7 }],
    ['post (every optional field)', 'ts + 1', async () => e => { e.ts = (e.ts as number) + 1 }],
    ['post (every optional field)', 'ts - 1', async () => e => { e.ts = (e.ts as number) - 1 }],
    ['post (every optional field)', 'prev', async () => { const c = await someCid(); return e => { e.prev = c } }],
    ['post (every optional field)', 'author → another valid author', async () => e => { e.author = b.id }],
    ['post (every optional field)', 'reply.root', async () => { const c = await someCid(); return (_e, body) => { (body.reply as Record<string, unknown>).root = c } }],
    ['post (every optional field)', 'reply.parent', async () => { const c = await someCid(); return (_e, body) => { (body.reply as Record<string, unknown>).parent = c } }],
    ['post (every optional field)', 'quote', async () => { const c = await someCid(); return (_e, body) => { body.quote = c } }],
    ['post (every optional field)', 'quote removed', async () => (_e, body) => { delete body.quote }],
    ['post (every optional field)', 'media alt', async () => (_e, body) => { ((body.media as Media[])[0] as Media).alt = 'a dog' }],
    ['post (every optional field)', 'media mime', async () => (_e, body) => { ((body.media as Media[])[1] as Media).mime = 'image/gif' }],
    ['post (every optional field)', 'media reordered', async () => (_e, body) => { (body.media as Media[]).reverse() }],
    ['post (every optional field)', 'media dropped', async () => (_e, body) => { (body.media as Media[]).pop() }],
    ['post (every optional field)', 'mentions', async () => (_e, body) => { body.mentions = [a.id] }],
    ['post (every optional field)', 'tags', async () => (_e, body) => { body.tags = ['p2p', 'flock'] }],
    ['post (text only)', 'text', async () => (_e, body) => { body.text = 'ho' }],
    ['like', 'kind like → repost', async () => e => { e.kind = 'repost' }],
    ['like', 'body.subject', async () => { const c = await someCid(); return (_e, body) => { body.subject = c } }],
    ['like', 'body.author', async () => (_e, body) => { body.author = a.id }],
    ['repost', 'kind repost → like', async () => e => { e.kind = 'like' }],
    ['follow', 'kind follow → unfollow', async () => e => { e.kind = 'unfollow' }],
    ['follow', 'body.author', async () => (_e, body) => { body.author = a.id }],
    ['unfollow', 'kind unfollow → follow', async () => e => { e.kind = 'follow' }],
    ['profile (no avatar)', 'name', async () => (_e, body) => { body.name = 'Mallory' }],
    ['profile (no avatar)', 'bio', async () => (_e, body) => { body.bio = 'writes exploits' }],
    ['profile (no avatar)', 'avatar added', async () => { const c = await rawCid('evil'); return (_e, body) => { body.avatar = c } }],
    ['profile (avatar)', 'avatar removed', async () => (_e, body) => { delete body.avatar }],
    ['profile (avatar)', 'avatar', async () => { const c = await rawCid('evil'); return (_e, body) => { body.avatar = c } }],
    ['delete', 'body.subject', async () => (_e, body) => { body.subject = other.cid }],
    ['delete', 'sig of another entry', async () => e => { e.sig = byLabel('like').entry.sig }],
    ['post (text only)', 'sig by another key over the same content', async () => {
      const sig = await b.privateKey.sign(signingInput(byLabel('post (text only)').entry))
      return e => { e.sig = sig }
    }]
  ]

  test.each(edits)('field tamper on %s: %s → InvalidSignatureError', async (label, _field, makeEdit) => {
    const original = byLabel(label)
    const edit = await makeEdit()
    const e = decodeRaw(original.bytes)
    edit(e, e.body as Record<string, unknown>)
    const mutated = dagCbor.encode(e)
    expect(equalBytes(mutated, original.bytes)).toBe(false)
    // The edit keeps the entry well-formed, so only the signature can catch it.
    expect(() => decodeEntry(mutated)).not.toThrow()
    const err = await rejectsWith(verifyEntry(mutated), InvalidSignatureError, 'InvalidSignatureError')
    expect(err.code).toBe('INVALID_SIGNATURE')
  })

  test('a signature without the domain prefix is rejected', async () => {
    const v = byLabel('post (text only)')
    const { sig: _sig, ...unsigned } = v.entry
    const sig = await a.privateKey.sign(dagCbor.encode(unsigned))
    const bytes = dagCbor.encode({ ...unsigned, sig })
    expect(() => decodeEntry(bytes)).not.toThrow()
    await rejectsWith(verifyEntry(bytes), InvalidSignatureError, 'InvalidSignatureError')
  })

  const withS = (v: VerifiedEntry, s: bigint): Uint8Array => {
    const sig = new Uint8Array(v.entry.sig)
    for (let i = 32; i < 64; i++) {
      sig[i] = Number(s & 0xffn)
      s >>= 8n
    }
    expect(s).toBe(0n)
    return dagCbor.encode({ ...decodeRaw(v.bytes), sig })
  }
  const sOf = (sig: Uint8Array): bigint => {
    let s = 0n
    for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(sig[i] as number)
    return s
  }

  test.each(chain.map(c => [c.label, c.v] as const))('non-canonical scalar S + L is rejected: %s', async (_label, v) => {
    const s = sOf(v.entry.sig)
    expect(s < ED25519_L).toBe(true)
    const err = await rejectsWith(verifyEntry(withS(v, s + ED25519_L)), InvalidSignatureError, 'InvalidSignatureError')
    expect(err.message).toMatch(/canonical/)
  })

  test('S = L is rejected as non-canonical, S = L - 1 as a plain bad signature', async () => {
    const v = byLabel('like')
    expect((await rejectsWith(verifyEntry(withS(v, ED25519_L)), InvalidSignatureError, 'InvalidSignatureError')).message).toMatch(/canonical/)
    expect((await rejectsWith(verifyEntry(withS(v, ED25519_L - 1n)), InvalidSignatureError, 'InvalidSignatureError')).message).not.toMatch(/canonical/)
    // Sanity: rewriting S with its own value changes nothing.
    expect((await verifyEntry(withS(v, sOf(v.entry.sig)))).cid.equals(v.cid)).toBe(true)
  })
})

describe('small-order author keys', () => {
  // OpenSSL accepts a small-order public key: for the identity point, R = identity and S = 0 satisfy
  // the verification equation for every message. Such author ids are refused before any signature check.
  test('an entry by a small-order author key is rejected as InvalidAuthorError', async () => {
    const author = '12D3KooW9tGaPdJo5jmCpadQ971nfiq4kLcQjeBPYTfutBTtckPH'
    const sig = new Uint8Array(64)
    sig[0] = 1
    const bytes = dagCbor.encode({ v: 1, author, seq: 1, prev: null, ts: T0, kind: 'post', body: { text: 'forged' }, sig })
    await expect(verifyEntry(bytes)).rejects.toMatchObject({ name: 'InvalidAuthorError' })
  })
})

// Version-1 rules (strict keys, no v2 fields): every entry here is written as version 1.
describe('limits and schema (version 1)', async () => {
  const a = await authorFromSeed(1)
  const { b, other } = await fixtures()
  const post = (body: PostBody): Promise<VerifiedEntry> => createEntry(a, null, 'post', body, T0, V1)
  const unsignedPost = (body: Record<string, unknown>): Record<string, unknown> =>
    ({ v: 1, author: a.id, seq: 1, prev: null, ts: T0, kind: 'post', body })

  const graphemes: Array<[string, string]> = [
    ['ASCII', 'a'],
    ['emoji with skin tone', '👍🏽'],
    ['ZWJ family', '👨‍👩‍👧‍👦'],
    ['flag', '🇳🇱'],
    ['combining mark', 'e\u0301'],
    ['several combining marks', 'o\u0308\u0301\u0323']
  ]

  test.each(graphemes)('text of exactly %s graphemes at the limit passes, one more fails', async (_name, g) => {
    // Long graphemes would break the byte limit first, so fill the rest with ASCII where needed.
    const n = Math.min(MAX_TEXT_GRAPHEMES, Math.floor(6000 / new TextEncoder().encode(g).length))
    const text = g.repeat(n) + 'a'.repeat(MAX_TEXT_GRAPHEMES - n)
    expect(n).toBeGreaterThan(200)
    const ok = await post({ text })
    expect((await verifyEntry(ok.bytes)).entry.body).toEqual({ text })
    const err = await rejectsWith(post({ text: text + g }), TextTooLongError, 'TextTooLongError')
    expect(err.field).toBe('body.text')
    expect(err.graphemes).toBe(MAX_TEXT_GRAPHEMES + 1)
    expect(err.limit).toBe(MAX_TEXT_GRAPHEMES)
    expect(err.code).toBe('TEXT_TOO_LONG')
    // The same over-long text, signed anyway, is refused by the verifier too.
    const bytes = await signRaw(a, unsignedPost({ text: text + g }))
    expect(bytes.length).toBeLessThanOrEqual(MAX_ENTRY_BYTES)
    expect((await rejectsWith(verifyEntry(bytes), TextTooLongError, 'TextTooLongError')).graphemes).toBe(MAX_TEXT_GRAPHEMES + 1)
  })

  test('500 skin-tone emoji, 500 flags, 500 accented letters: all exactly at the limit', async () => {
    for (const g of ['👍🏽', '🇳🇱', 'e\u0301']) {
      const text = g.repeat(MAX_TEXT_GRAPHEMES)
      expect(text.length).toBeGreaterThan(MAX_TEXT_GRAPHEMES)
      await expect(post({ text })).resolves.toBeDefined()
      await rejectsWith(post({ text: text + 'x' }), TextTooLongError, 'TextTooLongError')
    }
  })

  test('an entry over MAX_ENTRY_BYTES is refused at creation, at exactly the limit it passes', async () => {
    // One grapheme can be arbitrarily long: a base letter with many combining marks.
    const sizeOf = (text: string): number =>
      dagCbor.encode({ ...unsignedPost({ text }), sig: new Uint8Array(64) }).length
    let text = ''
    for (let n = 0; ; n++) {
      const t = 'e' + '\u0301'.repeat(n)
      if (sizeOf(t) >= MAX_ENTRY_BYTES - 1) {
        text = sizeOf(t) === MAX_ENTRY_BYTES ? t : t + 'x'
        break
      }
    }
    expect(sizeOf(text)).toBe(MAX_ENTRY_BYTES)
    const atLimit = await post({ text })
    expect(atLimit.bytes.length).toBe(MAX_ENTRY_BYTES)
    expect((await verifyEntry(atLimit.bytes)).cid.equals(atLimit.cid)).toBe(true)
    const err = await rejectsWith(post({ text: text + 'y' }), EntryTooLargeError, 'EntryTooLargeError')
    expect(err.size).toBe(MAX_ENTRY_BYTES + 1)
    expect(err.limit).toBe(MAX_ENTRY_BYTES)
    // Raw bytes over the limit are refused before any parsing, even if they are a signed entry.
    const big = await signRaw(a, unsignedPost({ text: text + 'y' }))
    expect(big.length).toBe(MAX_ENTRY_BYTES + 1)
    expect((await rejectsWith(verifyEntry(big), EntryTooLargeError, 'EntryTooLargeError')).size).toBe(MAX_ENTRY_BYTES + 1)
    await rejectsWith(verifyEntry(new Uint8Array(MAX_ENTRY_BYTES + 1)), EntryTooLargeError, 'EntryTooLargeError')
    await rejectsWith(verifyEntry(new Uint8Array(MAX_ENTRY_BYTES)), EntryDecodeError, 'EntryDecodeError')
    await rejectsWith(verifyEntry(new Uint8Array(1_000_000)), EntryTooLargeError, 'EntryTooLargeError')
  })

  test('profile name and bio limits', async () => {
    const profile = (name: string, bio: string): Promise<VerifiedEntry> => createEntry(a, null, 'profile', { name, bio }, T0, V1)
    await expect(profile('n'.repeat(MAX_NAME_GRAPHEMES), 'b'.repeat(MAX_BIO_GRAPHEMES))).resolves.toBeDefined()
    await expect(profile('👍🏽'.repeat(MAX_NAME_GRAPHEMES), '🇳🇱'.repeat(MAX_BIO_GRAPHEMES))).resolves.toBeDefined()
    const name = await rejectsWith(profile('👍🏽'.repeat(MAX_NAME_GRAPHEMES + 1), ''), TextTooLongError, 'TextTooLongError')
    expect([name.field, name.graphemes, name.limit]).toEqual(['body.name', MAX_NAME_GRAPHEMES + 1, MAX_NAME_GRAPHEMES])
    const bio = await rejectsWith(profile('', 'b'.repeat(MAX_BIO_GRAPHEMES + 1)), TextTooLongError, 'TextTooLongError')
    expect([bio.field, bio.graphemes, bio.limit]).toEqual(['body.bio', MAX_BIO_GRAPHEMES + 1, MAX_BIO_GRAPHEMES])
    await expect(profile('', '')).resolves.toBeDefined()
    await rejectsWith(createEntry(a, null, 'profile', { name: 'x' } as never, T0, V1), EntrySchemaError, 'EntrySchemaError')
    await rejectsWith(createEntry(a, null, 'profile', { name: 'x', bio: '', avatar: 'bafy' } as never, T0, V1), EntrySchemaError, 'EntrySchemaError')
  })

  test('media: up to 4, valid mime, alt limit', async () => {
    const cids = await Promise.all([0, 1, 2, 3, 4].map(i => rawCid(`m${i}`)))
    const m = (i: number, over: Partial<Media> = {}): Media => ({ cid: cids[i] as CID, mime: 'image/webp', alt: '', ...over })
    await expect(post({ text: '', media: [m(0), m(1), m(2), m(3)] })).resolves.toBeDefined()
    const five = await rejectsWith(post({ text: '', media: [m(0), m(1), m(2), m(3), m(4)] }), EntrySchemaError, 'EntrySchemaError')
    expect(five.field).toBe('body.media')
    expect((await rejectsWith(post({ text: 'x', media: [] }), EntrySchemaError, 'EntrySchemaError')).field).toBe('body.media')
    for (const mime of ['image/WEBP', 'image', 'image/', '/png', 'image/png; q=1', 'x'.repeat(96) + '/webp']) {
      expect((await rejectsWith(post({ text: 'x', media: [m(0, { mime })] }), EntrySchemaError, 'EntrySchemaError')).field).toBe('body.media[0].mime')
    }
    await expect(post({ text: 'x', media: [m(0, { mime: 'image/svg+xml' })] })).resolves.toBeDefined()
    await expect(post({ text: 'x', media: [m(0, { alt: 'a'.repeat(MAX_ALT_GRAPHEMES) })] })).resolves.toBeDefined()
    const alt = await rejectsWith(post({ text: 'x', media: [m(0), m(1, { alt: 'a'.repeat(MAX_ALT_GRAPHEMES + 1) })] }), TextTooLongError, 'TextTooLongError')
    expect(alt.field).toBe('body.media[1].alt')
    const extra = { ...m(0), size: 5 } as Media
    expect((await rejectsWith(post({ text: 'x', media: [extra] }), EntrySchemaError, 'EntrySchemaError')).field).toBe('body.media[0].size')
    expect((await rejectsWith(post({ text: 'x', media: [{ ...m(0), cid: 'bafy' as unknown as CID }] }), EntrySchemaError, 'EntrySchemaError')).field).toBe('body.media[0].cid')
  })

  test('tags: lowercase NFC words without #, no repeats, at most 20', async () => {
    for (const tags of [['flock'], ['a'.repeat(MAX_TAG_LENGTH)], ['café'], ['日本語', 'p2p', 'snake_case'], Array.from({ length: MAX_TAGS }, (_, i) => `t${i}`)]) {
      expect(((await post({ text: 'x', tags })).entry.body as PostBody).tags).toEqual(tags)
    }
    const bad: Array<[string[], string]> = [
      [['#flock'], 'body.tags[0]'],
      [['ok', 'Flock'], 'body.tags[1]'],
      [['a'.repeat(MAX_TAG_LENGTH + 1)], 'body.tags[0]'],
      [[''], 'body.tags[0]'],
      [['two words'], 'body.tags[0]'],
      [['cafe\u0301'], 'body.tags[0]'],
      [['flock', 'flock'], 'body.tags'],
      [[], 'body.tags'],
      [Array.from({ length: MAX_TAGS + 1 }, (_, i) => `t${i}`), 'body.tags']
    ]
    for (const [tags, field] of bad) {
      expect((await rejectsWith(post({ text: 'x', tags }), EntrySchemaError, 'EntrySchemaError')).field).toBe(field)
    }
  })

  test('mentions must be distinct author ids, at most 50', async () => {
    await expect(post({ text: 'x', mentions: [b.id, a.id] })).resolves.toBeDefined()
    expect((await rejectsWith(post({ text: 'x', mentions: [b.id, b.id] }), EntrySchemaError, 'EntrySchemaError')).field).toBe('body.mentions')
    expect((await rejectsWith(post({ text: 'x', mentions: ['bob'] }), EntrySchemaError, 'EntrySchemaError')).field).toBe('body.mentions[0]')
    const many = await Promise.all(Array.from({ length: MAX_MENTIONS + 1 }, (_, i) => authorFromSeed(100 + i)))
    await expect(post({ text: 'x', mentions: many.slice(0, MAX_MENTIONS).map(m => m.id) })).resolves.toBeDefined()
    expect((await rejectsWith(post({ text: 'x', mentions: many.map(m => m.id) }), EntrySchemaError, 'EntrySchemaError')).field).toBe('body.mentions')
  })

  test('a post needs text or media', async () => {
    const err = await rejectsWith(post({ text: '' }), EntrySchemaError, 'EntrySchemaError')
    expect(err.field).toBe('body.text')
    expect(err.code).toBe('ENTRY_SCHEMA')
    await expect(post({ text: ' ' })).resolves.toBeDefined()
    await rejectsWith(verifyEntry(await signRaw(a, unsignedPost({ text: '' }))), EntrySchemaError, 'EntrySchemaError')
  })

  test('reply needs both root and parent as CIDv1', async () => {
    expect((await rejectsWith(post({ text: 'x', reply: { root: other.cid } as never }), EntrySchemaError, 'EntrySchemaError')).field).toBe('body.reply.parent')
    const v0 = CID.createV0(other.cid.multihash as MultihashDigest<0x12>)
    expect((await rejectsWith(post({ text: 'x', quote: v0 as unknown as CID }), EntrySchemaError, 'EntrySchemaError')).field).toBe('body.quote')
  })

  test('unknown keys are rejected, in the body and at the top level', async () => {
    expect((await rejectsWith(post({ text: 'x', lang: 'en' } as PostBody), EntrySchemaError, 'EntrySchemaError')).field).toBe('body.lang')
    const like = await rejectsWith(createEntry(a, null, 'like', { subject: other.cid, author: b.id, extra: 1 } as never, T0, V1), EntrySchemaError, 'EntrySchemaError')
    expect(like.field).toBe('body.extra')
    const top = await signRaw(a, { ...unsignedPost({ text: 'x' }), lang: 'en' })
    expect((await rejectsWith(verifyEntry(top), EntrySchemaError, 'EntrySchemaError')).field).toBe('entry.lang')
    const missing = await signRaw(a, { v: 1, author: a.id, seq: 1, prev: null, ts: T0, body: { text: 'x' } })
    expect((await rejectsWith(verifyEntry(missing), EntrySchemaError, 'EntrySchemaError')).field).toBe('entry.kind')
    const kind = await signRaw(a, { ...unsignedPost({ text: 'x' }), kind: 'boost' })
    expect((await rejectsWith(verifyEntry(kind), EntrySchemaError, 'EntrySchemaError')).field).toBe('kind')
  })

  test('header fields: seq, prev, ts, sig', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ seq: 0 }, 'seq'],
      [{ seq: 1.5 }, 'seq'],
      [{ seq: -1 }, 'seq'],
      [{ seq: 2 }, 'prev'],
      [{ seq: 2, prev: await rawCid('not an entry') }, 'prev'],
      [{ prev: other.cid }, 'prev'],
      [{ ts: -1 }, 'ts'],
      [{ ts: 1.5 }, 'ts'],
      [{ ts: '2023' }, 'ts'],
      [{ author: 42 }, 'author'],
      [{ body: 'text' }, 'body'],
      [{ body: [other.cid] }, 'body'],
      [{ body: other.cid }, 'body']
    ]
    for (const [fields, field] of cases) {
      const bytes = await signRaw(a, { ...unsignedPost({ text: 'x' }), ...fields })
      expect((await rejectsWith(verifyEntry(bytes), EntrySchemaError, 'EntrySchemaError')).field).toBe(field)
    }
    await expect(verifyEntry(await signRaw(a, { ...unsignedPost({ text: 'x' }), seq: 2, prev: other.cid }))).resolves.toBeDefined()
    const noSig = dagCbor.encode(unsignedPost({ text: 'x' }))
    expect((await rejectsWith(verifyEntry(noSig), EntrySchemaError, 'EntrySchemaError')).field).toBe('entry.sig')
    const shortSig = dagCbor.encode({ ...unsignedPost({ text: 'x' }), sig: new Uint8Array(63) })
    expect((await rejectsWith(verifyEntry(shortSig), EntrySchemaError, 'EntrySchemaError')).field).toBe('sig')
    const strSig = dagCbor.encode({ ...unsignedPost({ text: 'x' }), sig: 'x'.repeat(64) })
    expect((await rejectsWith(verifyEntry(strSig), EntrySchemaError, 'EntrySchemaError')).field).toBe('sig')
  })

  test('versions: v 3 is unsupported, v 2 is read, a missing v is a schema error', async () => {
    for (const v of [3, 0, '1', '2', 1.5, null]) {
      const bytes = await signRaw(a, { ...unsignedPost({ text: 'x' }), v })
      const err = await rejectsWith(verifyEntry(bytes), UnsupportedVersionError, 'UnsupportedVersionError')
      expect(err.code).toBe('UNSUPPORTED_VERSION')
    }
    // Version 2 is supported: the same post as v 2, signed under the version-2 domain, verifies.
    const v2 = await verifyEntry(await signRaw(a, { ...unsignedPost({ text: 'x' }), v: 2 }))
    expect(v2.entry.v).toBe(2)
    const { v: _v, ...rest } = unsignedPost({ text: 'x' })
    expect((await rejectsWith(verifyEntry(await signRaw(a, rest)), EntrySchemaError, 'EntrySchemaError')).field).toBe('v')
  })

  test('a version that cannot be turned into a string is still a typed error', async () => {
    // A map whose own `toString` is not a function breaks String(value).
    for (const v of [{ toString: 1 }, { toString: 1, valueOf: 2 }, { valueOf: {} }]) {
      const bytes = dagCbor.encode({ ...unsignedPost({ text: 'x' }), v, sig: new Uint8Array(64) })
      throwsWith(() => decodeEntry(bytes), UnsupportedVersionError, 'UnsupportedVersionError')
    }
  })

  test('not a map, not CBOR, not bytes', async () => {
    for (const value of [1, 'entry', [1, 2], null, new Uint8Array(3), other.cid]) {
      expect(throwsWith(() => decodeEntry(dagCbor.encode(value)), EntrySchemaError, 'EntrySchemaError').field).toBe('entry')
    }
    throwsWith(() => decodeEntry(new Uint8Array(0)), EntryDecodeError, 'EntryDecodeError')
    throwsWith(() => decodeEntry(Uint8Array.of(0xa1)), EntryDecodeError, 'EntryDecodeError')
    // Two values back to back are not one entry.
    throwsWith(() => decodeEntry(Uint8Array.of(0x01, 0x01)), EntryDecodeError, 'EntryDecodeError')
    throwsWith(() => decodeEntry('a8' as unknown as Uint8Array), EntryDecodeError, 'EntryDecodeError')
    throwsWith(() => decodeEntry(null as unknown as Uint8Array), EntryDecodeError, 'EntryDecodeError')
    throwsWith(() => decodeEntry([0xa0] as unknown as Uint8Array), EntryDecodeError, 'EntryDecodeError')
  })

  test('invalid author strings give InvalidAuthorError', async () => {
    const ids = [
      '',
      'alice',
      a.id.slice(0, -1),
      a.id + '1',
      a.id.replace('12D3KooW', '12D3KooX'),
      // A secp256k1 PeerId: valid libp2p, but not an Ed25519 author.
      peerIdFromPrivateKey(privateKeyFromRaw(new Uint8Array(32).fill(7))).toString(),
      // The same Ed25519 key spelled as a CID: a second id for one author, so refused.
      peerIdFromString(a.id).toCID().toString()
    ]
    expect(ids[5]).toMatch(/^16Uiu2/)
    expect(ids[6]).toMatch(/^bafz/)
    expect(peerIdFromString(ids[6] as string).toString()).toBe(a.id)
    for (const author of ids) {
      const bytes = await signRaw(a, { ...unsignedPost({ text: 'x' }), author })
      await rejectsWith(verifyEntry(bytes), InvalidAuthorError, 'InvalidAuthorError')
    }
    // In a body, an invalid author id is a schema error of that field.
    const like = await signRaw(a, { ...unsignedPost({}), kind: 'like', body: { subject: other.cid, author: 'alice' } })
    expect((await rejectsWith(verifyEntry(like), EntrySchemaError, 'EntrySchemaError')).field).toBe('body.author')
    const follow = await signRaw(a, { ...unsignedPost({}), kind: 'follow', body: { author: ids[6] } })
    expect((await rejectsWith(verifyEntry(follow), EntrySchemaError, 'EntrySchemaError')).field).toBe('body.author')
  })

  describe('non-canonical encodings', () => {
    const fields = unsignedPost({ text: 'x' })
    const signedFields = async (): Promise<Record<string, unknown>> => decodeRaw(await signRaw(a, fields))

    test('the hand-rolled CBOR writer reproduces canonical bytes exactly', async () => {
      const bytes = await signRaw(a, fields)
      expect(hex(encodeRawCbor(toRaw(decodeRaw(bytes))))).toBe(hex(bytes))
      await expect(verifyEntry(encodeRawCbor(toRaw(decodeRaw(bytes))))).resolves.toBeDefined()
    })

    test('map keys out of canonical order', async () => {
      const e = await signedFields()
      const raw = toRaw(e) as RawMap
      const swapped = new RawMap([raw.pairs[1], raw.pairs[0], ...raw.pairs.slice(2)] as Array<readonly [RawValue, RawValue]>)
      const err = throwsWith(() => decodeEntry(encodeRawCbor(swapped)), NonCanonicalEncodingError, 'NonCanonicalEncodingError')
      expect(err.code).toBe('NON_CANONICAL_ENCODING')
      // Alphabetical order (what JSON-minded encoders produce) is not DAG-CBOR order either.
      const alpha = new RawMap(Object.keys(e).sort().map(k => [k, toRaw(e[k])] as const))
      throwsWith(() => decodeEntry(encodeRawCbor(alpha)), NonCanonicalEncodingError, 'NonCanonicalEncodingError')
      // Also inside the body.
      // 'tags' and 'text' are both 4 bytes long, so bytewise 'tags' comes first.
      const body = new RawMap([['text', 'x'], ['tags', ['flock']]])
      const nested = new RawMap(raw.pairs.map(([k, v]) => [k, k === 'body' ? body : v] as const))
      throwsWith(() => decodeEntry(encodeRawCbor(nested)), NonCanonicalEncodingError, 'NonCanonicalEncodingError')
    })

    test('an integer that is a float on the wire', async () => {
      const e = await signedFields()
      const raw = toRaw(e) as RawMap
      const floatTs = new RawMap(raw.pairs.map(([k, v]) => [k, k === 'ts' ? new RawFloat(T0) : v] as const))
      throwsWith(() => decodeEntry(encodeRawCbor(floatTs)), NonCanonicalEncodingError, 'NonCanonicalEncodingError')
    })

    test('an integer in a wider header than needed is refused by the strict decoder', async () => {
      const e = await signedFields()
      const raw = toRaw(e) as RawMap
      for (const width of [1, 2, 4, 8] as const) {
        const wide = new RawMap(raw.pairs.map(([k, v]) => [k, k === 'seq' ? new RawInt(1, width) : v] as const))
        // DAG-CBOR forbids non-minimal integers, so this is not even well-formed: EntryDecodeError, not
        // NonCanonicalEncodingError (that one is for bytes that decode but differ from the re-encoding).
        const err = throwsWith(() => decodeEntry(encodeRawCbor(wide)), EntryDecodeError, 'EntryDecodeError')
        expect(err.message).toMatch(/more bytes than necessary/)
      }
    })

    test('duplicate map keys', async () => {
      const e = await signedFields()
      const raw = toRaw(e) as RawMap
      const dup = new RawMap([...raw.pairs.slice(0, 1), ...raw.pairs])
      const err = throwsWith(() => decodeEntry(encodeRawCbor(dup)), EntryDecodeError, 'EntryDecodeError')
      expect(err.message).toMatch(/repeat map key/)
    })

    test('a lone surrogate spelled out in UTF-8 (CESU-8) does not round-trip', async () => {
      const bytes = await signRaw(a, unsignedPost({ text: 'xyz' }))
      const at = hex(bytes).indexOf(hex(new TextEncoder().encode('xyz')))
      expect(at).toBeGreaterThan(0)
      const mutated = new Uint8Array(bytes)
      mutated.set([0xed, 0xa0, 0x80], at / 2)
      throwsWith(() => decodeEntry(mutated), NonCanonicalEncodingError, 'NonCanonicalEncodingError')
    })
  })

  test('text with a lone surrogate cannot be signed (its bytes would say something else)', async () => {
    const err = await rejectsWith(post({ text: 'broken \uD83D' }), EntrySchemaError, 'EntrySchemaError')
    expect(err.field).toBe('body.text')
    await rejectsWith(createEntry(a, null, 'profile', { name: '\uDC00', bio: '' }, T0, V1), EntrySchemaError, 'EntrySchemaError')
    await expect(post({ text: 'fine 😀' })).resolves.toBeDefined()
  })
})
