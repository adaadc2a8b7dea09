/**
 * The headless peer's JSON API (DESIGN §3). Binds 127.0.0.1 only: it can post as the peer's author,
 * so it is for the operator's own scripts, not for the network, nor for the web pages the operator
 * visits (which can send requests to 127.0.0.1 too): see `admit`.
 *
 * Every write goes through the same FlockClient the browser uses (LocalClient), so the peer and the
 * app make the same entries with the same checks; this file only parses requests and maps the
 * client's named errors to HTTP. Raw entry reads and status come from the node's public face.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { CID } from 'multiformats/cid'
import { entryCid, entryView, isAuthorId, isFlockError, logOf, restoreVerified, type VerifiedEntry } from '../lib/core/index.js'
import type { FlockNode, FlockNodeEvents } from '../lib/p2p/node.js'
import type { LogReader } from '../lib/p2p/store.js'
import { mergeNewestFirst } from '../lib/p2p/timeline.js'
import type { FlockClient, Written } from '../lib/app/client.js'
import { ClientError } from '../lib/app/errors.js'
import { HttpError, readJson, sendError, sendJson } from './http.js'

/** Most entries one page of a list returns, and how many when the request names no `limit`. */
const MAX_PAGE = 500
const DEFAULT_PAGE = 50
/** Most entries of one log a timeline page reads at once. */
const TIMELINE_MAX_BATCH = 32
/** How long a browser may cache an allowed origin's preflight answer. */
const PREFLIGHT_MAX_AGE_S = 600

export interface ApiOptions {
  port: number
  /** The bearer token every request must carry. */
  token: string
  /** Origins whose pages may call the API (as browsers send them); any other Origin is refused. */
  origins: readonly string[]
}

/** HTTP status of each client error code; any other code is a request the client refused (422). */
const CLIENT_ERROR_STATUS: Record<string, number> = {
  INVALID_AUTHOR: 400,
  SELF_FOLLOW: 400,
  INVALID_CID: 400,
  NOT_OWN_ENTRY: 403,
  UNKNOWN_ENTRY: 404
}

export async function startApi (node: FlockNode, client: FlockClient, options: ApiOptions): Promise<{ server: Server, url: string }> {
  const guard: Guard = { port: options.port, tokenDigest: digest(options.token), origins: new Set(options.origins) }
  const server = createServer((req, res) => {
    handle(node, client, guard, req, res).catch((err: unknown) => {
      if (err instanceof HttpError) return sendError(res, err)
      if (err instanceof ClientError) return sendError(res, new HttpError(CLIENT_ERROR_STATUS[err.code] ?? 422, err.code, err.message))
      if (isFlockError(err)) return sendError(res, new HttpError(422, err.code, err.message))
      console.error('api: unexpected error:', (err as Error).message)
      sendError(res, new HttpError(500, 'INTERNAL', 'internal error'))
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, '127.0.0.1', () => {
      server.off('error', reject)
      // Before any request can arrive: with --api-port 0 the Host check needs the port picked here.
      guard.port = (server.address() as AddressInfo).port
      resolve()
    })
  })
  return { server, url: `http://127.0.0.1:${guard.port}` }
}

interface Guard {
  /** The port the API listens on, once bound. */
  port: number
  tokenDigest: Buffer
  origins: ReadonlySet<string>
}

function digest (text: string): Buffer {
  return createHash('sha256').update(text).digest()
}

/**
 * The checks every request passes before it is routed; false when the request was answered here (a
 * preflight). They follow Kubo's API and Bitcoin Core's RPC, since any web page the operator visits
 * can send requests to 127.0.0.1:
 * - Host must be a loopback name and our port: a page on a DNS-rebound name (evil.example resolving
 *   to 127.0.0.1) would otherwise be same-origin with the API and read its answers.
 * - An Origin header is refused unless the operator allowed that origin: browsers send one with every
 *   cross-origin request, including the "simple" ones that skip the CORS preflight.
 * - A bearer token only who can read the data dir knows, compared in constant time.
 * An allowed origin gets the CORS headers a page needs to send the token and read the answer; a
 * preflight carries no token, so it is answered before the token check.
 */
function admit (req: IncomingMessage, res: ServerResponse, guard: Guard): boolean {
  const host = req.headers.host?.toLowerCase()
  if (host === undefined || !['127.0.0.1', 'localhost', '[::1]'].some(name => host === `${name}:${guard.port}`)) {
    throw new HttpError(403, 'FORBIDDEN_HOST', 'Host must be 127.0.0.1, localhost or [::1] with the API port')
  }
  const origin = req.headers.origin
  if (origin !== undefined) {
    if (!guard.origins.has(origin)) throw new HttpError(403, 'FORBIDDEN_ORIGIN', 'requests from web pages are refused unless their origin is allowed with --api-origin')
    res.setHeader('access-control-allow-origin', origin)
    res.setHeader('vary', 'Origin')
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'access-control-allow-methods': 'GET, POST, PUT, DELETE',
        'access-control-allow-headers': 'authorization, content-type',
        'access-control-max-age': String(PREFLIGHT_MAX_AGE_S)
      })
      res.end()
      return false
    }
  }
  const token = /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? '')?.[1]
  // Digests of equal length, so neither the comparison's time nor its length check says anything about the token.
  if (token === undefined || !timingSafeEqual(digest(token), guard.tokenDigest)) {
    res.setHeader('www-authenticate', 'Bearer')
    throw new HttpError(401, 'UNAUTHORIZED', 'send Authorization: Bearer <token>, the token being in api.token in the data dir')
  }
  return true
}

/**
 * Server-sent events of what the node stores and syncs, so scripts and tests can wait for an entry to
 * arrive instead of polling: `entry` {cid, author, seq, kind, source}, `sync` {peer, received}, `fork`.
 */
function streamEvents (node: FlockNode, req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' })
  res.write(': connected\n\n')
  const send = (event: string, data: unknown): void => { res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`) }
  const onEntry = (evt: FlockNodeEvents['entry']): void => {
    const { entry, source } = evt.detail
    send('entry', { cid: entry.cid.toString(), author: entry.entry.author, seq: entry.entry.seq, kind: entry.entry.kind, ts: entry.entry.ts, source })
  }
  const onSync = (evt: FlockNodeEvents['sync:done']): void => { send('sync', evt.detail) }
  const onFork = (evt: FlockNodeEvents['fork']): void => {
    const err = evt.detail
    send('fork', { author: err.author, seq: err.seq, cids: err.evidence.map(v => v.cid.toString()) })
  }
  node.addEventListener('entry', onEntry)
  node.addEventListener('sync:done', onSync)
  node.addEventListener('fork', onFork)
  req.once('close', () => {
    node.removeEventListener('entry', onEntry)
    node.removeEventListener('sync:done', onSync)
    node.removeEventListener('fork', onFork)
  })
}

function stringField (body: Record<string, unknown>, name: string): string {
  const value = body[name]
  if (typeof value !== 'string') throw new HttpError(400, 'INVALID_FIELD', `"${name}" must be a string`)
  return value
}

function parseCid (text: string): CID {
  try {
    return CID.parse(text)
  } catch {
    throw new HttpError(400, 'INVALID_CID', `"${text}" is not a CID`)
  }
}

async function held (node: FlockNode, cidText: string): Promise<VerifiedEntry> {
  const v = await node.logs.get(parseCid(cidText))
  if (v === undefined) throw new HttpError(404, 'UNKNOWN_ENTRY', `no entry ${cidText} is held here`)
  return v
}

function created (res: ServerResponse, w: Written): void {
  sendJson(res, 201, w)
}

/** The decoded segments of a request's path, and its query. */
function parseTarget (target: string): { pathname: string, path: string[], params: URLSearchParams } {
  // Origin-form only: an absolute URL or `//host/...` would make a URL parser read a host out of the path.
  if (!target.startsWith('/') || target.startsWith('//')) throw new HttpError(400, 'INVALID_PATH', 'the request target must be a path')
  const q = target.indexOf('?')
  const pathname = q < 0 ? target : target.slice(0, q)
  try {
    return { pathname, path: pathname.split('/').filter(p => p !== '').map(decodeURIComponent), params: new URLSearchParams(q < 0 ? '' : target.slice(q + 1)) }
  } catch {
    throw new HttpError(400, 'INVALID_PATH', 'the path is not valid percent-encoded UTF-8')
  }
}

function pageLimit (params: URLSearchParams): number {
  const limit = Number(params.get('limit') ?? DEFAULT_PAGE)
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
    throw new HttpError(400, 'INVALID_LIMIT', `limit must be an integer from 1 to ${MAX_PAGE}`)
  }
  return limit
}

function afterSeq (params: URLSearchParams): number {
  const raw = params.get('after')
  if (raw === null) return 0
  if (!/^\d{1,16}$/.test(raw) || !Number.isSafeInteger(Number(raw))) throw new HttpError(400, 'INVALID_AFTER', 'after must be a seq (a whole number)')
  return Number(raw)
}

/** Entries `from`..`to` of `author`'s log, in seq order; what the store holds was verified when it arrived. */
async function readRange (logs: LogReader, author: string, from: number, to: number): Promise<VerifiedEntry[]> {
  const out: VerifiedEntry[] = []
  for await (const bytes of logs.range(author, from, to)) out.push(restoreVerified(bytes, await entryCid(bytes)))
  return out
}

/**
 * Where a timeline page continues: just after the entry it names. The timeline is ordered newest
 * first by ts, then by log id, then by seq (newest first), so the order does not depend on whom
 * the peer follows when, and a cursor stays meaningful across follows and new entries. A log is an
 * author's root log (its id is the author's) or one of its device logs (PROTOCOL.md §1).
 */
interface TimelineCursor { ts: number, log: string, seq: number }

function cursorText (v: VerifiedEntry): string {
  return `${v.entry.ts}.${logOf(v.entry)}.${v.entry.seq}`
}

function parseCursor (params: URLSearchParams): TimelineCursor | undefined {
  const raw = params.get('after')
  if (raw === null) return undefined
  const [ts, log, seq, ...rest] = raw.split('.')
  if (ts === undefined || log === undefined || seq === undefined || rest.length > 0 ||
    !/^\d{1,16}$/.test(ts) || !isAuthorId(log) || !/^[1-9]\d{0,15}$/.test(seq)) {
    throw new HttpError(400, 'INVALID_AFTER', 'after must be the "next" of a previous timeline page')
  }
  return { ts: Number(ts), log, seq: Number(seq) }
}

/**
 * The highest seq of log `log` that comes after `cursor` in timeline order (0 if none), and never
 * past a revocation. A timestamp never decreases along a log, so this is a binary search, not a walk
 * down from the head.
 */
async function startSeq (logs: LogReader, log: string, cursor: TimelineCursor | undefined): Promise<number> {
  const head = await logs.head(log)
  if (head === null) return 0
  const top = Math.min(head.seq, await logs.revokedAfter(log) ?? Infinity)
  if (cursor === undefined) return top
  if (log === cursor.log) return Math.min(top, cursor.seq - 1)
  // On equal timestamps, logs before the cursor's came earlier in the order, those after it come next.
  const after = (ts: number): boolean => log < cursor.log ? ts < cursor.ts : ts <= cursor.ts
  const topEntry = top === head.seq ? head : (await logs.at(log, top))?.entry
  if (topEntry !== undefined && after(topEntry.ts)) return top
  let yes = 0
  let no = top
  while (no - yes > 1) {
    const mid = Math.floor((yes + no) / 2)
    const v = await logs.at(log, mid)
    if (v !== undefined && after(v.entry.ts)) yes = mid
    else no = mid
  }
  return yes
}

/** Entries of log `log` from seq `top` down, read in ranges that grow from `firstBatch`. */
async function * newestFrom (logs: LogReader, log: string, top: number, firstBatch: number): AsyncGenerator<VerifiedEntry> {
  let batch = Math.min(firstBatch, TIMELINE_MAX_BATCH)
  for (let seq = top; seq >= 1; batch = Math.min(batch * 2, TIMELINE_MAX_BATCH)) {
    const from = Math.max(1, seq - batch + 1)
    yield * (await readRange(logs, log, from, seq)).reverse()
    seq = from - 1
  }
}

/**
 * One page of the home timeline (us and whom we follow, every log of each), after `cursor`, and the
 * cursor of the next page when there is one. Each log is entered where the page starts and read only
 * as far as it takes.
 */
async function timelinePage (node: FlockNode, limit: number, cursor: TimelineCursor | undefined): Promise<{ entries: VerifiedEntry[], next?: string }> {
  const authors = [node.author.id, ...node.following]
  // Sorted: on equal timestamps mergeNewestFirst takes the earlier source, which makes the log id the tie-break.
  const logs = (await Promise.all(authors.map(async a => await node.logs.logsOf(a)))).flat().sort()
  const firstBatch = Math.ceil((limit + 1) / Math.max(1, logs.length))
  const sources = await Promise.all(logs.map(async l => newestFrom(node.logs, l, await startSeq(node.logs, l, cursor), firstBatch)))
  // One entry more than the page tells whether another page follows.
  const entries = await mergeNewestFirst(sources, limit + 1)
  if (entries.length <= limit) return { entries }
  entries.length = limit
  return { entries, next: cursorText(entries[limit - 1] as VerifiedEntry) }
}

async function handle (node: FlockNode, client: FlockClient, guard: Guard, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!admit(req, res, guard)) return
  const { pathname, path, params } = parseTarget(req.url ?? '/')
  const route = `${req.method ?? 'GET'} /${path[0] ?? ''}`

  switch (route) {
    case 'GET /events':
      return streamEvents(node, req, res)
    case 'GET /status': {
      const connections = node.connections()
      const totals = node.totals()
      return sendJson(res, 200, {
        author: node.author.id,
        /** The log this peer writes: its device's, or the author's root log. */
        device: node.logId,
        peerId: node.peerId.toString(),
        connections,
        following: node.following,
        multiaddrs: node.multiaddrs(),
        /** Peers subscribed to our author topic right now: who receives our next post live. */
        topicPeers: node.topicPeers(node.author.id),
        /** Gossipsub score of each connected peer; negative means it misbehaved. */
        scores: Object.fromEntries(connections.map(c => [c.peerId, node.gossipScore(c.peerId)])),
        totals: {
          bytesIn: totals.bytesIn,
          bytesOut: totals.bytesOut,
          connections: connections.length,
          directConnections: connections.filter(c => c.direct).length,
          entries: (await node.logs.head(node.logId))?.seq ?? 0
        }
      })
    }
    case 'POST /posts': {
      const body = await readJson(req)
      const text = stringField(body, 'text')
      return created(res, await client.post({ text, ...(body.replyTo !== undefined ? { replyTo: stringField(body, 'replyTo') } : {}) }))
    }
    case 'POST /edits': {
      const body = await readJson(req)
      return created(res, await client.edit(stringField(body, 'cid'), stringField(body, 'text')))
    }
    case 'GET /devices':
      if (path.length !== 1) break
      return sendJson(res, 200, { devices: await client.devices() })
    case 'DELETE /devices': {
      if (path.length !== 2) break
      const w = await client.revokeDevice(path[1] as string)
      if (w === null) throw new HttpError(404, 'ALREADY_REVOKED', 'that device is already revoked')
      return sendJson(res, 200, w)
    }
    case 'POST /likes':
      return created(res, await client.like(stringField(await readJson(req), 'cid')))
    case 'POST /reposts':
      return created(res, await client.repost(stringField(await readJson(req), 'cid')))
    case 'PUT /profile': {
      const body = await readJson(req)
      return created(res, await client.setProfile({ name: stringField(body, 'name'), bio: body.bio === undefined ? '' : stringField(body, 'bio') }))
    }
    case 'POST /follows': {
      const w = await client.follow(stringField(await readJson(req), 'author'))
      if (w === null) return sendJson(res, 200, { following: true })
      return created(res, w)
    }
    case 'DELETE /follows': {
      const w = await client.unfollow(path[1] ?? '')
      if (w === null) throw new HttpError(404, 'NOT_FOLLOWING', 'not following that author')
      return sendJson(res, 200, w)
    }
    case 'GET /timeline': {
      const page = await timelinePage(node, pageLimit(params), parseCursor(params))
      return sendJson(res, 200, { entries: page.entries.map(entryView), ...(page.next !== undefined ? { next: page.next } : {}) })
    }
    case 'GET /entries': {
      if (path.length !== 2) break
      return sendJson(res, 200, entryView(await held(node, path[1] as string)))
    }
    case 'GET /authors': {
      const author = path[1] ?? ''
      if (path.length === 3 && path[2] === 'logs') {
        // The logs that speak for an author: its root log and its devices', and how far each goes here.
        if (!isAuthorId(author)) throw new HttpError(400, 'INVALID_AUTHOR', 'author must be an author id (12D3KooW…)')
        const logs = await Promise.all((await node.logs.logsOf(author)).map(async id => ({
          log: id,
          head: (await node.logs.head(id))?.seq ?? 0,
          ...(await node.logs.revokedAfter(id) !== undefined ? { revokedAfter: await node.logs.revokedAfter(id) } : {})
        })))
        return sendJson(res, 200, { logs })
      }
      // Entries of one log: an author id names its root log, a device id that device's.
      if (path.length !== 3 || path[2] !== 'entries') break
      if (!isAuthorId(author)) throw new HttpError(400, 'INVALID_AUTHOR', 'author must be an author id (12D3KooW…)')
      const limit = pageLimit(params)
      const after = afterSeq(params)
      const head = (await node.logs.head(author))?.seq ?? 0
      const entries = await readRange(node.logs, author, after + 1, Math.min(head, after + limit))
      const last = entries.at(-1)?.entry.seq
      return sendJson(res, 200, { entries: entries.map(entryView), ...(last !== undefined && last < head ? { next: last } : {}) })
    }
  }
  throw new HttpError(404, 'NOT_FOUND', `no route ${req.method ?? ''} ${pathname}`)
}
