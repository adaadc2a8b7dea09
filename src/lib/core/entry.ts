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
  DAG_CBOR_CODE, ENTRY_VERSION, MAX_ALT_GRAPHEMES, MAX_BIO_GRAPHEMES, MAX_ENTRY_BYTES, MAX_MEDIA,
  MAX_MENTIONS, MAX_MIME_LENGTH, MAX_NAME_GRAPHEMES, MAX_SEQ, MAX_TAG_LENGTH, MAX_TAGS,
  MAX_TEXT_GRAPHEMES, SIGNING_DOMAIN
} from './constants.js'
import {
  EntryDecodeError, EntrySchemaError, EntryTooLargeError, InvalidAuthorError, InvalidSignatureError,
  NonCanonicalEncodingError, TextTooLongError, UnsupportedVersionError
} from './errors.js'
import { isAuthorId, publicKeyOfAuthor, type Author } from './identity.js'
import { isTag, withinGraphemes, countGraphemes } from './text.js'
import { isCanonicalS, signEd25519, verifyEd25519 } from './signature.js'
import { decodeCanonical, domainSeparated } from './canonical.js'

export const ENTRY_KINDS = ['post', 'like', 'repost', 'follow', 'unfollow', 'profile', 'delete'] as const
export type EntryKind = typeof ENTRY_KINDS[number]

export interface Media {
  cid: CID
  mime: string
  alt: string
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
}

export interface DeleteBody {
  subject: CID
}

export interface Bodies {
  post: PostBody
  like: SubjectBody
  repost: SubjectBody
  follow: FollowBody
  unfollow: FollowBody
  profile: ProfileBody
  delete: DeleteBody
}

interface EntryHeader {
  v: typeof ENTRY_VERSION
  author: string
  seq: number
  /** CID of the author's entry at seq - 1; null exactly when seq is 1. */
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
 */
export interface VerifiedEntry<K extends EntryKind = EntryKind> {
  readonly entry: Entry<K>
  readonly bytes: Uint8Array
  readonly cid: CID
  readonly [verified]: true
}

const ENTRY_KEYS = ['author', 'body', 'kind', 'prev', 'seq', 'sig', 'ts', 'v']
const domainBytes = new TextEncoder().encode(SIGNING_DOMAIN)


/** The exact bytes an author signs: the domain prefix, then the canonical encoding of all fields but sig. */
export function signingInput (entry: UnsignedEntry): Uint8Array {
  const { v, author, seq, prev, ts, kind, body } = entry
  return domainSeparated(domainBytes, { v, author, seq, prev, ts, kind, body })
}

/**
 * The signing input cut out of an entry's canonical bytes, which saves encoding the entry again on
 * every verification. Canonical DAG-CBOR orders keys by length, then bytewise: v, ts, seq, sig, body,
 * kind, prev, author — so the unsigned map is the same bytes with the 8-entry map header made 7 and
 * the sig pair (4-byte key, 2-byte header, 64 bytes) left out. `bytes` must be canonical (decodeEntry).
 */
export function signingInputOf (entry: Entry, bytes: Uint8Array): Uint8Array {
  const sigAt = 1 + 3 + 3 + uintLength(entry.ts) + 4 + uintLength(entry.seq)
  if (bytes[0] !== 0xa8 || !SIG_PAIR_HEAD.every((b, i) => bytes[sigAt + i] === b)) return signingInput(entry)
  const sigEnd = sigAt + SIG_PAIR_HEAD.length + 64
  const out = new Uint8Array(domainBytes.length + bytes.length - (sigEnd - sigAt))
  out.set(domainBytes, 0)
  out[domainBytes.length] = 0xa7
  out.set(bytes.subarray(1, sigAt), domainBytes.length + 1)
  out.set(bytes.subarray(sigEnd), domainBytes.length + sigAt)
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
 * Sign a new entry that follows `head` (null for an author's first entry). The timestamp never goes
 * backwards along the log even if the local clock did.
 */
export async function createEntry<K extends EntryKind> (
  author: Author, head: VerifiedEntry | null, kind: K, body: Bodies[K], now: number = Date.now()
): Promise<VerifiedEntry<K>> {
  if (head !== null && head.entry.author !== author.id) throw new InvalidAuthorError('head belongs to another author')
  const unsigned = {
    v: ENTRY_VERSION,
    author: author.id,
    seq: head === null ? 1 : head.entry.seq + 1,
    prev: head === null ? null : head.cid,
    ts: Math.max(Math.floor(now), head?.entry.ts ?? 0),
    kind,
    body: stripUndefined(body)
  } as UnsignedEntry
  checkSchema(unsigned)
  const sig = await signEd25519(author.privateKey, signingInput(unsigned))
  const entry = { ...unsigned, sig } as Entry<K>
  const bytes = dagCbor.encode(entry)
  if (bytes.length > MAX_ENTRY_BYTES) throw new EntryTooLargeError(bytes.length, MAX_ENTRY_BYTES)
  return { entry, bytes, cid: await entryCid(bytes) } as VerifiedEntry<K>
}

/**
 * Check size, encoding, schema and signature, in that order (cheapest first), and return the
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
  if (value.v !== ENTRY_VERSION) {
    if (!('v' in value)) throw new EntrySchemaError('v', 'is required')
    // Not String(value.v): a decoded map with its own `toString` key makes String() throw a TypeError.
    const got = typeof value.v === 'number' ? value.v : typeof value.v
    throw new UnsupportedVersionError(`entry version ${got} is not supported (this is version ${ENTRY_VERSION})`)
  }
  exactKeys('entry', value, ENTRY_KEYS, [])
  const sig = value.sig
  if (!(sig instanceof Uint8Array) || sig.length !== 64) throw new EntrySchemaError('sig', 'must be 64 bytes')
  checkSchema(value as unknown as UnsignedEntry)
  return value as unknown as Entry
}

async function checkSignature (entry: Entry, message: Uint8Array, parallel: boolean): Promise<void> {
  const key = publicKeyOfAuthor(entry.author)
  if (!isCanonicalS(entry.sig)) throw new InvalidSignatureError('signature scalar is not canonical (S >= L)')
  if (!await verifyEd25519(key.raw, entry.sig, message, parallel)) {
    throw new InvalidSignatureError(`signature does not verify for author ${entry.author}`)
  }
}

/** Schema rules shared by creation and verification: PROTOCOL.md §3. */
function checkSchema (e: UnsignedEntry): void {
  if (typeof e.author !== 'string' || !isAuthorId(e.author)) {
    if (typeof e.author === 'string') throw new InvalidAuthorError('author is not an Ed25519 PeerId')
    throw new EntrySchemaError('author', 'must be a string')
  }
  if (!Number.isSafeInteger(e.seq) || e.seq < 1 || e.seq > MAX_SEQ) throw new EntrySchemaError('seq', 'must be an integer >= 1')
  if (e.seq === 1) {
    if (e.prev !== null) throw new EntrySchemaError('prev', 'must be null when seq is 1')
  } else if (!isEntryLink(e.prev)) {
    throw new EntrySchemaError('prev', 'must be the CID of a DAG-CBOR entry when seq > 1')
  }
  if (!Number.isSafeInteger(e.ts) || e.ts < 0) throw new EntrySchemaError('ts', 'must be a non-negative integer (ms since epoch)')
  if (typeof e.kind !== 'string' || !(ENTRY_KINDS as readonly string[]).includes(e.kind)) {
    throw new EntrySchemaError('kind', `must be one of ${ENTRY_KINDS.join(', ')}`)
  }
  const body: unknown = e.body
  if (!isPlainObject(body)) throw new EntrySchemaError('body', 'must be a map')
  switch (e.kind) {
    case 'post': return checkPost(body)
    case 'like':
    case 'repost':
      exactKeys('body', body, ['subject', 'author'], [])
      link('body.subject', body.subject)
      author('body.author', body.author)
      return
    case 'follow':
    case 'unfollow':
      exactKeys('body', body, ['author'], [])
      author('body.author', body.author)
      return
    case 'profile':
      exactKeys('body', body, ['name', 'bio'], ['avatar'])
      text('body.name', body.name, MAX_NAME_GRAPHEMES)
      text('body.bio', body.bio, MAX_BIO_GRAPHEMES)
      if ('avatar' in body) link('body.avatar', body.avatar)
      return
    case 'delete':
      exactKeys('body', body, ['subject'], [])
      link('body.subject', body.subject)
  }
}

function checkPost (body: Record<string, unknown>): void {
  exactKeys('body', body, ['text'], ['reply', 'quote', 'media', 'mentions', 'tags'])
  text('body.text', body.text, MAX_TEXT_GRAPHEMES)
  if ('reply' in body) {
    const reply = body.reply
    if (!isPlainObject(reply)) throw new EntrySchemaError('body.reply', 'must be a map')
    exactKeys('body.reply', reply, ['root', 'parent'], [])
    link('body.reply.root', reply.root)
    link('body.reply.parent', reply.parent)
  }
  if ('quote' in body) link('body.quote', body.quote)
  const media = 'media' in body ? list('body.media', body.media, MAX_MEDIA) : []
  media.forEach((m, i) => {
    const field = `body.media[${i}]`
    if (!isPlainObject(m)) throw new EntrySchemaError(field, 'must be a map')
    exactKeys(field, m, ['cid', 'mime', 'alt'], [])
    link(`${field}.cid`, m.cid)
    if (typeof m.mime !== 'string' || m.mime.length > MAX_MIME_LENGTH || !/^[a-z]+\/[a-z0-9.+-]+$/.test(m.mime)) {
      throw new EntrySchemaError(`${field}.mime`, 'must be a lowercase media type such as image/webp')
    }
    text(`${field}.alt`, m.alt, MAX_ALT_GRAPHEMES)
  })
  if (body.text === '' && media.length === 0) throw new EntrySchemaError('body.text', 'a post needs text or media')
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

function exactKeys (field: string, obj: Record<string, unknown>, required: string[], optional: string[]): void {
  for (const key of required) {
    if (!Object.hasOwn(obj, key)) throw new EntrySchemaError(`${field}.${key}`, 'is required')
  }
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
