/**
 * Split a post's text into segments the UI renders as plain text or links, so no user text is ever
 * parsed as HTML. Hashtags and mentions follow the same rules as the protocol core's extractTags and
 * extractMentions (PROTOCOL.md §3); links are http(s) URLs only, so `javascript:` and friends stay text.
 *
 * ```ts
 * segmentText('hi #Flock https://example.org.')
 * // [{ type: 'text', text: 'hi ' }, { type: 'tag', text: '#Flock', tag: 'flock' },
 * //  { type: 'text', text: ' ' }, { type: 'url', text: 'https://example.org', href: 'https://example.org/' },
 * //  { type: 'text', text: '.' }]
 * ```
 */

export type Segment =
  | { type: 'text', text: string }
  | { type: 'tag', text: string, tag: string }
  | { type: 'mention', text: string, author: string }
  | { type: 'url', text: string, href: string }

// One pass, leftmost match wins, so a '#' or '@' inside a URL stays part of the URL.
// Tag and mention boundaries mirror src/lib/core/text.ts: a tag needs a non-word character (and not
// '&' or '/') before '#'; a mention is '@' plus a full Ed25519 author id.
const TOKEN_RE = new RegExp([
  String.raw`(https?:\/\/[^\s<>"'\u0060]+)`,
  String.raw`(?<=^|[^\p{L}\p{N}_&/])#([\p{L}\p{N}_]{1,64})(?![\p{L}\p{N}_])`,
  String.raw`(?<=^|[^\p{L}\p{N}_])@(12D3KooW[1-9A-HJ-NP-Za-km-z]{44})(?![1-9A-HJ-NP-Za-km-z])`
].join('|'), 'giu')

/** Characters that end a sentence rather than a URL when they close it: 'see https://a.org/x).' */
const TRAILING = new Set(['.', ',', ';', ':', '!', '?', "'", '"', ')', ']', '}', '*', '_', '~'])

function trimUrl (raw: string): string {
  let url = raw
  while (url.length > 0) {
    const last = url.charAt(url.length - 1)
    if (!TRAILING.has(last)) break
    // Keep a closing parenthesis that balances one inside the URL (Wikipedia-style links).
    if (last === ')' && count(url, '(') >= count(url, ')')) break
    url = url.slice(0, -1)
  }
  return url
}

function count (s: string, ch: string): number {
  let n = 0
  for (const c of s) if (c === ch) n++
  return n
}

/** The URL if `text` is an absolute http(s) URL a browser can open, else null. */
export function safeHref (text: string): string | null {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return null
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null
  if (url.hostname === '') return null
  return url.href
}

export function segmentText (text: string): Segment[] {
  const out: Segment[] = []
  let plain = ''
  let last = 0
  const pushText = (s: string): void => { plain += s }
  const flush = (): void => {
    if (plain !== '') out.push({ type: 'text', text: plain })
    plain = ''
  }
  for (const m of text.matchAll(TOKEN_RE)) {
    const start = m.index
    pushText(text.slice(last, start))
    const [whole, url, tag, mention] = m
    if (url !== undefined) {
      const trimmed = trimUrl(url)
      const href = safeHref(trimmed)
      if (href === null || trimmed.length <= 'https://'.length) {
        pushText(whole)
      } else {
        flush()
        out.push({ type: 'url', text: trimmed, href })
        pushText(url.slice(trimmed.length))
      }
    } else if (tag !== undefined) {
      flush()
      out.push({ type: 'tag', text: whole, tag: tag.normalize('NFC').toLowerCase() })
    } else if (mention !== undefined) {
      flush()
      out.push({ type: 'mention', text: whole, author: mention })
    } else {
      pushText(whole)
    }
    last = start + whole.length
  }
  pushText(text.slice(last))
  flush()
  return out
}
