/**
 * The headless peer's JSON API (DESIGN §3). Binds 127.0.0.1 only: it can post as the peer's author,
 * so it is for the operator's own scripts, not for the network.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { CID } from 'multiformats/cid'
import {
  authorTopic, entryView, isAuthorId, isFlockError, postBody, type VerifiedEntry
} from '../lib/core/index.js'
import type { FlockNode, FlockNodeEvents } from '../lib/p2p/node.js'
import { HttpError, readJson, sendError, sendJson } from './http.js'

const MAX_TIMELINE = 500

export async function startApi (node: FlockNode, port: number): Promise<{ server: Server, url: string }> {
  const server = createServer((req, res) => {
    handle(node, req, res).catch((err: unknown) => {
      if (err instanceof HttpError) return sendError(res, err)
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

async function known (node: FlockNode, cidText: string): Promise<VerifiedEntry> {
  const v = await node.store.get(parseCid(cidText))
  if (v === undefined) throw new HttpError(404, 'UNKNOWN_ENTRY', `no entry ${cidText} is held here`)
  return v
}

function created (res: ServerResponse, v: VerifiedEntry): void {
  sendJson(res, 201, { cid: v.cid.toString(), seq: v.entry.seq })
}

async function handle (node: FlockNode, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1')
  const path = url.pathname.split('/').filter(p => p !== '').map(decodeURIComponent)
  const route = `${req.method ?? 'GET'} /${path[0] ?? ''}`

  switch (route) {
    case 'GET /events':
      return streamEvents(node, req, res)
    case 'GET /status': {
      const connections = node.connections()
      return sendJson(res, 200, {
        author: node.author.id,
        peerId: node.peerId.toString(),
        connections,
        following: node.following,
        multiaddrs: node.libp2p.getMultiaddrs().map(a => a.toString()),
        /** Peers subscribed to our author topic right now: who receives our next post live. */
        topicPeers: node.libp2p.services.pubsub.getSubscribers(authorTopic(node.author.id)).map(p => p.toString()),
        /** Gossipsub score of each connected peer; negative means it misbehaved. */
        scores: Object.fromEntries(connections.map(c => [c.peerId, node.gossipScore(c.peerId)])),
        totals: {
          bytesIn: node.traffic.totals.bytesIn,
          bytesOut: node.traffic.totals.bytesOut,
          connections: connections.length,
          directConnections: connections.filter(c => c.direct).length,
          entries: (await node.store.head(node.author.id))?.seq ?? 0
        }
      })
    }
    case 'POST /posts': {
      const body = await readJson(req)
      const text = stringField(body, 'text')
      const replyTo = body.replyTo === undefined ? undefined : await known(node, stringField(body, 'replyTo'))
      return created(res, await node.publish('post', postBody(text, replyTo === undefined ? {} : { replyTo })))
    }
    case 'POST /likes':
    case 'POST /reposts': {
      const subject = await known(node, stringField(await readJson(req), 'cid'))
      const kind = route === 'POST /likes' ? 'like' : 'repost'
      return created(res, await node.publish(kind, { subject: subject.cid, author: subject.entry.author }))
    }
    case 'PUT /profile': {
      const body = await readJson(req)
      return created(res, await node.publish('profile', { name: stringField(body, 'name'), bio: body.bio === undefined ? '' : stringField(body, 'bio') }))
    }
    case 'POST /follows': {
      const author = stringField(await readJson(req), 'author')
      if (!isAuthorId(author)) throw new HttpError(400, 'INVALID_AUTHOR', 'author must be an author id (12D3KooW…)')
      if (author === node.author.id) throw new HttpError(400, 'SELF_FOLLOW', 'an author cannot follow itself')
      const v = await node.follow(author)
      if (v === null) return sendJson(res, 200, { following: true })
      return created(res, v)
    }
    case 'DELETE /follows': {
      const author = path[1] ?? ''
      if (!isAuthorId(author)) throw new HttpError(400, 'INVALID_AUTHOR', 'author must be an author id (12D3KooW…)')
      const v = await node.unfollow(author)
      if (v === null) throw new HttpError(404, 'NOT_FOLLOWING', 'not following that author')
      return sendJson(res, 200, { cid: v.cid.toString(), seq: v.entry.seq })
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
      return sendJson(res, 200, entryView(await known(node, path[1] as string)))
    }
    case 'GET /authors': {
      const author = path[1] ?? ''
      if (path.length !== 3 || path[2] !== 'entries') break
      if (!isAuthorId(author)) throw new HttpError(400, 'INVALID_AUTHOR', 'author must be an author id (12D3KooW…)')
      const head = await node.store.head(author)
      const entries = []
      for (let seq = 1; seq <= (head?.seq ?? 0); seq++) {
        const v = await node.store.at(author, seq)
        if (v !== undefined) entries.push(entryView(v))
      }
      return sendJson(res, 200, { entries })
    }
  }
  throw new HttpError(404, 'NOT_FOUND', `no route ${req.method ?? ''} ${url.pathname}`)
}
