// Image sizes read from header bytes, on small images built here byte by byte: a size is read only from a
// well-formed header, and anything claiming more than the pixel budget is refused before it is decoded.
import fc from 'fast-check'
import { deflateSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import {
  checkImageSize, imageSize, ImageSizeError, ImageTooLargeError, MAX_IMAGE_PIXELS
} from '../../src/lib/state/image-size.js'

const ascii = (s: string): number[] => [...s].map(c => c.charCodeAt(0))
const be16 = (n: number): number[] => [n >> 8 & 0xff, n & 0xff]
const be32 = (n: number): number[] => [n >>> 24 & 0xff, n >>> 16 & 0xff, n >>> 8 & 0xff, n & 0xff]
const le16 = (n: number): number[] => [n & 0xff, n >> 8 & 0xff]
const le24 = (n: number): number[] => [n & 0xff, n >> 8 & 0xff, n >> 16 & 0xff]
const le32 = (n: number): number[] => [...le16(n & 0xffff), ...le16(n >>> 16)]

function crc32 (bytes: number[]): number {
  let crc = 0xffffffff
  for (const b of bytes) {
    crc ^= b
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1
  }
  return (crc ^ 0xffffffff) >>> 0
}

function pngChunk (type: string, data: number[]): number[] {
  const body = [...ascii(type), ...data]
  return [...be32(data.length), ...body, ...be32(crc32(body))]
}

/** A complete greyscale PNG; its pixel data is real only for sizes small enough to build here. */
function png (width: number, height: number): Uint8Array {
  const rows = width * height <= 64 ? [...deflateSync(new Uint8Array(height * (width + 1)))] : []
  return new Uint8Array([
    0x89, ...ascii('PNG\r\n\x1a\n'),
    ...pngChunk('IHDR', [...be32(width), ...be32(height), 8, 0, 0, 0, 0]),
    ...pngChunk('IDAT', rows),
    ...pngChunk('IEND', [])
  ])
}

function segment (marker: number, data: number[]): number[] {
  return [0xff, marker, ...be16(data.length + 2), ...data]
}

/** SOI, a JFIF APP0, an EXIF APP1 holding a thumbnail's frame header, then the frame header itself. */
function jpeg (width: number, height: number): Uint8Array {
  const thumbnail = [0xff, 0xd8, ...segment(0xc0, [8, ...be16(9999), ...be16(9999), 1, 1, 0x11, 0])]
  return new Uint8Array([
    0xff, 0xd8,
    ...segment(0xe0, [...ascii('JFIF\0'), 1, 1, 0, 0, 1, 0, 1, 0, 0]),
    ...segment(0xe1, [...ascii('Exif\0\0'), ...thumbnail]),
    0xff, // a fill byte before the next marker
    ...segment(0xc2, [8, ...be16(height), ...be16(width), 1, 1, 0x11, 0]),
    ...segment(0xda, [1, 1, 0, 0, 63, 0]),
    0xff, 0xd9
  ])
}

function riff (chunk: string, data: number[]): Uint8Array {
  const body = [...ascii('WEBP'), ...ascii(chunk), ...le32(data.length), ...data]
  return new Uint8Array([...ascii('RIFF'), ...le32(body.length), ...body])
}

const webpLossy = (width: number, height: number): Uint8Array =>
  riff('VP8 ', [0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, ...le16(width), ...le16(height), 0, 0])

const webpLossless = (width: number, height: number): Uint8Array =>
  riff('VP8L', [0x2f, ...le32((width - 1) | (height - 1) << 14), 0, 0])

const webpExtended = (width: number, height: number): Uint8Array =>
  riff('VP8X', [0x10, 0, 0, 0, ...le24(width - 1), ...le24(height - 1)])

/** A GIF89a with a global colour table, a graphic control extension and one frame at (left, top). */
function gif (screen: [number, number], frame: [number, number, number, number] = [0, 0, ...screen]): Uint8Array {
  const [left, top, width, height] = frame
  return new Uint8Array([
    ...ascii('GIF89a'), ...le16(screen[0]), ...le16(screen[1]), 0x80, 0, 0,
    0, 0, 0, 0xff, 0xff, 0xff,
    0x21, 0xf9, 4, 0, 0, 0, 0, 0,
    0x2c, ...le16(left), ...le16(top), ...le16(width), ...le16(height), 0,
    2, 2, 0x44, 0x01, 0,
    0x3b
  ])
}

function refusal (bytes: Uint8Array): unknown {
  try {
    checkImageSize(bytes)
  } catch (err) {
    return err
  }
  throw new Error('the image was accepted')
}

describe('imageSize', () => {
  it('reads width and height of PNG, JPEG, WebP and GIF', () => {
    expect(imageSize(png(3, 2))).toEqual({ format: 'png', width: 3, height: 2 })
    expect(imageSize(jpeg(1280, 960))).toEqual({ format: 'jpeg', width: 1280, height: 960 })
    expect(imageSize(webpLossy(1280, 720))).toEqual({ format: 'webp', width: 1280, height: 720 })
    expect(imageSize(webpLossless(400, 400))).toEqual({ format: 'webp', width: 400, height: 400 })
    expect(imageSize(webpExtended(16384, 2))).toEqual({ format: 'webp', width: 16384, height: 2 })
    expect(imageSize(gif([1, 1]))).toEqual({ format: 'gif', width: 1, height: 1 })
  })

  it('takes a GIF frame that sticks out of its logical screen as part of the image', () => {
    expect(imageSize(gif([10, 10], [5, 0, 20, 30]))).toMatchObject({ width: 25, height: 30 })
  })

  it('refuses what is not one of the four formats, whatever type it was sent under', () => {
    const svg = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>')
    for (const bytes of [new Uint8Array(), new Uint8Array([1, 2, 3]), svg, new Uint8Array([0x42, 0x4d, 0, 0, 0, 0])]) {
      expect(refusal(bytes)).toMatchObject({ name: 'ImageSizeError', problem: 'format' })
    }
  })

  it('refuses a header cut short', () => {
    for (const bytes of [png(1, 1).subarray(0, 20), jpeg(8, 8).subarray(0, 30), webpLossy(8, 8).subarray(0, 25), gif([1, 1]).subarray(0, 30)]) {
      const err = refusal(bytes)
      expect(err).toBeInstanceOf(ImageSizeError)
      expect(err).toMatchObject({ name: 'ImageSizeError', problem: 'truncated' })
    }
  })

  it('refuses malformed headers', () => {
    const noFrame = new Uint8Array([0xff, 0xd8, ...segment(0xda, [1, 1, 0, 0, 63, 0]), 0xff, 0xd9])
    const heightFromDnl = jpeg(8, 0)
    const notIhdr = png(1, 1)
    notIhdr[12] = ascii('X')[0] as number
    const interFrame = webpLossy(8, 8)
    interFrame[20] = 0x11
    for (const bytes of [png(0, 5), png(0x80000000, 1), notIhdr, noFrame, heightFromDnl, interFrame, riff('ALPH', [0, 0, 0, 0]), gif([0, 0], [0, 0, 0, 0])]) {
      expect(refusal(bytes)).toMatchObject({ name: 'ImageSizeError', problem: 'malformed' })
    }
  })

  it('only ever throws ImageSizeError, on any bytes and on any prefix of a valid image', () => {
    const valid = [png(3, 2), jpeg(640, 480), webpLossy(8, 8), webpLossless(8, 8), webpExtended(8, 8), gif([4, 4])]
    const prefix = fc.constantFrom(...valid).chain(img => fc.nat(img.length - 1).map(n => img.subarray(0, n)))
    const anyBytes = fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.constantFrom(...valid).chain(img =>
      fc.uint8Array({ maxLength: 32 }).map(tail => new Uint8Array([...img.subarray(0, 16), ...tail]))))
    fc.assert(fc.property(fc.oneof(prefix, anyBytes), (bytes) => {
      try {
        const { width, height } = imageSize(bytes)
        return Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0
      } catch (err) {
        return err instanceof ImageSizeError
      }
    }), { numRuns: 5000 })
  })
})

describe('checkImageSize', () => {
  it('refuses a PNG header claiming 100000 × 100000 pixels before anything decodes it', () => {
    const err = refusal(png(100_000, 100_000))
    expect(err).toBeInstanceOf(ImageTooLargeError)
    expect(err).toMatchObject({ name: 'ImageTooLargeError', width: 100_000, height: 100_000, maxPixels: MAX_IMAGE_PIXELS })
  })

  it('refuses every format over the budget, and a GIF whose frame is larger than its screen', () => {
    for (const bytes of [jpeg(65535, 65535), webpLossy(16383, 16383), webpExtended(10_000, 10_000), gif([65535, 65535]), gif([1, 1], [0, 0, 20_000, 20_000])]) {
      expect(refusal(bytes)).toMatchObject({ name: 'ImageTooLargeError' })
    }
  })

  it('accepts the budget exactly, and not one row more', () => {
    expect(MAX_IMAGE_PIXELS).toBe(40_000_000)
    expect(checkImageSize(png(8000, 5000))).toEqual({ format: 'png', width: 8000, height: 5000 })
    expect(refusal(png(8000, 5001))).toMatchObject({ name: 'ImageTooLargeError' })
    expect(checkImageSize(png(100, 100), 10_000)).toMatchObject({ width: 100 })
    expect(() => checkImageSize(png(101, 100), 10_000)).toThrow(ImageTooLargeError)
  })
})
