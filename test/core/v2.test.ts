/**
 * Protocol version 2 (PROTOCOL.md §1.1, §2, §3, §3.1, §4.2, §6.2): device logs and their genesis,
 * revokes, edits, the new media and profile fields, unknown kinds and body keys, the chain rules per
 * log (decide(), AuthorLog) and the signing-input fast path for eight- and nine-key entries. The
 * version-1 rules are tested in entry.test.ts and log.test.ts, with explicitly version-1 entries.
 */
import { describe, expect, test } from 'vitest'
import fc from 'fast-check'
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import {
  AuthorLog, MAX_DEVICE_LOGS, MAX_HANDLE_LENGTH, MAX_MEDIA_DIMENSION, MAX_SEQ, SIGNING_DOMAIN_V2,
  createEntry, decide, decodeEntry, deviceAuthInput, deviceBody, entryView, gossipVerdict, headOf, isHandle, isKnownKind, logOf,
  refusalError, revokeAuthInput, revokeBody, signingInput, signingInputOf, verifyEntry,
  DeviceLimitError, EntrySchemaError, FlockError, ForkError, InvalidAuthorError, InvalidSignatureError, PrevMismatchError,
  RevokedDeviceError, SeqGapError, TextTooLongError, UnsupportedVersionError, VersionRegressionError, WrongAuthorError,
  type Author, type Bodies, type Entry, type EntryKind, type HeldLog, type Media, type Signer, type VerifiedEntry
} from '../../src/lib/core/index.js'
import { T0, V1, authorFromSeed, cborCid, decodeRaw, equalBytes, hex, rawCid, rejectsWith, signRaw, throwsWith } from './helpers.js'

const a = await authorFromSeed(1)
const b = await authorFromSeed(2)
/** Two device keys of a. */
const d = await authorFromSeed(0xd1)
const e = await authorFromSeed(0xd2)
const onD: Signer = { author: a.id, key: d }
const onE: Signer = { author: a.id, key: e }
const other = await createEntry(b, null, 'post', { text: 'hello from b' }, T0)
const rootOfA = await createEntry(a, null, 'post', { text: 'root of a' }, T0)

/** The genesis of `device`'s log for `author` (§1.1). */
async function genesisOf (author: Author, device: Author, ts = T0, name?: string): Promise<VerifiedEntry<'device'>> {
  return await createEntry({ author: author.id, key: device }, null, 'device', await deviceBody(author, device.id, name), ts)
}

/** The header of a version-2 entry of a's device log d at `seq`, for hand-signed variants. */
function dHeader (seq: number, kind: string, body: unknown, prev: CID | null = null): Record<string, unknown> {
  return { v: 2, author: a.id, device: d.id, seq, prev, ts: T0, kind, body }
}

const g = await genesisOf(a, d, T0, 'laptop')
const d2 = await createEntry(onD, g, 'post', { text: 'from the laptop' }, T0 + 1000)
const d3 = await createEntry(onD, d2, 'like', { subject: other.cid, author: b.id }, T0 + 2000)

describe('device log genesis (§1.1, §3 device)', () => {
  test('a valid genesis: seq 1 of the device log, signed by the device key, authorised by the author key', async () => {
    const again = await verifyEntry(g.bytes)
    expect(again.cid.equals(g.cid)).toBe(true)
    expect(again.entry).toEqual(g.entry)
    expect(g.entry.v).toBe(2)
    expect(g.entry.device).toBe(d.id)
    expect(g.entry.seq).toBe(1)
    expect(g.entry.prev).toBeNull()
    expect(g.entry.body.device).toBe(d.id)
    expect(g.entry.body.name).toBe('laptop')
    expect(logOf(g.entry)).toBe(d.id)
    expect(g.bytes[0]).toBe(0xa9)
    // The sig is the device key's; the auth is the author key's over DEVICE_DOMAIN ‖ {author, device}.
    expect(await d.publicKey.verify(signingInput(g.entry), g.entry.sig)).toBe(true)
    expect(await a.publicKey.verify(signingInput(g.entry), g.entry.sig)).toBe(false)
    expect(await a.publicKey.verify(deviceAuthInput(a.id, d.id), g.entry.body.auth)).toBe(true)
    expect(Buffer.from(deviceAuthInput(a.id, d.id)).toString('latin1').startsWith('flock/device/v2\n')).toBe(true)
    // Later entries of the log are signed by the device key too and name the author.
    expect((await verifyEntry(d3.bytes)).entry.author).toBe(a.id)
    expect(entryView(d2).device).toBe(d.id)
    expect(entryView(other).device).toBeUndefined()
  })

  test('a genesis without a name, and deviceBody leaves an empty name out', async () => {
    const plain = await genesisOf(a, e)
    expect(Object.keys(plain.entry.body).sort()).toEqual(['auth', 'device'])
    expect(Object.keys(await deviceBody(a, e.id, '')).sort()).toEqual(['auth', 'device'])
    await verifyEntry(plain.bytes)
  })

  test('body.device naming another device than the entry\'s: EntrySchemaError', async () => {
    const body = await deviceBody(a, e.id)
    await rejectsWith(createEntry(onD, null, 'device', body, T0), EntrySchemaError, 'EntrySchemaError')
    const err = await rejectsWith(verifyEntry(await signRaw(d, dHeader(1, 'device', body))), EntrySchemaError, 'EntrySchemaError')
    expect(err.field).toBe('body.device')
  })

  test('an auth made by another key than the author\'s: InvalidSignatureError', async () => {
    for (const signer of [b, d, e]) {
      const auth = await signer.privateKey.sign(deviceAuthInput(a.id, d.id))
      const bytes = await signRaw(d, dHeader(1, 'device', { device: d.id, auth }))
      expect(() => decodeEntry(bytes)).not.toThrow()
      const err = await rejectsWith(verifyEntry(bytes), InvalidSignatureError, 'InvalidSignatureError')
      expect(err.message).toMatch(/auth/)
    }
    // createEntry does not check auth signatures: a bad one is caught by whoever verifies the bytes.
    const forged = await createEntry(onD, null, 'device', { device: d.id, auth: new Uint8Array(64).fill(1) }, T0)
    await rejectsWith(verifyEntry(forged.bytes), InvalidSignatureError, 'InvalidSignatureError')
  })

  test('an auth over another device, or under the revoke domain, does not authorise this one', async () => {
    const otherDevice = await a.privateKey.sign(deviceAuthInput(a.id, e.id))
    await rejectsWith(verifyEntry(await signRaw(d, dHeader(1, 'device', { device: d.id, auth: otherDevice }))), InvalidSignatureError, 'InvalidSignatureError')
    const revokeDomain = await a.privateKey.sign(revokeAuthInput(a.id, d.id, 0))
    await rejectsWith(verifyEntry(await signRaw(d, dHeader(1, 'device', { device: d.id, auth: revokeDomain }))), InvalidSignatureError, 'InvalidSignatureError')
  })

  test('a genesis signed by the author key instead of the device key: InvalidSignatureError', async () => {
    await rejectsWith(verifyEntry(await signRaw(a, dHeader(1, 'device', g.entry.body))), InvalidSignatureError, 'InvalidSignatureError')
  })

  test('a device entry not at seq 1: EntrySchemaError', async () => {
    const body = await deviceBody(a, d.id)
    await rejectsWith(createEntry(onD, g, 'device', body, T0), EntrySchemaError, 'EntrySchemaError')
    const err = await rejectsWith(verifyEntry(await signRaw(d, dHeader(2, 'device', body, g.cid))), EntrySchemaError, 'EntrySchemaError')
    expect(err.field).toBe('kind')
  })

  test('a device entry in a root log (no device key): EntrySchemaError', async () => {
    const body = await deviceBody(a, d.id)
    await rejectsWith(createEntry(a, null, 'device', body, T0), EntrySchemaError, 'EntrySchemaError')
    const fields = { ...dHeader(1, 'device', body) }
    delete fields.device
    await rejectsWith(verifyEntry(await signRaw(a, fields)), EntrySchemaError, 'EntrySchemaError')
  })

  test('seq 1 of a device log of another kind: EntrySchemaError', async () => {
    await rejectsWith(createEntry(onD, null, 'post', { text: 'no genesis' }, T0), EntrySchemaError, 'EntrySchemaError')
    for (const [kind, body] of [['post', { text: 'x' }], ['follow', { author: b.id }], ['poll', { q: 'x' }], ['revoke', await revokeBody(a, e.id, 0)]] as const) {
      const err = await rejectsWith(verifyEntry(await signRaw(d, dHeader(1, kind, body))), EntrySchemaError, 'EntrySchemaError')
      expect(err.field).toBe('kind')
    }
  })

  test('device equal to author: EntrySchemaError (and createEntry with the author key as its own device writes the root log)', async () => {
    const err = await rejectsWith(verifyEntry(await signRaw(a, { ...dHeader(1, 'post', { text: 'x' }), device: a.id })), EntrySchemaError, 'EntrySchemaError')
    expect(err.field).toBe('device')
    const genesis = await rejectsWith(verifyEntry(await signRaw(a, { ...dHeader(1, 'device', { device: a.id, auth: await a.privateKey.sign(deviceAuthInput(a.id, a.id)) }), device: a.id })), EntrySchemaError, 'EntrySchemaError')
    expect(genesis.field).toBe('device')
    const root = await createEntry({ author: a.id, key: a }, null, 'post', { text: 'root' }, T0)
    expect(root.entry.device).toBeUndefined()
    expect(logOf(root.entry)).toBe(a.id)
  })

  test('device must be a canonical strict id: InvalidAuthorError; of the wrong type: EntrySchemaError', async () => {
    const asCid = d.publicKey.toCID().toString()
    for (const device of ['alice', asCid, d.id.slice(0, -1), '12D3KooW9tGaPdJo5jmCpadQ971nfiq4kLcQjeBPYTfutBTtckPH']) {
      await rejectsWith(verifyEntry(await signRaw(d, { ...dHeader(2, 'post', { text: 'x' }, g.cid), device })), InvalidAuthorError, 'InvalidAuthorError')
    }
    for (const device of [1, null, d.publicKey.raw, [d.id]]) {
      const err = await rejectsWith(verifyEntry(await signRaw(d, { ...dHeader(2, 'post', { text: 'x' }, g.cid), device })), EntrySchemaError, 'EntrySchemaError')
      expect(err.field).toBe('device')
    }
  })

  test('a version-1 entry cannot have a device key, nor be of kind device', async () => {
    const err = await rejectsWith(verifyEntry(await signRaw(d, { ...dHeader(2, 'post', { text: 'x' }, g.cid), v: 1 })), EntrySchemaError, 'EntrySchemaError')
    expect(err.field).toBe('entry.device')
    await rejectsWith(createEntry(onD, null, 'device', await deviceBody(a, d.id), T0, V1), EntrySchemaError, 'EntrySchemaError')
  })

  test('createEntry refuses a head of another log, or of the same key for another author', async () => {
    await rejectsWith(createEntry(onE, g, 'post', { text: 'x' }, T0), InvalidAuthorError, 'InvalidAuthorError')
    await rejectsWith(createEntry(a, g, 'post', { text: 'x' }, T0), InvalidAuthorError, 'InvalidAuthorError')
    await rejectsWith(createEntry({ author: b.id, key: d }, g, 'post', { text: 'x' }, T0), InvalidAuthorError, 'InvalidAuthorError')
  })

  test('every single-bit flip of a genesis is rejected, including flips in the auth', async () => {
    const names = new Map<string, number>()
    for (let i = 0; i < g.bytes.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const mutated = new Uint8Array(g.bytes)
        mutated[i] = (mutated[i] as number) ^ (1 << bit)
        let name = 'accepted'
        try {
          await verifyEntry(mutated)
        } catch (err) {
          expect(err).toBeInstanceOf(FlockError)
          name = (err as Error).name
        }
        expect(name).not.toBe('accepted')
        names.set(name, (names.get(name) ?? 0) + 1)
      }
    }
    expect(names.get('InvalidSignatureError') ?? 0).toBeGreaterThan(1000)
  })
})

describe('revoke (§1.1, §3 revoke, §4.2)', () => {
  test('a valid revoke, in the root log and in a device log, and of the device writing it', async () => {
    const body = await revokeBody(a, e.id, 3)
    expect(await a.publicKey.verify(revokeAuthInput(a.id, e.id, 3), body.auth)).toBe(true)
    expect(hex(revokeAuthInput(a.id, e.id, 3).subarray(16))).toBe(hex(dagCbor.encode({ after: 3, author: a.id, device: e.id })))
    for (const v of [
      await createEntry(a, null, 'revoke', body, T0),
      await createEntry(onD, d3, 'revoke', body, T0 + 3000),
      await createEntry(onD, d3, 'revoke', await revokeBody(a, d.id, 0), T0 + 3000)
    ]) {
      const again = await verifyEntry(v.bytes)
      expect(again.entry.kind).toBe('revoke')
      expect(again.cid.equals(v.cid)).toBe(true)
    }
    await verifyEntry((await createEntry(a, null, 'revoke', await revokeBody(a, e.id, MAX_SEQ), T0)).bytes)
  })

  test('a bad auth: by another key, over another after or device, or not 64 bytes', async () => {
    const header = { v: 2, author: a.id, seq: 1, prev: null, ts: T0, kind: 'revoke' }
    const bad = [
      { device: e.id, after: 3, auth: await d.privateKey.sign(revokeAuthInput(a.id, e.id, 3)) },
      { device: e.id, after: 3, auth: await b.privateKey.sign(revokeAuthInput(a.id, e.id, 3)) },
      { device: e.id, after: 3, auth: (await revokeBody(a, e.id, 4)).auth },
      { device: e.id, after: 3, auth: (await revokeBody(a, d.id, 3)).auth },
      { device: e.id, after: 3, auth: (await deviceBody(a, e.id)).auth }
    ]
    for (const body of bad) {
      const bytes = await signRaw(a, { ...header, body })
      expect(() => decodeEntry(bytes)).not.toThrow()
      await rejectsWith(verifyEntry(bytes), InvalidSignatureError, 'InvalidSignatureError')
    }
    const short = await rejectsWith(verifyEntry(await signRaw(a, { ...header, body: { device: e.id, after: 3, auth: new Uint8Array(63) } })), EntrySchemaError, 'EntrySchemaError')
    expect(short.field).toBe('body.auth')
  })

  test('revoking the author key: EntrySchemaError', async () => {
    const body = await revokeBody(a, a.id, 0)
    const err = await rejectsWith(createEntry(a, null, 'revoke', body, T0), EntrySchemaError, 'EntrySchemaError')
    expect(err.field).toBe('body.device')
    const signed = await signRaw(a, { v: 2, author: a.id, seq: 1, prev: null, ts: T0, kind: 'revoke', body })
    expect((await rejectsWith(verifyEntry(signed), EntrySchemaError, 'EntrySchemaError')).field).toBe('body.device')
  })

  test('after must be a seq: an integer from 0 to 2^53 − 1', async () => {
    for (const after of [-1, 1.5, '3', null, 2n ** 53n]) {
      const bytes = await signRaw(a, { v: 2, author: a.id, seq: 1, prev: null, ts: T0, kind: 'revoke', body: { device: e.id, after, auth: new Uint8Array(64) } })
      await rejectsWith(verifyEntry(bytes), EntrySchemaError, 'EntrySchemaError')
    }
  })

  test('revoke is a version-2 kind', async () => {
    await rejectsWith(createEntry(a, null, 'revoke', await revokeBody(a, e.id, 1), T0, V1), EntrySchemaError, 'EntrySchemaError')
  })
})

describe('edit (§3 edit)', () => {
  test('an edit of one\'s own post, with mentions and tags; empty text is allowed', async () => {
    const p = await createEntry(a, null, 'post', { text: 'helo' }, T0)
    const edit = await createEntry(a, p, 'edit', { subject: p.cid, text: 'hello @b #flock', mentions: [b.id], tags: ['flock'] }, T0 + 1)
    const again = await verifyEntry(edit.bytes)
    expect(again.entry.kind).toBe('edit')
    expect(again.entry.body).toEqual(edit.entry.body)
    await verifyEntry((await createEntry(a, edit, 'edit', { subject: p.cid, text: '' }, T0 + 2)).bytes)
    // From a device log too (it applies to the author's posts in any of its logs).
    await verifyEntry((await createEntry(onD, d3, 'edit', { subject: p.cid, text: 'from the laptop' }, T0 + 3)).bytes)
  })

  test('the edit rules: text limit, subject link, lists', async () => {
    const subject = other.cid
    const err = await rejectsWith(createEntry(a, null, 'edit', { subject, text: 'a'.repeat(501) }, T0), TextTooLongError, 'TextTooLongError')
    expect(err.field).toBe('body.text')
    await expect(createEntry(a, null, 'edit', { subject, text: 'a'.repeat(500) }, T0)).resolves.toBeDefined()
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ subject: 'bafy', text: 'x' }, 'body.subject'],
      [{ text: 'x' }, 'body.subject'],
      [{ subject }, 'body.text'],
      [{ subject, text: 'x', mentions: [] }, 'body.mentions'],
      [{ subject, text: 'x', mentions: [b.id, b.id] }, 'body.mentions'],
      [{ subject, text: 'x', tags: ['#flock'] }, 'body.tags[0]']
    ]
    for (const [body, field] of cases) {
      const bytes = await signRaw(a, { v: 2, author: a.id, seq: 1, prev: null, ts: T0, kind: 'edit', body })
      expect((await rejectsWith(verifyEntry(bytes), EntrySchemaError, 'EntrySchemaError')).field).toBe(field)
    }
  })

  test('edit is a version-2 kind', async () => {
    await rejectsWith(createEntry(a, null, 'edit', { subject: other.cid, text: 'x' }, T0, V1), EntrySchemaError, 'EntrySchemaError')
  })
})

describe('media metadata and handles (§3 post, profile)', async () => {
  const image = await rawCid('image')
  const poster = await rawCid('poster')
  const item = (over: Partial<Media>): Media => ({ cid: image, mime: 'video/mp4', alt: 'a clip', ...over })
  const post = (m: Media, version: 1 | 2 = 2): Promise<VerifiedEntry> => createEntry(a, null, 'post', { text: '', media: [m] }, T0, { version })

  test('every optional media field, at its bounds', async () => {
    const full = await post(item({ size: 0, duration: MAX_SEQ, width: 1, height: MAX_MEDIA_DIMENSION, poster }))
    expect((await verifyEntry(full.bytes)).entry.body).toEqual(full.entry.body)
    for (const dim of [1, 2, 1080, 65535]) {
      await verifyEntry((await post(item({ width: dim, height: dim }))).bytes)
    }
    expect(MAX_MEDIA_DIMENSION).toBe(65535)
  })

  test('width and height 0 and 65536 are refused, by createEntry and by the verifier', async () => {
    for (const field of ['width', 'height'] as const) {
      for (const value of [0, 65536, -1, 1.5]) {
        const err = await rejectsWith(post(item({ [field]: value })), EntrySchemaError, 'EntrySchemaError')
        // A float is caught by the no-float rule of version-2 bodies first, which names the whole body.
        expect(err.field).toBe(Number.isInteger(value) ? `body.media[0].${field}` : 'body')
        const bytes = await signRaw(a, { v: 2, author: a.id, seq: 1, prev: null, ts: T0, kind: 'post', body: { text: '', media: [item({ [field]: value })] } })
        await rejectsWith(verifyEntry(bytes), EntrySchemaError, 'EntrySchemaError')
      }
    }
  })

  test('size, duration and poster: types and bounds', async () => {
    for (const [over, field] of [
      [{ size: -1 }, 'size'], [{ duration: -5 }, 'duration'], [{ poster: 'bafy' as unknown as CID }, 'poster'],
      [{ poster: null as unknown as CID }, 'poster'], [{ size: '10' as unknown as number }, 'size']
    ] as const) {
      const err = await rejectsWith(post(item(over)), EntrySchemaError, 'EntrySchemaError')
      expect(err.field).toBe(`body.media[0].${field}`)
    }
    // 2^53 is no safe integer: the no-float-or-big-integer rule of version-2 bodies refuses it first.
    expect((await rejectsWith(post(item({ size: MAX_SEQ + 1 })), EntrySchemaError, 'EntrySchemaError')).field).toBe('body')
    await verifyEntry((await post(item({ size: MAX_SEQ, duration: 0 }))).bytes)
  })

  test('the new media fields are unknown keys in version 1', async () => {
    for (const over of [{ size: 1 }, { duration: 1 }, { width: 1 }, { height: 1 }, { poster }]) {
      const err = await rejectsWith(post(item(over), 1), EntrySchemaError, 'EntrySchemaError')
      expect(err.field).toBe(`body.media[0].${Object.keys(over)[0] as string}`)
    }
  })

  const validHandles = ['alice.example.org', 'a.b', 'xn--bcher-kva.example', 'a-b.c-d', '1.a', 'example.b2', 'a'.repeat(63) + '.com',
    ('a'.repeat(63) + '.').repeat(3) + 'a'.repeat(61)]
  const invalidHandles = ['ab', 'example', 'Alice.example.org', 'example.com.', '.example.com', 'a..b', '-a.com', 'a-.com', 'a_b.com',
    '1.2.3.4', 'a.123', 'exämple.com', 'a b.com', 'example.com\n', 'a'.repeat(64) + '.com', ('a'.repeat(63) + '.').repeat(3) + 'a'.repeat(62)]

  test.each(validHandles)('handle %s is accepted', async (handle) => {
    expect(isHandle(handle)).toBe(true)
    const v = await createEntry(a, null, 'profile', { name: 'Alice', bio: '', handle }, T0)
    expect((await verifyEntry(v.bytes)).entry.body).toEqual({ name: 'Alice', bio: '', handle })
  })

  test.each(invalidHandles)('handle %j is refused', async (handle) => {
    expect(isHandle(handle)).toBe(false)
    const err = await rejectsWith(createEntry(a, null, 'profile', { name: 'Alice', bio: '', handle }, T0), EntrySchemaError, 'EntrySchemaError')
    expect(err.field).toBe('body.handle')
    const bytes = await signRaw(a, { v: 2, author: a.id, seq: 1, prev: null, ts: T0, kind: 'profile', body: { name: 'Alice', bio: '', handle } })
    await rejectsWith(verifyEntry(bytes), EntrySchemaError, 'EntrySchemaError')
  })

  test('handle length bounds and type; a handle is unknown in version 1', async () => {
    expect(MAX_HANDLE_LENGTH).toBe(253)
    expect(isHandle(('a'.repeat(63) + '.').repeat(3) + 'a'.repeat(61))).toBe(true)
    for (const handle of [1, null, ['a.b']]) expect(isHandle(handle)).toBe(false)
    const err = await rejectsWith(createEntry(a, null, 'profile', { name: 'Alice', bio: '', handle: 'alice.example.org' }, T0, V1), EntrySchemaError, 'EntrySchemaError')
    expect(err.field).toBe('body.handle')
  })
})

describe('room to grow (§3.1): unknown kinds and unknown body keys', () => {
  test('an entry of an unknown kind is accepted and verified, whatever map its body is', async () => {
    const body = { question: 'tea or coffee?', options: ['tea', 'coffee'], closes: T0 + 86_400_000, link: other.cid, nested: { deep: [[null, true]] } }
    const v = await createEntry(a, null, 'poll' as EntryKind, body as unknown as Bodies[EntryKind], T0)
    const again = await verifyEntry(v.bytes)
    expect(again.entry.kind).toBe('poll')
    expect(isKnownKind('poll')).toBe(false)
    expect(again.entry.body).toEqual(body)
    expect(again.cid.equals(v.cid)).toBe(true)
    // Signed by the key it names, like any other entry.
    const resigned = dagCbor.encode({ ...decodeRaw(v.bytes), sig: await b.privateKey.sign(signingInput(again.entry)) })
    await rejectsWith(verifyEntry(resigned), InvalidSignatureError, 'InvalidSignatureError')
    // In a device log, and chained like any other entry.
    const inDevice = await createEntry(onD, d3, 'reaction-v2' as EntryKind, {} as Bodies[EntryKind], T0 + 3000)
    expect((await verifyEntry(inDevice.bytes)).entry.seq).toBe(4)
  })

  test('a kind name breaking the syntax is refused; an unknown kind in version 1 too', async () => {
    for (const kind of ['Poll', 'poll!', '0poll', '-poll', 'po_ll', '', 'a'.repeat(33), 'pöll', 'poll ']) {
      const bytes = await signRaw(a, { v: 2, author: a.id, seq: 1, prev: null, ts: T0, kind, body: {} })
      expect((await rejectsWith(verifyEntry(bytes), EntrySchemaError, 'EntrySchemaError')).field).toBe('kind')
    }
    await expect(verifyEntry(await signRaw(a, { v: 2, author: a.id, seq: 1, prev: null, ts: T0, kind: 'a'.repeat(32), body: {} }))).resolves.toBeDefined()
    const v1 = await signRaw(a, { v: 1, author: a.id, seq: 1, prev: null, ts: T0, kind: 'poll', body: {} })
    expect((await rejectsWith(verifyEntry(v1), EntrySchemaError, 'EntrySchemaError')).field).toBe('kind')
  })

  test('an unknown kind whose body is not a map is refused', async () => {
    for (const body of [[1], 'text', 7, null, other.cid]) {
      const bytes = await signRaw(a, { v: 2, author: a.id, seq: 1, prev: null, ts: T0, kind: 'poll', body })
      expect((await rejectsWith(verifyEntry(bytes), EntrySchemaError, 'EntrySchemaError')).field).toBe('body')
    }
  })

  test('unknown body keys are accepted in version 2 (body, reply, media item) and refused in version 1', async () => {
    const cid = await rawCid('img')
    const bodies: Array<[EntryKind, Record<string, unknown>, string]> = [
      ['post', { text: 'x', lang: 'en' }, 'body.lang'],
      ['post', { text: 'x', reply: { root: other.cid, parent: other.cid, depth: 2 } }, 'body.reply.depth'],
      ['post', { text: '', media: [{ cid, mime: 'image/png', alt: '', blurhash: 'LEHV6n' }] }, 'body.media[0].blurhash'],
      ['like', { subject: other.cid, author: b.id, emoji: '🎉' }, 'body.emoji'],
      ['follow', { author: b.id, list: 'friends' }, 'body.list'],
      ['profile', { name: 'A', bio: '', pronouns: 'she/her' }, 'body.pronouns'],
      ['delete', { subject: other.cid, reason: { code: 3 } }, 'body.reason']
    ]
    for (const [kind, body, field] of bodies) {
      const v2 = await createEntry(a, null, kind, body as unknown as Bodies[EntryKind], T0)
      expect((await verifyEntry(v2.bytes)).entry.body).toEqual(body)
      const err = await rejectsWith(createEntry(a, null, kind, body as unknown as Bodies[EntryKind], T0, V1), EntrySchemaError, 'EntrySchemaError')
      expect(err.field).toBe(field)
      const signedV1 = await signRaw(a, { v: 1, author: a.id, seq: 1, prev: null, ts: T0, kind, body })
      expect((await rejectsWith(verifyEntry(signedV1), EntrySchemaError, 'EntrySchemaError')).field).toBe(field)
    }
    // Unknown keys in the genesis and revoke bodies too.
    const gBody = { ...await deviceBody(a, e.id), model: 'phone' }
    await verifyEntry((await createEntry(onE, null, 'device', gBody, T0)).bytes)
    await verifyEntry((await createEntry(a, null, 'revoke', { ...await revokeBody(a, e.id, 1), reason: 'lost' } as Bodies['revoke'], T0)).bytes)
    // Known keys keep their rules next to unknown ones.
    const bad = await signRaw(a, { v: 2, author: a.id, seq: 1, prev: null, ts: T0, kind: 'post', body: { text: 7, lang: 'en' } })
    expect((await rejectsWith(verifyEntry(bad), EntrySchemaError, 'EntrySchemaError')).field).toBe('body.text')
    // Top-level keys stay exact.
    const top = await signRaw(a, { v: 2, author: a.id, seq: 1, prev: null, ts: T0, kind: 'post', body: { text: 'x' }, lang: 'en' })
    expect((await rejectsWith(verifyEntry(top), EntrySchemaError, 'EntrySchemaError')).field).toBe('entry.lang')
  })

  test('a float anywhere in a version-2 body is refused: unknown keys, unknown kinds, inside reply and media', async () => {
    const cid = await rawCid('img')
    const bodies: Array<[string, unknown]> = [
      ['post', { text: 'x', score: 1.5 }],
      ['post', { text: 'x', scores: [1, 2, 0.5] }],
      ['post', { text: 'x', meta: { ratio: 1.25 } }],
      ['post', { text: 'x', reply: { root: other.cid, parent: other.cid, weight: 0.1 } }],
      ['post', { text: '', media: [{ cid, mime: 'image/png', alt: '', focus: -0.5 }] }],
      ['poll', { threshold: 0.75 }],
      ['poll', { nested: [[[1e-9]]] }]
    ]
    for (const [kind, body] of bodies) {
      const bytes = await signRaw(a, { v: 2, author: a.id, seq: 1, prev: null, ts: T0, kind, body })
      await rejectsWith(verifyEntry(bytes), EntrySchemaError, 'EntrySchemaError')
      await rejectsWith(createEntry(a, null, kind as EntryKind, body as Bodies[EntryKind], T0), EntrySchemaError, 'EntrySchemaError')
    }
    // Integers and every other value are fine there.
    await verifyEntry(await signRaw(a, { v: 2, author: a.id, seq: 1, prev: null, ts: T0, kind: 'post', body: { text: 'x', n: -3, m: 2 ** 53 - 1, ok: [true, null, new Uint8Array(2)] } }))
  })
})

describe('versions', () => {
  test('createEntry writes version 2 by default and version 1 when asked', async () => {
    const v2 = await createEntry(a, null, 'post', { text: 'x' }, T0)
    const v1 = await createEntry(a, null, 'post', { text: 'x' }, T0, V1)
    expect([v2.entry.v, v1.entry.v]).toEqual([2, 1])
    expect(Buffer.from(signingInput(v2.entry).subarray(0, 15)).toString()).toBe(SIGNING_DOMAIN_V2)
    // One content, two versions: two signatures, two CIDs; neither verifies as the other.
    expect(v1.cid.equals(v2.cid)).toBe(false)
    const relabelled = dagCbor.encode({ ...decodeRaw(v1.bytes), v: 2 })
    await rejectsWith(verifyEntry(relabelled), InvalidSignatureError, 'InvalidSignatureError')
    const back = dagCbor.encode({ ...decodeRaw(v2.bytes), v: 1 })
    await rejectsWith(verifyEntry(back), InvalidSignatureError, 'InvalidSignatureError')
  })

  test('v 3 is unsupported, whatever else the entry holds', async () => {
    for (const extra of [{}, { device: d.id }, { kind: 'Poll' }]) {
      const bytes = await signRaw(a, { v: 3, author: a.id, seq: 1, prev: null, ts: T0, kind: 'post', body: { text: 'x' }, ...extra })
      await rejectsWith(verifyEntry(bytes), UnsupportedVersionError, 'UnsupportedVersionError')
    }
  })
})

describe('signingInputOf: the fast path equals the encoded signing input', () => {
  test('for eight-key (root log) and nine-key (device log) entries of every kind, via verifyEntry round trips', async () => {
    const entries: VerifiedEntry[] = [
      g, d2, d3,
      await createEntry(a, null, 'post', { text: 'root v2' }, T0),
      await createEntry(a, null, 'post', { text: 'root v1' }, T0, V1),
      await createEntry(onD, d3, 'revoke', await revokeBody(a, e.id, 2), T0 + 5000),
      await createEntry(onD, d3, 'edit', { subject: other.cid, text: 'x' }, 2 ** 40),
      await createEntry(onD, d3, 'poll' as EntryKind, { q: 1 } as unknown as Bodies[EntryKind], MAX_SEQ)
    ]
    for (const v of entries) {
      expect(v.bytes[0]).toBe(v.entry.device === undefined ? 0xa8 : 0xa9)
      const again = await verifyEntry(v.bytes)
      expect(again.cid.equals(v.cid)).toBe(true)
      expect(equalBytes(signingInputOf(decodeEntry(v.bytes), v.bytes), signingInput(v.entry))).toBe(true)
    }
  })

  test('property: at every seq and ts width, with and without device', async () => {
    const prev = g.cid
    const edge = (max: number): fc.Arbitrary<number> => fc.oneof(
      fc.constantFrom(...[0, 1, 23, 24, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, max].filter(x => x <= max)),
      fc.integer({ min: 0, max })
    )
    await fc.assert(fc.property(edge(MAX_SEQ), edge(MAX_SEQ), fc.boolean(), fc.constantFrom(1, 2), (seqish, ts, withDevice, version) => {
      const seq = Math.max(1, seqish)
      const device = withDevice && version === 2 ? { device: d.id } : {}
      const entry = { v: version, author: a.id, ...device, seq, prev: seq === 1 ? null : prev, ts, kind: 'post', body: { text: 'x' }, sig: new Uint8Array(64).fill(7) } as Entry
      expect(equalBytes(signingInputOf(entry, dagCbor.encode(entry)), signingInput(entry))).toBe(true)
    }), { seed: 6, numRuns: 300 })
  })

  test('a tampered nine-key entry fails the signature check, not a fast-path slip', async () => {
    const swapped = dagCbor.encode({ ...decodeRaw(d2.bytes), device: e.id })
    await rejectsWith(verifyEntry(swapped), InvalidSignatureError, 'InvalidSignatureError')
  })
})

describe('decide(): the chain rules per log (§6.2 step 5, §8 verdicts)', async () => {
  const r1 = await createEntry(a, null, 'post', { text: 'root 1' }, T0, V1)
  const r2 = await createEntry(a, r1, 'post', { text: 'root 2 (v2)' }, T0 + 1000)
  const r3v1 = await verifyEntry(await signRaw(a, { v: 1, author: a.id, seq: 3, prev: r2.cid, ts: T0 + 2000, kind: 'post', body: { text: 'back to v1' } }))
  const r3v2 = await createEntry(a, r2, 'post', { text: 'root 3' }, T0 + 2000)
  const rootHeld = (...vs: VerifiedEntry[]): HeldLog => ({ log: a.id, author: a.id, head: vs.length === 0 ? null : headOf(vs.at(-1) as VerifiedEntry) })
  const deviceHeld = (head: VerifiedEntry | null, extra: Partial<HeldLog> = {}): HeldLog => ({ log: d.id, author: a.id, head: head === null ? null : headOf(head), ...extra })

  test('a root log continues from version 1 into version 2: append', () => {
    expect(r2.entry.v).toBe(2)
    expect(decide(r2, rootHeld(r1), T0 + 10_000)).toEqual({ kind: 'append' })
    expect(decide(r3v2, rootHeld(r1, r2), T0 + 10_000)).toEqual({ kind: 'append' })
    expect(headOf(r2).v).toBe(2)
  })

  test('a version-1 entry after a version-2 one: version-regression, verdict reject', () => {
    const dec = decide(r3v1, rootHeld(r1, r2), T0 + 10_000)
    expect(dec).toEqual({ kind: 'version-regression', headV: 2 })
    expect(gossipVerdict(dec)).toBe('reject')
    if (dec.kind !== 'version-regression') return
    const err = refusalError(r3v1, rootHeld(r1, r2), dec)
    expect(err).toBeInstanceOf(VersionRegressionError)
    expect([err.name, err.code]).toEqual(['VersionRegressionError', 'VERSION_REGRESSION'])
    // A head stored before version 2 (no v) counts as version 1: a v1 successor is fine.
    const { v: _v, ...legacy } = headOf(r2)
    expect(decide(r3v1, { log: a.id, head: legacy }, null).kind).toBe('append')
  })

  test('prev is checked before the version, the version before the timestamp', async () => {
    const wrongPrev = await verifyEntry(await signRaw(a, { v: 1, author: a.id, seq: 3, prev: await cborCid('x'), ts: T0 + 2000, kind: 'post', body: { text: 'x' } }))
    expect(decide(wrongPrev, rootHeld(r1, r2), null).kind).toBe('prev-mismatch')
    const early = await verifyEntry(await signRaw(a, { v: 1, author: a.id, seq: 3, prev: r2.cid, ts: T0, kind: 'post', body: { text: 'x' } }))
    expect(decide(early, rootHeld(r1, r2), null).kind).toBe('version-regression')
  })

  test('revoked: seq > after → revoked, verdict ignore; seq ≤ after appends', () => {
    const revoked = decide(d3, deviceHeld(d2, { revokedAfter: 2 }), T0 + 10_000)
    expect(revoked).toEqual({ kind: 'revoked', after: 2 })
    expect(gossipVerdict(revoked)).toBe('ignore')
    expect(decide(d3, deviceHeld(d2, { revokedAfter: 3 }), T0 + 10_000).kind).toBe('append')
    expect(decide(d2, deviceHeld(g, { revokedAfter: 2 }), T0 + 10_000).kind).toBe('append')
    // after = 0 withdraws the whole log, its genesis included; the revoke check comes before the chain.
    expect(decide(g, deviceHeld(null, { revokedAfter: 0 }), null).kind).toBe('revoked')
    expect(decide(d3, deviceHeld(null, { revokedAfter: 1 }), null).kind).toBe('revoked')
    if (revoked.kind === 'revoked') {
      expect(refusalError(d3, deviceHeld(d2, { revokedAfter: 2 }), revoked)).toBeInstanceOf(RevokedDeviceError)
    }
  })

  test('device-limit: a new device log beyond MAX_DEVICE_LOGS → device-limit, verdict ignore; a held log is not limited', () => {
    expect(MAX_DEVICE_LOGS).toBe(64)
    const limited = decide(g, deviceHeld(null, { deviceLimit: true }), T0)
    expect(limited).toEqual({ kind: 'device-limit' })
    expect(gossipVerdict(limited)).toBe('ignore')
    expect(decide(d2, deviceHeld(g, { deviceLimit: true }), T0 + 10_000).kind).toBe('append')
    // Before the chain: a gap in a log that would not be kept is not worth a sync.
    expect(decide(d3, deviceHeld(null, { deviceLimit: true }), null).kind).toBe('device-limit')
    expect(refusalError(g, deviceHeld(null, { deviceLimit: true }), { kind: 'device-limit' })).toBeInstanceOf(DeviceLimitError)
  })

  test('wrong author in a device log: an entry naming another author than the held genesis → wrong-author', async () => {
    const byB = await verifyEntry(await signRaw(d, { v: 2, author: b.id, device: d.id, seq: 2, prev: g.cid, ts: T0 + 1000, kind: 'post', body: { text: 'hijack' } }))
    const dec = decide(byB, deviceHeld(g), T0 + 10_000)
    expect(dec.kind).toBe('wrong-author')
    // §8: the held log is bound to another author; which author a peer holds depends on arrival order → ignore.
    expect(dec).toEqual({ kind: 'wrong-author', bound: true })
    expect(gossipVerdict(dec)).toBe('ignore')
    if (dec.kind === 'wrong-author') {
      const err = refusalError(byB, deviceHeld(g), dec)
      expect(err).toBeInstanceOf(WrongAuthorError)
      expect((err as WrongAuthorError).bound).toBe(true)
    }
    // Without a recorded author the binding cannot be checked: the chain rules decide.
    expect(decide(byB, { log: d.id, head: headOf(g) }, null).kind).toBe('append')
    // An entry of another log offered to this one is wrong-author too, and a fault of the sender (reject).
    for (const wrong of [decide(r3v2, deviceHeld(g), null), decide(d2, rootHeld(r1), null)]) {
      expect(wrong).toEqual({ kind: 'wrong-author' })
      expect(gossipVerdict(wrong)).toBe('reject')
    }
  })

  test('the order of step 5: wrong author, device limit, revoked, then duplicate/fork, gap, prev', async () => {
    const fork2 = await createEntry(onD, g, 'post', { text: 'another seq 2' }, T0 + 1000)
    const held = (extra: Partial<HeldLog>): HeldLog => ({ ...deviceHeld(d3), atSeq: d2.cid, ...extra })
    expect(decide(fork2, held({}), null).kind).toBe('fork')
    expect(decide(fork2, held({ revokedAfter: 1 }), null).kind).toBe('revoked')
    expect(decide(fork2, held({ author: b.id, revokedAfter: 1 }), null).kind).toBe('wrong-author')
    expect(decide(d2, held({}), null).kind).toBe('duplicate')
  })
})

describe('AuthorLog with a device log', () => {
  test('a device log appends its genesis and what follows, bound to the genesis author', async () => {
    const log = new AuthorLog(d.id)
    log.append(g)
    log.append(d2)
    log.append(d3)
    expect(log.length).toBe(3)
    expect(log.head?.cid.equals(d3.cid)).toBe(true)
    const byB = await verifyEntry(await signRaw(d, { v: 2, author: b.id, device: d.id, seq: 4, prev: d3.cid, ts: T0 + 3000, kind: 'post', body: { text: 'x' } }))
    throwsWith(() => log.append(byB), WrongAuthorError, 'WrongAuthorError')
    // Entries of the root log, or of another device, do not go in.
    throwsWith(() => log.append(rootOfA), WrongAuthorError, 'WrongAuthorError')
    const eGenesis = await genesisOf(a, e)
    throwsWith(() => log.append(eGenesis), WrongAuthorError, 'WrongAuthorError')
    expect(log.length).toBe(3)
  })

  test('gaps, prev mismatches and forks are per log', async () => {
    const log = new AuthorLog(d.id)
    throwsWith(() => log.append(d2), SeqGapError, 'SeqGapError')
    log.append(g)
    const stray = await verifyEntry(await signRaw(d, { v: 2, author: a.id, device: d.id, seq: 2, prev: other.cid, ts: T0, kind: 'post', body: { text: 'x' } }))
    throwsWith(() => log.append(stray), PrevMismatchError, 'PrevMismatchError')
    log.append(d2)
    const fork = await createEntry(onD, g, 'post', { text: 'the other seq 2' }, T0 + 1000)
    const err = throwsWith(() => log.append(fork), ForkError<VerifiedEntry>, 'ForkError')
    expect(err.author).toBe(d.id)
    expect(log.forks).toHaveLength(1)
    // The root log of the same author is another log: its seq 1 and 2 do not collide with the device's.
    const root = new AuthorLog(a.id)
    root.append(await createEntry(a, null, 'post', { text: 'root' }, T0))
    expect(root.length).toBe(1)
  })

  test('a root log continues from version 1 into version 2, never back', async () => {
    const log = new AuthorLog(a.id)
    const r1 = await createEntry(a, null, 'post', { text: '1' }, T0, V1)
    const r2 = await createEntry(a, r1, 'post', { text: '2' }, T0 + 1)
    log.append(r1)
    log.append(r2)
    const back = await verifyEntry(await signRaw(a, { v: 1, author: a.id, seq: 3, prev: r2.cid, ts: T0 + 2, kind: 'post', body: { text: '3' } }))
    throwsWith(() => log.append(back), VersionRegressionError, 'VersionRegressionError')
    log.append(await createEntry(a, r2, 'post', { text: '3' }, T0 + 2))
    expect(log.entries().map(v => v.entry.v)).toEqual([1, 2, 2])
  })
})
