/**
 * Entries: the signed, content-addressed records that make up an author's append-only log.
 * This module defines the schema of every kind, the canonical DAG-CBOR encoding, signing with domain
 * separation, CIDs and verification. Chain rules (seq/prev across entries) live in log.ts.
 *
 * ```ts
 * const first = await createEntry(author, null, 'post', { text: 'hello' })
 * const again = await verifyEntry(first.bytes)       // VerifiedEntry, same cid
 * const second = await createEntry(author, first, 'like', { subject: other.cid, author: other.entry.author })
 * ```
 *
 * Spec: PROTOCOL.md §2 (format), §3 (kinds), §4 (signing), §5 (CIDs), §6 (validation order).
 */
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import {
  DAG_CBOR_CODE, DEVICE_DOMAIN, ENTRY_VERSION, MAX_ALT_GRAPHEMES, MAX_BIO_GRAPHEMES, MAX_ENTRY_BYTES, MAX_HANDLE_LENGTH,
  MAX_KIND_LENGTH, MAX_MEDIA, MAX_MEDIA_DIMENSION, MAX_MENTIONS, MAX_MIME_LENGTH, MAX_NAME_GRAPHEMES, MAX_SEQ,
  MAX_TAG_LENGTH, MAX_TAGS, MAX_TEXT_GRAPHEMES, REVOKE_DOMAIN, SIGNING_DOMAIN_V1, SIGNING_DOMAIN_V2, type EntryVersion
} from './constants.js'
import {
  EntryDecodeError, EntrySchemaError, EntryTooLargeError, InvalidAuthorError, InvalidSignatureError,
  NonCanonicalEncodingError, TextTooLongError, UnsupportedVersionError
} from './errors.js'
import { isAuthorId, publicKeyOfAuthor, type Author } from './identity.js'
import { isTag, withinGraphemes, countGraphemes } from './text.js'
import { isCanonicalS, signEd25519, verifyEd25519, type SigningKey } from './signature.js'
import { decodeCanonical, domainSeparated } from './canonical.js'

/** The kinds of version 1. */
export const V1_KINDS = ['post', 'like', 'repost', 'follow', 'unfollow', 'profile', 'delete'] as const
/** Every kind this implementation understands; version 2 carries others too, kept but not shown. */
export const ENTRY_KINDS = [...V1_KINDS, 'edit', 'device', 'revoke'] as const
export type EntryKind = typeof ENTRY_KINDS[number]

export interface Media {
  cid: CID
  mime: string
  alt: string
  /** Version 2: the file's size in bytes. */
  size?: number
  /** Version 2: playing time in milliseconds (video, audio). */
  duration?: number
  /** Version 2: pixels (image, video). */
  width?: number
  height?: number
  /** Version 2: an image shown before a video plays. */
  poster?: CID
}

export interface ReplyRef {
  /** The first post of the thread. */
  root: CID
  /** The post being answered. */
  parent: CID
}

export interface PostBody {
  text: string
  reply?: ReplyRef
  quote?: CID
  media?: Media[]
  mentions?: string[]
  tags?: string[]
}

/** like and repost name the entry they act on and its author, so notifications need no fetch. */
export interface SubjectBody {
  subject: CID
  author: string
}

export interface FollowBody {
  author: string
}

export interface ProfileBody {
  name: string
  bio: string
  avatar?: CID
  /** Version 2: a domain name whose /.well-known/flock.json lists this author. */
  handle?: string
}

export interface DeleteBody {
  subject: CID
}

/** Version 2: new text for one of the author's own posts; the post itself stays as it was signed. */
export interface EditBody {
  subject: CID
  text: string
  mentions?: string[]
  tags?: string[]
}

/** Version 2: the first entry of a device log, carrying the author key's consent to it. */
export interface DeviceBody {
  device: string
  /** Author-key signature over DEVICE_DOMAIN ‖ canonical {author, device}. */
  auth: Uint8Array
  name?: string
}

/** Version 2: the author key withdraws a device: its entries after seq `after` no longer count. */
export interface RevokeBody {
  device: string
  after: number
  /** Author-key signature over REVOKE_DOMAIN ‖ canonical {after, author, device}. */
  auth: Uint8Array
}

export interface Bodies {
  post: PostBody
  like: SubjectBody
  repost: SubjectBody
  follow: FollowBody
  unfollow: FollowBody
  profile: ProfileBody
  delete: DeleteBody
  edit: EditBody
  device: DeviceBody
  revoke: RevokeBody
}

interface EntryHeader {
  v: EntryVersion
  /** The author the entry speaks for. */
  author: string
  /** Version 2: the device key that signed it, when not the author key; names the entry's log. */
  device?: string
  /** Position in its log (the device's, or the author's root log). */
  seq: number
  /** CID of the log's entry at seq - 1; null exactly when seq is 1. */
  prev: CID | null
  /** Milliseconds since the Unix epoch, as claimed by the author. */
  ts: number
}

export type UnsignedEntry<K extends EntryKind = EntryKind> = {
  [T in K]: EntryHeader & { kind: T, body: Bodies[T] }
}[K]

export type Entry<K extends EntryKind = EntryKind> = UnsignedEntry<K> & { sig: Uint8Array }

declare const verified: unique symbol

/**
 * An entry whose bytes were checked for size, encoding, schema and signature. Only verifyEntry and
 * createEntry make one; chain rules are checked separately (log.ts) because they need the log.
 * A version-2 entry may be of a kind this code does not know (isKnownKind): its body is then an
 * unchecked map, and it is kept and passed on but means nothing here.
 */
export interface VerifiedEntry<K extends EntryKind = EntryKind> {
  readonly entry: Entry<K>
  readonly bytes: Uint8Array
  readonly cid: CID
  readonly [verified]: true
}

/** The log an entry belongs to: its device's, or its author's root log. */
export function logOf (entry: { author: string, device?: string }): string {
  return entry.device ?? entry.author
}

export function isKnownKind (kind: string): kind is EntryKind {
  return (ENTRY_KINDS as readonly string[]).includes(kind)
}

const V1_KEYS = ['author', 'body', 'kind', 'prev', 'seq', 'sig', 'ts', 'v']
const domains = {
  1: new TextEncoder().encode(SIGNING_DOMAIN_V1),
  2: new TextEncoder().encode(SIGNING_DOMAIN_V2)
} as const
const deviceDomain = new TextEncoder().encode(DEVICE_DOMAIN)
const revokeDomain = new TextEncoder().encode(REVOKE_DOMAIN)

/** The exact bytes a log's key signs: the version's domain prefix, then the canonical encoding of all fields but sig. */
export function signingInput (entry: UnsignedEntry): Uint8Array {
  const { v, author, device, seq, prev, ts, kind, body } = entry
  const fields = device === undefined ? { v, author, seq, prev, ts, kind, body } : { v, author, device, seq, prev, ts, kind, body }
  return domainSeparated(domains[v] ?? domains[2], fields)
}

/** What the author key signs to let `device` write entries in its name. */
export function deviceAuthInput (author: string, device: string): Uint8Array {
  return domainSeparated(deviceDomain, { author, device })
}

/** What the author key signs to revoke `device` after its entry `after`. */
export function revokeAuthInput (author: string, device: string, after: number): Uint8Array {
  return domainSeparated(revokeDomain, { after, author, device })
}

/**
 * The signing input cut out of an entry's canonical bytes, which saves encoding the entry again on
 * every verification. Canonical DAG-CBOR orders keys by length, then bytewise: v, ts, seq, sig, body,
 * kind, prev, author (, device) — so the unsigned map is the same bytes with the map header one
 * smaller and the sig pair (4-byte key, 2-byte header, 64 bytes) left out. `bytes` must be canonical
 * (decodeEntry).
 */
export function signingInputOf (entry: Entry, bytes: Uint8Array): Uint8Array {
  const sigAt = 1 + 3 + 3 + uintLength(entry.ts) + 4 + uintLength(entry.seq)
  const header = bytes[0]
  if ((header !== 0xa8 && header !== 0xa9) || !SIG_PAIR_HEAD.every((b, i) => bytes[sigAt + i] === b)) return signingInput(entry)
  const domain = domains[entry.v]
  const sigEnd = sigAt + SIG_PAIR_HEAD.length + 64
  const out = new Uint8Array(domain.length + bytes.length - (sigEnd - sigAt))
  out.set(domain, 0)
  out[domain.length] = header - 1
  out.set(bytes.subarray(1, sigAt), domain.length + 1)
  out.set(bytes.subarray(sigEnd), domain.length + sigAt)
  return out
}

// Text key "sig", then the header of a 64-byte byte string.
const SIG_PAIR_HEAD = [0x63, 0x73, 0x69, 0x67, 0x58, 0x40]

/** Bytes of a CBOR unsigned integer in its shortest form. */
function uintLength (n: number): number {
  if (n < 24) return 1
  if (n < 0x100) return 2
  if (n < 0x10000) return 3
  if (n < 0x100000000) return 5
  return 9
}

export async function entryCid (bytes: Uint8Array): Promise<CID> {
  return CID.createV1(DAG_CBOR_CODE, await sha256.digest(bytes))
}

/**
 * Who signs an entry: the author key itself (its root log), or a device key speaking for `author`
 * (that device's log). A bare Author is its own root log.
 */
export interface Signer {
  readonly author: string
  readonly key: SignerKey
}

/**
 * A key that signs a log: the author key, or a device key — which in a browser may be a
 * non-extractable WebCrypto key, whose bytes page script cannot read (`raw` then absent).
 */
export interface SignerKey {
  /** Its id, in the author id form: the log id of what it signs. */
  readonly id: string
  readonly privateKey: SigningKey
}

function signerOf (who: Author | Signer): Signer {
  return 'key' in who ? who : { author: who.id, key: who }
}

export interface CreateOptions {
  /** Entry version to write: 2 (the default), or 1 for a root log read by version-1 peers and tests. */
  version?: EntryVersion
}

/**
 * Sign a new entry that follows `head` (null for a log's first entry) in the signer's log. The
 * timestamp never goes backwards along the log even if the local clock did.
 */
export async function createEntry<K extends EntryKind> (
  who: Author | Signer, head: VerifiedEntry | null, kind: K, body: Bodies[K], now: number = Date.now(),
  options: CreateOptions = {}
): Promise<VerifiedEntry<K>> {
  const signer = signerOf(who)
  const device = signer.key.id === signer.author ? undefined : signer.key.id
  if (head !== null && (logOf(head.entry) !== signer.key.id || head.entry.author !== signer.author)) {
    throw new InvalidAuthorError('head belongs to another log')
  }
  const v = options.version ?? ENTRY_VERSION
  const unsigned = {
    v,
    author: signer.author,
    ...(device === undefined ? {} : { device }),
    seq: head === null ? 1 : head.entry.seq + 1,
    prev: head === null ? null : head.cid,
    ts: Math.max(Math.floor(now), head?.entry.ts ?? 0),
    kind,
    body: stripUndefined(body)
  } as UnsignedEntry
  checkSchema(unsigned)
  const sig = await signEd25519(signer.key.privateKey, signingInput(unsigned))
  const entry = { ...unsigned, sig } as Entry<K>
  const bytes = dagCbor.encode(entry)
  if (bytes.length > MAX_ENTRY_BYTES) throw new EntryTooLargeError(bytes.length, MAX_ENTRY_BYTES)
  return { entry, bytes, cid: await entryCid(bytes) } as VerifiedEntry<K>
}

/**
 * The body of a device log's first entry: the author key's consent that `device` speaks for it.
 * Needs the author key — the one moment, with revoking, that key must be at hand.
 */
export async function deviceBody (author: Author, device: string, name?: string): Promise<DeviceBody> {
  const auth = await signEd25519(author.privateKey, deviceAuthInput(author.id, device))
  return name === undefined || name === '' ? { device, auth } : { device, auth, name }
}

/** The body of a revoke: `device`'s entries after `after` stop counting. */
export async function revokeBody (author: Author, device: string, after: number): Promise<RevokeBody> {
  return { device, after, auth: await signEd25519(author.privateKey, revokeAuthInput(author.id, device, after)) }
}

/**
 * Check size, encoding, schema and signatures, in that order (cheapest first), and return the
 * verified entry. Never mutates `bytes`. Throws exactly one of the errors in errors.ts.
 * `parallel`: many verifications are in flight at once (sync batches); see verifyEd25519.
 */
export async function verifyEntry (bytes: Uint8Array, options: { parallel?: boolean } = {}): Promise<VerifiedEntry> {
  const entry = decodeEntry(bytes)
  await checkSignature(entry, signingInputOf(entry, bytes), options.parallel ?? false)
  return { entry, bytes, cid: await entryCid(bytes) } as VerifiedEntry
}

/**
 * Rebuild a VerifiedEntry from bytes this node verified before it stored them (its own index is
 * trusted; re-checking every signature on each read would make timelines and sync slow). Decoding
 * still runs, so corrupted storage surfaces as a typed error rather than a wrong entry.
 */
export function restoreVerified (bytes: Uint8Array, cid: CID): VerifiedEntry {
  return { entry: decodeEntry(bytes), bytes, cid } as VerifiedEntry
}

/** Size, decode and schema checks only: the entry is well-formed but its signature is unchecked. */
export function decodeEntry (bytes: Uint8Array): Entry {
  if (!(bytes instanceof Uint8Array)) throw new EntryDecodeError('entry bytes must be a Uint8Array')
  if (bytes.length > MAX_ENTRY_BYTES) throw new EntryTooLargeError(bytes.length, MAX_ENTRY_BYTES)
  const value = decodeCanonical(bytes, (why, detail) => {
    if (why === 'decode') return new EntryDecodeError(`not valid DAG-CBOR: ${detail}`)
    if (why === 'reencode') return new NonCanonicalEncodingError(`decoded value does not re-encode: ${detail}`)
    return new NonCanonicalEncodingError(detail)
  })
  if (!isPlainObject(value)) throw new EntrySchemaError('entry', 'must be a map')
  if (value.v !== 1 && value.v !== 2) {
    if (!('v' in value)) throw new EntrySchemaError('v', 'is required')
    // Not String(value.v): a decoded map with its own `toString` key makes String() throw a TypeError.
    const got = typeof value.v === 'number' ? value.v : typeof value.v
    throw new UnsupportedVersionError(`entry version ${got} is not supported (this implementation reads 1 and 2)`)
  }
  exactKeys('entry', value, V1_KEYS, value.v === 2 ? ['device'] : [])
  const sig = value.sig
  if (!(sig instanceof Uint8Array) || sig.length !== 64) throw new EntrySchemaError('sig', 'must be 64 bytes')
  checkSchema(value as unknown as UnsignedEntry)
  return value as unknown as Entry
}

async function checkSignature (entry: Entry, message: Uint8Array, parallel: boolean): Promise<void> {
  const signer = logOf(entry)
  const key = publicKeyOfAuthor(signer)
  if (!isCanonicalS(entry.sig)) throw new InvalidSignatureError('signature scalar is not canonical (S >= L)')
  if (!await verifyEd25519(key.raw, entry.sig, message, parallel)) {
    throw new InvalidSignatureError(`signature does not verify for ${entry.device === undefined ? 'author' : 'device'} ${signer}`)
  }
  // The author key's own consent, inside the body of the two kinds that change who speaks for it.
  let auth: { sig: Uint8Array, input: Uint8Array } | undefined
  if (entry.kind === 'device') auth = { sig: entry.body.auth, input: deviceAuthInput(entry.author, entry.body.device) }
  if (entry.kind === 'revoke') auth = { sig: entry.body.auth, input: revokeAuthInput(entry.author, entry.body.device, entry.body.after) }
  if (auth !== undefined && !await verifyEd25519(publicKeyOfAuthor(entry.author).raw, auth.sig, auth.input, parallel)) {
    throw new InvalidSignatureError(`body.auth of this ${entry.kind} entry is not the signature of author ${entry.author}`)
  }
}

/** What checking a body needs to know about the entry around it. */
interface Rules {
  /** Version 2 ignores body keys it does not know, so later optional fields need no new version. */
  open: boolean
  v: EntryVersion
}

/** Schema rules shared by creation and verification: PROTOCOL.md §2, §3. */
function checkSchema (e: UnsignedEntry): void {
  if (typeof e.author !== 'string' || !isAuthorId(e.author)) {
    if (typeof e.author === 'string') throw new InvalidAuthorError('author is not an Ed25519 PeerId')
    throw new EntrySchemaError('author', 'must be a string')
  }
  const device: unknown = e.device
  if (device !== undefined) {
    if (typeof device !== 'string') throw new EntrySchemaError('device', 'must be a string')
    if (!isAuthorId(device)) throw new InvalidAuthorError('device is not an Ed25519 PeerId')
    if (device === e.author) throw new EntrySchemaError('device', 'must be omitted when the author key signs')
  }
  if (!Number.isSafeInteger(e.seq) || e.seq < 1 || e.seq > MAX_SEQ) throw new EntrySchemaError('seq', 'must be an integer >= 1')
  if (e.seq === 1) {
    if (e.prev !== null) throw new EntrySchemaError('prev', 'must be null when seq is 1')
  } else if (!isEntryLink(e.prev)) {
    throw new EntrySchemaError('prev', 'must be the CID of a DAG-CBOR entry when seq > 1')
  }
  if (!Number.isSafeInteger(e.ts) || e.ts < 0) throw new EntrySchemaError('ts', 'must be a non-negative integer (ms since epoch)')
  const kind: unknown = e.kind
  const known = e.v === 1 ? (V1_KINDS as readonly string[]).includes(kind as string) : typeof kind === 'string' && isKnownKind(kind)
  if (!known && (e.v === 1 || typeof kind !== 'string' || !KIND_PATTERN.test(kind))) {
    throw new EntrySchemaError('kind', e.v === 1
      ? `must be one of ${V1_KINDS.join(', ')}`
      : `must be 1-${MAX_KIND_LENGTH} characters a-z, 0-9 and -, starting with a letter`)
  }
  checkBody(e, known, device)
  // A device log opens with the author key's consent and only there (PROTOCOL.md §1, Devices): step
  // 3.7, after the body's own rules.
  if (device !== undefined && e.seq === 1 && kind !== 'device') throw new EntrySchemaError('kind', 'the first entry of a device log must be a device entry')
  if (kind === 'device' && (device === undefined || e.seq !== 1)) throw new EntrySchemaError('kind', 'a device entry must be the first entry of a device log')
}

/** The body by the rules of its kind (PROTOCOL.md §3, §6.2 step 3.6). */
function checkBody (e: UnsignedEntry, known: boolean, device: string | undefined): void {
  const rules: Rules = { open: e.v === 2, v: e.v }
  const body: unknown = e.body
  if (!isPlainObject(body)) throw new EntrySchemaError('body', 'must be a map')
  // Version 2 lets bodies carry what this code does not know; no float may hide there, since
  // decoders that keep floats and decoders that do not would judge the same bytes differently.
  if (e.v === 2 && !integersOnly(body)) throw new EntrySchemaError('body', 'must not hold a float or an integer beyond 2^53')
  if (!known) return
  switch (e.kind) {
    case 'post': return checkPost(body, rules)
    case 'like':
    case 'repost':
      exactKeys('body', body, ['subject', 'author'], [], rules.open)
      link('body.subject', body.subject)
      author('body.author', body.author)
      return
    case 'follow':
    case 'unfollow':
      exactKeys('body', body, ['author'], [], rules.open)
      author('body.author', body.author)
      return
    case 'profile':
      exactKeys('body', body, ['name', 'bio'], rules.v === 2 ? ['avatar', 'handle'] : ['avatar'], rules.open)
      text('body.name', body.name, MAX_NAME_GRAPHEMES)
      text('body.bio', body.bio, MAX_BIO_GRAPHEMES)
      if ('avatar' in body) link('body.avatar', body.avatar)
      if (rules.v === 2 && 'handle' in body && !isHandle(body.handle)) {
        throw new EntrySchemaError('body.handle', 'must be a lowercase domain name such as alice.example.org')
      }
      return
    case 'delete':
      exactKeys('body', body, ['subject'], [], rules.open)
      link('body.subject', body.subject)
      return
    case 'edit':
      exactKeys('body', body, ['subject', 'text'], ['mentions', 'tags'], rules.open)
      link('body.subject', body.subject)
      text('body.text', body.text, MAX_TEXT_GRAPHEMES)
      checkMentionsAndTags(body)
      return
    case 'device':
      exactKeys('body', body, ['device', 'auth'], ['name'], rules.open)
      if (body.device !== device) throw new EntrySchemaError('body.device', 'must name the device whose log this is')
      signatureBytes('body.auth', body.auth)
      if ('name' in body) text('body.name', body.name, MAX_NAME_GRAPHEMES)
      return
    case 'revoke':
      exactKeys('body', body, ['device', 'after', 'auth'], [], rules.open)
      author('body.device', body.device)
      if (body.device === e.author) throw new EntrySchemaError('body.device', 'the author key cannot be revoked')
      if (!Number.isSafeInteger(body.after) || (body.after as number) < 0) throw new EntrySchemaError('body.after', 'must be a seq (an integer >= 0)')
      signatureBytes('body.auth', body.auth)
  }
}

const KIND_PATTERN = new RegExp(`^[a-z][a-z0-9-]{0,${MAX_KIND_LENGTH - 1}}$`)

/** A lowercase DNS name of at least two labels whose last label is not all digits (not an IP address). */
export function isHandle (value: unknown): value is string {
  if (typeof value !== 'string' || value.length < 3 || value.length > MAX_HANDLE_LENGTH) return false
  const labels = value.split('.')
  if (labels.length < 2 || /^[0-9]+$/.test(labels.at(-1) as string)) return false
  return labels.every(l => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(l))
}

function checkPost (body: Record<string, unknown>, rules: Rules): void {
  exactKeys('body', body, ['text'], ['reply', 'quote', 'media', 'mentions', 'tags'], rules.open)
  text('body.text', body.text, MAX_TEXT_GRAPHEMES)
  if ('reply' in body) {
    const reply = body.reply
    if (!isPlainObject(reply)) throw new EntrySchemaError('body.reply', 'must be a map')
    exactKeys('body.reply', reply, ['root', 'parent'], [], rules.open)
    link('body.reply.root', reply.root)
    link('body.reply.parent', reply.parent)
  }
  if ('quote' in body) link('body.quote', body.quote)
  const media = 'media' in body ? list('body.media', body.media, MAX_MEDIA) : []
  media.forEach((m, i) => {
    const field = `body.media[${i}]`
    if (!isPlainObject(m)) throw new EntrySchemaError(field, 'must be a map')
    exactKeys(field, m, ['cid', 'mime', 'alt'], rules.v === 2 ? ['size', 'duration', 'width', 'height', 'poster'] : [], rules.open)
    link(`${field}.cid`, m.cid)
    if (typeof m.mime !== 'string' || m.mime.length > MAX_MIME_LENGTH || !/^[a-z]+\/[a-z0-9.+-]+$/.test(m.mime)) {
      throw new EntrySchemaError(`${field}.mime`, 'must be a lowercase media type such as image/webp')
    }
    text(`${field}.alt`, m.alt, MAX_ALT_GRAPHEMES)
    if (rules.v !== 2) return
    if ('size' in m) whole(`${field}.size`, m.size, 0, MAX_SEQ)
    if ('duration' in m) whole(`${field}.duration`, m.duration, 0, MAX_SEQ)
    if ('width' in m) whole(`${field}.width`, m.width, 1, MAX_MEDIA_DIMENSION)
    if ('height' in m) whole(`${field}.height`, m.height, 1, MAX_MEDIA_DIMENSION)
    if ('poster' in m) link(`${field}.poster`, m.poster)
  })
  if (body.text === '' && media.length === 0) throw new EntrySchemaError('body.text', 'a post needs text or media')
  checkMentionsAndTags(body)
}

function checkMentionsAndTags (body: Record<string, unknown>): void {
  if ('mentions' in body) {
    const mentions = list('body.mentions', body.mentions, MAX_MENTIONS)
    mentions.forEach((m, i) => author(`body.mentions[${i}]`, m))
    if (new Set(mentions).size !== mentions.length) throw new EntrySchemaError('body.mentions', 'must not repeat an author')
  }
  if ('tags' in body) {
    const tags = list('body.tags', body.tags, MAX_TAGS)
    tags.forEach((t, i) => {
      if (typeof t !== 'string' || !isTag(t)) {
        throw new EntrySchemaError(`body.tags[${i}]`, `must be 1-${MAX_TAG_LENGTH} lowercase letters, digits or _ (NFC, no #)`)
      }
    })
    if (new Set(tags).size !== tags.length) throw new EntrySchemaError('body.tags', 'must not repeat a tag')
  }
}

function integersOnly (value: unknown): boolean {
  if (typeof value === 'number') return Number.isSafeInteger(value)
  if (typeof value === 'bigint') return false
  if (Array.isArray(value)) return value.every(integersOnly)
  if (isPlainObject(value)) return Object.values(value).every(integersOnly)
  return true
}

function whole (field: string, value: unknown, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max) {
    throw new EntrySchemaError(field, `must be an integer from ${min} to ${max}`)
  }
}

function signatureBytes (field: string, value: unknown): void {
  if (!(value instanceof Uint8Array) || value.length !== 64) throw new EntrySchemaError(field, 'must be 64 bytes')
}

function text (field: string, value: unknown, limit: number): void {
  if (typeof value !== 'string') throw new EntrySchemaError(field, 'must be a string')
  // A lone surrogate encodes as U+FFFD, so the signed bytes would say something other than the entry.
  if (/\p{Cs}/u.test(value)) throw new EntrySchemaError(field, 'must be well-formed Unicode (no lone surrogates)')
  // Common CBOR decoders (JS's TextDecoder) drop a leading byte order mark, so such an entry would not
  // survive its own round trip: refused as non-canonical (PROTOCOL.md §2.1), here before it is signed.
  if (value.startsWith('\ufeff')) throw new NonCanonicalEncodingError(`${field}: must not start with U+FEFF (byte order mark)`)
  if (!withinGraphemes(value, limit)) throw new TextTooLongError(field, countGraphemes(value), limit)
}

function list (field: string, value: unknown, max: number): unknown[] {
  if (!Array.isArray(value)) throw new EntrySchemaError(field, 'must be a list')
  if (value.length === 0) throw new EntrySchemaError(field, 'must be omitted rather than empty')
  if (value.length > max) throw new EntrySchemaError(field, `at most ${max} items`)
  return value
}

function link (field: string, value: unknown): void {
  const cid = CID.asCID(value)
  if (cid === null || cid.version !== 1) throw new EntrySchemaError(field, 'must be a CIDv1 link')
}

function isEntryLink (value: unknown): boolean {
  const cid = CID.asCID(value)
  return cid !== null && cid.version === 1 && cid.code === DAG_CBOR_CODE
}

function author (field: string, value: unknown): void {
  if (!isAuthorId(value)) throw new EntrySchemaError(field, 'must be an author id (Ed25519 PeerId)')
}

/** Every required key present; with `open` false, nothing else but the optional ones. */
function exactKeys (field: string, obj: Record<string, unknown>, required: string[], optional: string[], open = false): void {
  for (const key of required) {
    if (!Object.hasOwn(obj, key)) throw new EntrySchemaError(`${field}.${key}`, 'is required')
  }
  if (open) return
  for (const key of Object.keys(obj)) {
    if (!required.includes(key) && !optional.includes(key)) throw new EntrySchemaError(`${field}.${key}`, 'is not allowed')
  }
}

function isPlainObject (value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) return false
  return CID.asCID(value) === null
}

// DAG-CBOR cannot encode undefined; callers building bodies from optional fields often leave some out that way.
function stripUndefined<T> (body: T): T {
  if (!isPlainObject(body)) return body
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined)) as T
}
