// Handle proofs with an injected fetch (nothing here asks a real domain), and the handle as a
// profile entry carries it through the client.
import { join } from 'node:path'
import { LevelDatastore } from 'datastore-level'
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { clearHandleCache, HANDLE_CACHE_MS, MAX_PROOF_BYTES, proofUrl, verifyHandle } from '../../src/lib/app/handles.js'
import { LocalClient } from '../../src/lib/app/local-client.js'
import { generateAuthor } from '../../src/lib/core/index.js'
import { createNodeFlockNode } from '../../src/lib/p2p/runtime-node.js'
import { tempDir } from '../server/harness.js'

const AUTHOR = '12D3KooWKnDdG3iXw9eTFijk3EWSunZcFi54Zka4wmtqtt6rPxc7'
const OTHER = '12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK'
const HANDLE = 'alice.example.org'

type FetchArgs = Parameters<typeof fetch>

/** A fetch that answers every request with `respond()` and records what it was asked. */
function fakeFetch (respond: (url: string, init: RequestInit | undefined) => Response | Promise<Response>): typeof fetch & { calls: Array<{ url: string, init: RequestInit | undefined }> } {
  const calls: Array<{ url: string, init: RequestInit | undefined }> = []
  const fn = async (...[input, init]: FetchArgs): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    calls.push({ url, init })
    return await respond(url, init)
  }
  return Object.assign(fn, { calls }) as typeof fetch & { calls: typeof calls }
}

function json (value: unknown, init: ResponseInit = {}): Response {
  return new Response(JSON.stringify(value), { status: 200, headers: { 'content-type': 'application/json' }, ...init })
}

/** A body sent in chunks with no content-length, as a server that streams it would. */
function streamed (chunks: Uint8Array[], { end = true } = {}): Response {
  let i = 0
  const body = new ReadableStream<Uint8Array>({
    pull (controller) {
      const chunk = chunks[i++]
      if (chunk !== undefined) controller.enqueue(chunk)
      else if (end) controller.close()
      // else: never ends
    }
  })
  return new Response(body, { status: 200 })
}

beforeEach(() => {
  clearHandleCache()
})

describe('verifyHandle', () => {
  it('is true when the proof lists the author, asked without following redirects', async () => {
    const f = fakeFetch(() => json({ authors: [OTHER, AUTHOR] }))
    expect(await verifyHandle(HANDLE, AUTHOR, { fetch: f })).toBe(true)
    expect(f.calls).toHaveLength(1)
    expect(f.calls[0]?.url).toBe('https://alice.example.org/.well-known/flock.json')
    expect(f.calls[0]?.init?.redirect).toBe('error')
    expect(f.calls[0]?.init?.credentials).toBe('omit')
    expect(f.calls[0]?.init?.signal).toBeInstanceOf(AbortSignal)
    expect(proofUrl(HANDLE)).toBe('https://alice.example.org/.well-known/flock.json')
  })

  it('fetches the url it is given instead', async () => {
    const f = fakeFetch(() => json({ authors: [AUTHOR] }))
    expect(await verifyHandle(HANDLE, AUTHOR, { fetch: f, url: 'http://127.0.0.1:9/proof.json' })).toBe(true)
    expect(f.calls[0]?.url).toBe('http://127.0.0.1:9/proof.json')
  })

  it('is false when the proof does not list the author', async () => {
    expect(await verifyHandle(HANDLE, AUTHOR, { fetch: fakeFetch(() => json({ authors: [OTHER] })) })).toBe(false)
    expect(await verifyHandle('bob.example.org', AUTHOR, { fetch: fakeFetch(() => json({ authors: [] })) })).toBe(false)
    // The id as part of a longer string is not the id.
    expect(await verifyHandle('carol.example.org', AUTHOR, { fetch: fakeFetch(() => json({ authors: [`${AUTHOR} `, [AUTHOR]] })) })).toBe(false)
  })

  it('is false for JSON of another shape, or no JSON at all', async () => {
    const bodies: Array<string | Uint8Array<ArrayBuffer>> = [
      'not json',
      '',
      JSON.stringify([AUTHOR]),
      JSON.stringify({ authors: AUTHOR }),
      JSON.stringify({ author: [AUTHOR] }),
      JSON.stringify({ authors: { 0: AUTHOR } }),
      'null',
      JSON.stringify(AUTHOR),
      // Not UTF-8.
      new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])
    ]
    for (const [i, body] of bodies.entries()) {
      const f = fakeFetch(() => new Response(body, { status: 200 }))
      expect(await verifyHandle(`h${i}.example.org`, AUTHOR, { fetch: f }), `body ${i}`).toBe(false)
      expect(f.calls).toHaveLength(1)
    }
  })

  it('is false for an error status', async () => {
    for (const status of [301, 404, 500]) {
      const f = fakeFetch(() => json({ authors: [AUTHOR] }, { status }))
      expect(await verifyHandle(`s${status}.example.org`, AUTHOR, { fetch: f })).toBe(false)
    }
  })

  it('is false when the body is over 64 KiB, by its length header or as it streams', async () => {
    const big = JSON.stringify({ authors: [AUTHOR], pad: 'x'.repeat(MAX_PROOF_BYTES) })
    expect(await verifyHandle('big.example.org', AUTHOR, { fetch: fakeFetch(() => json(JSON.parse(big))) })).toBe(false)

    const announced = fakeFetch(() => new Response(JSON.stringify({ authors: [AUTHOR] }), { headers: { 'content-length': String(MAX_PROOF_BYTES + 1) } }))
    expect(await verifyHandle('announced.example.org', AUTHOR, { fetch: announced })).toBe(false)

    const bytes = new TextEncoder().encode(big)
    const chunks = Array.from({ length: Math.ceil(bytes.length / 4096) }, (_, i) => bytes.subarray(i * 4096, (i + 1) * 4096))
    expect(await verifyHandle('streamed.example.org', AUTHOR, { fetch: fakeFetch(() => streamed(chunks)) })).toBe(false)

    // A proof just under the limit is read whole.
    const doc = JSON.stringify({ authors: [AUTHOR], pad: '' })
    const fits = JSON.stringify({ authors: [AUTHOR], pad: 'x'.repeat(MAX_PROOF_BYTES - doc.length) })
    expect(new TextEncoder().encode(fits).length).toBe(MAX_PROOF_BYTES)
    const fitBytes = new TextEncoder().encode(fits)
    expect(await verifyHandle('fits.example.org', AUTHOR, { fetch: fakeFetch(() => streamed([fitBytes.subarray(0, 1000), fitBytes.subarray(1000)])) })).toBe(true)
  })

  it('is false after the timeout, whether the answer or its body never comes', async () => {
    let signal: AbortSignal | undefined
    const hangs = fakeFetch(async (_url, init) => {
      signal = init?.signal ?? undefined
      return await new Promise<Response>(() => {})
    })
    const started = Date.now()
    expect(await verifyHandle('slow.example.org', AUTHOR, { fetch: hangs, timeoutMs: 50 })).toBe(false)
    expect(Date.now() - started).toBeLessThan(5_000)
    // A real fetch is aborted, not left running.
    expect(signal?.aborted).toBe(true)

    const start = new TextEncoder().encode('{"authors": ["')
    const stalls = fakeFetch(() => streamed([start], { end: false }))
    expect(await verifyHandle('stall.example.org', AUTHOR, { fetch: stalls, timeoutMs: 50 })).toBe(false)
  })

  it('waits 10 s by default', async () => {
    vi.useFakeTimers()
    try {
      const hangs = fakeFetch(async () => await new Promise<Response>(() => {}))
      let result: boolean | undefined
      void verifyHandle('default.example.org', AUTHOR, { fetch: hangs }).then(r => { result = r })
      await vi.advanceTimersByTimeAsync(9_999)
      expect(result).toBeUndefined()
      await vi.advanceTimersByTimeAsync(1)
      expect(result).toBe(false)
    } finally {
      vi.useRealTimers()
    }
  })

  it('is false when the fetch refuses a redirect, or fails at all', async () => {
    // What fetch does with redirect: 'error' when the server answers with a redirect.
    const redirect = fakeFetch(async (_url, init) => {
      if (init?.redirect === 'error') throw new TypeError('fetch failed', { cause: new Error('unexpected redirect') })
      return json({ authors: [AUTHOR] })
    })
    expect(await verifyHandle('moved.example.org', AUTHOR, { fetch: redirect })).toBe(false)
    // A response that still says it was redirected does not count either.
    const followed = fakeFetch(() => Object.defineProperty(json({ authors: [AUTHOR] }), 'redirected', { value: true }))
    expect(await verifyHandle('followed.example.org', AUTHOR, { fetch: followed })).toBe(false)
    const offline = fakeFetch(() => { throw new TypeError('network down') })
    expect(await verifyHandle('offline.example.org', AUTHOR, { fetch: offline })).toBe(false)
    const throwsAtOnce = (() => { throw new Error('sync') }) as unknown as typeof fetch
    expect(await verifyHandle('sync.example.org', AUTHOR, { fetch: throwsAtOnce })).toBe(false)
  })

  it('does not ask at all for a malformed handle or an empty author', async () => {
    const f = fakeFetch(() => json({ authors: [AUTHOR] }))
    for (const handle of ['', 'localhost', 'Alice.Example.org', '127.0.0.1', 'a..b', '-a.example.org', 'a.example.org/x', 'user@example.org']) {
      expect(await verifyHandle(handle, AUTHOR, { fetch: f }), handle).toBe(false)
    }
    expect(await verifyHandle(HANDLE, '', { fetch: f })).toBe(false)
    expect(f.calls).toHaveLength(0)
  })

  it('keeps each answer for 24 h per handle and author', async () => {
    let now = 1_000_000
    let listed = [AUTHOR]
    const f = fakeFetch(() => json({ authors: listed }))
    const options = { fetch: f, now: () => now }
    expect(await verifyHandle(HANDLE, AUTHOR, options)).toBe(true)
    listed = []
    expect(await verifyHandle(HANDLE, AUTHOR, options)).toBe(true)
    expect(f.calls).toHaveLength(1)
    // Another author, or another handle, is another question.
    expect(await verifyHandle(HANDLE, OTHER, options)).toBe(false)
    expect(await verifyHandle('alice.example.net', AUTHOR, options)).toBe(false)
    expect(f.calls).toHaveLength(3)
    now += HANDLE_CACHE_MS - 1
    expect(await verifyHandle(HANDLE, AUTHOR, options)).toBe(true)
    expect(f.calls).toHaveLength(3)
    now += 1
    expect(await verifyHandle(HANDLE, AUTHOR, options)).toBe(false)
    expect(f.calls).toHaveLength(4)
  })

  it('shares one request between checks that run at once', async () => {
    const f = fakeFetch(async () => { await new Promise(resolve => setTimeout(resolve, 10)); return json({ authors: [AUTHOR] }) })
    const results = await Promise.all([verifyHandle(HANDLE, AUTHOR, { fetch: f }), verifyHandle(HANDLE, AUTHOR, { fetch: f })])
    expect(results).toEqual([true, true])
    expect(f.calls).toHaveLength(1)
  })
})

describe('a profile\'s handle', () => {
  const cleanup: Array<() => Promise<void>> = []
  afterAll(async () => {
    for (const fn of cleanup.reverse()) await fn()
  })

  it('is saved in the profile entry, carried over when not mentioned, and removed with an empty one', async () => {
    const dir = await tempDir()
    const node = await createNodeFlockNode({ author: await generateAuthor(), dataDir: dir.path })
    const views = new LevelDatastore(join(dir.path, 'views'))
    await views.open()
    cleanup.push(dir.remove, async () => { await node.stop() }, async () => { await views.close() })
    const me = await LocalClient.open(node, views, [])

    expect((await me.profile(me.author)).handle).toBeUndefined()
    await me.setProfile({ name: 'Ann', bio: '', handle: HANDLE })
    expect(await me.profile(me.author)).toMatchObject({ name: 'Ann', handle: HANDLE })
    await me.setProfile({ name: 'Ann B', bio: 'new' })
    expect(await me.profile(me.author)).toMatchObject({ name: 'Ann B', handle: HANDLE })
    await expect(me.setProfile({ name: 'Ann B', bio: 'new', handle: 'Not A Domain' })).rejects.toThrow(/handle/)
    expect((await me.profile(me.author)).handle).toBe(HANDLE)
    await me.setProfile({ name: 'Ann B', bio: 'new', handle: '' })
    expect((await me.profile(me.author)).handle).toBeUndefined()
  })
})
