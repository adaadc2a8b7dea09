/**
 * A fresh peer follows an author and catches up that author's log from one peer over a direct TCP
 * connection (the sync protocol, which verifies every signature and the prev chain). Timed from the
 * follow call, just before the dial, to the 'sync:done' that leaves the fresh peer's store at the
 * holder's head. Two rows:
 *
 * - catchup_10k_s: 10,000 typical posts (300 bytes of text, entries of about 450 bytes).
 * - catchup_20k_long_s: 20,000 posts of 300 family emoji (one grapheme of 25 bytes each), entries of
 *   about 7.7 KB: 154 MB, near the longest entries the limits allow (text ≤ 500 graphemes, entry ≤ 8 KiB).
 *   Its entries are all new to the fresh peer, so only the holder's budget for all peers together
 *   (SYNC_SERVE_TOTAL_BYTES_PER_S after SYNC_SERVE_TOTAL_BURST_BYTES) applies. It is waited for only
 *   up to a bound; a run that does not finish reports the bound as a lower bound and how far it got.
 *
 * The holder's log is imported straight into its store (createEntry + importEntries): filling it
 * through publish() would only time publishing. Runs in a bench worker.
 */
import { createEntry, generateAuthor, type VerifiedEntry } from '../../src/lib/core/index.js'
import type { FlockNode } from '../../src/lib/p2p/node.js'
import { createNodeFlockNode } from '../../src/lib/p2p/runtime-node.js'
import { join } from 'node:path'
import { stopAll } from './network.js'
import { startWorker } from './procs.js'
import { postText, round } from './util.js'
import { outcome, type BenchContext, type Metric, type Outcome } from './types.js'
import type { WorkerIO } from './worker-io.js'

/** 'words': postText's 300 ASCII bytes. 'family': 300 family emoji, each one grapheme of 25 bytes. */
export type PostKind = 'words' | 'family'

export interface CatchupParams { entries: number, post: PostKind, timeoutMs: number }

export interface CatchupResult {
  entries: number
  /** Whether the fresh peer reached the holder's head within timeoutMs. */
  completed: boolean
  /** Until caught up, or until timeoutMs when not completed. */
  seconds: number
  headSeq: number
  syncDone: Array<{ received: number }>
  entryEvents: number
  prepareSeconds: number
  entryBytes: number
}

const FAMILY = '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}\u200D\u{1F466}'

function postOf (kind: PostKind, i: number): string {
  // A tag of its own at the front keeps every post distinct, as postText does.
  return kind === 'words' ? postText(`c${i}`, 300) : `${i} ${FAMILY.repeat(299)}`
}

/** How often a long catch-up reports how far it got. */
const PROGRESS_MS = 30_000

export async function catchupJob (params: CatchupParams, io: WorkerIO): Promise<CatchupResult> {
  const nodes: FlockNode[] = []
  let progress: ReturnType<typeof setInterval> | undefined
  let bound: ReturnType<typeof setTimeout> | undefined
  try {
    const holder = await createNodeFlockNode({ author: await generateAuthor(), dataDir: join(io.dir, 'holder'), webrtc: false, tcpPort: 0 })
    nodes.push(holder)
    const author = holder.author

    const prepStart = performance.now()
    let head: VerifiedEntry | null = null
    let bytes = 0
    let batch: VerifiedEntry[] = []
    for (let i = 1; i <= params.entries; i++) {
      head = await createEntry(author, head, 'post', { text: postOf(params.post, i) })
      bytes += head.bytes.length
      batch.push(head)
      if (batch.length === 256 || i === params.entries) {
        await holder.importEntries(batch)
        batch = []
      }
    }
    const prepareSeconds = (performance.now() - prepStart) / 1000
    io.progress(`holder has ${params.entries} entries, ${round(bytes / 1e6, 1)} MB (${prepareSeconds.toFixed(1)} s to sign and store)`)

    const fresh = await createNodeFlockNode({ author: await generateAuthor(), dataDir: join(io.dir, 'fresh'), webrtc: false, tcpPort: 0 })
    nodes.push(fresh)
    const syncDone: Array<{ received: number }> = []
    let entryEvents = 0
    fresh.addEventListener('entry', (evt) => {
      if (evt.detail.source === 'sync' && evt.detail.entry.entry.author === author.id) entryEvents++
    })
    const caughtUp = new Promise<number>((resolve) => {
      fresh.addEventListener('sync:done', (evt) => {
        syncDone.push({ received: evt.detail.received })
        void fresh.logs.head(author.id).then((h) => {
          if ((h?.seq ?? 0) >= params.entries) resolve(performance.now())
        })
      })
    })
    const givenUp = new Promise<undefined>(resolve => { bound = setTimeout(() => { resolve(undefined) }, params.timeoutMs) })

    const start = performance.now()
    progress = setInterval(() => {
      void fresh.logs.head(author.id).then((h) => {
        io.progress(`fresh peer at seq ${h?.seq ?? 0} of ${params.entries} after ${Math.round((performance.now() - start) / 1000)} s`)
      })
    }, PROGRESS_MS)
    await fresh.follow(author.id)
    await fresh.libp2p.dial(holder.libp2p.getMultiaddrs(), { signal: AbortSignal.timeout(10_000) })
    const end = await Promise.race([caughtUp, givenUp])
    const headSeq = (await fresh.logs.head(author.id))?.seq ?? 0
    return {
      entries: params.entries,
      completed: end !== undefined,
      seconds: ((end ?? performance.now()) - start) / 1000,
      headSeq,
      syncDone,
      entryEvents,
      prepareSeconds: round(prepareSeconds),
      entryBytes: round(bytes / params.entries, 1)
    }
  } finally {
    clearInterval(progress)
    clearTimeout(bound)
    await stopAll(nodes)
  }
}

/** Run one catch-up in a worker; `timeoutMs` bounds the catch-up itself, not the holder's preparation. */
async function runCatchup (ctx: BenchContext, params: CatchupParams, workerTimeoutMs: number): Promise<CatchupResult> {
  const worker = startWorker('catchup', params, { verbose: ctx.verbose, timeoutMs: workerTimeoutMs, log: ctx.log })
  try {
    return await worker.result as CatchupResult
  } finally {
    await worker.stop()
  }
}

function catchupMetric (r: CatchupResult, post: string): Metric {
  return {
    value: round(r.seconds, 2),
    unit: 's',
    entries: r.entries,
    entriesPerSecond: Math.round(r.headSeq / r.seconds),
    headSeq: r.headSeq,
    syncDone: r.syncDone,
    entryEvents: r.entryEvents,
    entryBytes: r.entryBytes,
    post,
    transport: 'TCP on 127.0.0.1, noise, yamux; both nodes in one worker process',
    holderPrepareSeconds: r.prepareSeconds
  }
}

export async function catchup (ctx: BenchContext): Promise<Outcome> {
  const entries = 10_000
  const r = await runCatchup(ctx, { entries, post: 'words', timeoutMs: 120_000 }, 240_000)
  if (!r.completed) throw new Error(`timed out after 120 s: the fresh peer holds ${r.headSeq} of ${entries} entries`)
  if (r.headSeq !== entries) throw new Error(`fresh peer's head is seq ${r.headSeq}, expected ${entries}`)
  return outcome({ catchup_10k_s: catchupMetric(r, '300 bytes of ASCII text') })
}

/** How long catchup_20k_long_s waits for the catch-up: about three times what the serve budget alone makes it. */
const LONG_BOUND_MS = 400_000

export async function catchupLong (ctx: BenchContext): Promise<Outcome> {
  const entries = 20_000
  // The worker's own timeout also covers signing and storing the 154 MB before the bound starts.
  const r = await runCatchup(ctx, { entries, post: 'family', timeoutMs: LONG_BOUND_MS }, LONG_BOUND_MS + 300_000)
  if (r.completed && r.headSeq !== entries) throw new Error(`fresh peer's head is seq ${r.headSeq}, expected ${entries}`)
  return outcome({
    catchup_20k_long_s: {
      ...catchupMetric(r, '300 family emoji (one grapheme of 25 bytes each)'),
      completed: r.completed,
      // Not completed: the value is the bound, and the true time is longer.
      lowerBound: !r.completed,
      boundS: LONG_BOUND_MS / 1000
    }
  })
}
