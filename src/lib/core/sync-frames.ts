/**
 * Frames of the catch-up sync protocol (PROTOCOL.md §9). Each frame is one DAG-CBOR map sent behind
 * an unsigned-varint length prefix. Decoding checks the shape strictly so a hostile peer can only
 * cause a SyncFrameError, never a confused requester.
 *
 * ```ts
 * const bytes = encodeFrame({ t: 'want', want: [{ author, after: 12 }] })
 * const frame = decodeFrame(bytes)   // same value back
 * ```
 */
import * as dagCbor from '@ipld/dag-cbor'
import { MAX_CBOR_DEPTH, MAX_SYNC_AUTHORS, MAX_SYNC_FRAME_BYTES, MAX_SYNC_LOGS } from './constants.js'
import { cborDepth } from './canonical.js'
import { FlockError } from './errors.js'
import { isAuthorId } from './identity.js'

export interface LogWant {
  /** A log id: a device id, or the author id for its root log. */
  log: string
  /** Highest seq the requester holds of that log without gaps; 0 when it holds nothing. */
  after: number
}

/** One wanted author: the logs of it the requester holds; the responder adds any others it holds. */
export interface Want {
  author: string
  logs: LogWant[]
}

/**
 * The frames of both protocol versions, in version 2's shape. Version 1 (`/flock/sync/1.0.0`) knows
 * only root logs: its want item is `{author, after}` and its range has no `log`; encodeFrame and
 * decodeFrame translate.
 */
export type SyncFrame =
  | { t: 'want', want: Want[] }
  /**
   * Precedes the entries of one log: seq `from` to `to` follow (none when to = from - 1); `head`
   * is the responder's latest seq, which may be below `from` when it holds less than the requester.
   */
  | { t: 'range', author: string, log: string, from: number, to: number, head: number }
  | { t: 'entry', bytes: Uint8Array }
  | { t: 'end' }

export type SyncVersion = 1 | 2

export class SyncFrameError extends FlockError {
  readonly code = 'SYNC_FRAME'
  override readonly name = 'SyncFrameError'
}

export function encodeFrame (frame: SyncFrame, version: SyncVersion = 2): Uint8Array {
  if (version === 2) return dagCbor.encode(frame)
  if (frame.t === 'want') {
    return dagCbor.encode({ t: 'want', want: frame.want.map(w => ({ author: w.author, after: w.logs.find(l => l.log === w.author)?.after ?? 0 })) })
  }
  if (frame.t === 'range') {
    const { author, from, to, head } = frame
    return dagCbor.encode({ t: 'range', author, from, to, head })
  }
  return dagCbor.encode(frame)
}

const seqLike = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0

export function decodeFrame (bytes: Uint8Array, version: SyncVersion = 2): SyncFrame {
  if (bytes.length > MAX_SYNC_FRAME_BYTES) throw new SyncFrameError(`frame of ${bytes.length} bytes exceeds ${MAX_SYNC_FRAME_BYTES}`)
  if (cborDepth(bytes) > MAX_CBOR_DEPTH) throw new SyncFrameError(`frame nests deeper than ${MAX_CBOR_DEPTH} levels`)
  let value: unknown
  try {
    value = dagCbor.decode(bytes)
  } catch (err) {
    throw new SyncFrameError(`frame is not DAG-CBOR: ${(err as Error).message}`)
  }
  if (typeof value !== 'object' || value === null) throw new SyncFrameError('frame is not a map')
  const f = value as Record<string, unknown>
  switch (f.t) {
    case 'want': {
      if (!Array.isArray(f.want) || f.want.length > MAX_SYNC_AUTHORS) throw new SyncFrameError(`want must list at most ${MAX_SYNC_AUTHORS} authors`)
      const want = f.want.map((w: unknown): Want => {
        const { author, after, logs } = (w ?? {}) as Record<string, unknown>
        if (version === 1) {
          if (!isAuthorId(author) || !seqLike(after)) throw new SyncFrameError('want item needs an author id and a seq')
          return { author, logs: [{ log: author, after }] }
        }
        if (!isAuthorId(author) || !Array.isArray(logs) || logs.length > MAX_SYNC_LOGS) {
          throw new SyncFrameError(`want item needs an author id and a list of at most ${MAX_SYNC_LOGS} logs`)
        }
        return {
          author,
          logs: logs.map((l: unknown): LogWant => {
            const { log, after } = (l ?? {}) as Record<string, unknown>
            if (!isAuthorId(log) || !seqLike(after)) throw new SyncFrameError('a wanted log needs a log id and a seq')
            return { log, after }
          })
        }
      })
      return { t: 'want', want }
    }
    case 'range': {
      const { author, from, to, head } = f
      const log = version === 1 ? author : f.log
      if (!isAuthorId(author) || !isAuthorId(log) || !seqLike(from) || !seqLike(to) || !seqLike(head) || from < 1 || to < from - 1 || to > Math.max(head, from - 1)) {
        throw new SyncFrameError(`range needs an author id, a log id and 1 <= from <= to + 1 <= head + 1 (got ${shown(from)}..${shown(to)} of ${shown(head)})`)
      }
      return { t: 'range', author, log, from, to, head }
    }
    case 'entry':
      if (!(f.bytes instanceof Uint8Array)) throw new SyncFrameError('entry frame needs bytes')
      return { t: 'entry', bytes: f.bytes }
    case 'end':
      return { t: 'end' }
    default:
      throw new SyncFrameError(`unknown frame type ${shown(f.t)}`)
  }
}

/**
 * A decoded value in an error message. String() would call a map's own `toString` key (a hostile
 * frame can carry one) and throw a TypeError instead of the SyncFrameError.
 */
function shown (value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value)
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40))
  return typeof value
}
