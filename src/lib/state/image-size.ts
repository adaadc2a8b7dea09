/**
 * The pixel size of an image, read from its header bytes before anything decodes it. The header
 * states what a decoder allocates: a small file can claim 100000 × 100000 pixels, 40 GB of RGBA (a
 * decompression bomb). Media from the network is shown only if its bytes are a PNG, JPEG, WebP or GIF
 * whose size fits MAX_IMAGE_PIXELS. Browsers pick the decoder by sniffing the bytes, not by the
 * declared type, so the check goes by the bytes too, and anything it cannot measure is refused.
 *
 * ```ts
 * const { format, width, height } = checkImageSize(bytes) // or throws ImageSizeError / ImageTooLargeError
 * ```
 */

/**
 * Largest image shown from the network: 40 megapixels, about 160 MB once decoded. Flock re-encodes
 * what it posts to at most 1280 px a side (images.ts), so honest peers stay far below it.
 */
export const MAX_IMAGE_PIXELS = 40_000_000

export type ImageFormat = 'png' | 'jpeg' | 'webp' | 'gif'

export interface ImageSize {
  format: ImageFormat
  width: number
  height: number
}

/** Why the bytes were refused: not one of the four formats, cut short, or a header that breaks its format's rules. */
export type ImageSizeProblem = 'format' | 'truncated' | 'malformed'

const PROBLEM_TEXT: Record<ImageSizeProblem, string> = {
  format: 'not a PNG, JPEG, WebP or GIF image',
  truncated: 'the image data ends before its size',
  malformed: 'the image header is malformed'
}

export class ImageSizeError extends Error {
  override readonly name = 'ImageSizeError'
  constructor (readonly problem: ImageSizeProblem) {
    super(PROBLEM_TEXT[problem])
  }
}

export class ImageTooLargeError extends Error {
  override readonly name = 'ImageTooLargeError'
  constructor (readonly width: number, readonly height: number, readonly maxPixels: number) {
    super(`${width} × ${height} pixels is over the ${maxPixels / 1_000_000} megapixel limit`)
  }
}

/** The size of `bytes` if it fits `maxPixels`; throws ImageSizeError or ImageTooLargeError otherwise. */
export function checkImageSize (bytes: Uint8Array, maxPixels = MAX_IMAGE_PIXELS): ImageSize {
  const size = imageSize(bytes)
  if (size.width * size.height > maxPixels) throw new ImageTooLargeError(size.width, size.height, maxPixels)
  return size
}

/** Format and pixel size from the header; throws ImageSizeError for anything else. */
export function imageSize (bytes: Uint8Array): ImageSize {
  const size = measure(new Reader(bytes))
  if (size.width < 1 || size.height < 1) throw new ImageSizeError('malformed')
  return size
}

type Dimensions = Pick<ImageSize, 'width' | 'height'>

function measure (r: Reader): ImageSize {
  if (r.startsWith(PNG_SIGNATURE)) return { format: 'png', ...png(r) }
  if (r.startsWith(JPEG_SOI)) return { format: 'jpeg', ...jpeg(r) }
  if (r.startsWith(RIFF) && r.matches(8, WEBP)) return { format: 'webp', ...webp(r) }
  if (r.startsWith(GIF87A) || r.startsWith(GIF89A)) return { format: 'gif', ...gif(r) }
  throw new ImageSizeError('format')
}

const ascii = (s: string): number[] => [...s].map(c => c.charCodeAt(0))
const PNG_SIGNATURE = [0x89, ...ascii('PNG\r\n\x1a\n')]
const JPEG_SOI = [0xff, 0xd8, 0xff]
const RIFF = ascii('RIFF')
const WEBP = ascii('WEBP')
const GIF87A = ascii('GIF87a')
const GIF89A = ascii('GIF89a')

/** Bounds-checked reads: running off the end is a 'truncated' image, never an out-of-range read. */
class Reader {
  constructor (readonly bytes: Uint8Array) {}

  need (end: number): void {
    if (end > this.bytes.length) throw new ImageSizeError('truncated')
  }

  u8 (at: number): number {
    this.need(at + 1)
    return this.bytes[at] as number
  }

  u16be (at: number): number { return this.u8(at) << 8 | this.u8(at + 1) }
  u16le (at: number): number { return this.u8(at) | this.u8(at + 1) << 8 }
  u24le (at: number): number { return this.u16le(at) | this.u8(at + 2) << 16 }
  u32be (at: number): number { return this.u16be(at) * 0x10000 + this.u16be(at + 2) }
  u32le (at: number): number { return this.u16le(at) + this.u16le(at + 2) * 0x10000 }

  matches (at: number, expected: number[]): boolean {
    return expected.every((b, i) => this.bytes[at + i] === b)
  }

  startsWith (expected: number[]): boolean {
    return this.matches(0, expected)
  }
}

/** PNG: the first chunk must be IHDR (13 bytes), whose first fields are width and height (PNG spec §11.2.2). */
function png (r: Reader): Dimensions {
  r.need(24)
  if (r.u32be(8) !== 13 || !r.matches(12, ascii('IHDR'))) throw new ImageSizeError('malformed')
  const width = r.u32be(16)
  const height = r.u32be(20)
  // The spec caps both at 2^31 - 1.
  if (width > 0x7fffffff || height > 0x7fffffff) throw new ImageSizeError('malformed')
  return { width, height }
}

/** Start-of-frame markers (SOF0–SOF15 without DHT, JPG and DAC), which carry the frame's size. */
function isStartOfFrame (marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc
}

/**
 * JPEG: walk the marker segments up to the first start-of-frame (ITU T.81 B.2). Segments are skipped by
 * their length, so a thumbnail inside EXIF is never mistaken for the image.
 */
function jpeg (r: Reader): Dimensions {
  let at = 2
  for (;;) {
    if (r.u8(at) !== 0xff) throw new ImageSizeError('malformed')
    while (r.u8(at) === 0xff) at++ // fill bytes before a marker
    const marker = r.u8(at++)
    // Markers without a length: restart markers and TEM.
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) continue
    // Scan data or the end of the image before any frame header: there is no size to read.
    if (marker === 0xda || marker === 0xd9 || marker === 0xd8) throw new ImageSizeError('malformed')
    const length = r.u16be(at)
    if (length < 2) throw new ImageSizeError('malformed')
    if (isStartOfFrame(marker)) {
      if (length < 8) throw new ImageSizeError('malformed')
      // Height 0 means "given later by a DNL marker", which browsers do not support.
      return { height: r.u16be(at + 3), width: r.u16be(at + 5) }
    }
    at += length
  }
}

/** WebP: a RIFF file whose first chunk is VP8 (lossy), VP8L (lossless) or VP8X (extended, with the canvas size). */
function webp (r: Reader): Dimensions {
  r.need(20)
  const chunk = String.fromCharCode(...r.bytes.subarray(12, 16))
  if (chunk === 'VP8 ') {
    // A key frame (bit 0 of the frame tag clear) with its start code, then 14-bit sizes (RFC 6386 §9.1).
    if ((r.u8(20) & 1) !== 0) throw new ImageSizeError('malformed')
    r.need(30)
    if (!r.matches(23, [0x9d, 0x01, 0x2a])) throw new ImageSizeError('malformed')
    return { width: r.u16le(26) & 0x3fff, height: r.u16le(28) & 0x3fff }
  }
  if (chunk === 'VP8L') {
    // Signature byte, then width - 1 and height - 1 in 14 bits each (WebP lossless spec §3.1).
    if (r.u8(20) !== 0x2f) throw new ImageSizeError('malformed')
    const bits = r.u32le(21)
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 }
  }
  if (chunk === 'VP8X') {
    // Canvas width - 1 and height - 1 in 24 bits each; every frame must fit in the canvas.
    return { width: r.u24le(24) + 1, height: r.u24le(27) + 1 }
  }
  throw new ImageSizeError('malformed')
}

/**
 * GIF: the logical screen, grown to cover every frame. Decoders widen the screen to a frame that
 * sticks out of it, so a small screen with one huge frame is as large as that frame: each block is
 * walked (GIF89a spec §§17–27) rather than trusting the screen size alone.
 */
function gif (r: Reader): Dimensions {
  let width = r.u16le(6)
  let height = r.u16le(8)
  const flags = r.u8(10)
  let at = 13 + colorTableSize(flags)
  r.need(at)
  const skipSubBlocks = (): void => {
    for (let n = r.u8(at++); n !== 0; n = r.u8(at++)) at += n
  }
  // A file cut after a whole block still shows; one cut inside a block is refused.
  while (at < r.bytes.length) {
    const block = r.u8(at++)
    if (block === 0x3b) break // trailer
    if (block === 0x21) {
      at++ // extension label
      skipSubBlocks()
    } else if (block === 0x2c) {
      width = Math.max(width, r.u16le(at) + r.u16le(at + 4))
      height = Math.max(height, r.u16le(at + 2) + r.u16le(at + 6))
      at += 9 + colorTableSize(r.u8(at + 8))
      at++ // LZW minimum code size
      skipSubBlocks()
    } else {
      throw new ImageSizeError('malformed')
    }
  }
  return { width, height }
}

function colorTableSize (flags: number): number {
  return (flags & 0x80) !== 0 ? 3 * 2 ** ((flags & 0x07) + 1) : 0
}
