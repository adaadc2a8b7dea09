/**
 * The sync protocol against a hostile responder: whatever it sends, the requester keeps exactly the
 * verified, chained prefix and nothing else.
 */
import { afterAll, expect, test } from 'vitest'
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { lpStream } from '@libp2p/utils'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import {
  SYNC_PROTOCOL, authorFromPrivateKey, createEntry, decodeFrame, encodeFrame, type VerifiedEntry
} from '../../src/lib/core/index.js'
import { createNodeFlockNode } from '../../src/lib/p2p/runtime-node.js'
import { tempDir } from '../server/harness.js'

const cleanup: Array<() => Promise<void>> = []
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn()
})

test.each([
  { entries: 6, bad: 4 },
  // Batches of 256 are verified while the one before is stored: a bad entry in the first batch
  // must keep every later batch out, and one in a later batch must keep every earlier one in.
  { entries: 700, bad: 100 },
  { entries: 700, bad: 600 }
])('a responder that slips a tampered entry (seq $bad of $entries) into a range leaves only the verified prefix behind', async ({ entries, bad }) => {
  const author = authorFromPrivateKey(await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(9)))
  const log: VerifiedEntry[] = []
  for (let i = 0; i < entries; i++) log.push(await createEntry(author, log.at(-1) ?? null, 'post', { text: `n${i}` }, 1_700_000_000_000 + i))
  const tampered = new Uint8Array((log[bad - 1] as VerifiedEntry).bytes)
  tampered[tampered.length - 1] = (tampered[tampered.length - 1] as number) ^ 1

  const hostile = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()]
  })
  cleanup.push(async () => { await hostile.stop() })
  let asked: unknown
  await hostile.handle(SYNC_PROTOCOL, async (stream) => {
    const lp = lpStream(stream)
    asked = decodeFrame((await lp.read()).subarray())
    await lp.write(encodeFrame({ t: 'range', author: author.id, log: author.id, from: 1, to: entries, head: entries }))
    for (const [i, v] of log.entries()) await lp.write(encodeFrame({ t: 'entry', bytes: i === bad - 1 ? tampered : v.bytes }))
    await lp.write(encodeFrame({ t: 'end' }))
    await stream.close()
  })

  const dir = await tempDir()
  cleanup.push(dir.remove)
  const me = await createNodeFlockNode({ author: authorFromPrivateKey(await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(8))), dataDir: dir.path })
  cleanup.push(async () => { await me.stop() })
  await me.follow(author.id)
  await me.libp2p.dial(hostile.getMultiaddrs()[0] as Parameters<typeof me.libp2p.dial>[0])
  me.syncWith(hostile.peerId)
  await me.idle()

  expect(asked).toMatchObject({ t: 'want', want: expect.arrayContaining([{ author: author.id, logs: [] }]) })
  const head = await me.logs.head(author.id)
  expect(head?.seq).toBe(bad - 1)
  expect(head?.cid.equals((log[bad - 2] as VerifiedEntry).cid)).toBe(true)
  for (const seq of [bad, bad + 1, entries]) expect(await me.logs.get((log[seq - 1] as VerifiedEntry).cid)).toBeUndefined()
})
