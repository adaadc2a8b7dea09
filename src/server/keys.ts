/**
 * Key files of the Node entry points. Private keys live in files of mode 0600 inside the data dir,
 * are created on first run and reused after; they are never printed or logged.
 */
import { generateKeyPair as generateLibp2pKey, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import type { TransportCertificate } from '@libp2p/webrtc'
import { base64url } from 'multiformats/bases/base64'
import { sha256 } from 'multiformats/hashes/sha2'
import { createPrivateKey, generateKeyPair, randomBytes, sign, X509Certificate } from 'node:crypto'
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { promisify } from 'node:util'

/** Load the libp2p private key stored at `path`, or create an Ed25519 one there. */
export async function loadOrCreateKey (path: string): Promise<PrivateKey> {
  const existing = await readFile(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null
    throw err
  })
  if (existing !== null) return privateKeyFromProtobuf(existing)
  const key = await generateLibp2pKey('Ed25519')
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  await writeFile(path, privateKeyToProtobuf(key), { mode: 0o600, flag: 'wx' })
  await chmod(path, 0o600)
  return key
}

/** Load or create a UTF-8 secret file (0600) whose content `create` produces. */
export async function loadOrCreateText (path: string, create: () => Promise<string>): Promise<string> {
  const existing = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null
    throw err
  })
  if (existing !== null) return existing
  const text = await create()
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  await writeFile(path, text, { mode: 0o600, flag: 'wx' })
  await chmod(path, 0o600)
  return text
}

/** Random bytes in a new API token: as hard to guess as the author key the API stands in for. */
const API_TOKEN_BYTES = 32
/** What a token file may hold: base64url, at least as long as a hand-made one should be. */
const API_TOKEN_PATTERN = /^[A-Za-z0-9_-]{32,}$/

/**
 * Load the local API's bearer token from `path`, or create a random one there (0600). As with
 * Bitcoin Core's .cookie, reading the data dir is what grants the API, which a web page cannot do.
 * The token is kept across restarts so the operator's scripts keep working.
 */
export async function loadOrCreateToken (path: string): Promise<string> {
  const token = (await loadOrCreateText(path, async () => randomBytes(API_TOKEN_BYTES).toString('base64url'))).trim()
  if (!API_TOKEN_PATTERN.test(token)) {
    throw new Error(`${path} holds no usable token (32 or more of A-Z a-z 0-9 _ -); delete it to have a new one made`)
  }
  return token
}

/**
 * How long a new WebRTC-Direct certificate is valid. Long on purpose: a new certificate changes the
 * certhash in the relay's address and strands every browser that stored it, and WebRTC authenticates
 * the certificate by that hash (the Noise handshake binds it to the peer id), not by its dates.
 */
const CERTIFICATE_LIFESPAN_MS = 10 * 365 * 24 * 60 * 60 * 1000

/** A WebRTC-Direct certificate file and what, if anything, made us replace it. */
export interface LoadedCertificate {
  certificate: TransportCertificate
  /** What was wrong with the file that was replaced, as a predicate ("expired on …", "is unusable (…)"); never key material. */
  replaced?: string
}

/**
 * Load the WebRTC-Direct TLS certificate and its private key (one PEM file, mode 0600) from `path`,
 * or create them there. A missing, corrupt or expired file is replaced by a new one; any
 * other read error (permissions, a directory) is the operator's to fix and is thrown.
 */
export async function loadOrCreateCertificate (path: string): Promise<LoadedCertificate> {
  const now = new Date()
  const existing = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null
    throw err
  })
  let replaced: string | undefined
  if (existing !== null) {
    try {
      const certificate = await parseCertificate(existing)
      const expiry = new Date(new X509Certificate(certificate.pem).validTo)
      if (expiry > now) return { certificate }
      replaced = `expired on ${expiry.toISOString()}`
    } catch (err) {
      replaced = `is unusable (${(err as Error).message})`
    }
  }
  const text = await createCertificate(now, new Date(now.getTime() + CERTIFICATE_LIFESPAN_MS))
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  // Written aside and renamed, so a crash mid-write never leaves a half certificate behind.
  const partial = `${path}.partial`
  await writeFile(partial, text, { mode: 0o600 })
  await chmod(partial, 0o600)
  await rename(partial, path)
  return { certificate: await parseCertificate(text), ...(replaced !== undefined ? { replaced } : {}) }
}

async function parseCertificate (text: string): Promise<TransportCertificate> {
  const key = createPrivateKey(pemBlock(text, 'PRIVATE KEY'))
  // @libp2p/webrtc's requirement: browsers accept no other curve for the DTLS certificate.
  if (key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new Error('the private key is not an ECDSA P-256 key')
  const cert = new X509Certificate(pemBlock(text, 'CERTIFICATE'))
  if (!cert.checkPrivateKey(key)) throw new Error('the certificate does not match the private key')
  return {
    privateKey: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    pem: cert.toString(),
    certhash: base64url.encode((await sha256.digest(cert.raw)).bytes)
  }
}

function pemBlock (text: string, label: string): string {
  const block = new RegExp(`-----BEGIN ${label}-----[A-Za-z0-9+/=\\s]+-----END ${label}-----`).exec(text)?.[0]
  if (block === undefined) throw new Error(`no ${label} block`)
  return block
}

const generateEcKeyPair = promisify(generateKeyPair)

/** AlgorithmIdentifier ecdsa-with-SHA256 (1.2.840.10045.4.3.2), which takes no parameters. */
const ECDSA_WITH_SHA256 = Buffer.from('300a06082a8648ce3d040302', 'hex')
/** The attribute type commonName (2.5.4.3). */
const OID_COMMON_NAME = Buffer.from('0603550403', 'hex')

/**
 * A self-signed ECDSA P-256 certificate and its private key, as the PEM file text. Node can sign but
 * not build certificates, and WebRTC needs no more than the fields below, so the DER is written here.
 */
export async function createCertificate (notBefore: Date, notAfter: Date): Promise<string> {
  const { privateKey, publicKey } = await generateEcKeyPair('ec', { namedCurve: 'prime256v1' })
  const serial = randomBytes(16)
  // Positive and minimally encoded, as DER requires of an INTEGER.
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x40
  const name = der(0x30, der(0x31, der(0x30, OID_COMMON_NAME, der(0x0c, Buffer.from('flock relay')))))
  const tbs = der(0x30,
    der(0xa0, der(0x02, Buffer.from([2]))), // X.509 v3
    der(0x02, serial),
    ECDSA_WITH_SHA256,
    name,
    der(0x30, derTime(notBefore), derTime(notAfter)),
    name,
    publicKey.export({ type: 'spki', format: 'der' }))
  const signature = sign('sha256', tbs, { key: privateKey, dsaEncoding: 'der' })
  const cert = new X509Certificate(der(0x30, tbs, ECDSA_WITH_SHA256, der(0x03, Buffer.from([0]), signature)))
  return `${privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()}${cert.toString()}`
}

function der (tag: number, ...content: Uint8Array[]): Buffer {
  const body = Buffer.concat(content)
  const length = body.length < 0x80 ? Buffer.from([body.length]) : derLongLength(body.length)
  return Buffer.concat([Buffer.from([tag]), length, body])
}

function derLongLength (length: number): Buffer {
  const bytes: number[] = []
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256)
  return Buffer.from([0x80 | bytes.length, ...bytes])
}

/** X.509 times: UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5). */
function derTime (date: Date): Buffer {
  const digits = date.toISOString().replace(/[-:T]|\.\d+/g, '')
  return date.getUTCFullYear() < 2050 ? der(0x17, Buffer.from(digits.slice(2))) : der(0x18, Buffer.from(digits))
}
