/**
 * The headless peer's JSON API (DESIGN §3). Binds 127.0.0.1 only: it can post as the peer's author,
 * so it is for the operator's own scripts, not for the network.
 *
 * Every write goes through the same FlockClient the browser uses (LocalClient), so the peer and the
 * app make the same entries with the same checks; this file only parses requests and maps the
 * client's named errors to HTTP. Raw entry reads and status come from the node's public face.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { CID } from 'multiformats/cid'
import { entryView, isAuthorId, isFlockError, type VerifiedEntry } from '../lib/core/index.js'
import type { FlockNode, FlockNodeEvents } from '../lib/p2p/node.js'
import type { FlockClient, Written } from '../lib/app/client.js'
import { ClientError } from '../lib/app/errors.js'
import { HttpError, readJson, sendError, sendJson } from './http.js'

const MAX_TIMELINE = 500

/** HTTP status of each client error code; any other code is a request the client refused (422). */
const CLIENT_ERROR_STATUS: Record<string, number> = {
  INVALID_AUTHOR: 400,
  SELF_FOLLOW: 400,
  INVALID_CID: 400,
  NOT_OWN_ENTRY: 403,
  UNKNOWN_ENTRY: 404
}

export async function startApi (node: FlockNode, client: FlockClient, port: number): Promise<{ server: Server, url: string }> {
  const server = createServer((req, res) => {
    handle(node, client, req, res).catch((err: unknown) => {
      if (err instanceof HttpError) return sendError(res, err)
      if (err instanceof ClientError) return sendError(res, new HttpError(CLIENT_ERROR_STATUS[err.code] ?? 422, err.code, err.message))
      if (isFlockError(err)) return sendError(res, new HttpError(422, err.code, err.message))
      console.error('api: unexpected error:', (err as Error).message)
      sendError(res, new HttpError(500, 'INTERNAL', 'internal error'))
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => { server.off('error', reject); resolve() })
  })
  const { port: bound } = server.address() as AddressInfo
  return { server, url: `http://127.0.0.1:${bound}` }
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

async function handle (node: FlockNode, client: FlockClient, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1')
  const path = url.pathname.split('/').filter(p => p !== '').map(decodeURIComponent)
  const route = `${req.method ?? 'GET'} /${path[0] ?? ''}`

  switch (route) {
    case 'GET /events':
      return streamEvents(node, req, res)
    case 'GET /status': {
      const connections = node.connections()
      const totals = node.totals()
      return sendJson(res, 200, {
        author: node.author.id,
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
          entries: (await node.logs.head(node.author.id))?.seq ?? 0
        }
      })
    }
    case 'POST /posts': {
      const body = await readJson(req)
      const text = stringField(body, 'text')
      return created(res, await client.post({ text, ...(body.replyTo !== undefined ? { replyTo: stringField(body, 'replyTo') } : {}) }))
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
      const raw = url.searchParams.get('limit') ?? '50'
      const limit = Number(raw)
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_TIMELINE) {
        throw new HttpError(400, 'INVALID_LIMIT', `limit must be an integer from 1 to ${MAX_TIMELINE}`)
      }
      return sendJson(res, 200, { entries: (await node.timeline(limit)).map(entryView) })
    }
    case 'GET /entries': {
      if (path.length !== 2) break
      return sendJson(res, 200, entryView(await held(node, path[1] as string)))
    }
    case 'GET /authors': {
      const author = path[1] ?? ''
      if (path.length !== 3 || path[2] !== 'entries') break
      if (!isAuthorId(author)) throw new HttpError(400, 'INVALID_AUTHOR', 'author must be an author id (12D3KooW…)')
      const head = await node.logs.head(author)
      const entries = []
      for (let seq = 1; seq <= (head?.seq ?? 0); seq++) {
        const v = await node.logs.at(author, seq)
        if (v !== undefined) entries.push(entryView(v))
      }
      return sendJson(res, 200, { entries })
    }
  }
  throw new HttpError(404, 'NOT_FOUND', `no route ${req.method ?? ''} ${url.pathname}`)
}
