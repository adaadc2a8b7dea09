/**
 * Text measurement as users see it: limits count grapheme clusters (an emoji with skin tone or a
 * letter with combining marks is one), per Unicode UAX #29 as implemented by Intl.Segmenter.
 *
 * ```ts
 * countGraphemes('👍🏽e\u0301') // 2
 * ```
 */

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
