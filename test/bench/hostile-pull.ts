/**
 * sync_hostile_pull_bytes_per_s: what a requester that asks a real node for its whole log again and
 * again gets out of it. The victim (createNodeFlockNode, defaults) holds 20,000 entries of its own
 * author; the requester is a plain libp2p node (TCP, noise, yamux, no Flock services) that, for
 * RUN_MS, keeps STREAMS sync streams busy, each sending `want [{author, after: 0}]`, reading every
 * frame until 'end', closing the stream and asking again on a new one. A stream the victim refuses
 * (beyond its per-peer caps) is retried after REFUSED_PAUSE_MS.
 *
 * The victim serves one peer at most SYNC_MAX_BYTES_PER_EXCHANGE per exchange; entries a peer
 * already got from it, and range frames, at SYNC_SERVE_REPEAT_BYTES_PER_S after a first
 * SYNC_SERVE_REPEAT_BURST_BYTES (serve-budget.ts). So the requester gets the first exchange (its
 * entries are new to it) and the repeat burst at once, and the row is the rate after that: the least-squares slope of bytes received against time, read every SAMPLE_MS,
 * from BURST_MARGIN_MS after the requester had received the burst to the end of the run. Bytes are
 * sync frames as read (entries, ranges, ends; without the length prefixes, noise and yamux). Both
 * nodes run in one worker process.
 */
import { noise } from '@libp2p/noise'
import { tcp } from '@libp2p/tcp'
import { lpStream } from '@libp2p/utils'
import { yamux } from '@libp2p/yamux'
import type { Stream } from '@libp2p/interface'
import { createLibp2p, type Libp2p } from 'libp2p'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  MAX_SYNC_FRAME_BYTES, SYNC_PROTOCOL, createEntry, decodeFrame, encodeFrame, generateAuthor, type VerifiedEntry
} from '../../src/lib/core/index.js'
import {
  SYNC_MAX_BYTES_PER_EXCHANGE, SYNC_SERVE_REPEAT_BURST_BYTES, SYNC_SERVE_REPEAT_BYTES_PER_S, SYNC_SERVE_TOTAL_BYTES_PER_S
} from '../../src/lib/p2p/constants.js'
import type { FlockNode } from '../../src/lib/p2p/node.js'
import { createNodeFlockNode } from '../../src/lib/p2p/runtime-node.js'
import { stopAll } from './network.js'
import { startWorker } from './procs.js'
import { postText, round } from './util.js'
import { outcome, type BenchContext, type Outcome } from './types.js'
import type { WorkerIO } from './worker-io.js'

export interface HostilePullParams { entries: number, runMs: number, streams: number }

export interface HostilePullResult {
  entries: number
  logBytes: number
  streams: number
  seconds: number
  totalBytes: number
  /** Seconds from the first want until the requester had received FIRST_BYTES; null if never. */
  burstSeconds: number | null
  /** Least-squares slope of bytes received against time after the burst; null if the burst never ran out. */
  sustainedBytesPerS: number | null
  /** Seconds the sustained rate was measured over. */
  sustainedSeconds: number
  /** Bytes received in each second of the run. */
  perSecond: number[]
  /** How the requester's exchanges ended (see `pull`). */
  outcomes: { end: number, refused: number, reset: number, cut: number }
}

const RUN_MS = 20_000
const STREAMS = 3
const SAMPLE_MS = 100
const REFUSED_PAUSE_MS = 100
/**
 * When the requester has received the burst, the bucket holds what refilled meanwhile; it is spent
 * at loopback speed well within this margin, so the window after it sees only the paced rate.
 */
const BURST_MARGIN_MS = 2_000
/** What comes at once: one exchange of entries new to the requester, then the repeat burst. */
const FIRST_BYTES = SYNC_MAX_BYTES_PER_EXCHANGE + SYNC_SERVE_REPEAT_BURST_BYTES

/** Slope of the least-squares line through (t, y). */
function slope (points: Array<[t: number, y: number]>): number {
  const n = points.length
  const mt = points.reduce((s, [t]) => s + t, 0) / n
  const my = points.reduce((s, [, y]) => s + y, 0) / n
  let num = 0
  let den = 0
  for (const [t, y] of points) {
    num += (t - mt) * (y - my)
    den += (t - mt) ** 2
  }
  return num / den
}

export async function hostilePullJob (params: HostilePullParams, io: WorkerIO): Promise<HostilePullResult> {
  const nodes: FlockNode[] = []
  let requester: Libp2p | undefined
  let sampler: ReturnType<typeof setInterval> | undefined
  try {
    const victim = await createNodeFlockNode({ author: await generateAuthor(), dataDir: join(io.dir, 'victim'), webrtc: false, tcpPort: 0 })
    nodes.push(victim)
    let head: VerifiedEntry | null = null
    let logBytes = 0
    let batch: VerifiedEntry[] = []
    for (let i = 1; i <= params.entries; i++) {
      head = await createEntry(victim.author, head, 'post', { text: postText(`h${i}`, 300) })
      logBytes += head.bytes.length
      batch.push(head)
      if (batch.length === 256 || i === params.entries) {
        await victim.importEntries(batch)
        batch = []
      }
    }
    io.progress(`victim holds ${params.entries} entries (${round(logBytes / 1e6, 1)} MB)`)

    requester = await createLibp2p({ transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] })
    const from = requester
    await from.dial(victim.libp2p.getMultiaddrs(), { signal: AbortSignal.timeout(10_000) })
    const want = encodeFrame({ t: 'want', want: [{ author: victim.author.id, logs: [{ log: victim.author.id, after: 0 }] }] })
    // Reads in flight at the end of the run are cut off with this, so nothing after it counts.
    const end = new AbortController()

    let received = 0
    const outcomes = { end: 0, refused: 0, reset: 0, cut: 0 }
    /**
     * One exchange on a new stream: 'end' when the victim finished it, 'refused' when it failed before
     * sending anything, 'reset' when it failed after, 'cut' when the run ended first.
     */
    const pull = async (): Promise<keyof typeof outcomes> => {
      let got = 0
      let stream: Stream | undefined
      try {
        stream = await from.dialProtocol(victim.libp2p.getMultiaddrs(), SYNC_PROTOCOL, { signal: end.signal })
        const lp = lpStream(stream, { maxDataLength: MAX_SYNC_FRAME_BYTES })
        await lp.write(want, { signal: end.signal })
        while (true) {
          const frame = (await lp.read({ signal: end.signal })).subarray()
          got += frame.length
          received += frame.length
          if (decodeFrame(frame).t === 'end') break
        }
        // The victim holds the exchange's slot until both sides have closed: closing at once frees
        // it for the next want, as the most demanding requester would.
        await stream.close({ signal: end.signal })
        return 'end'
      } catch (err) {
        stream?.abort(err as Error)
        if (end.signal.aborted) return 'cut'
        return got === 0 ? 'refused' : 'reset'
      }
    }

    const samples: Array<[t: number, bytes: number]> = []
    const start = performance.now()
    sampler = setInterval(() => { samples.push([performance.now() - start, received]) }, SAMPLE_MS)
    const stopAt = setTimeout(() => { end.abort() }, params.runMs)
    await Promise.all(Array.from({ length: params.streams }, async () => {
      while (!end.signal.aborted) {
        const r = await pull()
        outcomes[r]++
        if (r === 'refused') await sleep(REFUSED_PAUSE_MS)
      }
    }))
    clearTimeout(stopAt)
    clearInterval(sampler)
    const seconds = (performance.now() - start) / 1000
    samples.push([performance.now() - start, received])

    const burstAt = samples.find(([, b]) => b >= FIRST_BYTES)?.[0]
    const window = burstAt === undefined ? [] : samples.filter(([t]) => t >= burstAt + BURST_MARGIN_MS)
    const perSecond: number[] = []
    for (let s = 1; s <= Math.ceil(seconds); s++) {
      const upTo = (ms: number): number => samples.findLast(([t]) => t <= ms)?.[1] ?? 0
      perSecond.push(upTo(s * 1000) - upTo((s - 1) * 1000))
    }
    return {
      entries: params.entries,
      logBytes,
      streams: params.streams,
      seconds: round(seconds),
      totalBytes: received,
      burstSeconds: burstAt === undefined ? null : round(burstAt / 1000),
      sustainedBytesPerS: window.length < 10 ? null : Math.round(slope(window) * 1000),
      sustainedSeconds: window.length < 2 ? 0 : round(((window.at(-1)?.[0] ?? 0) - (window[0]?.[0] ?? 0)) / 1000),
      perSecond,
      outcomes
    }
  } finally {
    clearInterval(sampler)
    await requester?.stop()
    await stopAll(nodes)
  }
}

export async function hostilePull (ctx: BenchContext): Promise<Outcome> {
  const params: HostilePullParams = { entries: 20_000, runMs: RUN_MS, streams: STREAMS }
  const worker = startWorker('hostile-pull', params, { verbose: ctx.verbose, timeoutMs: 180_000, log: ctx.log })
  try {
    const r = await worker.result as HostilePullResult
    if (r.sustainedBytesPerS === null) throw new Error(`the requester never got past the first ${FIRST_BYTES} bytes: ${r.totalBytes} bytes in ${r.seconds} s`)
    return outcome({
      sync_hostile_pull_bytes_per_s: {
        value: r.sustainedBytesPerS,
        unit: 'B/s',
        totalBytes: r.totalBytes,
        seconds: r.seconds,
        meanBytesPerS: Math.round(r.totalBytes / r.seconds),
        burstSeconds: r.burstSeconds,
        sustainedSeconds: r.sustainedSeconds,
        perSecondBytes: r.perSecond,
        exchanges: r.outcomes,
        concurrentStreams: r.streams,
        logEntries: r.entries,
        logBytes: r.logBytes,
        victimBudget: { repeatBytesPerS: SYNC_SERVE_REPEAT_BYTES_PER_S, repeatBurstBytes: SYNC_SERVE_REPEAT_BURST_BYTES, totalBytesPerS: SYNC_SERVE_TOTAL_BYTES_PER_S },
        transport: 'TCP on 127.0.0.1, noise, yamux; both nodes in one worker process'
      }
    })
  } finally {
    await worker.stop()
  }
}
