/**
 * The node of this tab and the LocalClient over it. The shell imports this module, so libp2p and
 * Helia are imported only when a node starts: the first screen renders before they load.
 */
import type { SignerKey } from '../core/entry.js'
import type { FlockClient } from './client.js'
import { describeBrowser } from './device-key.js'

export interface LocalStart {
  client: FlockClient
  stop: () => Promise<void>
}

/**
 * Start the node of `backup`'s author. With `device` (device-key.ts) it writes that device's log,
 * signed in by the author key on its first start under a name describing this browser; without,
 * the author's root log (an identity stored before device keys).
 */
export async function startLocalClient (
  backup: string, nodeKeyBytes: Uint8Array, device: SignerKey | undefined, relays: string[], allowLocal: boolean
): Promise<LocalStart> {
  const [{ importAuthor }, { privateKeyFromProtobuf }, { createBrowserFlockNode }, { LocalClient }, { openViewsStore }] = await Promise.all([
    import('../core/identity.js'),
    import('@libp2p/crypto/keys'),
    import('../p2p/runtime-browser.js'),
    import('./local-client.js'),
    import('./views-store.js')
  ])
  const node = await createBrowserFlockNode({
    author: importAuthor(backup),
    ...(device !== undefined ? { device, deviceName: describeBrowser() } : {}),
    nodeKey: privateKeyFromProtobuf(nodeKeyBytes),
    relays,
    allowLocal
  })
  const stop = async (): Promise<void> => {
    await node.stop()
    await views?.close()
  }
  let views: Awaited<ReturnType<typeof openViewsStore>> | undefined
  try {
    views = await openViewsStore()
    return { client: await LocalClient.open(node, views, relays), stop }
  } catch (err) {
    // A node left running would keep its IndexedDB open and block a wipe.
    await stop().catch(() => {})
    throw err
  }
}
