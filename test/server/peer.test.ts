/**
 * The headless peer's contract (DESIGN §3): ready line, JSON API with 4xx errors for bad input, the
 * API refusing whoever lacks the token and the web pages it did not allow (DESIGN §6), paging,
 * command-line errors, and its gossip validator punishing a peer that sends forged entries.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { readFile, stat } from 'node:fs/promises'
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
import { api, events, killAll, rawRequest, run, start, tempDir, until, type PeerReady, type Proc, type RelayReady } from './harness.js'

interface Status { author: string, peerId: string, multiaddrs: string[], scores: Record<string, number>, connections: Array<{ peerId: string }> }
interface Page<N> { entries: Array<{ cid: string, seq: number, kind: string, text?: string }>, next?: N }
interface ErrorBody { error: { code: string, message: string } }

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
    expect(peer.ready.token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const status = await api<Status>(peer.ready, 'GET', '/status')
    expect(status.status).toBe(200)
    expect(status.body.author).toBe(peer.ready.author)
    expect(status.body.peerId).toBe(peer.ready.peerId)
  })
})

describe('API', () => {
  test('posts, replies, likes, reposts, profile and follows round-trip', async () => {
    const post = await api<{ cid: string, seq: number }>(peer.ready, 'POST', '/posts', { text: 'first #hello' })
    expect(post.status).toBe(201)
    const reply = await api<{ cid: string, seq: number }>(peer.ready, 'POST', '/posts', { text: 'answer', replyTo: post.body.cid })
    expect(reply.status).toBe(201)
    expect(reply.body.seq).toBe(post.body.seq + 1)
    expect((await api(peer.ready, 'POST', '/likes', { cid: post.body.cid })).status).toBe(201)
    expect((await api(peer.ready, 'POST', '/reposts', { cid: post.body.cid })).status).toBe(201)
    expect((await api(peer.ready, 'PUT', '/profile', { name: 'Robot', bio: 'beep' })).status).toBe(201)
    const other = await generateAuthor()
    expect((await api(peer.ready, 'POST', '/follows', { author: other.id })).status).toBe(201)
    expect((await api(peer.ready, 'POST', '/follows', { author: other.id })).status).toBe(200)
    expect((await api<Status & { following: string[] }>(peer.ready, 'GET', '/status')).body.following).toEqual([other.id])
    expect((await api(peer.ready, 'DELETE', `/follows/${other.id}`)).status).toBe(200)
    const entry = await api<{ kind: string, body: { reply: { parent: string, root: string }, tags: string[] } }>(peer.ready, 'GET', `/entries/${reply.body.cid}`)
    expect(entry.body.body.reply).toEqual({ parent: post.body.cid, root: post.body.cid })
    // A new peer is a device of its author: its log opens with the author key's consent to it.
    const own = await api<{ entries: Array<{ seq: number, kind: string }> }>(peer.ready, 'GET', `/authors/${peer.ready.device}/entries`)
    expect(own.body.entries.map(e => e.kind)).toEqual(['device', 'post', 'post', 'like', 'repost', 'profile', 'follow', 'unfollow'])
    expect((await api<{ entries: unknown[] }>(peer.ready, 'GET', `/authors/${peer.ready.author}/entries`)).body.entries).toEqual([])
    const timeline = await api<{ entries: Array<{ cid: string }> }>(peer.ready, 'GET', '/timeline?limit=2')
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
    ['GET', '/entries/%E0%A4%A', undefined, 400, 'INVALID_PATH'],
    ['GET', '/authors/%ZZ/entries', undefined, 400, 'INVALID_PATH'],
    ['GET', '/timeline?limit=501', undefined, 400, 'INVALID_LIMIT'],
    ['GET', '/timeline?after=yesterday', undefined, 400, 'INVALID_AFTER'],
    ['GET', '/authors/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA/entries?limit=0', undefined, 400, 'INVALID_LIMIT'],
    ['GET', '/authors/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA/entries?after=-1', undefined, 400, 'INVALID_AFTER'],
    ['POST', '/posts', 'x'.repeat(70_000), 413, 'BODY_TOO_LARGE']
  ] as const)('%s %s with bad input answers %i %s', async (method, path, body, status, code) => {
    const res = await api<{ error: { code: string, message: string } }>(peer.ready, method, path, body)
    expect(res.status).toBe(status)
    expect(res.body.error.code).toBe(code)
    expect(res.body.error.message.length).toBeGreaterThan(0)
  })
})

describe('who may use the API', () => {
  const url = (): string => peer.ready.api
  const port = (): string => new URL(peer.ready.api).port
  const bearer = (): string => `Bearer ${peer.ready.token}`

  async function ownEntries (): Promise<number> {
    return (await api<{ totals: { entries: number } }>(peer.ready, 'GET', '/status')).body.totals.entries
  }

  test.each([
    ['no token', {}],
    ['a wrong token', { authorization: 'Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }],
    ['another scheme', { authorization: 'Basic ZmxvY2s6ZmxvY2s=' }]
  ])('a request with %s answers 401 UNAUTHORIZED', async (_what, headers) => {
    const res = await rawRequest<ErrorBody>(url(), 'GET', '/status', headers)
    expect(res.status).toBe(401)
    expect(res.body.error.code).toBe('UNAUTHORIZED')
    expect(res.headers['www-authenticate']).toBe('Bearer')
    expect(JSON.stringify(res.body)).not.toContain(peer.ready.token)
  })

  test('the token also guards the event stream', async () => {
    const res = await fetch(`${url()}/events`)
    expect(res.status).toBe(401)
  })

  test("a web page's simple POST (Origin, text/plain, no preflight) is refused and posts nothing", async () => {
    const before = await ownEntries()
    const res = await rawRequest<ErrorBody>(url(), 'POST', '/posts', { origin: 'https://evil.example', 'content-type': 'text/plain' }, '{"text":"pwned"}')
    expect(res.status).toBe(403)
    expect(res.body.error.code).toBe('FORBIDDEN_ORIGIN')
    expect(await ownEntries()).toBe(before)
  })

  test('an Origin that was not allowed is refused even with the token', async () => {
    const res = await rawRequest<ErrorBody>(url(), 'GET', '/status', { origin: 'https://evil.example', authorization: bearer() })
    expect(res.status).toBe(403)
    expect(res.body.error.code).toBe('FORBIDDEN_ORIGIN')
    expect(res.headers['access-control-allow-origin']).toBeUndefined()
  })

  test.each([
    ['evil.example'],
    ['evil.example:PORT'],
    ['127.0.0.1:1'],
    ['127.0.0.2:PORT']
  ])('Host %s (DNS rebinding) is refused even with the token', async (host) => {
    const res = await rawRequest<ErrorBody>(url(), 'GET', '/status', { host: host.replace('PORT', port()), authorization: bearer() })
    expect(res.status).toBe(403)
    expect(res.body.error.code).toBe('FORBIDDEN_HOST')
  })

  test.each([['127.0.0.1'], ['localhost'], ['LOCALHOST'], ['[::1]']])('Host %s with the API port is accepted', async (name) => {
    const res = await rawRequest(url(), 'GET', '/status', { host: `${name}:${port()}`, authorization: bearer() })
    expect(res.status).toBe(200)
  })

  test.each([
    ['text/plain', 'POST', '/posts'],
    ['application/x-www-form-urlencoded', 'POST', '/follows'],
    ['no Content-Type', 'PUT', '/profile']
  ])('a body sent with %s answers 415 and writes nothing', async (type, method, path) => {
    const before = await ownEntries()
    const res = await rawRequest<ErrorBody>(url(), method, path, { authorization: bearer(), ...(type.includes('/') ? { 'content-type': type } : {}) }, '{"text":"hi","author":"x","name":"n"}')
    expect(res.status).toBe(415)
    expect(res.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE')
    expect(await ownEntries()).toBe(before)
  })

  test('application/json with a charset is a JSON body', async () => {
    const res = await rawRequest(url(), 'POST', '/posts', { authorization: bearer(), 'content-type': 'Application/JSON; charset=utf-8' }, '{"text":"typed"}')
    expect(res.status).toBe(201)
  })

  test.each([['http://127.0.0.1/status'], ['//evil.example/status']])('a request target %s that is not a path answers 400', async (target) => {
    const res = await rawRequest<ErrorBody>(url(), 'GET', target, { authorization: bearer() })
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe('INVALID_PATH')
  })
})

describe('token file, allowed origins and paging', () => {
  const dir = (): string => join(root.path, 'paged')

  test('the token is kept in api.token (0600) and reused after a restart', async () => {
    const first = await start<PeerReady>('peer', ['--data', dir(), '--no-webrtc'])
    const file = join(dir(), 'api.token')
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    expect((await readFile(file, 'utf8')).trim()).toBe(first.ready.token)
    expect(first.stderr()).not.toContain(first.ready.token)
    expect(await first.stop()).toBe(0)
    const again = await start<PeerReady>('peer', ['--data', dir(), '--no-webrtc'])
    expect(again.ready.token).toBe(first.ready.token)
    expect((await api(again.ready, 'GET', '/status')).status).toBe(200)
    expect(await again.stop()).toBe(0)
  })

  test('an origin allowed with --api-origin may call the API with the token; others still may not', async () => {
    const p = await start<PeerReady>('peer', ['--data', dir(), '--no-webrtc', '--api-origin', 'http://localhost:5173', '--api-origin', 'https://App.Example/'])
    const origin = 'http://localhost:5173'
    const preflight = await rawRequest(p.ready.api, 'OPTIONS', '/posts', { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' })
    expect(preflight.status).toBe(204)
    expect(preflight.headers['access-control-allow-origin']).toBe(origin)
    expect(preflight.headers['access-control-allow-headers']).toContain('authorization')
    const posted = await rawRequest<{ cid: string }>(p.ready.api, 'POST', '/posts', { origin, authorization: `Bearer ${p.ready.token}`, 'content-type': 'application/json' }, '{"text":"from my dashboard"}')
    expect(posted.status).toBe(201)
    expect(posted.headers['access-control-allow-origin']).toBe(origin)
    expect((await rawRequest(p.ready.api, 'GET', '/status', { origin: 'https://app.example', authorization: `Bearer ${p.ready.token}` })).status).toBe(200)
    expect((await rawRequest(p.ready.api, 'GET', '/status', { origin })).status).toBe(401)
    expect((await rawRequest(p.ready.api, 'GET', '/status', { origin: 'http://localhost:5174', authorization: `Bearer ${p.ready.token}` })).status).toBe(403)
    expect((await rawRequest(p.ready.api, 'OPTIONS', '/posts', { origin: 'https://evil.example' })).status).toBe(403)
    expect(await p.stop()).toBe(0)
  })

  test('/authors/<a>/entries pages by seq with limit, after and next', async () => {
    const p = await start<PeerReady>('peer', ['--data', dir(), '--no-webrtc'])
    // The previous test left one post in this log, after the device entry that opens it.
    for (let i = 1; i <= 4; i++) expect((await api(p.ready, 'POST', '/posts', { text: `post ${i}` })).status).toBe(201)
    const path = `/authors/${p.ready.device}/entries?limit=2`
    const first = await api<Page<number>>(p.ready, 'GET', path)
    expect(first.body.entries.map(e => e.seq)).toEqual([1, 2])
    expect(first.body.next).toBe(2)
    const second = await api<Page<number>>(p.ready, 'GET', `${path}&after=${first.body.next}`)
    expect(second.body.entries.map(e => e.seq)).toEqual([3, 4])
    expect(second.body.next).toBe(4)
    const last = await api<Page<number>>(p.ready, 'GET', `${path}&after=${second.body.next}`)
    expect(last.body.entries.map(e => e.text)).toEqual(['post 3', 'post 4'])
    expect(last.body.next).toBeUndefined()
    expect((await api<Page<number>>(p.ready, 'GET', `${path}&after=7`)).body).toEqual({ entries: [] })
    expect((await api<Page<number>>(p.ready, 'GET', `/authors/${p.ready.device}/entries`)).body.entries).toHaveLength(6)
    expect(await p.stop()).toBe(0)
  })

  test('/timeline pages newest first, each page continuing after the previous page\'s next', async () => {
    const whole = (await api<Page<string>>(peer.ready, 'GET', '/timeline?limit=500')).body
    expect(whole.next).toBeUndefined()
    expect(whole.entries.length).toBeGreaterThan(4)
    const seen: string[] = []
    let after: string | undefined
    do {
      const page = (await api<Page<string>>(peer.ready, 'GET', `/timeline?limit=2${after !== undefined ? `&after=${after}` : ''}`)).body
      expect(page.entries.length).toBeLessThanOrEqual(2)
      seen.push(...page.entries.map(e => e.cid))
      after = page.next
    } while (after !== undefined)
    expect(seen).toEqual(whole.entries.map(e => e.cid))
  })
})

describe('command line', () => {
  test.each([
    [['--api-port', 'x']],
    [['--bogus']],
    [['--relay']],
    [['--ip-colocation-weight', '3']],
    [['--api-origin', 'evil.example']],
    [['--api-origin', 'https://app.example/path']],
    [['--api-origin', '*']],
    [['--sync-serve-bytes-per-s', '100']],
    [['--sync-serve-bytes-per-s', '2.5']]
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
    expect((await api(follower.ready, 'POST', '/follows', { author: victim.ready.author })).status).toBe(201)
    await until('follower and victim to connect directly', async () =>
      (await api<Status>(follower.ready, 'GET', '/status')).body.connections.some(c => c.peerId === victim.ready.peerId) ? true : undefined)

    const status = (await api<Status>(follower.ready, 'GET', '/status')).body
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
      const s = (await api<Status>(follower.ready, 'GET', '/status')).body.scores[attackerId]
      return s !== undefined && s < 0 ? s : undefined
    })
    expect(score).toBeLessThan(0)
    expect((await api<{ entries: unknown[] }>(follower.ready, 'GET', `/authors/${victim.ready.author}/entries`)).body.entries).toEqual([])

    const ev = await events(follower.ready)
    const real = await api<{ cid: string }>(victim.ready, 'POST', '/posts', { text: 'the real me' })
    await ev.next(e => e.event === 'entry' && e.data.cid === real.body.cid)
    ev.close()
    // Nothing forged was kept: the victim's log holds its device entry and the real post only.
    const held = await api<{ entries: Array<{ cid: string, kind: string, text: string }> }>(follower.ready, 'GET', `/authors/${victim.ready.device}/entries`)
    expect(held.body.entries.map(e => e.kind)).toEqual(['device', 'post'])
    expect(held.body.entries.filter(e => e.kind === 'post').map(e => [e.cid, e.text])).toEqual([[real.body.cid, 'the real me']])
  })
})
