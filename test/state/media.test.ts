// Bytes from the network become a blob: URL, which an <img> would decode, only once their header says
// they fit the pixel budget.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { imageObjectUrl, safeImageType } from '../../src/lib/state/media.svelte.js'

/** The first 24 bytes of a PNG: signature and IHDR, which is all the size check reads. */
function pngHeader (width: number, height: number): Uint8Array {
  const bytes = new Uint8Array(24)
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52])
  const view = new DataView(bytes.buffer)
  view.setUint32(16, width)
  view.setUint32(20, height)
  return bytes
}

describe('imageObjectUrl', () => {
  afterEach(() => { vi.restoreAllMocks() })

  it('makes no object URL for an image over the pixel budget', () => {
    const createObjectURL = vi.spyOn(URL, 'createObjectURL')
    expect(() => imageObjectUrl(pngHeader(100_000, 100_000), 'image/png')).toThrow(expect.objectContaining({
      name: 'ImageTooLargeError', message: '100000 × 100000 pixels is over the 40 megapixel limit'
    }))
    expect(createObjectURL).not.toHaveBeenCalled()
  })

  it('makes none for bytes it cannot measure, whatever type they were sent under', () => {
    const createObjectURL = vi.spyOn(URL, 'createObjectURL')
    const svg = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"/>')
    expect(() => imageObjectUrl(svg, 'image/png')).toThrow(expect.objectContaining({ name: 'ImageSizeError', problem: 'format' }))
    expect(() => imageObjectUrl(pngHeader(1, 1).subarray(0, 20), 'image/png')).toThrow(expect.objectContaining({ name: 'ImageSizeError', problem: 'truncated' }))
    expect(createObjectURL).not.toHaveBeenCalled()
  })

  it('gives an image within the budget a blob: URL of a safe type', () => {
    const url = imageObjectUrl(pngHeader(1280, 960), 'image/png')
    expect(url).toMatch(/^blob:/)
    URL.revokeObjectURL(url)
    expect(safeImageType('image/png')).toBe('image/png')
    expect(safeImageType('image/avif')).toBe('application/octet-stream')
  })
})
