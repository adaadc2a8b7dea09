/**
 * The restore-then-post story with headless peers in their own processes: a second peer started with
 * the first one's author.json in a new --data is a new device of that author. It posts before it has
 * met anyone; a follower then gets every post of both devices under one author, no peer records a
 * fork, and each device holds the other's posts. Revoking the second device through the API stops
 * it from writing.
 */
import { afterAll, expect, test } from 'vitest'
import { copyFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { api, events, killAll, start, tempDir, until, type PeerReady, type RelayReady } from './harness.js'

const cleanup: Array<() => Promise<void>> = []
afterAll(async () => {
  killAll()
  for (const fn of cleanup.reverse()) await fn()
})

interface Entries { entries: Array<{ author: string, device?: string, kind: string, text?: string }> }
interface Logs { logs: Array<{ log: string, head: number, revokedAfter?: number }> }

test('a peer started with another device\'s author.json is a new device: nothing forks, every post arrives', async () => {
  const root = await tempDir()
  cleanup.push(root.remove)
  const relay = await start<RelayReady>('relay', ['--data', join(root.path, 'relay'), '--ws-port', '0', '--webrtc-direct-port', '0', '--http-port', '0', '--ip-colocation-weight', '0'])
  cleanup.push(async () => { await relay.stop('SIGTERM') })
  const relayAddr = relay.ready.multiaddrs.find(a => a.includes('/ws/')) as string
  const args = (name: string, ...more: string[]): string[] => ['--data', join(root.path, name), '--no-webrtc', '--ip-colocation-weight', '0', ...more]

  // Device A alone first: it posts twice.
  const a = await start<PeerReady>('peer', args('a'))
  cleanup.push(async () => { await a.stop('SIGTERM') })
  expect(a.ready.device).not.toBe(a.ready.author)
  for (const text of ['A one', 'A two']) expect((await api(a.ready, 'POST', '/posts', { text })).status).toBe(201)

  // Device B: only A's author.json, copied into a new data dir — as a restored backup would be.
  await mkdir(join(root.path, 'b'), { recursive: true })
  await copyFile(join(root.path, 'a', 'author.json'), join(root.path, 'b', 'author.json'))
  const b = await start<PeerReady>('peer', args('b'))
  cleanup.push(async () => { await b.stop('SIGTERM') })
  expect(b.ready.author).toBe(a.ready.author)
  expect(b.ready.device).not.toBe(a.ready.device)
  expect((await api(b.ready, 'POST', '/posts', { text: 'B before it met anyone' })).status).toBe(201)

  // Now everyone meets through the relay, and a follower follows the author.
  await Promise.all([a.stop('SIGTERM'), b.stop('SIGTERM')])
  const [a2, b2, follower] = await Promise.all([
    start<PeerReady>('peer', args('a', '--relay', relayAddr)),
    start<PeerReady>('peer', args('b', '--relay', relayAddr)),
    start<PeerReady>('peer', args('follower', '--relay', relayAddr))
  ])
  cleanup.push(async () => { await Promise.all([a2.stop('SIGTERM'), b2.stop('SIGTERM'), follower.stop('SIGTERM')]) })
  const watched = await Promise.all([a2, b2, follower].map(async p => await events(p.ready)))
  cleanup.push(async () => { for (const w of watched) w.close() })
  expect((await api(follower.ready, 'POST', '/follows', { author: a.ready.author })).status).toBe(201)

  const heads = async (p: PeerReady): Promise<Record<string, number>> =>
    Object.fromEntries((await api<Logs>(p, 'GET', `/authors/${a.ready.author}/logs`)).body.logs.map(l => [l.log, l.head]))
  // Each device log: its first entry (the author key's consent), then its posts.
  const complete = (h: Record<string, number>): boolean => h[a.ready.device] === 3 && h[b.ready.device] === 2
  await until('the follower to hold both device logs', async () => complete(await heads(follower.ready)) ? true : undefined, 60_000, 250)
  await until('A to hold B\'s log, and B A\'s', async () => complete(await heads(a2.ready)) && complete(await heads(b2.ready)) ? true : undefined, 60_000, 250)

  const timeline = await api<Entries>(follower.ready, 'GET', '/timeline?limit=50')
  const posts = timeline.body.entries.filter(e => e.kind === 'post' && e.author === a.ready.author)
  expect(posts.map(p => p.text).sort()).toEqual(['A one', 'A two', 'B before it met anyone'])
  expect(new Set(posts.map(p => p.device))).toEqual(new Set([a.ready.device, b.ready.device]))
  for (const w of watched) expect(w.all.filter(e => e.event === 'fork')).toEqual([])

  // A revokes B: the follower learns it, and B, holding its author's logs, can write no more.
  const devices = await api<{ devices: Array<{ id: string, current: boolean }> }>(a2.ready, 'GET', '/devices')
  expect(devices.body.devices.map(d => d.id).sort()).toEqual([a.ready.device, b.ready.device].sort())
  expect((await api(a2.ready, 'DELETE', `/devices/${b.ready.device}`)).status).toBe(200)
  await until('the follower to hold the revoke', async () =>
    (await api<Logs>(follower.ready, 'GET', `/authors/${a.ready.author}/logs`)).body.logs.find(l => l.log === b.ready.device)?.revokedAfter === 2 ? true : undefined, 30_000, 250)
  await until('B to hold the revoke', async () =>
    (await api<Logs>(b2.ready, 'GET', `/authors/${a.ready.author}/logs`)).body.logs.find(l => l.log === b.ready.device)?.revokedAfter === 2 ? true : undefined, 30_000, 250)
  expect((await api(b2.ready, 'POST', '/posts', { text: 'from a revoked device' })).status).toBeGreaterThanOrEqual(400)
}, 180_000)
