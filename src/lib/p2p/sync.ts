/**
 * The catch-up sync protocol (PROTOCOL.md §9): one stream per exchange, the requester names the
 * authors it wants and the seq it holds of each, the responder streams every missing entry in order.
 * History therefore moves in one round trip per batch of authors, never one per entry.
 */
import { lpStream } from '@libp2p/utils'
import type { Stream } from '@libp2p/interface'
import {
  MAX_SYNC_FRAME_BYTES, SyncFrameError, checkTimestamp, decodeFrame, encodeFrame, verifyEntry,
  WrongAuthorError, type VerifiedEntry, type Want
} from '../core/index.js'
import type { EntryStore } from './store.js'
import { SYNC_MAX_ENTRIES_PER_AUTHOR, SYNC_WRITE_BATCH } from './constants.js'

/**
 * Signatures checked at once. The store's reads and writes share the runtime's I/O threads (libuv's
 * four in Node) with them, so a whole batch at once would hold storing back.
 */
const VERIFY_IN_FLIGHT = 16

/** Promise.allSettled over `items`, at most `size` of `fn` running at a time, results in order. */
async function settleInChunks<T, R> (items: T[], size: number, fn: (item: T) => Promise<R>): Promise<Array<PromiseSettledResult<R>>> {
  const out: Array<PromiseSettledResult<R>> = []
  for (let i = 0; i < items.length; i += size) out.push(...await Promise.allSettled(items.slice(i, i + size).map(fn)))
  return out
}

export interface SyncProgress {
  /** Entries received and stored so far in this exchange. */
  received: number
  /** Entries the responder announced it would send so far. */
  expected: number
}

export interface SyncResult extends SyncProgress {
  /** Authors the responder holds more of than it sent in this exchange: ask again. */
  more: string[]
}

/** Answer one sync request on `stream` from `store`; resolves with the number of entries sent. */
export async function serveSync (stream: Stream, store: EntryStore, options: { signal?: AbortSignal } = {}): Promise<number> {
  const lp = lpStream(stream, { maxDataLength: MAX_SYNC_FRAME_BYTES })
  let sent = 0
  try {
    const request = decodeFrame((await lp.read(options)).subarray())
    if (request.t !== 'want') throw new SyncFrameError(`expected a want frame, got ${request.t}`)
    for (const { author, after } of request.want) {
      const head = (await store.head(author))?.seq ?? 0
      const from = after + 1
      const to = Math.max(after, Math.min(head, after + SYNC_MAX_ENTRIES_PER_AUTHOR))
      await lp.write(encodeFrame({ t: 'range', author, from, to, head }), options)
      let pending: Uint8Array[] = []
      for await (const bytes of store.range(author, from, to, options)) {
        pending.push(encodeFrame({ t: 'entry', bytes }))
        sent++
        if (pending.length >= SYNC_WRITE_BATCH) {
          await lp.writeV(pending, options)
          pending = []
        }
      }
      if (pending.length > 0) await lp.writeV(pending, options)
    }
    await lp.write(encodeFrame({ t: 'end' }), options)
    await stream.close(options)
  } catch (err) {
    stream.abort(err as Error)
  }
  return sent
}

/**
 * Ask the peer behind `stream` for everything after `wants` and store what arrives. Every entry is
 * verified (signature, schema, timestamp) and chained onto the local log before it is kept; on any
 * error the entries already stored stay, so asking again resumes with no gap and no duplicate.
 */
export async function requestSync (
  stream: Stream, store: EntryStore, wants: Want[],
  options: { signal?: AbortSignal, onProgress?: (p: SyncProgress) => void, onEntries?: (entries: VerifiedEntry[]) => void } = {}
): Promise<SyncResult> {
  const lp = lpStream(stream, { maxDataLength: MAX_SYNC_FRAME_BYTES })
  const progress: SyncResult = { received: 0, expected: 0, more: [] }
  let author: string | undefined
  let batch: Uint8Array[] = []
  // Batches are stored strictly in order, one after another; once one fails, no later one is stored.
  let stored: Promise<void> = Promise.resolve()
  // Signatures of a batch are checked all at once (on every core where the runtime allows), while
  // the batch before it is being stored; the entries before the first bad one are kept, exactly as
  // if they had been checked one by one. Resolves when this batch and every earlier one are stored.
  const flush = async (): Promise<void> => {
    if (batch.length === 0 || author === undefined) return await stored
    const frames = batch
    const expectedAuthor = author
    batch = []
    const verifying = settleInChunks(frames, VERIFY_IN_FLIGHT, async (bytes) => {
      const v = await verifyEntry(bytes, { parallel: true })
      if (v.entry.author !== expectedAuthor) throw new WrongAuthorError(`entry by ${v.entry.author} inside the range of ${expectedAuthor}`)
      checkTimestamp(v)
      return v
    })
    stored = stored.then(async () => {
      const results = await verifying
      const bad = results.findIndex(r => r.status === 'rejected')
      const entries = (bad < 0 ? results : results.slice(0, bad)).map(r => (r as PromiseFulfilledResult<VerifiedEntry>).value)
      if (entries.length > 0) {
        await store.appendMany(entries)
        progress.received += entries.length
        options.onEntries?.(entries)
        options.onProgress?.({ received: progress.received, expected: progress.expected })
      }
      if (bad >= 0) throw (results[bad] as PromiseRejectedResult).reason
    })
    // Whoever waits next sees a failure; until then it must not count as unhandled.
    stored.catch(() => {})
    return await stored
  }
  try {
    await lp.write(encodeFrame({ t: 'want', want: wants }), options)
    while (true) {
      const frame = decodeFrame((await lp.read(options)).subarray())
      if (frame.t === 'end') break
      if (frame.t === 'range') {
        await flush()
        author = frame.author
        progress.expected += Math.max(0, frame.to - frame.from + 1)
        if (frame.head > frame.to) progress.more.push(frame.author)
        options.onProgress?.({ received: progress.received, expected: progress.expected })
        continue
      }
      if (frame.t !== 'entry' || author === undefined) throw new SyncFrameError(`unexpected ${frame.t} frame`)
      batch.push(frame.bytes)
      if (batch.length >= SYNC_WRITE_BATCH) {
        // Keep reading while this batch is verified, but no further than one batch ahead.
        const previous = stored
        void flush().catch(() => {})
        await previous
      }
    }
    await flush()
    await stream.close(options)
    return progress
  } catch (err) {
    await flush().catch(() => {})
    stream.abort(err as Error)
    throw err
  }
}
