/**
 * Images chosen for a post or an avatar are re-encoded in the browser before they enter the log:
 * scaled to fit a box (1280 px on the longest side for posts), as WebP where the browser can encode
 * it, else JPEG. Re-encoding also drops metadata such as GPS positions in EXIF.
 *
 * ```ts
 * const { bytes, mime } = await resizeImage(file) // mime 'image/webp' or 'image/jpeg'
 * ```
 */

export const MAX_IMAGE_SIDE = 1280
export const AVATAR_SIDE = 400
export const IMAGE_QUALITY = 0.82
/** Refuse to decode anything larger than this; a phone photo is well under it. */
export const MAX_INPUT_BYTES = 40 * 1024 * 1024

export interface EncodedImage {
  bytes: Uint8Array
  mime: string
  width: number
  height: number
}

export class ImageInputError extends Error {
  override readonly name = 'ImageInputError'
}

/** Size that fits `max` on the longest side, keeping the aspect ratio, never scaling up. */
export function fitWithin (width: number, height: number, max: number): { width: number, height: number } {
  if (width <= 0 || height <= 0) return { width: 0, height: 0 }
  const scale = Math.min(1, max / Math.max(width, height))
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) }
}

/** True for the file types the browser can decode as images; SVG is refused (it can carry script). */
export function isImageType (type: string): boolean {
  return type.startsWith('image/') && type !== 'image/svg+xml'
}

type Canvas = OffscreenCanvas | HTMLCanvasElement

function makeCanvas (width: number, height: number): Canvas {
  if (typeof OffscreenCanvas !== 'undefined') return new OffscreenCanvas(width, height)
  const canvas = document.createElement('canvas')
  canvas.width = width
  canvas.height = height
  return canvas
}

async function encode (canvas: Canvas, type: string, quality: number): Promise<Blob | null> {
  if ('convertToBlob' in canvas) return await canvas.convertToBlob({ type, quality }).catch(() => null)
  return await new Promise(resolve => { canvas.toBlob(resolve, type, quality) })
}

/** Decode `file`, scale it to fit `max`, and encode it as WebP (or JPEG where WebP encoding is missing). */
export async function resizeImage (file: Blob, max = MAX_IMAGE_SIDE, quality = IMAGE_QUALITY): Promise<EncodedImage> {
  if (!isImageType(file.type)) throw new ImageInputError('That file is not an image this app can use.')
  if (file.size > MAX_INPUT_BYTES) throw new ImageInputError('That image is too large (over 40 MB).')
  let bitmap: ImageBitmap
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' })
  } catch {
    throw new ImageInputError('This browser could not read that image.')
  }
  try {
    const { width, height } = fitWithin(bitmap.width, bitmap.height, max)
    const canvas = makeCanvas(width, height)
    const ctx = canvas.getContext('2d') as CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null
    if (ctx === null) throw new ImageInputError('This browser cannot draw images.')
    ctx.drawImage(bitmap, 0, 0, width, height)
    // Some browsers (older Safari) silently return PNG for an unsupported type: check what came back.
    let blob = await encode(canvas, 'image/webp', quality)
    if (blob?.type !== 'image/webp') blob = await encode(canvas, 'image/jpeg', quality)
    if (blob === null) throw new ImageInputError('This browser could not encode the image.')
    return { bytes: new Uint8Array(await blob.arrayBuffer()), mime: blob.type, width, height }
  } finally {
    bitmap.close()
  }
}
