/**
 * `npm run peer`: a headless Flock peer — an always-on seeder, a bot, or a test participant. It keeps
 * its author key, device key, log, follows and everything it replicated under --data, and offers the
 * JSON API of DESIGN §3 on 127.0.0.1, for whoever holds the token in --data/api.token.
 */
import { access } from 'node:fs/promises'
import { join } from 'node:path'
import type { Ed25519PrivateKey } from '@libp2p/interface'
import { LevelDatastore } from 'datastore-level'
import { authorFromPrivateKey, exportAuthor, generateAuthor, importAuthor, type Author } from '../lib/core/index.js'
import { createNodeFlockNode } from '../lib/p2p/runtime-node.js'
import { LocalClient } from '../lib/app/local-client.js'
import { startApi } from './api.js'
import { loadOrCreateKey, loadOrCreateText, loadOrCreateToken } from './keys.js'
import { peerOptions, type PeerOptions } from './peer-options.js'

async function fetchBootstrap (url: string): Promise<string[]> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) })
  if (!res.ok) throw new Error(`bootstrap ${url} answered ${res.status}`)
  const body = await res.json() as { multiaddrs?: unknown }
  if (!Array.isArray(body.multiaddrs) || !body.multiaddrs.every(a => typeof a === 'string')) {
    throw new Error(`bootstrap ${url} did not return {"multiaddrs": [...]}`)
  }
  // A browser-facing relay also lists WebRTC-Direct addresses; a Node peer reaches it over WebSockets.
  return body.multiaddrs.filter(a => a.includes('/ws'))
}

/**
 * This peer's device key (PROTOCOL.md §1, Devices), or none when it keeps writing its author's root
 * log: a data dir from before version 2 already holds that log (index/ exists, device.key does not).
 * A new data dir, even one given another device's author.json, makes a device of its own, so two
 * copies of one author key never write one log.
 */
async function deviceOf (data: string): Promise<Author | undefined> {
  const path = join(data, 'device.key')
  const hasKey = await access(path).then(() => true, () => false)
  if (!hasKey && await access(join(data, 'index')).then(() => true, () => false)) return undefined
  return authorFromPrivateKey(await loadOrCreateKey(path) as Ed25519PrivateKey)
}

export async function runPeer (options: PeerOptions): Promise<void> {
  const backup = await loadOrCreateText(join(options.data, 'author.json'), async () => exportAuthor(await generateAuthor()))
  const author = importAuthor(backup)
  const device = await deviceOf(options.data)
  const nodeKey = await loadOrCreateKey(join(options.data, 'node.key'))
  const token = await loadOrCreateToken(join(options.data, 'api.token'))
  const relays = [...options.relays]
  for (const url of options.bootstrap) relays.push(...await fetchBootstrap(url))
  const node = await createNodeFlockNode({
    author: authorFromPrivateKey(author.privateKey),
    ...(device !== undefined ? { device, deviceName: 'headless peer' } : {}),
    nodeKey,
    dataDir: options.data,
    relays,
    tcpPort: options.tcpPort,
    webrtc: options.webrtc,
    syncServeBytesPerSecond: options.syncServeBytesPerSecond,
    ...(options.ipColocationWeight !== undefined ? { ipColocationFactorWeight: options.ipColocationWeight } : {})
  })
  // The app's read model (threads, counts, notifications) is derived from the logs, kept apart from them.
  const views = new LevelDatastore(join(options.data, 'views'))
  await views.open()
  const client = await LocalClient.open(node, views, relays)
  const api = await startApi(node, client, { port: options.apiPort, token, origins: options.apiOrigins })

  let stopping = false
  const shutdown = (): void => {
    if (stopping) return
    stopping = true
    api.server.close()
    api.server.closeAllConnections()
    node.stop().then(async () => { await views.close() }).then(() => process.exit(0), (err: Error) => {
      console.error(`peer: error while stopping: ${err.message}`)
      process.exit(1)
    })
  }
  // Handlers first: whoever reads the ready line may signal us at once.
  process.once('SIGINT', shutdown)
  process.once('SIGTERM', shutdown)
  // The token is printed here, for whoever started us, and nowhere else.
  process.stdout.write(JSON.stringify({ event: 'ready', author: author.id, device: node.logId, peerId: node.peerId.toString(), api: api.url, token }) + '\n')
}

const parsed = peerOptions(process.argv.slice(2), process.env)
if (parsed.kind === 'help') {
  process.stdout.write(parsed.text)
} else if (parsed.kind === 'error') {
  console.error(`peer: ${parsed.message}`)
  process.exit(2)
} else {
  runPeer(parsed.options).catch((err: Error) => {
    console.error(`peer: ${err.message}`)
    process.exit(1)
  })
}
