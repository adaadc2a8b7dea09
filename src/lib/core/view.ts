/**
 * Plain JSON views of entries for APIs and UI state: CIDs as strings, bytes as hex, no classes.
 * A view is a union discriminated by `kind`, so a reader narrows once and then reads a typed body.
 *
 * ```ts
 * const view = entryView(v) // { cid: 'bafy…', author: '12D3KooW…', seq: 1, ts: 1700000000000, kind: 'post', text: 'hi', body: {…} }
 * if (view.kind === 'like') view.body.subject // 'bafy…'
 * ```
 */
import { CID } from 'multiformats/cid'
import type { Bodies, EntryKind, VerifiedEntry } from './entry.js'

/** The JSON form of a value as plain() writes it: CIDs and bytes become strings, the rest keeps its shape. */
export type Plain<T> =
  T extends CID ? string
  : T extends Uint8Array ? string
  : T extends ReadonlyArray<infer U> ? Array<Plain<U>>
  : T extends object ? { [P in keyof T]: Plain<T[P]> }
  : T

export type PlainBody<K extends EntryKind> = Plain<Bodies[K]>

interface ViewHeader {
  cid: string
  author: string
  /** The device whose log holds the entry; absent for the author's root log. */
  device?: string
  seq: number
  prev: string | null
  ts: number
  /** The post's text, for convenience; absent for other kinds. */
  text?: string
}

/** The view of an entry of kind K; for a union of kinds, the union of their views (as UnsignedEntry does). */
export type EntryViewOf<K extends EntryKind = EntryKind> = {
  [T in K]: ViewHeader & { kind: T, body: PlainBody<T> }
}[K]

export type EntryView = EntryViewOf

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

export function entryView<K extends EntryKind> (v: VerifiedEntry<K>): EntryViewOf<K>
export function entryView (v: VerifiedEntry): EntryView {
  const e = v.entry
  // Key order is the JSON the peer's HTTP API has always written; keep it.
  const view = {
    cid: v.cid.toString(),
    author: e.author,
    ...(e.device === undefined ? {} : { device: e.device }),
    seq: e.seq,
    prev: e.prev?.toString() ?? null,
    ts: e.ts,
    kind: e.kind,
    // plain() walks any value, so it cannot tie the body's type to `kind`; Plain<> states what it returns.
    body: plain(e.body)
  } as EntryView
  if (e.kind === 'post') view.text = e.body.text
  return view
}
