/**
 * The centralised baseline: one WebSocket fan-out server (the `ws` package, 127.0.0.1) in its own
 * process, and 100 clients in the bench process. One client signs a typical post (createEntry, as
 * Flock's publish does) and sends the entry bytes; the server verifies them (verifyEntry) and
 * forwards them to every other connected client. Same workload as propagation_n100: 50 posts, each
 * sent after all 99 receivers got the previous one.
 *
 * baseline_propagation_n100_p50_ms / _p99_ms: send call (before signing) to the client's 'message'.
 * baseline_server_egress_bytes_per_post_n100: bytes the server wrote to its TCP sockets during the
 * post phase (socket.bytesWritten: WebSocket frames included), per post.
 */
import { createServer } from 'node:http'
import type { Socket } from 'node:net'
import { WebSocket, WebSocketServer, type RawData } from 'ws'
import { createEntry, generateAuthor, verifyEntry, type VerifiedEntry } from '../../src/lib/core/index.js'
import { TEXT_BYTES } from './cluster.js'
import { startWorker } from './procs.js'
import { Countdown, postText, round, summarize, withTimeout } from './util.js'
import { outcome, type BenchContext, type Outcome } from './types.js'
import type { WorkerIO } from './worker-io.js'

interface ServerStats { type: 'stats', bytesWritten: number, verified: number, rejected: number, clients: number }
type Control = { type: 'control', op: 'stats' | 'stop' }

function toBytes (data: RawData): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data))
  return data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
}

/** The fan-out server, run in a bench worker. Answers {op: 'stats'} and stops on {op: 'stop'}. */
export async function baselineServerJob (_params: unknown, io: WorkerIO): Promise<{ stopped: true }> {
  const sockets = new Set<Socket>()
  let closedBytes = 0
  let verified = 0
  let rejected = 0
  const http = createServer()
  http.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => {
      closedBytes += socket.bytesWritten
      sockets.delete(socket)
    })
  })
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false })
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => {
      if (!isBinary) return
      const bytes = toBytes(data)
      verifyEntry(bytes).then(() => {
        verified++
        for (const client of wss.clients) {
          if (client !== ws && client.readyState === WebSocket.OPEN) client.send(bytes)
        }
      }, () => { rejected++ })
    })
  })
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(0, '127.0.0.1', () => { resolve() })
  })
  const address = http.address()
  if (address === null || typeof address === 'string') throw new Error('server has no TCP address')
  await io.send({ type: 'ready', port: address.port })
  const stats = (): ServerStats => {
    let bytesWritten = closedBytes
    for (const s of sockets) bytesWritten += s.bytesWritten
    return { type: 'stats', bytesWritten, verified, rejected, clients: wss.clients.size }
  }
  try {
    while (true) {
      const msg = await io.next<Control>('control')
      if (msg.op === 'stop') break
      await io.send({ ...stats() })
    }
  } finally {
    for (const client of wss.clients) client.terminate()
    await new Promise<void>(resolve => { wss.close(() => { resolve() }) })
    http.closeAllConnections()
    await new Promise<void>(resolve => { http.close(() => { resolve() }) })
  }
  return { stopped: true }
}

async function connect (url: string): Promise<WebSocket> {
  const ws = new WebSocket(url, { perMessageDeflate: false })
  await withTimeout(new Promise<void>((resolve, reject) => {
    ws.once('open', () => { resolve() })
    ws.once('error', reject)
  }), 10_000, `connect to ${url}`)
  return ws
}

export async function baseline (ctx: BenchContext, n = 100): Promise<Outcome> {
  const POSTS = ctx.posts
  const server = startWorker('baseline-server', {}, { verbose: ctx.verbose, timeoutMs: 60_000, log: ctx.log })
  const clients: WebSocket[] = []
  try {
    const { port } = await server.next<{ port: number }>('ready')
    const url = `ws://127.0.0.1:${port}`
    for (let i = 0; i < n; i += 20) {
      clients.push(...await Promise.all(Array.from({ length: Math.min(20, n - i) }, async () => await connect(url))))
    }
    const stats = async (): Promise<ServerStats> => await server.request<ServerStats>({ type: 'control', op: 'stats' }, 'stats', 10_000)
    const connected = await stats()
    if (connected.clients !== n) throw new Error(`server sees ${connected.clients} clients, expected ${n}`)

    const [authorClient, ...receivers] = clients as [WebSocket, ...WebSocket[]]
    const author = await generateAuthor()
    const texts = Array.from({ length: POSTS }, (_, i) => postText(`b${i}`, TEXT_BYTES))
    const publishedAt: number[] = []
    const latencies: number[] = []
    const counters = texts.map(() => new Countdown(receivers.length))
    const byContent = new Map<string, number>()
    for (const ws of receivers) {
      ws.on('message', (data) => {
        const at = performance.now()
        const i = byContent.get(Buffer.from(toBytes(data)).toString('base64'))
        if (i === undefined) return
        latencies.push(at - (publishedAt[i] as number))
        counters[i]?.tick()
      })
    }

    const before = await stats()
    let head: VerifiedEntry | null = null
    let entryBytes = 0
    let missing = 0
    const phaseStart = performance.now()
    for (let i = 0; i < POSTS; i++) {
      publishedAt[i] = performance.now()
      head = await createEntry(author, head, 'post', { text: texts[i] as string })
      byContent.set(Buffer.from(head.bytes).toString('base64'), i)
      entryBytes += head.bytes.length
      authorClient.send(head.bytes)
      const counter = counters[i] as Countdown
      await withTimeout(counter.done, 15_000, `baseline post ${i} to reach ${receivers.length} clients`).catch(() => {
        missing += receivers.length - counter.count
      })
    }
    const postPhaseMs = performance.now() - phaseStart
    const after = await stats()
    const egress = after.bytesWritten - before.bytesWritten
    const latency = summarize(latencies)
    const detail = {
      n,
      posts: POSTS,
      samples: latency.count,
      latency,
      missing,
      entryBytes: round(entryBytes / POSTS, 1),
      server: 'ws package, own process, verifyEntry then send to every other client; clients in the bench process'
    }
    return outcome({
      baseline_propagation_n100_p50_ms: { value: latency.p50, unit: 'ms', ...detail },
      baseline_propagation_n100_p99_ms: { value: latency.p99, unit: 'ms', ...detail },
      baseline_server_egress_bytes_per_post_n100: {
        value: round(egress / POSTS, 1),
        unit: 'bytes/post',
        bytesWritten: egress,
        posts: POSTS,
        receivers: receivers.length,
        verified: after.verified - before.verified,
        postPhaseMs: Math.round(postPhaseMs),
        note: 'TCP bytes the server wrote (WebSocket framing included, no TLS)'
      }
    })
  } finally {
    for (const ws of clients) ws.terminate()
    server.send({ type: 'control', op: 'stop' })
    await withTimeout(server.result, 10_000, 'baseline server to stop').catch(() => {})
    await server.stop()
  }
}
