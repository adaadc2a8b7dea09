import { describe, expect, it } from 'vitest'
import { safeHref, segmentText, type Segment } from '../../src/lib/state/linkify.js'
import { extractMentions, extractTags } from '../../src/lib/core/text.js'

const AUTHOR = '12D3KooWKnDdG3iXw9eTFijk3EWSunZcFi54Zka4wmtqtt6rPxc7'

function joined (segments: Segment[]): string {
  return segments.map(s => s.text).join('')
}

describe('segmentText', () => {
  it('keeps plain text as one segment', () => {
    expect(segmentText('hello world')).toEqual([{ type: 'text', text: 'hello world' }])
    expect(segmentText('')).toEqual([])
  })

  it('links hashtags, mentions and URLs', () => {
    const text = `hi #Flock @${AUTHOR} see https://example.org/a?b=1#c.`
    expect(segmentText(text)).toEqual([
      { type: 'text', text: 'hi ' },
      { type: 'tag', text: '#Flock', tag: 'flock' },
      { type: 'text', text: ' ' },
      { type: 'mention', text: `@${AUTHOR}`, author: AUTHOR },
      { type: 'text', text: ' see ' },
      { type: 'url', text: 'https://example.org/a?b=1#c', href: 'https://example.org/a?b=1#c' },
      { type: 'text', text: '.' }
    ])
  })

  it('never loses or changes text', () => {
    for (const text of [
      'a #b c', '#x#y', 'mail me@example.org', 'https://a.org/(x)) and (https://b.org/y)', '<script>alert(1)</script>',
      'javascript:alert(1)', 'http://', 'café #café', `@${AUTHOR}x`, '  spaced\nlines  '
    ]) {
      expect(joined(segmentText(text))).toBe(text)
    }
  })

  it('only links http and https', () => {
    const kinds = (t: string): string[] => segmentText(t).map(s => s.type)
    expect(kinds('javascript:alert(1)')).toEqual(['text'])
    expect(kinds('data:text/html,hi')).toEqual(['text'])
    expect(kinds('ftp://example.org')).toEqual(['text'])
    expect(kinds('HTTPS://EXAMPLE.ORG')).toEqual(['url'])
    expect(kinds('http://')).toEqual(['text'])
    for (const s of segmentText('x https://a.org/"onmouseover="alert(1) y')) {
      if (s.type === 'url') expect(s.href).not.toContain('"')
    }
  })

  it('trims sentence punctuation but keeps balanced parentheses', () => {
    const urls = (t: string): string[] => segmentText(t).flatMap(s => s.type === 'url' ? [s.text] : [])
    expect(urls('see https://a.org/x.')).toEqual(['https://a.org/x'])
    expect(urls('(see https://a.org/x)')).toEqual(['https://a.org/x'])
    expect(urls('https://en.wikipedia.org/wiki/Flock_(bird)')).toEqual(['https://en.wikipedia.org/wiki/Flock_(bird)'])
    expect(urls('wow https://a.org/!?')).toEqual(['https://a.org/'])
  })

  it('keeps a # or @ inside a URL part of the URL', () => {
    expect(segmentText('https://a.org/#tag').map(s => s.type)).toEqual(['url'])
  })

  it('finds the same tags and mentions as the protocol core', () => {
    const samples = [
      'one #two three#four #five_6 #ÜBER &#x27; a/#b',
      `@${AUTHOR} and x@${AUTHOR} and @${AUTHOR.slice(0, 40)}`,
      '#a #A #a'
    ]
    for (const text of samples) {
      const segs = segmentText(text)
      expect([...new Set(segs.flatMap(s => s.type === 'tag' ? [s.tag] : []))]).toEqual(extractTags(text))
      expect([...new Set(segs.flatMap(s => s.type === 'mention' ? [s.author] : []))]).toEqual(extractMentions(text))
    }
  })
})

describe('safeHref', () => {
  it('accepts absolute http(s) URLs only', () => {
    expect(safeHref('https://example.org')).toBe('https://example.org/')
    expect(safeHref('http://example.org/x y')).toBe('http://example.org/x%20y')
    expect(safeHref('javascript:alert(1)')).toBeNull()
    expect(safeHref('/relative')).toBeNull()
    expect(safeHref('not a url')).toBeNull()
  })
})
