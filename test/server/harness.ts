/**
 * Test harness for the Node entry points: start `relay` or `peer` as real child processes, wait for
 * their JSON ready line (an event, never a sleep), talk to their HTTP endpoints, and stop them.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { request as httpRequest, type OutgoingHttpHeaders } from 'node:http'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'

export const repo = resolve(import.meta.dirname, '..', '..')

export interface Proc<R> {
  child: ChildProcess
  ready: R
  stderr: () => string
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop: (signal?: NodeJS.Signals) => Promise<number | null>
  exited: Promise<number | null>
}

export interface RelayReady { event: 'ready', peerId: string, multiaddrs: string[], http: string }
export interface PeerReady { event: 'ready', author: string, device: string, peerId: string, api: string, token: string }
/** Where a peer's API is and the token it wants: a ready line has both. */
export type PeerApi = Pick<PeerReady, 'api' | 'token'>

const live = new Set<ChildProcess>()

export function spawnEntry (entry: 'relay' | 'peer', args: string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, ['--experimental-websocket', '--import', 'tsx', '--import', './src/server/polyfill.ts', `src/server/${entry}.ts`, ...args], {
    cwd: repo,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  live.add(child)
  child.once('exit', () => live.delete(child))
  return child
}

/** Start an entry point and resolve once it printed its ready line (reject if it exits first). */
export async function start<R> (entry: 'relay' | 'peer', args: string[], options: { env?: Record<string, string>, timeoutMs?: number } = {}): Promise<Proc<R>> {
  const child = spawnEntry(entry, args, options.env)
  let err = ''
  child.stderr?.on('data', (d: Buffer) => { err += d.toString() })
  const exited = new Promise<number | null>(resolve => child.once('exit', (code) => resolve(code)))
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })
  const ready = await new Promise<R>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${entry} not ready within ${options.timeoutMs ?? 30_000} ms; stderr: ${err}`)), options.timeoutMs ?? 30_000)
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`${entry} exited with ${String(code)} before ready; stderr: ${err}`)) })
    lines.on('line', (line) => {
      const msg = JSON.parse(line) as { event?: string }
      if (msg.event === 'ready') {
        clearTimeout(timer)
        resolve(msg as R)
      }
    })
  })
  return {
    child,
    ready,
    stderr: () => err,
    exited,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      return await exited
    }
  }
}

/** Run an entry point to completion (for bad-flag checks); resolves with exit code and output. */
export async function run (entry: 'relay' | 'peer', args: string[], env: Record<string, string> = {}): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const child = spawnEntry(entry, args, env)
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (d: Buffer) => { stdout += d.toString() })
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString() })
  const code = await new Promise<number | null>(resolve => child.once('exit', resolve))
  return { code, stdout, stderr }
}

export function killAll (): void {
  for (const child of live) child.kill('SIGKILL')
}

export async function tempDir (prefix = 'flock-test-'): Promise<{ path: string, remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix))
  return { path, remove: async () => { await rm(path, { recursive: true, force: true, maxRetries: 3 }) } }
}

export async function api<T = unknown> (peer: PeerApi, method: string, path: string, body?: unknown): Promise<{ status: number, body: T }> {
  const res = await fetch(peer.api + path, {
    method,
    headers: { authorization: `Bearer ${peer.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {})
  })
  const text = await res.text()
  return { status: res.status, body: (text === '' ? undefined : JSON.parse(text)) as T }
}

/**
 * One request with exactly the given headers and path, for what fetch would not send: another Host,
 * a malformed path, no token. Resolves with the status, headers and JSON body.
 */
export async function rawRequest<T = unknown> (url: string, method: string, path: string, headers: OutgoingHttpHeaders, body?: string): Promise<{ status: number, headers: Record<string, string | string[] | undefined>, body: T }> {
  return await new Promise((resolve, reject) => {
    const { hostname, port } = new URL(url)
    const req = httpRequest({ hostname, port, path, method, headers }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { text += chunk })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, body: (text === '' ? undefined : JSON.parse(text)) as T }) })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}

/**
 * Poll `check` until it returns a value other than undefined. Polling an HTTP API is the only way to
 * observe another process's state; the loop is bounded and fails loudly.
 */
export async function until<T> (what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    try {
      const value = await check()
      if (value !== undefined) return value
    } catch (err) {
      last = err
    }
    await new Promise(resolve => setTimeout(resolve, everyMs))
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last !== undefined ? `: ${String(last)}` : ''}`)
}

export interface PeerEvent { event: string, data: Record<string, unknown> }

/**
 * Subscribe to a peer's /events stream. `next(pred)` resolves with the first event (already received
 * or still to come) that matches, or rejects after the timeout.
 */
export async function events (peer: PeerApi): Promise<{ next: (pred: (e: PeerEvent) => boolean, timeoutMs?: number) => Promise<PeerEvent>, all: PeerEvent[], close: () => void }> {
  const controller = new AbortController()
  const res = await fetch(`${peer.api}/events`, { signal: controller.signal, headers: { authorization: `Bearer ${peer.token}` } })
  if (!res.ok) throw new Error(`/events answered ${res.status}`)
  if (res.body === null) throw new Error('no event stream')
  const all: PeerEvent[] = []
  const waiters = new Set<{ pred: (e: PeerEvent) => boolean, resolve: (e: PeerEvent) => void }>()
  void (async () => {
    const decoder = new TextDecoder()
    let buffer = ''
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true })
      let end
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const event = /^event: (.*)$/m.exec(block)?.[1]
        const data = /^data: (.*)$/m.exec(block)?.[1]
        if (event === undefined || data === undefined) continue
        const e: PeerEvent = { event, data: JSON.parse(data) as Record<string, unknown> }
        all.push(e)
        for (const w of waiters) {
          if (w.pred(e)) {
            waiters.delete(w)
            w.resolve(e)
          }
        }
      }
    }
  })().catch(() => {})
  return {
    all,
    close: () => { controller.abort() },
    next: async (pred, timeoutMs = 30_000) => {
      const seen = all.find(pred)
      if (seen !== undefined) return seen
      return await new Promise<PeerEvent>((resolve, reject) => {
        const w = { pred, resolve: (e: PeerEvent) => { clearTimeout(timer); resolve(e) } }
        const timer = setTimeout(() => { waiters.delete(w); reject(new Error(`no matching event within ${timeoutMs} ms`)) }, timeoutMs)
        waiters.add(w)
      })
    }
  }
}

/** Value of a Prometheus sample line `name value` (no labels) in `text`. */
export function metric (text: string, name: string): number | undefined {
  const line = text.split('\n').find(l => l.startsWith(`${name} `))
  return line === undefined ? undefined : Number(line.slice(name.length + 1))
}
