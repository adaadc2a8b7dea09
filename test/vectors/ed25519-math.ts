/**
 * Just enough Edwards25519 arithmetic (affine, BigInt, no constant time) to build and check edge-case
 * signature vectors that no signing library will produce: a signature whose R carries a small-order
 * component, valid under cofactored (ZIP-215) verification and invalid under the cofactorless rule
 * Flock uses (PROTOCOL.md §4). Test-only code: slow and not side-channel safe, never for real keys.
 *
 * ```ts
 * const R = decodePoint(sig.subarray(0, 32))           // null when the bytes name no point
 * encodePoint(add(R!, SMALL_ORDER_POINT))
 * ```
 */
import { createHash } from 'node:crypto'

export const P = (1n << 255n) - 19n
/** Order of the prime subgroup (RFC 8032 §5.1: L). */
export const L = (1n << 252n) + 27742317777372353535851937790883648493n

export interface Point { x: bigint, y: bigint }

const mod = (a: bigint, m: bigint = P): bigint => ((a % m) + m) % m

function pow (base: bigint, exp: bigint): bigint {
  let result = 1n
  let b = mod(base)
  let e = exp
  while (e > 0n) {
    if ((e & 1n) === 1n) result = (result * b) % P
    b = (b * b) % P
    e >>= 1n
  }
  return result
}

const inv = (a: bigint): bigint => pow(a, P - 2n)
const D = mod(-121665n * inv(121666n))
const SQRT_M1 = pow(2n, (P - 1n) / 4n)

export const IDENTITY: Point = { x: 0n, y: 1n }

/** Little-endian bytes to an integer, as Ed25519 encodes scalars and field elements. */
export function leToInt (bytes: Uint8Array): bigint {
  let n = 0n
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i] as number)
  return n
}

export function intToLe (n: bigint, length = 32): Uint8Array {
  const out = new Uint8Array(length)
  let v = n
  for (let i = 0; i < length; i++) {
    out[i] = Number(v & 0xffn)
    v >>= 8n
  }
  if (v !== 0n) throw new RangeError('integer does not fit')
  return out
}

/** RFC 8032 §5.1.3 point decoding, strict: y must be below p. Null when the bytes name no point. */
export function decodePoint (bytes: Uint8Array): Point | null {
  if (bytes.length !== 32) return null
  const n = leToInt(bytes)
  const sign = n >> 255n
  const y = n & ((1n << 255n) - 1n)
  if (y >= P) return null
  const u = mod(y * y - 1n)
  const v = mod(D * y * y + 1n)
  let x = mod(u * pow(v, 3n) * pow(u * pow(v, 7n), (P - 5n) / 8n))
  const vx2 = mod(v * x * x)
  if (vx2 === mod(-u)) x = mod(x * SQRT_M1)
  else if (vx2 !== u) return null
  if (x === 0n && sign === 1n) return null
  if ((x & 1n) !== sign) x = P - x
  return { x, y }
}

export function encodePoint (p: Point): Uint8Array {
  return intToLe(p.y | ((p.x & 1n) << 255n))
}

/** Twisted Edwards addition with a = -1 (complete, so it also doubles). */
export function add (p: Point, q: Point): Point {
  const t = mod(D * p.x * q.x * p.y * q.y)
  return {
    x: mod((p.x * q.y + p.y * q.x) * inv(1n + t)),
    y: mod((p.y * q.y + p.x * q.x) * inv(1n - t))
  }
}

export function negate (p: Point): Point {
  return { x: mod(-p.x), y: p.y }
}

export function multiply (p: Point, scalar: bigint): Point {
  let result = IDENTITY
  let addend = p
  let k = scalar
  while (k > 0n) {
    if ((k & 1n) === 1n) result = add(result, addend)
    addend = add(addend, addend)
    k >>= 1n
  }
  return result
}

export function equals (p: Point, q: Point): boolean {
  return p.x === q.x && p.y === q.y
}

function must (p: Point | null): Point {
  if (p === null) throw new Error('bad constant')
  return p
}

export const BASE = must(decodePoint(Buffer.from('5866666666666666666666666666666666666666666666666666666666666666', 'hex')))

/** A point of order 8: adding it to R changes nothing under cofactored verification. */
export const SMALL_ORDER_POINT = must(decodePoint(Buffer.from('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a', 'hex')))

const sha512 = (...parts: Uint8Array[]): Uint8Array => {
  const h = createHash('sha512')
  for (const part of parts) h.update(part)
  return new Uint8Array(h.digest())
}

/** Expanded secret of an RFC 8032 seed: the clamped scalar a and the nonce prefix. */
export function expandSeed (seed: Uint8Array): { a: bigint, prefix: Uint8Array } {
  const h = sha512(seed)
  const a = new Uint8Array(h.subarray(0, 32))
  a[0] = (a[0] as number) & 248
  a[31] = ((a[31] as number) & 127) | 64
  return { a: leToInt(a), prefix: h.subarray(32) }
}

/**
 * Sign `msg` with `seed` as RFC 8032 does, except that `offset` is added to the commitment R and the
 * challenge is taken over the shifted R. With a small-order offset the result satisfies
 * [8][S]B = [8]R + [8][k]A but not [S]B = R + [k]A.
 */
export function signWithShiftedR (seed: Uint8Array, msg: Uint8Array, offset: Point): Uint8Array {
  const { a, prefix } = expandSeed(seed)
  const publicKey = encodePoint(multiply(BASE, a))
  const r = mod(leToInt(sha512(prefix, msg)), L)
  const R = encodePoint(add(multiply(BASE, r), offset))
  const k = mod(leToInt(sha512(R, publicKey, msg)), L)
  const s = mod(r + k * a, L)
  return new Uint8Array([...R, ...intToLe(s)])
}

/** Which verification equations a signature satisfies; neither when a point fails to decode. */
export function verifyEquations (publicKey: Uint8Array, msg: Uint8Array, sig: Uint8Array): { cofactorless: boolean, cofactored: boolean } {
  const A = decodePoint(publicKey)
  const R = decodePoint(sig.subarray(0, 32))
  const s = leToInt(sig.subarray(32))
  if (A === null || R === null || s >= L) return { cofactorless: false, cofactored: false }
  const k = mod(leToInt(sha512(sig.subarray(0, 32), publicKey, msg)), L)
  const lhs = multiply(BASE, s)
  const rhs = add(R, multiply(A, k))
  return {
    cofactorless: equals(lhs, rhs),
    cofactored: equals(multiply(lhs, 8n), multiply(rhs, 8n))
  }
}
