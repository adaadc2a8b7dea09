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
import { MAX_CBOR_DEPTH, MAX_SYNC_AUTHORS, MAX_SYNC_FRAME_BYTES } from './constants.js'
import { cborDepth } from './canonical.js'
import { FlockError } from './errors.js'
import { isAuthorId } from './identity.js'

export interface Want {
  author: string
  /** Highest seq the requester holds without gaps; 0 when it holds nothing. */
  after: number
}

export type SyncFrame =
  | { t: 'want', want: Want[] }
  /**
   * Precedes the entries of one author: seq `from` to `to` follow (none when to = from - 1); `head`
   * is the responder's latest seq, which may be below `from` when it holds less than the requester.
   */
  | { t: 'range', author: string, from: number, to: number, head: number }
  | { t: 'entry', bytes: Uint8Array }
  | { t: 'end' }

export class SyncFrameError extends FlockError {
  readonly code = 'SYNC_FRAME'
  override readonly name = 'SyncFrameError'
}

export function encodeFrame (frame: SyncFrame): Uint8Array {
  return dagCbor.encode(frame)
}

const seqLike = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0

export function decodeFrame (bytes: Uint8Array): SyncFrame {
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
        const { author, after } = (w ?? {}) as Record<string, unknown>
        if (!isAuthorId(author) || !seqLike(after)) throw new SyncFrameError('want item needs an author id and a seq')
        return { author, after }
      })
      return { t: 'want', want }
    }
    case 'range': {
      const { author, from, to, head } = f
      if (!isAuthorId(author) || !seqLike(from) || !seqLike(to) || !seqLike(head) || from < 1 || to < from - 1 || to > Math.max(head, from - 1)) {
        throw new SyncFrameError(`range needs an author id and 1 <= from <= to + 1 <= head + 1 (got ${shown(from)}..${shown(to)} of ${shown(head)})`)
      }
      return { t: 'range', author, from, to, head }
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
