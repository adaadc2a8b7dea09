import { describe, expect, it } from 'vitest'
import { textCounter } from '../../src/lib/state/counter.js'
import { cleanAuthorInput, looksLikeAuthorId } from '../../src/lib/state/follow.svelte.js'
import { fitWithin, isImageType } from '../../src/lib/state/images.js'
import { safeImageType } from '../../src/lib/state/media.svelte.js'

const AUTHOR = '12D3KooWKnDdG3iXw9eTFijk3EWSunZcFi54Zka4wmtqtt6rPxc7'

describe('textCounter', () => {
  it('counts graphemes, not code units', () => {
    const c = textCounter('👍🏽e\u0301', 500)
    expect(c.count).toBe(2)
    expect(c.remaining).toBe(498)
    expect(c.over).toBe(false)
  })

  it('flags near and over the limit, and blank text', () => {
    expect(textCounter('a'.repeat(450), 500).near).toBe(true)
    expect(textCounter('a'.repeat(449), 500).near).toBe(false)
    expect(textCounter('a'.repeat(500), 500)).toMatchObject({ over: false, near: true, remaining: 0 })
    expect(textCounter('👍'.repeat(501), 500)).toMatchObject({ over: true, remaining: -1 })
    expect(textCounter(' \n ', 500).empty).toBe(true)
  })
})

describe('follow input', () => {
  it('accepts pasted ids, @ids and profile links', () => {
    expect(cleanAuthorInput(`  ${AUTHOR}\n`)).toBe(AUTHOR)
    expect(cleanAuthorInput(`@${AUTHOR}`)).toBe(AUTHOR)
    expect(cleanAuthorInput(`https://flock.example/u/${AUTHOR}`)).toBe(AUTHOR)
    expect(looksLikeAuthorId(AUTHOR)).toBe(true)
    expect(looksLikeAuthorId(AUTHOR.slice(0, -1))).toBe(false)
    expect(looksLikeAuthorId(`${AUTHOR.slice(0, -1)}0`)).toBe(false)
  })
})

describe('images', () => {
  it('fits the longest side without scaling up', () => {
    expect(fitWithin(4000, 3000, 1280)).toEqual({ width: 1280, height: 960 })
    expect(fitWithin(3000, 4000, 1280)).toEqual({ width: 960, height: 1280 })
    expect(fitWithin(800, 600, 1280)).toEqual({ width: 800, height: 600 })
    expect(fitWithin(10000, 1, 1280)).toEqual({ width: 1280, height: 1 })
    expect(fitWithin(0, 10, 1280)).toEqual({ width: 0, height: 0 })
  })

  it('refuses SVG as input and as a blob type', () => {
    expect(isImageType('image/png')).toBe(true)
    expect(isImageType('image/svg+xml')).toBe(false)
    expect(isImageType('text/html')).toBe(false)
    expect(safeImageType('image/webp')).toBe('image/webp')
    expect(safeImageType('image/svg+xml')).toBe('application/octet-stream')
    expect(safeImageType('text/html')).toBe('application/octet-stream')
  })
})
