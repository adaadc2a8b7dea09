/**
 * Message ids, the discovery verdicts every node and the relay apply, and their budgets.
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
import {
  ANNOUNCE_ACCEPT_BURST, ANNOUNCE_ACCEPT_PER_S, ANNOUNCE_FLOOD_BURST, ANNOUNCE_PEER_BURST, ANNOUNCE_PEER_PER_S
} from '../../src/lib/p2p/constants.js'

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
  const FROM = '12D3KooWForwarder'

  test('accepts a fresh signed announcement and hands it over; a replay or an older one is ignored', async () => {
    const k = await key(5)
    const gate = new AnnouncementGate()
    const handed: Announcement[] = []
    const first = await createAnnouncement(k, [ADDR])
    expect(await gate.verdict(FROM, first, a => { handed.push(a) })).toBe(TopicValidatorResult.Accept)
    expect(handed.map(a => a.addrs.map(String))).toEqual([['/ip4/127.0.0.1/tcp/4001']])
    // The same bytes again (gossip forgets message ids after two minutes) and an older one.
    expect(await gate.verdict(FROM, first, a => { handed.push(a) })).toBe(TopicValidatorResult.Ignore)
    expect(await gate.verdict(FROM, await createAnnouncement(k, [ADDR], Date.now() - 60_000), a => { handed.push(a) })).toBe(TopicValidatorResult.Ignore)
    expect(await gate.verdict(FROM, await createAnnouncement(k, [ADDR], Date.now() + 1_000), a => { handed.push(a) })).toBe(TopicValidatorResult.Accept)
    expect(handed).toHaveLength(2)
    // Another gate (another node) has its own memory.
    expect(await new AnnouncementGate().verdict(FROM, first)).toBe(TopicValidatorResult.Accept)
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
      expect(await gate.verdict(FROM, bytes, () => { handed = true }), label).toBe(expected)
      expect(handed, label).toBe(false)
    }
  })
})

describe('AnnouncementGate budgets', () => {
  // Garbage is rejected when read and ignored when not: the verdict shows whether the gate read it.
  const junk = new Uint8Array([0xff])
  const clockAt = (): { now: () => number, advance: (ms: number) => void } => {
    let t = 0
    return { now: () => t, advance: (ms) => { t += ms } }
  }

  test("one forwarder gets ANNOUNCE_PEER_BURST at once and ANNOUNCE_PEER_PER_S a second; beyond, nothing of it is read, and others' share is untouched", async () => {
    const clock = clockAt()
    const gate = new AnnouncementGate({ now: clock.now })
    for (let i = 0; i < ANNOUNCE_PEER_BURST; i++) expect(await gate.verdict('flooder', junk)).toBe(TopicValidatorResult.Reject)
    expect(await gate.verdict('flooder', junk)).toBe(TopicValidatorResult.Ignore)
    const fresh = await createAnnouncement(await key(8), [multiaddr('/ip4/192.0.2.1/tcp/4001')])
    expect(await gate.verdict('flooder', fresh)).toBe(TopicValidatorResult.Ignore)
    expect(await gate.verdict('other', fresh)).toBe(TopicValidatorResult.Accept)
    clock.advance(1_000)
    const verdicts = []
    for (let i = 0; i < ANNOUNCE_PEER_PER_S + 1; i++) verdicts.push(await gate.verdict('flooder', junk))
    expect(verdicts.filter(v => v === TopicValidatorResult.Reject)).toHaveLength(ANNOUNCE_PEER_PER_S)
  })

  test('all forwarders together get ANNOUNCE_ACCEPT_BURST at once and ANNOUNCE_ACCEPT_PER_S a second', async () => {
    const clock = clockAt()
    const gate = new AnnouncementGate({ now: clock.now })
    const read = async (n: number): Promise<number> => {
      let count = 0
      for (let i = 0; i < n; i++) if (await gate.verdict(`forwarder-${i % 50}`, junk) === TopicValidatorResult.Reject) count++
      return count
    }
    expect(await read(ANNOUNCE_ACCEPT_BURST * 2)).toBe(ANNOUNCE_ACCEPT_BURST)
    clock.advance(1_000)
    expect(await read(ANNOUNCE_ACCEPT_BURST)).toBe(ANNOUNCE_ACCEPT_PER_S)
  })

  test('a forwarder is reported as a flood only beyond what an honest node can forward', async () => {
    const clock = clockAt()
    const flooded: string[] = []
    const gate = new AnnouncementGate({ now: clock.now, onFlood: (peer) => { flooded.push(peer) } })
    // An honest relay: a full burst at once, then the most an honest node takes in, for a minute.
    for (let i = 0; i < ANNOUNCE_FLOOD_BURST; i++) await gate.verdict('relay', junk)
    for (let ms = 0; ms < 60_000; ms += 1_000 / ANNOUNCE_ACCEPT_PER_S) {
      clock.advance(1_000 / ANNOUNCE_ACCEPT_PER_S)
      await gate.verdict('relay', junk)
    }
    expect(flooded).toEqual([])
    // A flooder: the same burst, then every one more is reported.
    for (let i = 0; i < ANNOUNCE_FLOOD_BURST + 3; i++) await gate.verdict('flooder', junk)
    expect(flooded).toEqual(['flooder', 'flooder', 'flooder'])
  })
})
