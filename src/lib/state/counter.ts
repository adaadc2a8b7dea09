/**
 * Grapheme counting for text inputs with a limit (posts, names, bios, alt text): what the user sees
 * as one character counts as one, matching how the protocol core checks the limit.
 *
 * ```ts
 * textCounter('👍🏽 hi', 500) // { count: 4, remaining: 496, over: false, near: false, empty: false }
 * ```
 */
import { countGraphemes } from '../core/text.js'

export interface TextCount {
  count: number
  remaining: number
  over: boolean
  /** Within the last 10% of the limit: time to show the counter prominently. */
  near: boolean
  /** Nothing but white space. */
  empty: boolean
}

export function textCounter (text: string, limit: number): TextCount {
  const count = countGraphemes(text)
  const remaining = limit - count
  return {
    count,
    remaining,
    over: remaining < 0,
    near: remaining >= 0 && remaining <= Math.max(1, Math.floor(limit / 10)),
    empty: text.trim() === ''
  }
}
