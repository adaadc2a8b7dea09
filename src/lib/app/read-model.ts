/**
 * The app's read model over the replicated logs: which entries refer to a post (replies, likes,
 * reposts, quotes), whom an entry notifies, each author's latest profile, and which entries their
 * author deleted. It lives on the app side because these are app decisions, not replication ones:
 * the store only has to keep logs that verify and chain, while who gets notified, or what a
 * tombstone hides, can change with the app without touching what peers store and serve.
 *
 * It is fed by the node's `entry` events and, at start, by `catchUp` from the logs themselves, so an
 * empty index rebuilds from what is held:
 *
 *   const model = new ReadModel(datastore, node.logs)
 *   node.addEventListener('entry', e => { model.add([e.detail.entry]) })
 *   await model.catchUp()
 *   const likes = await model.refs(post, 'like')
 *
 * A per-author watermark (the highest seq indexed) is written in the same datastore batch as that
 * seq's index keys, so after a crash or failed write the index is exactly the logs' prefixes up to
 * their watermarks and indexing resumes from there without writing anything twice.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { logger } from '@libp2p/logger'
import { Key, type Datastore } from 'interface-datastore'
import { CID } from 'multiformats/cid'
import { entryCid, logOf, restoreVerified, type VerifiedEntry } from '../core/index.js'
import { readOptional, type LogReader } from '../p2p/store.js'
import { compareVersions } from '../p2p/timeline.js'

const log = logger('flock:read-model')

/** What the read model reads of the replicated logs (the node's `logs`, or a store opened without a node). */
export type LogSource = Pick<LogReader, 'get' | 'head' | 'range' | 'authors' | 'logsOf'>

export type RefKind = 'reply' | 'like' | 'repost' | 'quote' | 'edit'

/** Entries per datastore batch when indexing from the logs, so a long log is not one huge write. */
const INDEX_BATCH = 256
const SEQ_DIGITS = 16

const padded = (n: number): string => String(n).padStart(SEQ_DIGITS, '0')
const refKey = (subject: CID, kind: RefKind, cid: CID): Key => new Key(`/flock/ref/${subject.toString()}/${kind}/${cid.toString()}`)
// The padded timestamp first makes key order time order; the CID keeps same-millisecond entries apart.
const notifyKey = (target: string, v: VerifiedEntry): Key => new Key(`/flock/notify/${target}/${padded(v.entry.ts)}-${v.cid.toString()}`)
const profileKey = (author: string): Key => new Key(`/flock/profile/${author}`)
const deletedKey = (subject: CID): Key => new Key(`/flock/deleted/${subject.toString()}`)
// Watermarks are per log (a root log's id is its author's): each device log is indexed in its own order.
const indexedKey = (log: string): Key => new Key(`/flock/indexed/${log}`)

export class ReadModel {
  readonly #index: Datastore
  readonly #logs: LogSource
  /** Watermarks read or written so far; only the queue writes them, so the cache cannot go stale. */
  readonly #marks = new Map<string, number>()
  /** The end of the indexing queue; it never rejects, so one failure does not stall what follows. */
  #tail: Promise<void> = Promise.resolve()

  constructor (index: Datastore, logs: LogSource) {
    this.#index = index
    this.#logs = logs
  }

  /**
   * Index every held entry not yet indexed. A failure for one author is logged and does not keep
   * the others from being indexed; the first one is then thrown.
   */
  async catchUp (): Promise<void> {
    await this.#enqueue(async () => {
      let failure: unknown
      for (const author of await this.#logs.authors()) {
        for (const id of await this.#logs.logsOf(author)) {
          try {
            const head = await this.#logs.head(id)
            if (head !== null) await this.#indexFromLog(id, head.seq)
          } catch (err) {
            log.error('indexing %s failed: %e', id, err)
            failure ??= err
          }
        }
      }
      if (failure !== undefined) throw failure
    })
  }

  /**
   * Queue stored entries for indexing, in per-log seq order; entries at or below their log's
   * watermark are skipped. Never throws: a failure is logged, and the next catchUp (or the next
   * entry of that author, which finds the gap) indexes what was missed.
   */
  add (entries: VerifiedEntry[]): void {
    if (entries.length === 0) return
    this.#enqueue(async () => { await this.#indexEntries(entries) }).catch(() => {})
  }

  /** Resolves when everything queued so far, a catchUp in flight included, is indexed. */
  async idle (): Promise<void> {
    await this.#tail
  }

  /** CIDs of entries that refer to `subject` as `kind`. */
  async refs (subject: CID, kind: RefKind): Promise<CID[]> {
    await this.idle()
    const out: CID[] = []
    for await (const { value } of this.#index.query({ prefix: `/flock/ref/${subject.toString()}/${kind}/` })) out.push(CID.decode(value))
    return out
  }

  /** Entries that reply to, mention, like, repost, quote or follow `author`, newest first by ts. */
  async notifications (author: string, limit = 50): Promise<VerifiedEntry[]> {
    await this.idle()
    const keys: Array<{ key: string, cid: CID }> = []
    for await (const { key, value } of this.#index.query({ prefix: `/flock/notify/${author}/` })) keys.push({ key: key.toString(), cid: CID.decode(value) })
    keys.sort((a, b) => a.key < b.key ? 1 : a.key > b.key ? -1 : 0)
    const out: VerifiedEntry[] = []
    for (const { cid } of keys.slice(0, limit)) {
      const v = await this.#logs.get(cid)
      if (v !== undefined) out.push(v)
    }
    return out
  }

  /** The author's latest profile entry, if any is held. `settled`: wait for what is queued first. */
  async profile (author: string, settled = true): Promise<VerifiedEntry<'profile'> | undefined> {
    if (settled) await this.idle()
    const stored = await readOptional(this.#index, profileKey(author))
    return stored === undefined ? undefined : await this.#logs.get(CID.decode(stored)) as VerifiedEntry<'profile'> | undefined
  }

  /** Whether the entry's own author deleted it. */
  async isDeleted (cid: CID): Promise<boolean> {
    await this.idle()
    return await this.#index.has(deletedKey(cid))
  }

  async #enqueue (task: () => Promise<void>): Promise<void> {
    const run = this.#tail.then(task)
    this.#tail = run.catch(() => {})
    await run
  }

  async #indexEntries (entries: VerifiedEntry[]): Promise<void> {
    const byLog = new Map<string, VerifiedEntry[]>()
    const known = new Map<string, string>()
    for (const v of entries) {
      const id = logOf(v.entry)
      const list = byLog.get(id)
      if (list === undefined) byLog.set(id, [v])
      else list.push(v)
      known.set(v.cid.toString(), v.entry.author)
    }
    for (const [author, list] of byLog) {
      try {
        const mark = await this.#watermark(author)
        const fresh = list.filter(v => v.entry.seq > mark)
        const last = fresh[fresh.length - 1]
        if (last === undefined) continue
        // The watermark must only ever cover a contiguous prefix of the log. Entries that do not
        // follow it mean earlier ones were stored but never indexed (a failed write): read the whole
        // span from the log rather than skip them for good.
        if (fresh.every((v, i) => v.entry.seq === mark + 1 + i)) await this.#commit(author, fresh, known)
        else await this.#indexFromLog(author, last.entry.seq)
      } catch (err) {
        log.error('indexing entries of %s failed: %e', author, err)
      }
    }
  }

  /** Index `author`'s stored entries after its watermark up to seq `to`, a batch at a time. */
  async #indexFromLog (author: string, to: number): Promise<void> {
    const from = await this.#watermark(author) + 1
    if (from > to) return
    let chunk: VerifiedEntry[] = []
    for await (const bytes of this.#logs.range(author, from, to)) {
      chunk.push(restoreVerified(bytes, await entryCid(bytes)))
      if (chunk.length === INDEX_BATCH) {
        await this.#commit(author, chunk, authorsOf(chunk))
        chunk = []
      }
    }
    if (chunk.length > 0) await this.#commit(author, chunk, authorsOf(chunk))
  }

  /**
   * Write the index keys of consecutive entries of `author` and move its watermark past them, in
   * one batch. `known` maps CIDs to authors of entries indexed together, which a reader may not
   * find yet: an entry can refer to another in the same batch.
   */
  async #commit (author: string, entries: VerifiedEntry[], known: Map<string, string>): Promise<void> {
    // Keyed by key, so a batch with two profiles of one author writes only the later one, whatever
    // order a backend applies a batch's puts in.
    const puts = new Map<string, { key: Key, value: Uint8Array }>()
    for (const v of entries) {
      for (const key of await this.#derivedKeys(v, known)) puts.set(key.toString(), { key, value: v.cid.bytes })
    }
    const seq = (entries[entries.length - 1] as VerifiedEntry).entry.seq
    const batch = this.#index.batch()
    for (const { key, value } of puts.values()) batch.put(key, value)
    batch.put(indexedKey(author), dagCbor.encode(seq))
    await batch.commit()
    this.#marks.set(author, seq)
  }

  /** Index keys of one entry: what it refers to, whom it notifies, the latest profile, tombstones. */
  async #derivedKeys (v: VerifiedEntry, known: Map<string, string>): Promise<Key[]> {
    const e = v.entry
    const keys: Key[] = []
    const notify = (target: string | undefined): void => {
      if (target !== undefined && target !== e.author) keys.push(notifyKey(target, v))
    }
    switch (e.kind) {
      case 'post': {
        if (e.body.reply !== undefined) {
          keys.push(refKey(e.body.reply.parent, 'reply', v.cid))
          notify(await this.#authorOf(e.body.reply.parent, known))
        }
        if (e.body.quote !== undefined) {
          keys.push(refKey(e.body.quote, 'quote', v.cid))
          notify(await this.#authorOf(e.body.quote, known))
        }
        for (const m of e.body.mentions ?? []) notify(m)
        break
      }
      case 'like':
      case 'repost':
        keys.push(refKey(e.body.subject, e.kind, v.cid))
        notify(e.body.author)
        break
      case 'follow':
        notify(e.body.author)
        break
      case 'profile': {
        // Across an author's devices the latest by time wins, not the last to arrive (PROTOCOL.md §3).
        const held = await this.profile(e.author, false)
        if (held === undefined || compareVersions(e.ts, v.cid.bytes, held.entry.ts, held.cid.bytes) > 0) keys.push(profileKey(e.author))
        break
      }
      case 'delete':
        // Only an author may retract its own entries; a tombstone for anyone else's is inert.
        if (await this.#authorOf(e.body.subject, known) === e.author) keys.push(deletedKey(e.body.subject))
        break
      case 'edit':
        // Likewise only its author may give a post new text.
        if (await this.#authorOf(e.body.subject, known) === e.author) keys.push(refKey(e.body.subject, 'edit', v.cid))
        break
      case 'revoke': {
        // What the revoked device wrote after `after` stops counting: hidden like a deleted entry.
        // Later entries of it are refused by the store, so what is held now is all there is.
        const head = await this.#logs.head(e.body.device)
        if (head === null || head.author !== e.author) break
        for await (const bytes of this.#logs.range(e.body.device, e.body.after + 1, head.seq)) keys.push(deletedKey(await entryCid(bytes)))
        break
      }
    }
    return keys
  }

  async #authorOf (cid: CID, known: Map<string, string>): Promise<string | undefined> {
    return known.get(cid.toString()) ?? (await this.#logs.get(cid))?.entry.author
  }

  async #watermark (author: string): Promise<number> {
    let mark = this.#marks.get(author)
    if (mark === undefined) {
      const stored = await readOptional(this.#index, indexedKey(author))
      mark = stored === undefined ? 0 : dagCbor.decode<number>(stored)
      this.#marks.set(author, mark)
    }
    return mark
  }
}

function authorsOf (entries: VerifiedEntry[]): Map<string, string> {
  return new Map(entries.map(v => [v.cid.toString(), v.entry.author]))
}
