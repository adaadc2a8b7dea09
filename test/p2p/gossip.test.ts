/**
 * Message ids: entries are identified by their CID; a discovery announcement is one message for a
 * few seconds from its first sighting (so copies coming back are dropped, even across a time
 * bucket boundary) and a new message when it is repeated after that.
 */
import { describe, expect, test } from 'vitest'
import { CID } from 'multiformats/cid'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { DISCOVERY_TOPIC, authorFromPrivateKey, authorTopic, createEntry } from '../../src/lib/core/index.js'
import { DISCOVERY_ID_BUCKET_MS, flockMsgIdFn } from '../../src/lib/p2p/gossip.js'
import { DISCOVERY_INTERVAL_MS, DISCOVERY_REPEAT_WINDOW_MS } from '../../src/lib/p2p/constants.js'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

describe('flockMsgIdFn', () => {
  test('an entry message id is the entry CID, whenever and wherever it is seen', async () => {
    const author = authorFromPrivateKey(await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(3)))
    const v = await createEntry(author, null, 'post', { text: 'hi' }, 1_700_000_000_000)
    let t = 0
    const a = flockMsgIdFn(() => t)
    const b = flockMsgIdFn(() => t + 123_456)
    const id = await a({ topic: authorTopic(author.id), data: v.bytes })
    expect(CID.decode(id).equals(v.cid)).toBe(true)
    t = 60_000
    expect(hex(await a({ topic: authorTopic(author.id), data: v.bytes }))).toBe(hex(id))
    expect(hex(await b({ topic: authorTopic(author.id), data: v.bytes }))).toBe(hex(id))
  })

  test('a discovery copy keeps its first id inside the repeat window, across a bucket boundary', async () => {
    expect(DISCOVERY_REPEAT_WINDOW_MS).toBeLessThan(DISCOVERY_INTERVAL_MS)
    const data = new TextEncoder().encode('announcement')
    // First seen just before a bucket boundary; the copy that comes back lands after it.
    let t = 10 * DISCOVERY_ID_BUCKET_MS - 1
    const ids = flockMsgIdFn(() => t)
    const first = hex(await ids({ topic: DISCOVERY_TOPIC, data }))
    t += 2
    expect(hex(await ids({ topic: DISCOVERY_TOPIC, data }))).toBe(first)
    t += DISCOVERY_REPEAT_WINDOW_MS - 10
    expect(hex(await ids({ topic: DISCOVERY_TOPIC, data }))).toBe(first)
    // Other bytes are another message.
    expect(hex(await ids({ topic: DISCOVERY_TOPIC, data: new TextEncoder().encode('other') }))).not.toBe(first)
  })

  test('the same announcement repeated after the window is a new message, and nodes seeing it in one bucket agree', async () => {
    const data = new TextEncoder().encode('announcement')
    let t = 50 * DISCOVERY_ID_BUCKET_MS
    const a = flockMsgIdFn(() => t)
    const b = flockMsgIdFn(() => t)
    const first = hex(await a({ topic: DISCOVERY_TOPIC, data }))
    expect(hex(await b({ topic: DISCOVERY_TOPIC, data }))).toBe(first)
    t += DISCOVERY_INTERVAL_MS
    const repeat = hex(await a({ topic: DISCOVERY_TOPIC, data }))
    expect(repeat).not.toBe(first)
    expect(hex(await b({ topic: DISCOVERY_TOPIC, data }))).toBe(repeat)
  })
})
