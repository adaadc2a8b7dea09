/**
 * Ed25519 verification with one rule everywhere (PROTOCOL.md §4): RFC 8032 strict. The public key
 * must be a canonical encoding of a curve point that is not of small order, and S must be below the
 * group order L; then the cofactorless equation is checked. The key and S checks are done here, so
 * the result does not depend on which library a runtime offers: node:crypto (OpenSSL) in Node,
 * WebCrypto (BoringSSL) in browsers, and @noble/curves in strict mode where neither has Ed25519.
 *
 * ```ts
 * if (!isStrictPublicKey(raw)) throw …
 * await verifyEd25519(raw, signature, message) // true or false, never throws for bad input
 * ```
 */
import { ed25519 } from '@noble/curves/ed25519.js'

// Ed25519 group order L, little-endian, as S is encoded in the second half of a signature.
const ED25519_L = Uint8Array.from([
  0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10
])

/** True when `raw` is a canonical, on-curve, not small-order Ed25519 public key. */
export function isStrictPublicKey (raw: Uint8Array): boolean {
  return raw.length === 32 && strictKey(raw)
}

/** True when the scalar S of a 64-byte signature is below L (compared from the most significant byte). */
export function isCanonicalS (sig: Uint8Array): boolean {
  if (sig.length !== 64) return false
  for (let i = 31; i >= 0; i--) {
    const s = sig[32 + i] as number
    const l = ED25519_L[i] as number
    if (s !== l) return s < l
  }
  return false
}

type Verify = (raw: Uint8Array, sig: Uint8Array, msg: Uint8Array, parallel: boolean) => boolean | Promise<boolean>

interface NodeCrypto {
  createPublicKey: (k: { key: { kty: 'OKP', crv: 'Ed25519', x: string }, format: 'jwk' }) => unknown
  createPrivateKey: (k: { key: { kty: 'OKP', crv: 'Ed25519', x: string, d: string }, format: 'jwk' }) => unknown
  verify: ((alg: null, data: Uint8Array, key: unknown, sig: Uint8Array) => boolean) &
  ((alg: null, data: Uint8Array, key: unknown, sig: Uint8Array, done: (err: Error | null, ok: boolean) => void) => void)
  sign: (alg: null, data: Uint8Array, key: unknown) => Uint8Array
}

function nodeCrypto (): NodeCrypto | undefined {
  const get = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule
  return get?.('node:crypto') as NodeCrypto | undefined
}

/**
 * What signing needs of an Ed25519 private key: a libp2p key, or one whose bytes stay hidden (a
 * non-extractable WebCrypto key has no `raw` and signs only through `sign`).
 */
export interface SigningKey {
  readonly raw?: Uint8Array
  readonly publicKey: { readonly raw: Uint8Array }
  sign: (message: Uint8Array) => Uint8Array | Promise<Uint8Array>
}

// libp2p's sign() parses the key into an OpenSSL object on every call, which costs twice the
// signature itself; an author signs many entries with one key, so keep the parsed object.
const nodeSigningKeys = new WeakMap<SigningKey, unknown>()

/** Sign `message` with an Ed25519 key; returns plain bytes (not a Buffer). */
export async function signEd25519 (key: SigningKey, message: Uint8Array): Promise<Uint8Array> {
  const crypto = nodeCrypto()
  if (crypto === undefined || key.raw === undefined) return Uint8Array.from(await key.sign(message))
  let parsed = nodeSigningKeys.get(key)
  if (parsed === undefined) {
    parsed = crypto.createPrivateKey({
      key: { kty: 'OKP', crv: 'Ed25519', d: base64url(key.raw.subarray(0, 32)), x: base64url(key.publicKey.raw) },
      format: 'jwk'
    })
    nodeSigningKeys.set(key, parsed)
  }
  return Uint8Array.from(crypto.sign(null, message, parsed))
}

// Parsing a key costs as much as verifying with it, and the same authors recur: keep parsed keys.
const KEY_CACHE_SIZE = 4096
function cached<K> (make: (raw: Uint8Array) => K): (raw: Uint8Array) => K {
  const cache = new Map<string, K>()
  return (raw) => {
    const id = String.fromCharCode(...raw)
    let key = cache.get(id)
    if (key === undefined) {
      if (cache.size >= KEY_CACHE_SIZE) cache.clear()
      key = make(raw)
      cache.set(id, key)
    }
    return key
  }
}

// Point decompression in pure JS costs about as much as a verification; authors recur, so remember.
const strictKey = cached((raw: Uint8Array): boolean => {
  try {
    return !ed25519.Point.fromBytes(raw, false).isSmallOrder()
  } catch {
    return false
  }
})

function base64url (bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')
}

function nodeVerifier (): Verify | undefined {
  const crypto = nodeCrypto()
  if (crypto === undefined) return undefined
  const keyOf = cached(raw => crypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: base64url(raw) }, format: 'jwk' }))
  return (raw, sig, msg, parallel) => {
    if (!parallel) return crypto.verify(null, msg, keyOf(raw), sig)
    // With a callback, OpenSSL runs on libuv's thread pool: a batch verifies on every core, while
    // one verification at a time pays a thread hop, hence the choice.
    return new Promise<boolean>((resolve, reject) => {
      crypto.verify(null, msg, keyOf(raw), sig, (err, ok) => { if (err === null) resolve(ok); else reject(err) })
    })
  }
}

async function webCryptoVerifier (): Promise<Verify | undefined> {
  const subtle = globalThis.crypto?.subtle
  if (subtle === undefined) return undefined
  try {
    await subtle.importKey('raw', new Uint8Array(32).fill(0x11), { name: 'Ed25519' }, false, ['verify'])
  } catch {
    return undefined
  }
  const keyOf = cached(async raw => await subtle.importKey('raw', raw as Uint8Array<ArrayBuffer>, { name: 'Ed25519' }, false, ['verify']))
  return async (raw, sig, msg) => await subtle.verify('Ed25519', await keyOf(raw), sig as Uint8Array<ArrayBuffer>, msg as Uint8Array<ArrayBuffer>)
}

const nobleVerifier: Verify = (raw, sig, msg) => ed25519.verify(sig, msg, raw, { zip215: false })

let chosen: Promise<Verify> | undefined
function verifier (): Promise<Verify> {
  chosen ??= (async () => nodeVerifier() ?? await webCryptoVerifier() ?? nobleVerifier)()
  return chosen
}

/**
 * Verify an Ed25519 signature under the strict rule above. Never throws for malformed input.
 * `parallel`: the caller has many signatures in flight at once, so run each off the main thread where
 * the runtime can (Node's thread pool; browsers' WebCrypto is asynchronous anyway).
 */
export async function verifyEd25519 (publicKey: Uint8Array, sig: Uint8Array, message: Uint8Array, parallel = false): Promise<boolean> {
  if (!isCanonicalS(sig) || !isStrictPublicKey(publicKey)) return false
  try {
    return await (await verifier())(publicKey, sig, message, parallel)
  } catch {
    return false
  }
}
