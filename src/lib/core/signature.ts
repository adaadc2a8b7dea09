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

// Ed25519 group order L.
const ED25519_L = (1n << 252n) + 27742317777372353535851937790883648493n

/** True when `raw` is a canonical, on-curve, not small-order Ed25519 public key. */
export function isStrictPublicKey (raw: Uint8Array): boolean {
  return raw.length === 32 && strictKey(raw)
}

export function isCanonicalS (sig: Uint8Array): boolean {
  if (sig.length !== 64) return false
  let s = 0n
  for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(sig[i] as number)
  return s < ED25519_L
}

type Verify = (raw: Uint8Array, sig: Uint8Array, msg: Uint8Array) => boolean | Promise<boolean>

interface NodeCrypto {
  createPublicKey: (k: { key: { kty: 'OKP', crv: 'Ed25519', x: string }, format: 'jwk' }) => unknown
  verify: (alg: null, data: Uint8Array, key: unknown, sig: Uint8Array) => boolean
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
  const get = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule
  const nodeCrypto = get?.('node:crypto') as NodeCrypto | undefined
  if (nodeCrypto === undefined) return undefined
  const keyOf = cached(raw => nodeCrypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: base64url(raw) }, format: 'jwk' }))
  return (raw, sig, msg) => nodeCrypto.verify(null, msg, keyOf(raw), sig)
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

/** Verify an Ed25519 signature under the strict rule above. Never throws for malformed input. */
export async function verifyEd25519 (publicKey: Uint8Array, sig: Uint8Array, message: Uint8Array): Promise<boolean> {
  if (!isCanonicalS(sig) || !isStrictPublicKey(publicKey)) return false
  try {
    return await (await verifier())(publicKey, sig, message)
  } catch {
    return false
  }
}
