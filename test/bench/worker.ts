/**
 * Entry point of a bench worker process (started by procs.ts startWorker, never by hand). Receives
 * {job, params} over IPC, runs that job, sends {type: 'result'} or {type: 'error'}, and exits: the
 * libp2p nodes a job created are stopped by the job itself, but a stray handle must never keep a
 * benchmark hanging.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { WorkerIO } from './worker-io.js'

type Job = (params: never, io: WorkerIO) => Promise<unknown>

const jobs: Record<string, () => Promise<Job>> = {
  shard: async () => (await import('./network.js')).shardJob as Job,
  catchup: async () => (await import('./catchup.js')).catchupJob as Job,
  'hostile-pull': async () => (await import('./hostile-pull.js')).hostilePullJob as Job,
  'announce-victim': async () => (await import('./announce-flood.js')).announceVictimJob as Job,
  'announce-flooder': async () => (await import('./announce-flood.js')).announceFlooderJob as Job,
  'relay-clients': async () => (await import('./relay-load.js')).relayClientsJob as Job,
  'baseline-server': async () => (await import('./baseline.js')).baselineServerJob as Job
}

function send (msg: unknown): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined || !process.connected) return resolve()
    process.send(msg, undefined, {}, () => { resolve() })
  })
}

const inbox: Array<{ type: string }> = []
const waiters = new Set<{ type: string, resolve: (m: { type: string }) => void }>()

// Made by the parent (procs.ts), which also removes it; made here only when run some other way.
const dir = process.env.BENCH_WORKER_DIR ?? mkdtempSync(join(tmpdir(), 'flock-bench-'))
process.once('exit', () => { rmSync(dir, { recursive: true, force: true }) })

const io: WorkerIO = {
  dir,
  progress: (line) => { void send({ type: 'progress', line }) },
  send: async (msg) => { await send(msg) },
  next: async <T>(type: string): Promise<T> => {
    const i = inbox.findIndex(m => m.type === type)
    if (i >= 0) return inbox.splice(i, 1)[0] as T
    return await new Promise<T>(resolve => { waiters.add({ type, resolve: (m) => { resolve(m as T) } }) })
  }
}

process.once('message', (first: { job: string, params: unknown }) => {
  process.on('message', (msg: { type: string }) => {
    for (const w of waiters) {
      if (w.type === msg.type) {
        waiters.delete(w)
        w.resolve(msg)
        return
      }
    }
    inbox.push(msg)
  })
  void (async () => {
    let code = 0
    try {
      const load = jobs[first.job]
      if (load === undefined) throw new Error(`unknown job ${first.job}`)
      const job = await load()
      const result = await job(first.params as never, io)
      await send({ type: 'result', result })
    } catch (err) {
      code = 1
      const e = err as Error
      await send({ type: 'error', message: e.message ?? String(err), stack: e.stack })
    } finally {
      process.exit(code)
    }
  })()
})

// The parent went away (killed, crashed): do not linger as an orphan holding ports. 'disconnect'
// is the normal signal; the ppid check catches a parent that died while this loop was too busy.
const parent = process.ppid
process.once('disconnect', () => { process.exit(1) })
setInterval(() => { if (process.ppid !== parent) process.exit(1) }, 1000).unref()
process.once('SIGTERM', () => { process.exit(143) })
