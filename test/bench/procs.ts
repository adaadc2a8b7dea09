/**
 * Child processes of the benchmark: the real relay (src/server/relay.ts, as `npm run relay` starts
 * it) and bench workers (test/bench/worker.ts) that run one measurement in a fresh process, so each
 * network size starts from a clean heap and RSS can be measured with --expose-gc.
 *
 * Workers talk over Node's IPC channel: the parent sends {job, params}; the worker sends progress
 * lines, any job-specific messages, and finally {type: 'result'} or {type: 'error'}.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process'
import { get } from 'node:http'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { createInterface } from 'node:readline'
import { join } from 'node:path'
import { repo, tempDir, type RelayReady } from '../server/harness.js'
import { withTimeout } from './util.js'

/** Node flags of every child: tsx for TypeScript, the repo's polyfill, a global WebSocket (Node 20). */
const CHILD_EXEC_ARGV = ['--experimental-websocket', '--import', 'tsx', '--import', './src/server/polyfill.ts']

/**
 * With BENCH_CPU_PROF=DIR in the environment (run.ts --cpu-prof sets it), every child writes a V8
 * CPU profile there when it exits: open it in Chrome DevTools or speedscope.
 */
function profileArgs (name: string): string[] {
  const dir = process.env.BENCH_CPU_PROF
  // One directory per child: tsx's loader thread writes a profile of its own next to the main one.
  return dir === undefined || dir === '' ? [] : ['--cpu-prof', '--cpu-prof-dir', join(dir, `${name}-${Date.now()}`)]
}

export interface RelayProc {
  ready: RelayReady
  /** The relay process's id, to read its memory from /proc. */
  pid: number
  /** The relay's WebSocket multiaddr (Node peers reach it that way). */
  ws: string
  metrics: () => Promise<Record<string, number>>
  stop: () => Promise<void>
}

/**
 * Last-resort cleanup for when the bench itself is interrupted (run.ts calls it on SIGINT/SIGTERM):
 * kill every child still running and remove its temp data, synchronously.
 */
const emergency = new Set<() => void>()

export function killChildren (): void {
  for (const cleanup of emergency) cleanup()
  emergency.clear()
}

/** Wait for `child` to exit; SIGKILL it if it has not after `ms`. */
async function exited (child: ChildProcess, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const done = new Promise<void>(resolve => child.once('exit', () => { resolve() }))
  try {
    await withTimeout(done, ms, `pid ${String(child.pid)} to exit`)
  } catch {
    child.kill('SIGKILL')
    await done
  }
}

/**
 * GET a local URL on a fresh connection. fetch() reuses keep-alive sockets, and a busy server that
 * closes an idle one just as it is reused makes the request fail ("other side closed").
 */
export async function httpGet (url: string, timeoutMs = 10_000): Promise<string> {
  return await withTimeout(new Promise<string>((resolve, reject) => {
    const req = get(url, { agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => { body += d })
      res.on('end', () => {
        if (res.statusCode === 200) resolve(body)
        else reject(new Error(`GET ${url} answered ${String(res.statusCode)}`))
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.setTimeout(timeoutMs, () => { req.destroy(new Error(`GET ${url} timed out`)) })
  }), timeoutMs + 1000, `GET ${url}`)
}

/** Parse Prometheus text (unlabelled samples only). */
export function parseMetrics (text: string): Record<string, number> {
  const out: Record<string, number> = {}
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue
    const [name, value] = line.split(' ')
    if (name !== undefined && value !== undefined && !name.includes('{')) out[name] = Number(value)
  }
  return out
}

/**
 * Start a real relay on 127.0.0.1 (any free ports, a temp data dir) and wait for its ready line.
 * `args` come after the bench's own flags, so they override them.
 */
export async function startRelay (options: { verbose?: boolean, timeoutMs?: number, args?: string[] } = {}): Promise<RelayProc> {
  const data = await tempDir('flock-bench-relay-')
  const child = spawn(process.execPath, [
    ...profileArgs('relay'), ...CHILD_EXEC_ARGV, 'src/server/relay.ts',
    '--data', data.path, '--host', '127.0.0.1', '--ws-port', '0', '--webrtc-direct-port', '0', '--http-port', '0',
    '--ip-colocation-weight', '0',
    // Every bench peer (up to 100) comes from 127.0.0.1: the per-IP caps (8 reservations, 16
    // connections) would turn most away, so they are raised to the relay's totals.
    '--max-reservations-per-ip', '128', '--max-connections-per-ip', '512',
    ...options.args ?? []
  ], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000)
    if (options.verbose === true) process.stderr.write(`[relay] ${d.toString()}`)
  })
  const cleanup = (): void => {
    child.kill('SIGKILL')
    rmSync(data.path, { recursive: true, force: true })
  }
  emergency.add(cleanup)
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await exited(child, 12_000)
    await data.remove()
    emergency.delete(cleanup)
  }
  try {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })
    const ready = await withTimeout(new Promise<RelayReady>((resolve, reject) => {
      child.once('exit', (code) => { reject(new Error(`relay exited with ${String(code)} before ready: ${stderr}`)) })
      lines.on('line', (line) => {
        try {
          const msg = JSON.parse(line) as { event?: string }
          if (msg.event === 'ready') resolve(msg as RelayReady)
        } catch {
          // not the ready line
        }
      })
    }), options.timeoutMs ?? 30_000, 'relay ready line')
    const ws = ready.multiaddrs.find(a => a.includes('/ws/'))
    if (ws === undefined) throw new Error(`relay announces no WebSocket address: ${ready.multiaddrs.join(', ')}`)
    if (child.pid === undefined) throw new Error('relay process has no pid')
    return {
      ready,
      pid: child.pid,
      ws,
      stop,
      metrics: async () => parseMetrics(await httpGet(`${ready.http}/metrics`))
    }
  } catch (err) {
    await stop()
    throw err
  }
}

export type WorkerMessage =
  | { type: 'progress', line: string }
  | { type: 'result', result: unknown }
  | { type: 'error', message: string, stack?: string }
  | { type: string, [key: string]: unknown }

export interface WorkerProc {
  child: ChildProcess
  /** Resolves with the job's result; rejects on error, early exit or timeout. */
  result: Promise<unknown>
  /** Hand every message of `type` to `handler` from now on, instead of queueing it for next(). */
  on: (type: string, handler: (msg: WorkerMessage) => void) => void
  /** Send a job-specific message. */
  send: (msg: { type: string, [key: string]: unknown }) => void
  /** Send a job-specific message and wait for the first reply of `replyType`. */
  request: <T>(msg: { type: string, [key: string]: unknown }, replyType: string, timeoutMs?: number) => Promise<T>
  /** Wait for the next message of one of `types` (already received ones count). */
  next: <T>(types: string | string[], timeoutMs?: number) => Promise<T>
  /** Ask politely (SIGTERM), then force; always safe to call. */
  stop: () => Promise<void>
}

/**
 * Run `job` of test/bench/worker.ts in a fresh Node process (with --expose-gc) and collect its
 * messages. `params` may be a promise; the job starts when it resolves. The caller must call stop()
 * in a finally block.
 */
export function startWorker (job: string, params: unknown | Promise<unknown>, options: { verbose?: boolean, timeoutMs: number, log: (line: string) => void }): WorkerProc {
  // The parent makes (and finally removes) the job's temp dir, so a killed worker leaves nothing behind.
  const dir = mkdtempSync(join(tmpdir(), `flock-bench-${job}-`))
  const child = fork(join(repo, 'test/bench/worker.ts'), [job], {
    cwd: repo,
    env: { ...process.env, BENCH_WORKER_DIR: dir },
    execArgv: ['--expose-gc', ...profileArgs(job), ...CHILD_EXEC_ARGV],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc']
  })
  const removeDir = (): void => { rmSync(dir, { recursive: true, force: true, maxRetries: 3 }) }
  const cleanup = (): void => {
    child.kill('SIGKILL')
    removeDir()
  }
  emergency.add(cleanup)
  child.once('exit', () => {
    emergency.delete(cleanup)
    removeDir()
  })
  let stderr = ''
  const onOutput = (d: Buffer): void => {
    stderr = (stderr + d.toString()).slice(-8000)
    if (options.verbose === true) process.stderr.write(`[${job}] ${d.toString()}`)
  }
  child.stderr?.on('data', onOutput)
  child.stdout?.on('data', onOutput)
  const inbox: WorkerMessage[] = []
  const waiters = new Set<{ types: string[], resolve: (m: WorkerMessage) => void }>()
  const handlers = new Map<string, (msg: WorkerMessage) => void>()
  let failed: Error | undefined
  const failWaiters = new Set<(err: Error) => void>()
  const fail = (err: Error): void => {
    failed ??= err
    for (const f of failWaiters) f(err)
  }
  child.on('message', (raw) => {
    const msg = raw as WorkerMessage
    if (msg.type === 'progress') {
      options.log(`  ${job}: ${String((msg as { line: string }).line)}`)
      return
    }
    const handler = handlers.get(msg.type)
    if (handler !== undefined) {
      handler(msg)
      return
    }
    for (const w of waiters) {
      if (w.types.includes(msg.type)) {
        waiters.delete(w)
        w.resolve(msg)
        return
      }
    }
    inbox.push(msg)
  })
  child.once('exit', (code, signal) => { fail(new Error(`worker ${job} exited (${String(code ?? signal)}) before answering; stderr tail:\n${stderr}`)) })
  child.once('error', (err) => { fail(err) })

  const next = async <T>(type: string | string[], timeoutMs = options.timeoutMs): Promise<T> => {
    const types = typeof type === 'string' ? [type] : type
    const i = inbox.findIndex(m => types.includes(m.type))
    if (i >= 0) return inbox.splice(i, 1)[0] as T
    if (failed !== undefined) throw failed
    let onFail: ((err: Error) => void) | undefined
    let waiter: { types: string[], resolve: (m: WorkerMessage) => void } | undefined
    try {
      return await withTimeout(new Promise<T>((resolve, reject) => {
        waiter = { types, resolve: (m) => { resolve(m as T) } }
        waiters.add(waiter)
        onFail = reject
        failWaiters.add(reject)
      }), timeoutMs, `worker ${job} message ${types.join(' or ')}`)
    } finally {
      if (waiter !== undefined) waiters.delete(waiter)
      if (onFail !== undefined) failWaiters.delete(onFail)
    }
  }

  const result = (async () => {
    const msg = await next<WorkerMessage>(['result', 'error'])
    if (msg.type === 'error') {
      const e = msg as { message: string, stack?: string }
      throw new Error(`worker ${job} failed: ${e.message}${options.verbose === true && e.stack !== undefined ? `\n${e.stack}` : ''}`)
    }
    return (msg as { result: unknown }).result
  })()
  result.catch(() => {})

  // Params may still be coming (a relay starting): the worker loads TypeScript meanwhile.
  Promise.resolve(params).then((p) => { if (child.connected) child.send({ job, params: p }) }, (err: Error) => {
    fail(err)
    child.kill('SIGTERM')
  })
  return {
    child,
    result,
    next,
    on: (type, handler) => { handlers.set(type, handler) },
    send: (msg) => { if (child.connected) child.send(msg) },
    request: async <T>(msg: { type: string, [key: string]: unknown }, replyType: string, timeoutMs?: number): Promise<T> => {
      const reply = next<T>(replyType, timeoutMs)
      child.send(msg)
      return await reply
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      await exited(child, 15_000)
    }
  }
}
