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

/**
 * One grapheme of the common kinds, matched without the segmenter (which costs about a microsecond
 * per grapheme, the largest part of verifying a long entry): an ASCII character (CR LF together), or
 * an emoji with its modifiers and variation selectors, ZWJ-joined to more. UAX #29 never breaks
 * inside one (GB3, GB9, GB11) and always breaks between two of them: no rule joins an ASCII
 * character, a pictograph or an Extend character on the left to an ASCII character or a pictograph
 * on the right (a pictograph is never Extend, SpacingMark, a Hangul jamo, a regional indicator or an
 * Indic consonant). So counting them is exact; at anything else the segmenter takes over.
 */
const EMOJI = String.raw`\p{Extended_Pictographic}[\p{Grapheme_Extend}\p{Emoji_Modifier}]*`
const SIMPLE_GRAPHEME = new RegExp(String.raw`\r\n|[\0-\x7f]|${EMOJI}(?:\u200d${EMOJI})*`, 'uy')

function segmentCount (text: string, stopAfter: number): number {
  let n = 0
  for (const _ of segmenter.segment(text)) {
    if (++n > stopAfter) break
  }
  return n
}

/** Graphemes in `text`; stops counting once past `stopAfter` (the result is then stopAfter + 1). */
export function countGraphemes (text: string, stopAfter = Infinity): number {
  let n = 0
  // Where the last simple grapheme began: a certain boundary, since the one before it was simple too.
  let last = 0
  SIMPLE_GRAPHEME.lastIndex = 0
  while (SIMPLE_GRAPHEME.lastIndex < text.length) {
    const at = SIMPLE_GRAPHEME.lastIndex
    if (!SIMPLE_GRAPHEME.test(text)) {
      // The simple grapheme before may join what follows (e + U+0301): count again from its start.
      const counted = Math.max(0, n - 1)
      return counted + segmentCount(text.slice(n > 0 ? last : at), stopAfter - counted)
    }
    last = at
    if (++n > stopAfter) break
  }
  return n
}

/** True when `text` has at most `limit` graphemes; cheap for short strings. */
export function withinGraphemes (text: string, limit: number): boolean {
  // Each grapheme is at least one UTF-16 code unit.
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
