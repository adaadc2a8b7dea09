/**
 * Which tab runs the node. Exactly one tab per browser profile holds the Web Lock and runs the node;
 * the others get a client that forwards to it, and reload into the leader's place when it closes.
 */
import type { SignerKey } from '../core/entry.js'
import type { FlockClient } from './client.js'
import { startLocalClient } from './local-start.js'
import { isLoopbackPage, relayList } from './relays.js'
import { NODE_LOCK, connectToLeader, serveTabs } from './tabs.js'

export interface Connection {
  /** 'leader': this tab runs the node; 'follower': another tab does and this one forwards to it. */
  role: 'leader' | 'follower'
  /** The node's client: this tab's own node, or a forwarder to the tab running it. */
  client: Promise<FlockClient>
}

/**
 * This browser's device key, asked for only by the tab that runs the node (the others never sign,
 * and a key made here is made under the node lock). Undefined for an identity stored before device
 * keys: its node keeps writing the author's root log.
 */
export type DeviceKeySource = () => Promise<SignerKey | undefined>

/** The node this tab is starting, while it starts: a wipe must wait for it, then stop it. */
let leaderStarting: Promise<unknown> | undefined
let stopNode: (() => Promise<void>) | undefined

async function startLeader (backup: string, nodeKey: Uint8Array, device: DeviceKeySource): Promise<FlockClient> {
  const run = startLeaderNode(backup, nodeKey, device)
  leaderStarting = run
  try {
    return await run
  } finally {
    if (leaderStarting === run) leaderStarting = undefined
  }
}

async function startLeaderNode (backup: string, nodeKey: Uint8Array, device: DeviceKeySource): Promise<FlockClient> {
  const [{ effective }, deviceKey] = await Promise.all([relayList(), device()])
  const { client, stop } = await startLocalClient(backup, nodeKey, deviceKey, effective, isLoopbackPage())
  const stopServing = serveTabs(client)
  stopNode = async () => {
    stopServing()
    await stop()
  }
  return client
}

/** Stop this tab's node, waiting for it first if it is still starting. */
export async function stopLeader (): Promise<void> {
  await leaderStarting?.catch(() => {})
  await stopNode?.()
}

/**
 * Take the node lock if no other tab holds it and run the node here once `start` settles; otherwise
 * forward to the tab that does, and queue for the lock so this tab takes over (by reloading) when
 * that one closes. Returns as soon as the role is known, before the node is up.
 */
export async function connect (
  backup: string, nodeKey: Uint8Array, device: DeviceKeySource, start: Promise<void> = Promise.resolve()
): Promise<Connection> {
  const lead = async (): Promise<FlockClient> => {
    await start
    return await startLeader(backup, nodeKey, device)
  }
  if (!('locks' in navigator)) return { role: 'leader', client: lead() }
  return await new Promise<Connection>((resolve) => {
    void navigator.locks.request(NODE_LOCK, { ifAvailable: true }, async (lock) => {
      if (lock === null) {
        void navigator.locks.request(NODE_LOCK, () => { location.reload() })
        resolve({ role: 'follower', client: connectToLeader(AbortSignal.timeout(30_000)) })
        return
      }
      const client = lead()
      resolve({ role: 'leader', client })
      // A node that failed to start releases the lock; a running one holds it for the life of this tab.
      if (await client.then(() => true, () => false)) await new Promise(() => {})
    })
  })
}
