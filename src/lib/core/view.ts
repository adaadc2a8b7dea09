/**
 * Plain JSON views of entries for APIs and UI state: CIDs as strings, bytes as hex, no classes.
 *
 * ```ts
 * entryView(v) // { cid: 'bafy…', author: '12D3KooW…', seq: 1, ts: 1700000000000, kind: 'post', text: 'hi', body: {…} }
 * ```
 */
import { CID } from 'multiformats/cid'
import type { EntryKind, VerifiedEntry } from './entry.js'

export interface EntryView {
  cid: string
  author: string
  seq: number
  prev: string | null
  ts: number
  kind: EntryKind
  /** The post's text, for convenience; absent for other kinds. */
  text?: string
  body: Record<string, unknown>
}

function plain (value: unknown): unknown {
  const cid = CID.asCID(value)
  if (cid !== null) return cid.toString()
  if (value instanceof Uint8Array) return Array.from(value, b => b.toString(16).padStart(2, '0')).join('')
  if (Array.isArray(value)) return value.map(plain)
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]))
  }
  return value
}

export function entryView (v: VerifiedEntry): EntryView {
  const e = v.entry
  const view: EntryView = {
    cid: v.cid.toString(),
    author: e.author,
    seq: e.seq,
    prev: e.prev?.toString() ?? null,
    ts: e.ts,
    kind: e.kind,
    body: plain(e.body) as Record<string, unknown>
  }
  if (e.kind === 'post') view.text = e.body.text
  return view
}
