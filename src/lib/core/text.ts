/**
 * Text measurement as users see it: limits count grapheme clusters (an emoji with skin tone or a
 * letter with combining marks is one), per Unicode UAX #29 as implemented by Intl.Segmenter.
 *
 * ```ts
 * countGraphemes('👍🏽e\u0301') // 2
 * ```
 */

import { MAX_TAG_LENGTH } from './constants.js'

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' })

// Each grapheme is at least one UTF-16 code unit, so a string of at most `limit` units is within any limit.
export function countGraphemes (text: string, stopAfter = Infinity): number {
  let n = 0
  for (const _ of segmenter.segment(text)) {
    if (++n > stopAfter) break
  }
  return n
}

/** True when `text` has at most `limit` graphemes; cheap for short strings. */
export function withinGraphemes (text: string, limit: number): boolean {
  if (text.length <= limit) return true
  return countGraphemes(text, limit) <= limit
}

// Hashtags: '#' after a non-word character, then letters, digits or _. Stored lowercase NFC (PROTOCOL.md §3).
const TAG_RE = /(?:^|[^\p{L}\p{M}\p{N}_&/])#([\p{L}\p{M}\p{N}_]+)/gu
// Mentions name an author id directly: '@' then a base58btc Ed25519 PeerId.
const MENTION_RE = /(?:^|[^\p{L}\p{N}_])@(12D3KooW[1-9A-HJ-NP-Za-km-z]{44})(?![1-9A-HJ-NP-Za-km-z])/gu

/** A tag as entries store it: 1-64 UTF-16 units of letters (with their marks), digits or _, NFC, lowercase. */
export function isTag (t: string): boolean {
  return t.length >= 1 && t.length <= MAX_TAG_LENGTH && /^[\p{L}\p{N}_][\p{L}\p{M}\p{N}_]*$/u.test(t) &&
    t === t.normalize('NFC').toLowerCase()
}

/** Distinct hashtags of `text` in order of first use, normalised as entries store them. */
export function extractTags (text: string, max = 20): string[] {
  const out = new Set<string>()
  // NFC first: in decomposed text ('cafe\u0301') the combining mark would end the match early ('cafe').
  for (const m of text.normalize('NFC').matchAll(TAG_RE)) {
    if (out.size >= max) break
    const tag = (m[1] as string).normalize('NFC').toLowerCase()
    if (isTag(tag)) out.add(tag)
  }
  return [...out]
}

/** Distinct author ids mentioned as @<id> in `text`, in order of first use. */
export function extractMentions (text: string, max = 50): string[] {
  const out = new Set<string>()
  for (const m of text.matchAll(MENTION_RE)) {
    if (out.size >= max) break
    out.add(m[1] as string)
  }
  return [...out]
}
