/**
 * Handle proofs: a profile may name a domain as its handle (`profile.handle`), and the handle counts
 * as the author's only when `https://<handle>/.well-known/flock.json` is JSON `{"authors": [...]}`
 * listing the author id. Answers are kept in memory for a day per (handle, author), so a profile
 * shown again, or many times on one page, asks the domain once; a changed handle is a new question.
 *
 * ```ts
 * if (await verifyHandle('alice.example.org', author)) showVerified()
 * ```
 */
import { isHandle } from '../core/entry.js'

/** How long a proof's answer (either way) is reused before the domain is asked again. */
export const HANDLE_CACHE_MS = 24 * 60 * 60 * 1000
/** The most of a proof file that is read; a larger one does not prove anything. */
export const MAX_PROOF_BYTES = 64 * 1024
/** How long one check may take, from the request to the last byte of the body. */
export const HANDLE_TIMEOUT_MS = 10_000

export interface VerifyHandleOptions {
  /** The fetch to use (tests inject one); the global fetch by default. */
  fetch?: typeof fetch
  timeoutMs?: number
  /** Where the proof is; `https://<handle>/.well-known/flock.json` by default. */
  url?: string
  /** The clock of the cache. */
  now?: () => number
}

interface Cached {
  at: number
  result: Promise<boolean>
}

const cache = new Map<string, Cached>()

/** The address of a handle's proof file. */
export function proofUrl (handle: string): string {
  return `https://${handle}/.well-known/flock.json`
}

/**
 * Whether `handle`'s proof file lists `author`. Never throws: a malformed handle, a network error,
 * a redirect, a status other than 2xx, a body over 64 KiB, a timeout or JSON of another shape is false.
 */
export async function verifyHandle (handle: string, author: string, options: VerifyHandleOptions = {}): Promise<boolean> {
  if (!isHandle(handle) || author === '') return false
  const url = options.url ?? proofUrl(handle)
  const now = options.now ?? Date.now
  const key = `${handle}\n${author}\n${url}`
  const hit = cache.get(key)
  if (hit !== undefined && now() - hit.at < HANDLE_CACHE_MS) return await hit.result
  const result = check(url, author, options.fetch ?? globalThis.fetch, options.timeoutMs ?? HANDLE_TIMEOUT_MS)
  cache.set(key, { at: now(), result })
  if (cache.size > 1000) {
    // Drop the oldest answers; Map keeps insertion order.
    for (const k of cache.keys()) {
      if (cache.size <= 500) break
      cache.delete(k)
    }
  }
  return await result
}

/** Forget every cached answer (for tests, and for a "check again" button). */
export function clearHandleCache (): void {
  cache.clear()
}

async function check (url: string, author: string, fetchFn: typeof fetch, timeoutMs: number): Promise<boolean> {
  const controller = new AbortController()
  let timer: ReturnType<typeof setTimeout> | undefined
  // The abort stops a real fetch and its body; the race also ends a fetch that ignores the signal.
  const timeout = new Promise<false>(resolve => {
    timer = setTimeout(() => {
      controller.abort()
      resolve(false)
    }, timeoutMs)
  })
  try {
    return await Promise.race([proves(url, author, fetchFn, controller.signal), timeout])
  } catch {
    return false
  } finally {
    clearTimeout(timer)
  }
}

async function proves (url: string, author: string, fetchFn: typeof fetch, signal: AbortSignal): Promise<boolean> {
  const res = await fetchFn(url, {
    signal,
    redirect: 'error',
    credentials: 'omit',
    referrerPolicy: 'no-referrer',
    headers: { accept: 'application/json' }
  })
  if (!res.ok || res.redirected || res.type === 'opaqueredirect') {
    await res.body?.cancel().catch(() => {})
    return false
  }
  const length = Number(res.headers.get('content-length') ?? NaN)
  if (Number.isFinite(length) && length > MAX_PROOF_BYTES) {
    await res.body?.cancel().catch(() => {})
    return false
  }
  const bytes = await readAtMost(res, MAX_PROOF_BYTES)
  if (bytes === undefined) return false
  const doc: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return false
  const authors = (doc as { authors?: unknown }).authors
  return Array.isArray(authors) && authors.some(a => a === author)
}

/** The whole body, or undefined when it is longer than `max` bytes (reading stops there). */
async function readAtMost (res: Response, max: number): Promise<Uint8Array | undefined> {
  if (res.body === null) return new Uint8Array()
  const reader = res.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > max) {
      await reader.cancel().catch(() => {})
      return undefined
    }
    chunks.push(value)
  }
  const out = new Uint8Array(size)
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.byteLength
  }
  return out
}
