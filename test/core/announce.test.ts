/** Discovery announcements: round trip, and every way one can be wrong gives a typed error. */
import { describe, expect, test } from 'vitest'
import * as dagCbor from '@ipld/dag-cbor'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import type { Ed25519PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import {
  ANNOUNCE_DOMAIN, MAX_ANNOUNCE_ADDRS, MAX_ANNOUNCE_BYTES, MAX_ANNOUNCE_SKEW_MS,
  InvalidAnnouncementError, createAnnouncement, readAnnouncement
} from '../../src/lib/core/index.js'

const NOW = 1_800_000_000_000
const key = async (seed: number): Promise<Ed25519PrivateKey> => await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(seed))
const ADDRS = ['/ip4/127.0.0.1/tcp/4001', '/ip4/127.0.0.1/tcp/9090/ws/p2p/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA/p2p-circuit'].map(a => multiaddr(a))

async function reason (bytes: Uint8Array, now = NOW): Promise<string> {
  try {
    await readAnnouncement(bytes, now)
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidAnnouncementError)
    return (err as InvalidAnnouncementError).reason
  }
  return 'valid'
}

describe('announcements', () => {
  test('round trip: the peer id of the signing key, the addresses and the time', async () => {
    const k = await key(1)
    const bytes = await createAnnouncement(k, ADDRS, NOW)
    const a = await readAnnouncement(bytes, NOW)
    expect(a.peerId).toBe(peerIdFromPrivateKey(k).toString())
    expect(a.addrs.map(String)).toEqual(ADDRS.map(String))
    expect(a.ts).toBe(NOW)
    // The signature covers the domain-separated encoding of every field but sig.
    const { sig, ...unsigned } = dagCbor.decode<Record<string, unknown>>(bytes)
    const message = new Uint8Array([...new TextEncoder().encode(ANNOUNCE_DOMAIN), ...dagCbor.encode(unsigned)])
    expect(await k.publicKey.verify(message, sig as Uint8Array)).toBe(true)
  })

  test('every flipped bit is refused', async () => {
    const bytes = await createAnnouncement(await key(2), ADDRS.slice(0, 1), NOW)
    for (let i = 0; i < bytes.length; i++) {
      const copy = Uint8Array.from(bytes)
      copy[i] = (copy[i] as number) ^ 1
      expect(['malformed', 'signature', 'unsupported', 'stale', 'future'], `byte ${i}`).toContain(await reason(copy))
    }
  })

  test('age, size, fields and keys', async () => {
    const k = await key(3)
    const good = dagCbor.decode<Record<string, unknown>>(await createAnnouncement(k, ADDRS, NOW))
    // A clock an hour off either way still finds peers; beyond that the addresses are not trusted.
    expect(await reason(await createAnnouncement(k, ADDRS, NOW - MAX_ANNOUNCE_SKEW_MS - 1))).toBe('stale')
    expect(await reason(await createAnnouncement(k, ADDRS, NOW - MAX_ANNOUNCE_SKEW_MS))).toBe('valid')
    expect(await reason(await createAnnouncement(k, ADDRS, NOW + MAX_ANNOUNCE_SKEW_MS + 1))).toBe('future')
    expect(await reason(await createAnnouncement(k, ADDRS, NOW + MAX_ANNOUNCE_SKEW_MS))).toBe('valid')
    expect(await reason(new Uint8Array(MAX_ANNOUNCE_BYTES + 1))).toBe('malformed')
    expect(await reason(dagCbor.encode({ ...good, extra: 1 }))).toBe('malformed')
    // Another version, whatever its fields, is not ours to judge.
    expect(await reason(dagCbor.encode({ ...good, v: 2 }))).toBe('unsupported')
    expect(await reason(dagCbor.encode({ v: 2, other: 'fields' }))).toBe('unsupported')
    expect(await reason(dagCbor.encode({ ...good, key: new Uint8Array(32) }))).toBe('malformed')
    expect(await reason(dagCbor.encode({ ...good, addrs: [new Uint8Array([0xff, 0xff, 0xff])] }))).toBe('malformed')
    expect(await reason(dagCbor.encode({ ...good, ts: -1 }))).toBe('malformed')
    expect(await reason(dagCbor.encode({ ...good, sig: new Uint8Array(63) }))).toBe('malformed')
    expect(await reason(dagCbor.encode({ ...good, sig: new Uint8Array(64) }))).toBe('signature')
    // At most MAX_ANNOUNCE_ADDRS are announced, however many the node listens on.
    const many = Array.from({ length: MAX_ANNOUNCE_ADDRS + 5 }, (_, i) => multiaddr(`/ip4/127.0.0.1/tcp/${1000 + i}`))
    expect((await readAnnouncement(await createAnnouncement(k, many, NOW), NOW)).addrs).toHaveLength(MAX_ANNOUNCE_ADDRS)
    // Long addresses are dropped until the announcement fits, rather than making one every peer refuses.
    const long = Array.from({ length: MAX_ANNOUNCE_ADDRS }, (_, i) => multiaddr(`/dns4/${'x'.repeat(200)}${i}.example/tcp/443/wss`))
    const fitted = await createAnnouncement(k, long, NOW)
    expect(fitted.length).toBeLessThanOrEqual(MAX_ANNOUNCE_BYTES)
    const kept = (await readAnnouncement(fitted, NOW)).addrs
    expect(kept.length).toBeGreaterThan(0)
    expect(kept.map(String)).toEqual(long.slice(0, kept.length).map(String))
  })
})
