import { describe, expect, test } from 'vitest'
import fc from 'fast-check'
import { countGraphemes, extractMentions, extractTags, isTag, withinGraphemes } from '../../src/lib/core/index.js'
import { authorFromSeed } from './helpers.js'

describe('countGraphemes', () => {
  test.each([
    ['', 0],
    ['abc', 3],
    ['👍', 1],
    ['👍🏽', 1],
    ['👨‍👩‍👧‍👦', 1],
    ['🏳️‍🌈', 1],
    ['🇳🇱', 1],
    ['🇳🇱🇧🇪', 2],
    ['e\u0301', 1],
    ['o\u0308\u0301\u0323', 1],
    ['👍🏽e\u0301', 2],
    ['\u1100\u1161\u11a8', 1],
    ['\r\n', 1],
    ['a\u200db', 2],
    ['日本語', 3]
  ])('%j has %i graphemes', (text, n) => {
    expect(countGraphemes(text)).toBe(n)
  })

  test('stopAfter stops counting one past the limit', () => {
    expect(countGraphemes('abcdef', 2)).toBe(3)
    expect(countGraphemes('ab', 2)).toBe(2)
    expect(countGraphemes('👍🏽'.repeat(1000), 10)).toBe(11)
    expect(countGraphemes(`${'a'.repeat(20)}e\u0301${'b'.repeat(20)}`, 10)).toBe(11)
    expect(countGraphemes(`${'a'.repeat(5)}e\u0301${'b'.repeat(20)}`, 10)).toBe(11)
  })

  // The count skips the segmenter for ASCII and emoji: it must agree with it on every string, in
  // particular where simple and other characters meet.
  const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' })
  const reference = (text: string): number => [...segmenter.segment(text)].length
  const pieces = [
    'a', 'Z', ' ', '#', '*', '1', '\r', '\n', '\r\n', '\t', '\u0000', '\u007f',
    '\u200d', '\u200c', '\ufe0f', '\ufe0e', '\u20e3', '\u0301', '\u0308', '\u093f', '\u094d', '\u0915', '\u0600',
    '\u1100', '\u1161', '\u11a8', '\uac00', '🏽', '🏻', '👍', '👨', '👩', '❤', '©', '🏳', '🌈', '🇳', '🇱', '\u{e0067}', '\u{e007f}',
    '👨‍👩‍👧‍👦', '👍🏽', '❤️', '#️⃣', '🏳️‍🌈', 'é', '日', '\ud83d', '\ude00', '\u0e33', '\u0f71'
  ]
  test('agrees with Intl.Segmenter on strings where ASCII, emoji, joiners and marks meet', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 40 }), (parts) => {
      const text = parts.join('')
      expect(countGraphemes(text)).toBe(reference(text))
      const n = reference(text)
      for (const stop of [0, 1, Math.floor(n / 2), n - 1]) {
        if (stop >= 0 && stop < n) expect(countGraphemes(text, stop)).toBe(stop + 1)
      }
    }), { numRuns: 20_000, seed: 29 })
  })
})

describe('withinGraphemes', () => {
  test.each([
    ['a', 1],
    ['👍🏽', 4],
    ['👨‍👩‍👧‍👦', 11],
    ['🇳🇱', 4],
    ['e\u0301', 2]
  ])('exactly the limit of %j passes, one more fails', (g, unitsEach) => {
    expect(g.length).toBe(unitsEach)
    expect(withinGraphemes(g.repeat(500), 500)).toBe(true)
    expect(withinGraphemes(g.repeat(501), 500)).toBe(false)
    expect(withinGraphemes('', 0)).toBe(true)
    expect(withinGraphemes(g, 0)).toBe(false)
  })

  test('agrees with countGraphemes on arbitrary text', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), fc.nat({ max: 70 }), (text, limit) => {
      expect(withinGraphemes(text, limit)).toBe(countGraphemes(text) <= limit)
    }), { seed: 7, numRuns: 2000 })
  })
})

describe('extractTags', () => {
  test('distinct, lowercase, NFC, in order of first use', () => {
    expect(extractTags('hello #Flock and #p2p, #FLOCK again')).toEqual(['flock', 'p2p'])
    expect(extractTags('#cafe\u0301 #Café')).toEqual(['café'])
    expect(extractTags('#日本語 (#x) #snake_case!')).toEqual(['日本語', 'x', 'snake_case'])
    expect(extractTags('#a #b #c #d', 2)).toEqual(['a', 'b'])
  })

  test('not tags', () => {
    expect(extractTags('')).toEqual([])
    expect(extractTags('no tags here')).toEqual([])
    expect(extractTags('#')).toEqual([])
    expect(extractTags('a#b')).toEqual([])
    expect(extractTags('see https://example.com/#section')).toEqual([])
    expect(extractTags('&#123; is an entity')).toEqual([])
    expect(extractTags('#' + 'a'.repeat(65))).toEqual([])
  })

  test('the longest tag that fits', () => {
    expect(extractTags('#' + 'a'.repeat(64))).toEqual(['a'.repeat(64)])
  })

  test('extracted tags are stored-form: NFC, lowercase, no #', () => {
    fc.assert(fc.property(fc.array(fc.oneof(fc.constant('#'), fc.constant(' '), fc.string({ unit: 'grapheme', maxLength: 8 }))), parts => {
      for (const tag of extractTags(parts.join(''))) {
        expect(tag).toBe(tag.normalize('NFC').toLowerCase())
        expect(tag).not.toContain('#')
        expect(tag.length).toBeGreaterThan(0)
      }
    }), { seed: 11, numRuns: 1000 })
  })

  test('decomposed input gives the same tag as precomposed input', () => {
    expect(extractTags('#cafe\u0301')).toEqual(extractTags('#café'))
  })

  test('ASCII and precomposed tags are always valid', () => {
    fc.assert(fc.property(fc.array(fc.oneof(fc.constant('#'), fc.constant(' '), fc.stringMatching(/^[A-Za-z0-9_éÉüß]{0,8}$/))), parts => {
      for (const tag of extractTags(parts.join(''))) expect(isTag(tag)).toBe(true)
    }), { seed: 12, numRuns: 1000 })
  })
})

describe('isTag', () => {
  test.each([['flock', true], ['p2p', true], ['snake_case', true], ['日本語', true], ['café', true],
    ['', false], ['#flock', false], ['Flock', false], ['cafe\u0301', false], ['two words', false], ['a-b', false],
    ['a'.repeat(64), true], ['a'.repeat(65), false],
    // Marks after the first character (PROTOCOL.md §3): Devanagari writes vowels as marks; a tag cannot start with one.
    ['हिन्दी', true], ['\u0301a', false], ['_x', true], ['x\u200d', false]] as const)('%j → %s', (tag, ok) => {
    expect(isTag(tag)).toBe(ok)
  })
})

describe('extractMentions', async () => {
  const a = await authorFromSeed(1)
  const b = await authorFromSeed(2)

  test('distinct author ids, in order', () => {
    expect(extractMentions(`hi @${b.id} and @${a.id}, also @${b.id}`)).toEqual([b.id, a.id])
    expect(extractMentions(`(@${a.id})`)).toEqual([a.id])
    expect(extractMentions(`@${a.id} @${b.id}`, 1)).toEqual([a.id])
  })

  test('not mentions', () => {
    expect(extractMentions('@alice')).toEqual([])
    expect(extractMentions(`mail${'@'}${a.id}`)).toEqual([])
    expect(extractMentions(`@${a.id.slice(0, -1)}`)).toEqual([])
    expect(extractMentions(`@${a.id}z`)).toEqual([])
    expect(extractMentions(a.id)).toEqual([])
  })
})
