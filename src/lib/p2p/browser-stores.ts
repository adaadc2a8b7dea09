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
    await blockstore.close()
    await datastore.close()
  }
  try {
    await Promise.all([blockstore.open(), datastore.open()])
  } catch (err) {
    await close()
    throw err
  }
  return { blockstore, datastore, close }
}
