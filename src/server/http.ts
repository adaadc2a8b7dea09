/**
 * Small helpers shared by the relay's and the peer's HTTP servers: JSON replies, typed HTTP errors,
 * bounded body reads.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

export class HttpError extends Error {
  override readonly name = 'HttpError'
  constructor (readonly status: number, readonly code: string, message: string) {
    super(message)
  }
}

export function sendJson (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers })
  res.end(text)
}

export function sendError (res: ServerResponse, err: HttpError): void {
  sendJson(res, err.status, { error: { code: err.code, message: err.message } })
}

/**
 * Read and parse a JSON object body of at most `limit` bytes. Only a body declared as
 * application/json is read: a web page can send text/plain or a form to any address without a CORS
 * preflight, but not application/json, so this keeps such "simple" requests out.
 */
export async function readJson (req: IncomingMessage, limit = 64 * 1024): Promise<Record<string, unknown>> {
  const mediaType = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase()
  if (mediaType !== 'application/json') {
    throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'request body must be sent with Content-Type: application/json')
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > limit) throw new HttpError(413, 'BODY_TOO_LARGE', `request body exceeds ${limit} bytes`)
    chunks.push(chunk as Buffer)
  }
  let value: unknown
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    throw new HttpError(400, 'INVALID_JSON', 'request body is not valid JSON')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HttpError(400, 'INVALID_BODY', 'request body must be a JSON object')
  }
  return value as Record<string, unknown>
}
