/**
 * The browser's IndexedDB database of the app's read model (read-model.ts). It is apart from the
 * node's databases because it is derived: deleting it loses nothing, the next start rebuilds it from
 * the logs.
 */
import { IDBDatastore } from 'datastore-idb'

export const VIEWS_DB = 'flock-views'

export async function openViewsStore (): Promise<IDBDatastore> {
  const views = new IDBDatastore(VIEWS_DB)
  await views.open()
  return views
}
