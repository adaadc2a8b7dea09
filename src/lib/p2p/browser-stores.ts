/**
 * The browser's IndexedDB stores: entry and media blocks, and the entry index. Kept apart from
 * runtime-browser.ts so that the app can read the stored logs (and delete them) without loading
 * libp2p.
 */
import { IDBBlockstore } from 'blockstore-idb'
import { IDBDatastore } from 'datastore-idb'

export const BLOCKS_DB = 'flock-blocks'
export const INDEX_DB = 'flock-index'

export interface BrowserStores {
  blockstore: IDBBlockstore
  datastore: IDBDatastore
  close: () => Promise<void>
}

/** Open both stores; if either fails, neither is left open (an open IndexedDB blocks deleting it). */
export async function openBrowserStores (): Promise<BrowserStores> {
  const blockstore = new IDBBlockstore(BLOCKS_DB)
  const datastore = new IDBDatastore(INDEX_DB)
  const close = async (): Promise<void> => {
    const closed = await Promise.allSettled([blockstore.close(), datastore.close()])
    const failed = closed.find(r => r.status === 'rejected')
    if (failed !== undefined) throw failed.reason
  }
  // Both opens settle before anything is closed: one still pending would open after the close.
  const opened = await Promise.allSettled([blockstore.open(), datastore.open()])
  const failed = opened.find(r => r.status === 'rejected')
  if (failed !== undefined) {
    await close().catch(() => {})
    throw failed.reason
  }
  return { blockstore, datastore, close }
}
