/**
 * Notification logic without the UI: grouping (likes and reposts of one post become one line,
 * follows become one line), which notifications are unread, and the bounded set of seen ids kept in
 * localStorage.
 *
 * ```ts
 * const groups = groupNotifications(list, seen) // [{ kind: 'like', actors: [...], subject: 'bafy…', unread: true, … }]
 * ```
 */
import type { NotificationKind, NotificationView } from '../app/client.js'

export interface Actor {
  author: string
  name?: string
}

export interface NotificationGroup {
  /** Stable key for keyed rendering. */
  key: string
  kind: NotificationKind
  /** Distinct authors, newest first. */
  actors: Actor[]
  /** The notifications in this group, newest first. */
  items: NotificationView[]
  /** CID of the post liked or reposted (like, repost), else undefined. */
  subject?: string
  /** Timestamp of the newest item. */
  ts: number
  unread: boolean
}

/** Oldest seen ids are forgotten beyond this; far more than one notifications() page holds. */
export const MAX_SEEN = 500

function subjectOf ({ entry }: NotificationView): string | undefined {
  return entry.kind === 'like' || entry.kind === 'repost' ? entry.body.subject : undefined
}

function groupKey (n: NotificationView): string {
  if (n.kind === 'like' || n.kind === 'repost') {
    const subject = subjectOf(n)
    if (subject !== undefined) return `${n.kind}:${subject}`
  }
  if (n.kind === 'follow') return 'follow'
  return `${n.kind}:${n.entry.cid}`
}

/**
 * Group notifications (given newest first, as the client returns them). A group sits where its
 * newest member was; `seen` decides `unread`, which is true when any member is unseen.
 */
export function groupNotifications (list: readonly NotificationView[], seen: ReadonlySet<string> = new Set()): NotificationGroup[] {
  const sorted = [...list].sort((a, b) => b.entry.ts - a.entry.ts)
  const groups = new Map<string, NotificationGroup>()
  for (const n of sorted) {
    const key = groupKey(n)
    let group = groups.get(key)
    if (group === undefined) {
      const subject = n.kind === 'like' || n.kind === 'repost' ? subjectOf(n) : undefined
      group = { key, kind: n.kind, actors: [], items: [], ts: n.entry.ts, unread: false, ...(subject !== undefined ? { subject } : {}) }
      groups.set(key, group)
    }
    group.items.push(n)
    if (!seen.has(n.entry.cid)) group.unread = true
    if (!group.actors.some(a => a.author === n.entry.author)) {
      group.actors.push({ author: n.entry.author, ...(n.authorName !== undefined ? { name: n.authorName } : {}) })
    }
  }
  return [...groups.values()]
}

/** The ids in `ids` but not in `except`, as a set for lookups. */
export function idSet (ids: readonly string[], except: readonly string[] = []): ReadonlySet<string> {
  const out = new Set(ids)
  for (const id of except) out.delete(id)
  return out
}

/** How many notifications are not in `seen`. */
export function unreadCount (list: readonly NotificationView[], seen: ReadonlySet<string>): number {
  let n = 0
  for (const item of list) if (!seen.has(item.entry.cid)) n++
  return n
}

/** `seen` plus `cids`, the newest last, trimmed to the `max` most recent. */
export function addSeen (seen: readonly string[], cids: readonly string[], max = MAX_SEEN): string[] {
  const merged = seen.filter(c => !cids.includes(c)).concat(cids)
  return merged.length > max ? merged.slice(merged.length - max) : merged
}

export function seenKey (author: string): string {
  return `flock.notifications.seen.${author}`
}

/** Read the seen list from storage; anything malformed counts as nothing seen. */
export function loadSeen (storage: Pick<Storage, 'getItem'> | undefined, author: string): string[] {
  try {
    const parsed = JSON.parse(storage?.getItem(seenKey(author)) ?? '[]') as unknown
    return Array.isArray(parsed) ? parsed.filter((c): c is string => typeof c === 'string') : []
  } catch {
    return []
  }
}

export function saveSeen (storage: Pick<Storage, 'setItem'> | undefined, author: string, seen: readonly string[]): void {
  try {
    storage?.setItem(seenKey(author), JSON.stringify(seen))
  } catch {
    // Storage full or disabled (private mode): the badge just resets next session.
  }
}

/** The sentence for a group: 'Ada liked your post', 'Ada and Bo reposted your post', 'Ada and 3 others followed you'. */
export function groupSentence (group: NotificationGroup, name: (actor: Actor) => string): { who: string, what: string } {
  const first = group.actors[0]
  const names = group.actors.map(name)
  let who: string
  if (first === undefined) who = 'Someone'
  else if (names.length === 1) who = names[0] as string
  else if (names.length === 2) who = `${names[0] as string} and ${names[1] as string}`
  else who = `${names[0] as string} and ${names.length - 1} others`
  const what: Record<NotificationKind, string> = {
    like: 'liked your post',
    repost: 'reposted your post',
    follow: 'followed you',
    reply: 'replied to your post',
    mention: 'mentioned you',
    quote: 'quoted your post'
  }
  return { who, what: what[group.kind] }
}
