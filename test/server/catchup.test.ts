/**
 * An honest catch-up of long entries across real processes (row 3 of the hostile-peer issue): a
 * headless peer holds 8 logs of 250 posts of ~7.6 KB, and a fresh node in this process follows all
 * 8 and catches up. With the holder in its own process nothing slows its sending while the fresh
 * node stores, so an exchange that sends more than the fresh node's 4 MiB read buffer gets its
 * stream reset; before each exchange was capped, catch-ups stuck at 250 or 750 of 2,000.
 */
import { afterAll, expect, test } from 'vitest'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { createEntry, exportAuthor, type Author, type VerifiedEntry } from '../../src/lib/core/index.js'
import { createNodeFlockNode } from '../../src/lib/p2p/runtime-node.js'
import type { FlockNode } from '../../src/lib/p2p/node.js'
import { authorFromSeed } from '../core/helpers.js'
import { api, killAll, start, tempDir, until, type PeerReady } from './harness.js'

const cleanup: Array<() => Promise<void>> = []
afterAll(async () => {
  killAll()
  for (const fn of cleanup.reverse()) await fn()
})

const FAMILY = '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}\u200D\u{1F466}'

async function longLog (author: Author, n: number): Promise<VerifiedEntry[]> {
  const out: VerifiedEntry[] = []
  const start = Date.now() - n - 60_000
  for (let i = 0; i < n; i++) out.push(await createEntry(author, out.at(-1) ?? null, 'post', { text: `${i}`.padEnd(4, '.') + FAMILY.repeat(299) }, start + i))
  return out
}

test('a fresh node catches up 8 logs of 250 long posts from a headless peer in another process', async () => {
  const authors = await Promise.all([70, 71, 72, 73, 74, 75, 76, 77].map(authorFromSeed))
  const holderAuthor = authors[0] as Author
  const data = await tempDir()
  cleanup.push(data.remove)
  // The holder's store is filled before it runs as a peer: its own log, and 7 logs it follows.
  const filling = await createNodeFlockNode({ author: holderAuthor, dataDir: data.path })
  let total = 0
  for (const author of authors) {
    const log = await longLog(author, 250)
    total += log.reduce((n, e) => n + e.bytes.length, 0)
    // Its own log first, then its follows (seq 251 on), then the logs they make it keep.
    expect((await filling.importEntries(log)).added).toBe(250)
    if (author === holderAuthor) for (const other of authors.slice(1)) await filling.follow(other.id)
  }
  await filling.stop()
  expect(total).toBeGreaterThan(15_000_000)
  await writeFile(join(data.path, 'author.json'), exportAuthor(holderAuthor))

  const holder = await start<PeerReady>('peer', ['--data', data.path, '--no-webrtc'])
  cleanup.push(async () => { await holder.stop('SIGTERM') })
  const status = await api<{ multiaddrs: string[] }>(holder.ready, 'GET', '/status')
  const addr = status.body.multiaddrs.find(a => a.includes('/tcp/') && !a.includes('/ws'))
  if (addr === undefined) throw new Error(`the peer has no TCP address: ${status.body.multiaddrs.join(', ')}`)

  const freshDir = await tempDir()
  cleanup.push(freshDir.remove)
  const fresh: FlockNode = await createNodeFlockNode({ author: await authorFromSeed(78), dataDir: freshDir.path })
  cleanup.push(async () => { await fresh.stop() })
  for (const author of authors) await fresh.follow(author.id)
  await fresh.libp2p.dial(multiaddr(addr))
  await until('the fresh node to hold all 2,000 long entries (and the holder\'s 7 follows)', async () => {
    const heads = await Promise.all(authors.map(async a => (await fresh.logs.head(a.id))?.seq ?? 0))
    return heads.every((h, i) => h === (i === 0 ? 257 : 250)) ? true : undefined
  }, 90_000, 250)
}, 150_000)
