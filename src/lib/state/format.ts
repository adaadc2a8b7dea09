/**
 * Pure formatting for the UI: relative times, short ids, byte sizes, counts, sync progress. No DOM,
 * no Svelte, so every rule here is unit-tested in test/state/format.test.ts.
 *
 * ```ts
 * relativeTime(now - 5 * 60_000, now) // '5m'
 * formatBytes(1536)                   // '1.5 KB'
 * syncText({ active: true, received: 340, expected: 1000, peers: 2 }) // 'Syncing 340 of 1,000 entries from 2 peers'
 * ```
 */
import type { ImportReport, SyncView } from '../app/client.js'

const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

export interface TimeFormatOptions {
  locale?: string
  /** IANA time zone; the browser's own when absent. Tests pin it for determinism. */
  timeZone?: string
}

/**
 * Short age of a timestamp as a timeline shows it: 'now', '5m', '3h', '2d', then a date ('Mar 5', or
 * 'Mar 5, 2024' in another year). Timestamps slightly in the future (clock skew between devices,
 * which the protocol allows for a few minutes) read as 'now'.
 */
export function relativeTime (ts: number, now: number, options: TimeFormatOptions = {}): string {
  const age = now - ts
  if (age < MINUTE) return 'now'
  if (age < HOUR) return `${Math.floor(age / MINUTE)}m`
  if (age < DAY) return `${Math.floor(age / HOUR)}h`
  if (age < 7 * DAY) return `${Math.floor(age / DAY)}d`
  const zone = options.timeZone !== undefined ? { timeZone: options.timeZone } : {}
  const year = (t: number): string => new Intl.DateTimeFormat('en', { year: 'numeric', ...zone }).format(t)
  const sameYear = year(ts) === year(now)
  return new Intl.DateTimeFormat(options.locale, {
    month: 'short', day: 'numeric', ...(sameYear ? {} : { year: 'numeric' }), ...zone
  }).format(ts)
}

/** Full date and time for a title attribute or a screen reader. */
export function absoluteTime (ts: number, options: TimeFormatOptions = {}): string {
  return new Intl.DateTimeFormat(options.locale, {
    dateStyle: 'medium', timeStyle: 'short', ...(options.timeZone !== undefined ? { timeZone: options.timeZone } : {})
  }).format(ts)
}

/** A long id (author id, peer id, CID) cut to something readable: '12D3Ko…x7Qa'. */
export function shortId (id: string, head = 6, tail = 4): string {
  if (id.length <= head + tail + 1) return id
  return `${id.slice(0, head)}…${id.slice(-tail)}`
}

/** The short id of an author without the '12D3KooW' prefix every Ed25519 author id shares. */
export function shortAuthor (author: string): string {
  const rest = author.startsWith('12D3KooW') ? author.slice(8) : author
  return rest.length <= 8 ? rest : rest.slice(0, 8)
}

/** What to call an author: their profile name if they set one, else their short id. */
export function displayName (author: string, name?: string): string {
  const trimmed = name?.trim() ?? ''
  return trimmed === '' ? shortAuthor(author) : trimmed
}

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB']

/** Human-readable size with binary steps (1 KB = 1024 B): '0 B', '512 B', '1.5 KB', '12 MB'. */
export function formatBytes (bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—'
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024
    unit++
  }
  const text = unit === 0 || value >= 10 ? String(Math.round(value)) : value.toFixed(1).replace(/\.0$/, '')
  // Rounding can reach the next unit (1023.7 KB → '1024 KB'); step up instead.
  if (text === '1024' && unit < UNITS.length - 1) return `1 ${UNITS[unit + 1] as string}`
  return `${text} ${UNITS[unit] as string}`
}

/** A count with thousands separators, always in the same style so tests and screenshots agree. */
export function formatCount (n: number): string {
  return new Intl.NumberFormat('en-US').format(n)
}

/** A 0..1 share as a percentage: '0%', '0.4%', '37%', '100%'. */
export function formatPercent (share: number): string {
  if (!Number.isFinite(share) || share <= 0) return '0%'
  const pct = Math.min(share, 1) * 100
  return pct < 10 ? `${pct.toFixed(1).replace(/\.0$/, '')}%` : `${Math.round(pct)}%`
}

export function plural (n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`
}

/**
 * What a CAR import did, in one line: 'Imported 3 new entries.', and what it left out and why:
 * ' Skipped 12 entries of people you don't follow. 2 damaged blocks were skipped. The file was cut short.'
 */
export function importMessage (r: ImportReport): string {
  const parts = [`Imported ${plural(r.added, 'new entry', 'new entries')}.`]
  if (r.otherAuthors > 0) parts.push(`Skipped ${plural(r.otherAuthors, 'entry', 'entries')} of people you don't follow.`)
  if (r.badBlocks > 0) parts.push(`${plural(r.badBlocks, 'damaged block')} ${r.badBlocks === 1 ? 'was' : 'were'} skipped.`)
  if (r.truncated) parts.push('The file was cut short; what came before the cut was imported.')
  return parts.join(' ')
}

/** One line about catch-up sync: 'Syncing 340 of 1,000 entries from 2 peers', or 'Up to date'. */
export function syncText (sync: SyncView): string {
  if (!sync.active) return 'Up to date'
  const from = sync.peers > 0 ? ` from ${plural(sync.peers, 'peer')}` : ''
  if (sync.expected > 0) {
    return `Syncing ${formatCount(Math.min(sync.received, sync.expected))} of ${plural(sync.expected, 'entry', 'entries')}${from}`
  }
  return `Syncing ${plural(sync.received, 'entry', 'entries')}${from}`
}

/** A stable hue (0–359) for an author's placeholder avatar, from a cheap string hash (FNV-1a). */
export function avatarHue (author: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < author.length; i++) {
    h ^= author.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return (h >>> 0) % 360
}

/** The letter shown in a placeholder avatar: the name's first grapheme, else the short id's first character. */
export function avatarInitial (author: string, name?: string): string {
  const source = name?.trim() !== undefined && name.trim() !== '' ? name.trim() : shortAuthor(author)
  const first = new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(source)[Symbol.iterator]().next()
  return first.done === true ? '?' : first.value.segment.toUpperCase()
}

/** A file name made safe for a download: the short form of an id. */
export function backupFileName (author: string): string {
  return `flock-identity-${shortAuthor(author)}.json`
}
