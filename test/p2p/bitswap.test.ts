/**
 * Entries are ordinary IPFS blocks: a plain Helia node that knows nothing of Flock fetches one by CID
 * over bitswap from a Flock node and gets the exact signed bytes back.
 */
import { afterAll, expect, test } from 'vitest'
import { withBitswap } from '@helia/bitswap'
import { withLibp2pLight } from '@helia/libp2p'
import { createHeliaLight } from 'helia'
import { MemoryBlockstore } from 'blockstore-core'
import { MemoryDatastore } from 'datastore-core'
import { tcp } from '@libp2p/tcp'
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { identify } from '@libp2p/identify'
import { generateAuthor, verifyEntry } from '../../src/lib/core/index.js'
import { collect } from '../../src/lib/p2p/store.js'
import { createNodeFlockNode } from '../../src/lib/p2p/runtime-node.js'
import type { FlockNode } from '../../src/lib/p2p/node.js'
import { tempDir } from '../server/harness.js'

const cleanup: Array<() => Promise<void>> = []
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn()
})

test('a plain Helia node fetches a Flock entry and a media block by CID over bitswap', async () => {
  const dir = await tempDir()
  cleanup.push(dir.remove)
  const flock: FlockNode = await createNodeFlockNode({ author: await generateAuthor(), dataDir: dir.path })
  cleanup.push(async () => { await flock.stop() })
  const posted = await flock.publish('post', { text: 'fetch me by CID' })
  const image = new Uint8Array(300_000).map((_, i) => (i * 31) % 251)
  const mediaCid = await flock.addMedia(image)

  const helia = withBitswap(withLibp2pLight(createHeliaLight({ blockstore: new MemoryBlockstore(), datastore: new MemoryDatastore() }), {
    datastore: new MemoryDatastore(),
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() }
  }))
  await helia.start()
  cleanup.push(async () => { await helia.stop() })
  await helia.libp2p.dial(flock.libp2p.getMultiaddrs()[0] as Parameters<typeof helia.libp2p.dial>[0])

  const bytes = await collect(helia.blockstore.get(posted.cid, { signal: AbortSignal.timeout(20_000) }))
  expect(bytes).toEqual(posted.bytes)
  const v = await verifyEntry(bytes)
  expect(v.entry.kind === 'post' && v.entry.body.text).toBe('fetch me by CID')
  expect(await collect(helia.blockstore.get(mediaCid, { signal: AbortSignal.timeout(20_000) }))).toEqual(image)
  expect(flock.served().blocks).toBeGreaterThanOrEqual(2)
})
