/**
 * Reading a home timeline from an entry store, shared by the node and by the tab that shows the
 * stored timeline before its node is up (so the two agree entry for entry). No libp2p here.
 */
import { entryCid as entryCidOf, restoreVerified, type VerifiedEntry } from '../core/index.js'
import type { EntryStore, LogReader } from './store.js'

/** Newest first across newest-first sources; on equal timestamps the earlier source comes first. */
export async function * mergedNewestFirst<T extends { entry: { ts: number } }> (sources: Array<AsyncIterator<T>>): AsyncGenerator<T> {
  const heads: Array<T | undefined> = await Promise.all(sources.map(async s => (await s.next()).value as T | undefined))
  while (true) {
    let best = -1
    heads.forEach((h, i) => {
      if (h === undefined) return
      const current = best >= 0 ? heads[best] : undefined
      if (current === undefined || h.entry.ts > current.entry.ts) best = i
    })
    if (best < 0) return
    yield heads[best] as T
    heads[best] = (await (sources[best] as AsyncIterator<T>).next()).value as T | undefined
  }
}

/** The first `limit` of mergedNewestFirst. */
export async function mergeNewestFirst<T extends { entry: { ts: number } }> (sources: Array<AsyncIterator<T>>, limit: number): Promise<T[]> {
  const out: T[] = []
  if (limit <= 0) return out
  for await (const v of mergedNewestFirst(sources)) {
    out.push(v)
    if (out.length >= limit) break
  }
  return out
}

/** Everything held of `author`, all its logs merged, newest first; revoked entries left out. */
export async function * authorNewestFirst (store: Pick<LogReader, 'newestFirst' | 'revokedAfter' | 'logsOf'>, author: string): AsyncGenerator<VerifiedEntry> {
  yield * mergedNewestFirst((await store.logsOf(author)).map(l => newestVisible(store, l)))
}

/**
 * Whom an author follows, decided across all its logs (PROTOCOL.md §3): for each followed author the
 * follow or unfollow with the greatest ts counts, ties broken by the greater CID — not the order they
 * arrived in, since another device's entries may arrive late.
 */
export class FollowState {
  /** Followed authors, in the order they were first followed. */
  readonly following = new Set<string>()
  readonly #latest = new Map<string, { ts: number, cid: Uint8Array }>()

  constructor (readonly self: string) {}

  /** Apply one entry of `self`; true when the set changed. */
  apply (v: VerifiedEntry): boolean {
    const e = v.entry
    if ((e.kind !== 'follow' && e.kind !== 'unfollow') || e.author !== this.self || e.body.author === this.self) return false
    const target = e.body.author
    const last = this.#latest.get(target)
    if (last !== undefined && compareVersions(e.ts, v.cid.bytes, last.ts, last.cid) <= 0) return false
    this.#latest.set(target, { ts: e.ts, cid: v.cid.bytes })
    if (e.kind === 'follow') {
      if (this.following.has(target)) return false
      this.following.add(target)
      return true
    }
    return this.following.delete(target)
  }
}

/** Order of two competing entries across logs: by ts, then by CID bytes. */
export function compareVersions (ts: number, cid: Uint8Array, otherTs: number, otherCid: Uint8Array): number {
  if (ts !== otherTs) return ts - otherTs
  for (let i = 0; i < Math.min(cid.length, otherCid.length); i++) {
    if (cid[i] !== otherCid[i]) return (cid[i] as number) - (otherCid[i] as number)
  }
  return cid.length - otherCid.length
}

/** Whom `author` follows: every log of it replayed. */
export async function followStateOf (store: EntryStore, author: string): Promise<FollowState> {
  const state = new FollowState(author)
  for (const log of await store.logsOf(author)) {
    for await (const v of visibleEntries(store, log)) state.apply(v)
  }
  return state
}

export async function followsInLog (store: EntryStore, author: string): Promise<string[]> {
  return [...(await followStateOf(store, author)).following]
}

/** A log's entries from seq 1, without those after its revocation. Stored entries were verified then. */
async function * visibleEntries (store: EntryStore, log: string): AsyncGenerator<VerifiedEntry> {
  const to = Math.min((await store.head(log))?.seq ?? 0, await store.revokedAfter(log) ?? Infinity)
  for await (const bytes of store.range(log, 1, to)) {
    yield restoreVerified(bytes, await entryCidOf(bytes))
  }
}

/** A log newest first, leaving out entries after its revocation. */
export async function * newestVisible (store: Pick<LogReader, 'newestFirst' | 'revokedAfter'>, log: string, firstBatch?: number): AsyncGenerator<VerifiedEntry> {
  const after = await store.revokedAfter(log)
  for await (const v of store.newestFirst(log, firstBatch)) {
    if (after === undefined || v.entry.seq <= after) yield v
  }
}

/**
 * The newest `limit` entries of `authors` (a home timeline: us, then whom we follow), over all their
 * logs. Each log's first read is sized for its share of the limit.
 */
export async function homeTimeline (store: EntryStore, authors: string[], limit: number): Promise<VerifiedEntry[]> {
  const logs = (await Promise.all(authors.map(async a => await store.logsOf(a)))).flat()
  const firstBatch = Math.ceil(limit / Math.max(1, logs.length))
  return await mergeNewestFirst(logs.map(l => newestVisible(store, l, firstBatch)), limit)
}
