/**
 * Reading a home timeline from an entry store, shared by the node and by the tab that shows the
 * stored timeline before its node is up (so the two agree entry for entry). No libp2p here.
 */
import { decodeEntry, type Entry, type VerifiedEntry } from '../core/index.js'
import type { EntryStore } from './store.js'

/** Newest first across newest-first sources; on equal timestamps the earlier source comes first. */
export async function mergeNewestFirst<T extends { entry: { ts: number } }> (sources: Array<AsyncIterator<T>>, limit: number): Promise<T[]> {
  const heads: Array<T | undefined> = await Promise.all(sources.map(async s => (await s.next()).value as T | undefined))
  const out: T[] = []
  while (out.length < limit) {
    let best = -1
    heads.forEach((h, i) => {
      if (h === undefined) return
      const current = best >= 0 ? heads[best] : undefined
      if (current === undefined || h.entry.ts > current.entry.ts) best = i
    })
    if (best < 0) break
    out.push(heads[best] as T)
    heads[best] = (await (sources[best] as AsyncIterator<T>).next()).value as T | undefined
  }
  return out
}

/** Whom `author` follows, in the order they were followed: its own log replayed from seq 1. */
export async function followsInLog (store: EntryStore, author: string): Promise<string[]> {
  const following = new Set<string>()
  const head = await store.head(author)
  for await (const bytes of store.range(author, 1, head?.seq ?? 0)) {
    // Our own log was verified when it was stored; decoding is enough.
    applyFollow(following, author, decodeEntry(bytes))
  }
  return [...following]
}

/** Apply one entry of `self`'s own log to the set it follows; true when the set changed. */
export function applyFollow (following: Set<string>, self: string, e: Entry): boolean {
  if (e.kind === 'follow' && !following.has(e.body.author) && e.body.author !== self) {
    following.add(e.body.author)
    return true
  }
  return e.kind === 'unfollow' && following.delete(e.body.author)
}

/**
 * The newest `limit` entries of `authors` (a home timeline: us, then whom we follow). Each log's
 * first read is sized for its share of the limit.
 */
export async function homeTimeline (store: EntryStore, authors: string[], limit: number): Promise<VerifiedEntry[]> {
  const firstBatch = Math.ceil(limit / authors.length)
  return await mergeNewestFirst(authors.map(a => store.newestFirst(a, firstBatch)), limit)
}
