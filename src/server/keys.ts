/**
 * Key files of the Node entry points. Private keys live in files of mode 0600 inside the data dir,
 * are created on first run and reused after; they are never printed or logged.
 */
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'

/** Load the libp2p private key stored at `path`, or create an Ed25519 one there. */
export async function loadOrCreateKey (path: string): Promise<PrivateKey> {
  const existing = await readFile(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null
    throw err
  })
  if (existing !== null) return privateKeyFromProtobuf(existing)
  const key = await generateKeyPair('Ed25519')
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
