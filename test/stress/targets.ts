/**
 * The Flock decoders of network bytes as stress targets: entries (verifyEntry, which runs decodeEntry
 * first), sync frames (decodeFrame) and discovery announcements (readAnnouncement). Each is seeded
 * with valid encodings of every kind and shape, and gets strategies of its own besides the shared ones.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import type { Ed25519PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { ed25519 } from '@noble/curves/ed25519.js'
import {
  ENTRY_VERSION, FlockError, InvalidAnnouncementError, MAX_ANNOUNCE_BYTES, MAX_ANNOUNCE_SKEW_MS, MAX_ENTRY_BYTES, MAX_SEQ,
  MAX_SYNC_AUTHORS, MAX_SYNC_FRAME_BYTES, authorIdFromPublicKey, createAnnouncement, createEntry, decodeFrame, encodeFrame,
  entryCid, readAnnouncement, verifyEntry, type SyncFrame, type VerifiedEntry
} from '../../src/lib/core/index.js'
import { T0, equalBytes, fixtures, hex, type Fixtures, type Rng } from '../core/helpers.js'
import { fixtureMutators, tryEncode, type Mutators } from '../core/mutators.js'
import { reshaped, sharedStrategies, type Target } from './inputs.js'

/**
 * Valid author ids and their raw keys, a few more than the key caches of identity.ts and
 * signature.ts hold (4096 each, emptied when full), handed out in turn: each is parsed afresh, as
 * every key of a flood of new ones would be.
 */
class FreshKeys {
  readonly raw: Uint8Array[] = []
  readonly ids: string[] = []
  #next = 0

  constructor (count: number) {
    for (let i = 0; i < count; i++) {
      const seed = new Uint8Array(32)
      new DataView(seed.buffer).setUint32(0, i + 1)
      const raw = ed25519.getPublicKey(seed)
      this.raw.push(raw)
      this.ids.push(authorIdFromPublicKey(raw))
    }
  }

  /** The index of the next key in turn. */
  take (): number {
    const i = this.#next
    this.#next = (i + 1) % this.ids.length
    return i
  }

  id (): string {
    return this.ids[this.take()] as string
  }

  key (): Uint8Array {
    return this.raw[this.take()] as Uint8Array
  }
}

export interface Context {
  f: Fixtures
  m: Mutators
  /** Every valid entry: one of each kind and shape (helpers.ts), another author's, and one near the size limit. */
  entries: VerifiedEntry[]
  fresh: FreshKeys
}

export async function context (): Promise<Context> {
  const f = await fixtures()
  const { a, other, chain } = f
  // 3,900 combining marks: one grapheme, close to MAX_ENTRY_BYTES.
  const big = await createEntry(a, null, 'post', { text: 'e' + '\u0301'.repeat(3900) }, T0)
  const m = await fixtureMutators(f, {
    // Keys and values of sync frames, announcements and CAR headers, so that random maps resemble them too.
    keys: ['t', 'want', 'after', 'from', 'to', 'head', 'key', 'addrs', 'roots'],
    strings: ['want', 'range', 'entry', 'end']
  })
  return { f, m, entries: [other, big, ...chain.map(c => c.v)], fresh: new FreshKeys(4200) }
}

/** What a Flock decoder may throw: its own errors, named (announcements with their reason). */
function flockRefusal (err: unknown): string | undefined {
  if (err instanceof InvalidAnnouncementError) return `${err.name} (${err.reason})`
  return err instanceof FlockError ? err.name : undefined
}

/** Entries and the sync frame that carries them hold numbers where these are the edge cases. */
const NUMBERS = [0, 1, 2, -1, 23, 24, 255, 256, T0, MAX_SEQ, 2 ** 53, 1.5, -0.5, 1e300, 2n ** 64n - 1n, -(2n ** 64n)]

export function entryTarget ({ m, entries, fresh, f }: Context): Target {
  const valid = entries.map(v => v.bytes)
  const signed = new Set(valid.map(hex))
  return {
    name: 'verifyEntry',
    valid,
    strategies: [
      ...sharedStrategies(m, valid, MAX_ENTRY_BYTES),
      reshaped(m, valid),
      {
        // Schema checks parse every mention as a key before the signature is reached: the costliest
        // entry to refuse is one naming many authors never seen before.
        name: 'post mentioning new authors',
        weight: 3,
        make: rng => dagCbor.encode({
          v: ENTRY_VERSION,
          author: f.a.id,
          seq: 1,
          prev: null,
          ts: T0,
          kind: 'post',
          body: { text: 'hi', mentions: Array.from({ length: 1 + rng.int(50) }, () => fresh.id()) },
          sig: rng.bytes(64)
        })
      }
    ],
    decode: async (bytes) => {
      const v = await verifyEntry(bytes)
      return async () => {
        if (!signed.has(hex(bytes))) throw new Error('accepted an entry nobody signed')
        const again = dagCbor.encode(v.entry)
        if (!equalBytes(again, bytes)) throw new Error('does not re-encode to its own bytes')
        if (!v.cid.equals(await entryCid(bytes)) || !(await verifyEntry(again)).cid.equals(v.cid)) throw new Error('re-verifies with another CID')
      }
    },
    refusal: flockRefusal
  }
}

export function frameTarget ({ m, entries, fresh, f }: Context): Target {
  const { a, b } = f
  const frames: SyncFrame[] = [
    { t: 'want', want: [] },
    { t: 'want', want: [{ author: a.id, logs: [{ log: a.id, after: 0 }] }, { author: b.id, logs: [{ log: b.id, after: 10 }] }] },
    // About as many authors as fit in one frame.
    { t: 'want', want: fresh.ids.slice(0, 60).map((author, i) => ({ author, logs: [{ log: author, after: i }] })) },
    { t: 'range', author: a.id, log: a.id, from: 1, to: 10, head: 10 },
    { t: 'range', author: b.id, log: b.id, from: 11, to: 10, head: 10 },
    { t: 'range', author: a.id, log: a.id, from: 1, to: 0, head: 0 },
    { t: 'range', author: a.id, log: a.id, from: 3, to: 5, head: MAX_SEQ },
    ...entries.map((v): SyncFrame => ({ t: 'entry', bytes: v.bytes })),
    { t: 'entry', bytes: new Uint8Array(0) },
    { t: 'end' }
  ]
  const valid = frames.map(f => encodeFrame(f))
  const author = (rng: Rng): unknown => rng.pick([a.id, b.id, fresh.id(), m.randomValue(rng, 1)])
  const fields = (rng: Rng, t: string): Record<string, unknown> => {
    const seq = (): unknown => rng.pick(NUMBERS)
    switch (t) {
      case 'want': {
        const n = rng.pick([0, 1, 2, 50, 120, MAX_SYNC_AUTHORS + 1])
        // Past the limit the items are nulls, so that the frame still fits and the count is what is refused.
        return { want: Array.from({ length: n }, () => n > MAX_SYNC_AUTHORS ? null : rng.bool(0.9) ? { author: author(rng), after: seq() } : m.randomValue(rng, 1)) }
      }
      case 'range': return { author: author(rng), from: seq(), to: seq(), head: seq() }
      case 'entry': return { bytes: rng.bool() ? rng.pick(entries).bytes : m.randomValue(rng, 1) }
      default: return {}
    }
  }
  return {
    name: 'decodeFrame',
    valid,
    strategies: [
      ...sharedStrategies(m, valid, MAX_SYNC_FRAME_BYTES),
      reshaped(m, valid),
      {
        name: 'frame of edge values',
        weight: 8,
        make: (rng) => {
          const t = rng.pick(['want', 'range', 'entry', 'end', 'want', 'range', 'entry', 'end', 'sync', ''])
          const frame: Record<string, unknown> = { t, ...fields(rng, t) }
          if (rng.bool(0.2)) frame[rng.pick(m.keys)] = m.randomValue(rng, 1)
          return tryEncode(frame)
        }
      }
    ],
    decode: async (bytes) => {
      const frame = decodeFrame(bytes)
      // Unknown keys are ignored (PROTOCOL.md §9), so the bytes need not be canonical; what was read must be.
      return async () => {
        const again = encodeFrame(frame)
        if (!equalBytes(encodeFrame(decodeFrame(again)), again)) throw new Error('what was read does not survive encoding and decoding again')
      }
    },
    refusal: flockRefusal
  }
}

/** Every announcement is read at this time, so that a seed replays the same ages. */
const NOW = T0

const ADDRS = [
  '/ip4/127.0.0.1/tcp/4001', '/ip6/::1/tcp/4001/ws', '/dns4/relay.example/tcp/443/wss',
  '/ip4/127.0.0.1/tcp/9090/ws/p2p/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA/p2p-circuit'
].map(s => multiaddr(s))

/** Public keys no announcement may carry: the identity point (small order), and y = p (not canonical). */
const BAD_KEYS = [
  Uint8Array.from({ length: 32 }, (_, i) => i === 0 ? 1 : 0),
  Uint8Array.from({ length: 32 }, (_, i) => i === 0 ? 0xed : i === 31 ? 0x7f : 0xff)
]

export async function announcementTarget ({ m, fresh }: Context): Promise<Target> {
  const key = async (seed: number): Promise<Ed25519PrivateKey> => await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(seed))
  const first = await key(1)
  const keys = [first, await key(2), await key(3)]
  const many = Array.from({ length: 40 }, (_, i) => multiaddr(`/ip4/10.0.${i}.1/tcp/${4000 + i}/ws`))
  // Far more than fits: createAnnouncement leaves out what does not.
  const long = Array.from({ length: 32 }, (_, i) => multiaddr(`/dns4/${'x'.repeat(200)}${i}.example/tcp/443/wss`))
  const made = [
    ...keys.flatMap(k => [[], ADDRS, many, long].map(addrs => ({ k, addrs, ts: NOW }))),
    // Exactly as old, and as far ahead, as is still accepted.
    { k: first, addrs: ADDRS, ts: NOW - MAX_ANNOUNCE_SKEW_MS },
    { k: first, addrs: ADDRS, ts: NOW + MAX_ANNOUNCE_SKEW_MS }
  ]
  const signed = new Map<string, { peerId: string, addrs: string[], ts: number }>()
  const valid: Uint8Array[] = []
  for (const { k, addrs, ts } of made) {
    const bytes = await createAnnouncement(k, addrs, ts)
    const kept = (dagCbor.decode(bytes) as { addrs: unknown[] }).addrs.length
    signed.set(hex(bytes), { peerId: peerIdFromPrivateKey(k).toString(), addrs: addrs.slice(0, kept).map(String), ts })
    valid.push(bytes)
  }
  const sigs = valid.map(bytes => (dagCbor.decode(bytes) as { sig: Uint8Array }).sig)
  const addrBytes = [...ADDRS, ...many].map(a => a.bytes)
  return {
    name: 'readAnnouncement',
    valid,
    strategies: [
      ...sharedStrategies(m, valid, MAX_ANNOUNCE_BYTES),
      reshaped(m, valid),
      {
        // Well-formed enough to reach the age and signature checks, with one field or more wrong.
        name: 'announcement of edge values',
        weight: 8,
        make: (rng) => {
          const fields: Record<string, unknown> = {
            v: rng.pick([1, 1, 1, 1, 0, 2, '1']),
            key: rng.pick([first.publicKey.raw, fresh.key(), fresh.key(), rng.bytes(32), rng.pick(BAD_KEYS), rng.bytes(rng.int(40))]),
            addrs: rng.pick([
              [], addrBytes.slice(0, 1 + rng.int(addrBytes.length)), Array.from({ length: 33 }, () => rng.pick(addrBytes)),
              Array.from({ length: 1 + rng.int(4) }, () => rng.bool() ? rng.pick(addrBytes) : rng.bytes(rng.int(40))), [m.randomValue(rng, 1)]
            ]),
            ts: rng.pick([NOW, NOW, NOW - MAX_ANNOUNCE_SKEW_MS - 1, NOW + MAX_ANNOUNCE_SKEW_MS + 1, rng.pick(NUMBERS)]),
            sig: rng.pick([rng.bytes(64), new Uint8Array(64), rng.pick(sigs), rng.bytes(rng.int(70))])
          }
          if (rng.bool(0.1)) delete fields[rng.pick(Object.keys(fields))]
          if (rng.bool(0.1)) fields[rng.pick(m.keys)] = m.randomValue(rng, 1)
          return tryEncode(fields)
        }
      }
    ],
    decode: async (bytes) => {
      const got = await readAnnouncement(bytes, NOW)
      return async () => {
        const want = signed.get(hex(bytes))
        if (want === undefined) throw new Error('accepted an announcement nobody signed')
        if (got.peerId !== want.peerId || got.ts !== want.ts || got.addrs.map(String).join(' ') !== want.addrs.join(' ')) {
          throw new Error('read otherwise than it was signed')
        }
      }
    },
    refusal: flockRefusal
  }
}
