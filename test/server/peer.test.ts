/**
 * The headless peer's contract (DESIGN §3): ready line, JSON API with 4xx errors for bad input,
 * command-line errors, and its gossip validator punishing a peer that sends forged entries.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { join } from 'node:path'
import * as dagCbor from '@ipld/dag-cbor'
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { identify } from '@libp2p/identify'
import { gossipsub, StrictNoSign, type GossipSub } from '@libp2p/gossipsub'
import { multiaddr } from '@multiformats/multiaddr'
import { authorTopic, generateAuthor, signingInput, type UnsignedEntry } from '../../src/lib/core/index.js'
import { flockMsgId } from '../../src/lib/p2p/gossip.js'
import { api, events, killAll, run, start, tempDir, until, type PeerReady, type Proc, type RelayReady } from './harness.js'

interface Status { author: string, peerId: string, multiaddrs: string[], scores: Record<string, number>, connections: Array<{ peerId: string }> }

let root: Awaited<ReturnType<typeof tempDir>>
let peer: Proc<PeerReady>

beforeAll(async () => {
  root = await tempDir()
  peer = await start<PeerReady>('peer', ['--data', join(root.path, 'p'), '--no-webrtc', '--ip-colocation-weight', '0'])
})

afterAll(async () => {
  killAll()
  await root.remove()
})

describe('ready line and status', () => {
  test('the ready line names the author, the node and the API on 127.0.0.1', async () => {
    expect(peer.ready.author).toMatch(/^12D3KooW/)
    expect(peer.ready.peerId).toMatch(/^12D3KooW/)
    expect(peer.ready.api).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const status = await api<Status>(peer.ready.api, 'GET', '/status')
    expect(status.status).toBe(200)
    expect(status.body.author).toBe(peer.ready.author)
    expect(status.body.peerId).toBe(peer.ready.peerId)
  })
})

describe('API', () => {
  test('posts, replies, likes, reposts, profile and follows round-trip', async () => {
    const post = await api<{ cid: string, seq: number }>(peer.ready.api, 'POST', '/posts', { text: 'first #hello' })
    expect(post.status).toBe(201)
    const reply = await api<{ cid: string, seq: number }>(peer.ready.api, 'POST', '/posts', { text: 'answer', replyTo: post.body.cid })
    expect(reply.status).toBe(201)
    expect(reply.body.seq).toBe(post.body.seq + 1)
    expect((await api(peer.ready.api, 'POST', '/likes', { cid: post.body.cid })).status).toBe(201)
    expect((await api(peer.ready.api, 'POST', '/reposts', { cid: post.body.cid })).status).toBe(201)
    expect((await api(peer.ready.api, 'PUT', '/profile', { name: 'Robot', bio: 'beep' })).status).toBe(201)
    const other = await generateAuthor()
    expect((await api(peer.ready.api, 'POST', '/follows', { author: other.id })).status).toBe(201)
    expect((await api(peer.ready.api, 'POST', '/follows', { author: other.id })).status).toBe(200)
    expect((await api<Status & { following: string[] }>(peer.ready.api, 'GET', '/status')).body.following).toEqual([other.id])
    expect((await api(peer.ready.api, 'DELETE', `/follows/${other.id}`)).status).toBe(200)
    const entry = await api<{ kind: string, body: { reply: { parent: string, root: string }, tags: string[] } }>(peer.ready.api, 'GET', `/entries/${reply.body.cid}`)
    expect(entry.body.body.reply).toEqual({ parent: post.body.cid, root: post.body.cid })
    const own = await api<{ entries: Array<{ seq: number, kind: string }> }>(peer.ready.api, 'GET', `/authors/${peer.ready.author}/entries`)
    expect(own.body.entries.map(e => e.kind)).toEqual(['post', 'post', 'like', 'repost', 'profile', 'follow', 'unfollow'])
    const timeline = await api<{ entries: Array<{ cid: string }> }>(peer.ready.api, 'GET', '/timeline?limit=2')
    expect(timeline.body.entries).toHaveLength(2)
  })

  test.each([
    ['POST', '/posts', '{"text":', 400, 'INVALID_JSON'],
    ['POST', '/posts', '[1]', 400, 'INVALID_BODY'],
    ['POST', '/posts', { text: 5 }, 400, 'INVALID_FIELD'],
    ['POST', '/posts', { text: 'x'.repeat(501) }, 422, 'TEXT_TOO_LONG'],
    ['POST', '/posts', { text: '' }, 422, 'ENTRY_SCHEMA'],
    ['POST', '/posts', { text: 'hi', replyTo: 'not-a-cid' }, 400, 'INVALID_CID'],
    ['POST', '/posts', { text: 'hi', replyTo: 'bafyreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku' }, 404, 'UNKNOWN_ENTRY'],
    ['POST', '/likes', {}, 400, 'INVALID_FIELD'],
    ['POST', '/follows', { author: 'bob' }, 400, 'INVALID_AUTHOR'],
    ['DELETE', '/follows/nobody', undefined, 400, 'INVALID_AUTHOR'],
    ['GET', '/timeline?limit=0', undefined, 400, 'INVALID_LIMIT'],
    ['GET', '/entries/xyz', undefined, 400, 'INVALID_CID'],
    ['GET', '/authors/xyz/entries', undefined, 400, 'INVALID_AUTHOR'],
    ['GET', '/nowhere', undefined, 404, 'NOT_FOUND'],
    ['POST', '/posts', 'x'.repeat(70_000), 413, 'BODY_TOO_LARGE']
  ] as const)('%s %s with bad input answers %i %s', async (method, path, body, status, code) => {
    const res = await api<{ error: { code: string, message: string } }>(peer.ready.api, method, path, body)
    expect(res.status).toBe(status)
    expect(res.body.error.code).toBe(code)
    expect(res.body.error.message.length).toBeGreaterThan(0)
  })
})

describe('command line', () => {
  test.each([
    [['--api-port', 'x']],
    [['--bogus']],
    [['--relay']],
    [['--ip-colocation-weight', '3']]
  ])('%j exits 2 with one line on stderr', async (args) => {
    const res = await run('peer', [...args, '--data', join(root.path, 'never')])
    expect(res.code).toBe(2)
    expect(res.stderr.trim().split('\n')).toHaveLength(1)
    expect(res.stdout).toBe('')
  })

  test('--help prints usage and exits 0', async () => {
    const res = await run('peer', ['--help'])
    expect(res.code).toBe(0)
    expect(res.stdout).toContain('--api-port')
    expect(res.stdout).toContain('FLOCK_DATA')
  })

  test('SIGTERM stops the peer with exit 0', async () => {
    const p = await start<PeerReady>('peer', ['--data', join(root.path, 'term'), '--no-webrtc'])
    expect(await p.stop('SIGTERM')).toBe(0)
  })
})

describe('gossip validation', () => {
  let attacker: Libp2p<{ pubsub: GossipSub }> | undefined
  afterAll(async () => { await attacker?.stop() })

  test('forged and malformed entries are rejected and cost the sender score; valid entries still flow', async () => {
    const relay = await start<RelayReady>('relay', ['--data', join(root.path, 'relay'), '--ws-port', '0', '--webrtc-direct-port', '0', '--http-port', '0', '--ip-colocation-weight', '0'])
    const relayAddr = relay.ready.multiaddrs.find(a => a.includes('/ws/')) as string
    const peerArgs = (name: string): string[] => ['--data', join(root.path, name), '--relay', relayAddr, '--no-webrtc', '--ip-colocation-weight', '0']
    const [victim, follower] = await Promise.all([start<PeerReady>('peer', peerArgs('victim')), start<PeerReady>('peer', peerArgs('follower'))])
    expect((await api(follower.ready.api, 'POST', '/follows', { author: victim.ready.author })).status).toBe(201)
    await until('follower and victim to connect directly', async () =>
      (await api<Status>(follower.ready.api, 'GET', '/status')).body.connections.some(c => c.peerId === victim.ready.peerId) ? true : undefined)

    const status = (await api<Status>(follower.ready.api, 'GET', '/status')).body
    const target = status.multiaddrs.find(a => a.includes('/tcp/') && !a.includes('/ws'))
    if (target === undefined) throw new Error('follower announces no TCP address')
    attacker = await createLibp2p({
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: {
        identify: identify(),
        pubsub: gossipsub({ globalSignaturePolicy: StrictNoSign, msgIdFn: flockMsgId, allowPublishToZeroTopicPeers: true, floodPublish: true })
      }
    })
    const pubsub = attacker.services.pubsub
    const topic = authorTopic(victim.ready.author)
    pubsub.subscribe(topic)
    await attacker.dial(multiaddr(target.includes('/p2p/') ? target : `${target}/p2p/${follower.ready.peerId}`))
    await until('the attacker to see the follower on the victim topic', async () =>
      pubsub.getSubscribers(topic).some(p => p.toString() === follower.ready.peerId) ? true : undefined)

    const forger = await generateAuthor()
    const now = Date.now()
    for (let i = 0; i < 5; i++) {
      // The victim's "first entry", signed by someone else's key.
      const unsigned: UnsignedEntry = { v: 1, author: victim.ready.author, seq: 1, prev: null, ts: now + i, kind: 'post', body: { text: 'I am the victim' } }
      await pubsub.publish(topic, dagCbor.encode({ ...unsigned, sig: await forger.privateKey.sign(signingInput(unsigned)) }))
      await pubsub.publish(topic, new TextEncoder().encode(`garbage ${i}`))
    }
    const attackerId = attacker.peerId.toString()
    const score = await until('the attacker to have a negative score', async () => {
      const s = (await api<Status>(follower.ready.api, 'GET', '/status')).body.scores[attackerId]
      return s !== undefined && s < 0 ? s : undefined
    })
    expect(score).toBeLessThan(0)
    expect((await api<{ entries: unknown[] }>(follower.ready.api, 'GET', `/authors/${victim.ready.author}/entries`)).body.entries).toEqual([])

    const ev = await events(follower.ready.api)
    const real = await api<{ cid: string }>(victim.ready.api, 'POST', '/posts', { text: 'the real me' })
    await ev.next(e => e.event === 'entry' && e.data.cid === real.body.cid)
    ev.close()
    const held = await api<{ entries: Array<{ cid: string, text: string }> }>(follower.ready.api, 'GET', `/authors/${victim.ready.author}/entries`)
    expect(held.body.entries.map(e => [e.cid, e.text])).toEqual([[real.body.cid, 'the real me']])
  })
})
