/**
 * Message ids and the discovery verdicts every node and the relay apply.
 */
import { describe, expect, test } from 'vitest'
import { CID } from 'multiformats/cid'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import type { Ed25519PrivateKey } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import * as dagCbor from '@ipld/dag-cbor'
import { MAX_ANNOUNCE_SKEW_MS, authorFromPrivateKey, createAnnouncement, createEntry, type Announcement } from '../../src/lib/core/index.js'
import { AnnouncementGate, flockMsgId } from '../../src/lib/p2p/gossip.js'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const key = async (seed: number): Promise<Ed25519PrivateKey> => await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(seed))

describe('flockMsgId', () => {
  test('an entry message id is the entry CID', async () => {
    const author = authorFromPrivateKey(await key(3))
    const v = await createEntry(author, null, 'post', { text: 'hi' }, 1_700_000_000_000)
    expect(CID.decode(await flockMsgId({ data: v.bytes })).equals(v.cid)).toBe(true)
  })

  test('two announcements of the same addresses are two messages: each carries its own time', async () => {
    const k = await key(4)
    const addrs = [multiaddr('/ip4/127.0.0.1/tcp/4001')]
    const first = await createAnnouncement(k, addrs, 1_700_000_000_000)
    const again = await createAnnouncement(k, addrs, 1_700_000_000_001)
    expect(hex(await flockMsgId({ data: first }))).not.toBe(hex(await flockMsgId({ data: again })))
    expect(hex(await flockMsgId({ data: first }))).toBe(hex(await flockMsgId({ data: Uint8Array.from(first) })))
  })
})

describe('AnnouncementGate', () => {
  const ADDR = multiaddr('/ip4/127.0.0.1/tcp/4001')

  test('accepts a fresh signed announcement and hands it over; a replay or an older one is ignored', async () => {
    const k = await key(5)
    const gate = new AnnouncementGate()
    const handed: Announcement[] = []
    const first = await createAnnouncement(k, [ADDR])
    expect(await gate.verdict(first, a => { handed.push(a) })).toBe(TopicValidatorResult.Accept)
    expect(handed.map(a => a.addrs.map(String))).toEqual([['/ip4/127.0.0.1/tcp/4001']])
    // The same bytes again (gossip forgets message ids after two minutes) and an older one.
    expect(await gate.verdict(first, a => { handed.push(a) })).toBe(TopicValidatorResult.Ignore)
    expect(await gate.verdict(await createAnnouncement(k, [ADDR], Date.now() - 60_000), a => { handed.push(a) })).toBe(TopicValidatorResult.Ignore)
    expect(await gate.verdict(await createAnnouncement(k, [ADDR], Date.now() + 1_000), a => { handed.push(a) })).toBe(TopicValidatorResult.Accept)
    expect(handed).toHaveLength(2)
    // Another gate (another node) has its own memory.
    expect(await new AnnouncementGate().verdict(first)).toBe(TopicValidatorResult.Accept)
  })

  test('rejects forged and malformed announcements, ignores other versions and stale ones, and hands none over', async () => {
    const k = await key(6)
    const good = await createAnnouncement(k, [ADDR])
    const decoded = dagCbor.decode<Record<string, unknown>>(good)
    const otherKey = (await key(7)).publicKey.raw
    const cases: Array<[string, Uint8Array, TopicValidatorResult]> = [
      ['someone else\'s key on our signature', dagCbor.encode({ ...decoded, key: otherKey }), TopicValidatorResult.Reject],
      ['an address swapped after signing', dagCbor.encode({ ...decoded, addrs: [multiaddr('/ip4/10.0.0.1/tcp/1').bytes] }), TopicValidatorResult.Reject],
      ['not CBOR', new Uint8Array([0xff, 0x00, 0x13]), TopicValidatorResult.Reject],
      ['a pubsub-peer-discovery protobuf', new Uint8Array([0x0a, 0x24, ...new Uint8Array(36)]), TopicValidatorResult.Reject],
      ['a later version', dagCbor.encode({ v: 2, whatever: true }), TopicValidatorResult.Ignore],
      ['stale', await createAnnouncement(k, [ADDR], Date.now() - MAX_ANNOUNCE_SKEW_MS - 60_000), TopicValidatorResult.Ignore]
    ]
    const gate = new AnnouncementGate()
    for (const [label, bytes, expected] of cases) {
      let handed = false
      expect(await gate.verdict(bytes, () => { handed = true }), label).toBe(expected)
      expect(handed, label).toBe(false)
    }
  })
})
