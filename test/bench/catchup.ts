/**
 * catchup_10k_s: a fresh peer follows an author and catches up 10,000 of its entries from one peer
 * over a direct TCP connection (the sync protocol, which verifies every signature and the prev
 * chain). Timed from the follow call, just before the dial, to the 'sync:done' that leaves the
 * fresh peer's store at head seq 10,000.
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
import { postText, round, withTimeout } from './util.js'
import { outcome, type BenchContext, type Outcome } from './types.js'
import type { WorkerIO } from './worker-io.js'

export interface CatchupParams { entries: number, timeoutMs: number }

export interface CatchupResult {
  entries: number
  seconds: number
  headSeq: number
  syncDone: Array<{ received: number }>
  entryEvents: number
  prepareSeconds: number
  entryBytes: number
}

export async function catchupJob (params: CatchupParams, io: WorkerIO): Promise<CatchupResult> {
  const nodes: FlockNode[] = []
  try {
    const holder = await createNodeFlockNode({ author: await generateAuthor(), dataDir: join(io.dir, 'holder'), webrtc: false, tcpPort: 0 })
    nodes.push(holder)
    const author = holder.author

    const prepStart = performance.now()
    let head: VerifiedEntry | null = null
    let bytes = 0
    let batch: VerifiedEntry[] = []
    for (let i = 1; i <= params.entries; i++) {
      head = await createEntry(author, head, 'post', { text: postText(`c${i}`, 300) })
      bytes += head.bytes.length
      batch.push(head)
      if (batch.length === 256 || i === params.entries) {
        await holder.importEntries(batch)
        batch = []
      }
    }
    const prepareSeconds = (performance.now() - prepStart) / 1000
    io.progress(`holder has ${params.entries} entries (${prepareSeconds.toFixed(1)} s to sign and store)`)

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

    const start = performance.now()
    await fresh.follow(author.id)
    await fresh.libp2p.dial(holder.libp2p.getMultiaddrs(), { signal: AbortSignal.timeout(10_000) })
    const end = await withTimeout(caughtUp, params.timeoutMs, `fresh peer to hold ${params.entries} entries`)
    const headSeq = (await fresh.logs.head(author.id))?.seq ?? 0
    return {
      entries: params.entries,
      seconds: (end - start) / 1000,
      headSeq,
      syncDone,
      entryEvents,
      prepareSeconds: round(prepareSeconds),
      entryBytes: round(bytes / params.entries, 1)
    }
  } finally {
    await stopAll(nodes)
  }
}

export async function catchup (ctx: BenchContext): Promise<Outcome> {
  const entries = 10_000
  const worker = startWorker('catchup', { entries, timeoutMs: 120_000 } satisfies CatchupParams, { verbose: ctx.verbose, timeoutMs: 240_000, log: ctx.log })
  try {
    const r = await worker.result as CatchupResult
    if (r.headSeq !== entries) throw new Error(`fresh peer's head is seq ${r.headSeq}, expected ${entries}`)
    return outcome({
      catchup_10k_s: {
        value: round(r.seconds, 2),
        unit: 's',
        entries: r.entries,
        entriesPerSecond: Math.round(r.entries / r.seconds),
        headSeq: r.headSeq,
        syncDone: r.syncDone,
        entryEvents: r.entryEvents,
        entryBytes: r.entryBytes,
        transport: 'TCP on 127.0.0.1, noise, yamux; both nodes in one worker process',
        holderPrepareSeconds: r.prepareSeconds
      }
    })
  } finally {
    await worker.stop()
  }
}
