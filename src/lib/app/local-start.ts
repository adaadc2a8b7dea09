/**
 * The node of this tab and the LocalClient over it. The shell imports this module, so libp2p and
 * Helia are imported only when a node starts: the first screen renders before they load.
 */
import type { FlockClient } from './client.js'

export interface LocalStart {
  client: FlockClient
  stop: () => Promise<void>
}

export async function startLocalClient (backup: string, nodeKeyBytes: Uint8Array, relays: string[], allowLocal: boolean): Promise<LocalStart> {
  const [{ importAuthor }, { privateKeyFromProtobuf }, { createBrowserFlockNode }, { LocalClient }, { openViewsStore }] = await Promise.all([
    import('../core/identity.js'),
    import('@libp2p/crypto/keys'),
    import('../p2p/runtime-browser.js'),
    import('./local-client.js'),
    import('./views-store.js')
  ])
  const node = await createBrowserFlockNode({
    author: importAuthor(backup),
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
