/**
 * One node per browser profile: the tab that holds the Web Lock runs the node and answers the other
 * tabs' FlockClient calls over a BroadcastChannel; they see its events live. Calls and results are
 * structured-cloned, which the FlockClient contract (plain data only) allows.
 */
import type { ClientEvent, FlockClient } from './client.js'

export const NODE_LOCK = 'flock-node'
const CHANNEL = 'flock-tabs'
const CALL_TIMEOUT_MS = 60_000
const HELLO_INTERVAL_MS = 500

type Method = Exclude<keyof FlockClient, 'author' | 'subscribe'>

type Message =
  | { type: 'hello' }
  | { type: 'leader', author: string }
  | { type: 'call', id: string, method: Method, args: unknown[] }
  | { type: 'result', id: string, value: unknown }
  | { type: 'error', id: string, name: string, message: string }
  | { type: 'event', event: ClientEvent }

/** Answer other tabs' calls with `client`, and forward its events to them. Returns a stop function. */
export function serveTabs (client: FlockClient): () => void {
  const channel = new BroadcastChannel(CHANNEL)
  const post = (m: Message): void => { channel.postMessage(m) }
  channel.onmessage = (evt: MessageEvent<Message>) => {
    const m = evt.data
    if (m.type === 'hello') return post({ type: 'leader', author: client.author })
    if (m.type !== 'call') return
    const fn = client[m.method] as (...args: unknown[]) => Promise<unknown>
    Promise.resolve()
      .then(async () => await fn.apply(client, m.args))
      .then(
        value => { post({ type: 'result', id: m.id, value }) },
        (err: Error) => { post({ type: 'error', id: m.id, name: err.name, message: err.message }) }
      )
  }
  const unsubscribe = client.subscribe(event => { post({ type: 'event', event }) })
  post({ type: 'leader', author: client.author })
  return () => {
    unsubscribe()
    channel.close()
  }
}

export class RemoteCallError extends Error {
  constructor (override readonly name: string, message: string) {
    super(message)
  }
}

/** Find the tab that runs the node and return a FlockClient that forwards to it. */
export async function connectToLeader (signal?: AbortSignal): Promise<FlockClient> {
  const channel = new BroadcastChannel(CHANNEL)
  const pending = new Map<string, { resolve: (v: unknown) => void, reject: (e: Error) => void }>()
  const listeners = new Set<(event: ClientEvent) => void>()
  let announce: ((author: string) => void) | undefined
  channel.onmessage = (evt: MessageEvent<Message>) => {
    const m = evt.data
    if (m.type === 'leader') announce?.(m.author)
    else if (m.type === 'event') for (const l of listeners) l(m.event)
    else if (m.type === 'result') pending.get(m.id)?.resolve(m.value)
    else if (m.type === 'error') pending.get(m.id)?.reject(new RemoteCallError(m.name, m.message))
  }
  // The leader may be starting (or another tab taking over): ask until one answers.
  let hello: ReturnType<typeof setInterval> | undefined
  const author = await new Promise<string>((resolve, reject) => {
    announce = resolve
    signal?.addEventListener('abort', () => { reject(signal.reason as Error) }, { once: true })
    channel.postMessage({ type: 'hello' } satisfies Message)
    hello = setInterval(() => { channel.postMessage({ type: 'hello' } satisfies Message) }, HELLO_INTERVAL_MS)
  }).finally(() => { clearInterval(hello) })
  const call = async (method: Method, args: unknown[]): Promise<unknown> => {
    const id = crypto.randomUUID()
    let timer: ReturnType<typeof setTimeout> | undefined
    try {
      return await new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject })
        timer = setTimeout(() => { reject(new RemoteCallError('TimeoutError', `the tab running Flock did not answer ${method}`)) }, CALL_TIMEOUT_MS)
        channel.postMessage({ type: 'call', id, method, args } satisfies Message)
      })
    } finally {
      clearTimeout(timer)
      pending.delete(id)
    }
  }
  const methods: Method[] = [
    'timeline', 'authorPosts', 'thread', 'post', 'like', 'repost', 'remove', 'follow', 'unfollow', 'following',
    'setProfile', 'profile', 'notifications', 'network', 'media', 'forks', 'exportLog', 'importLog'
  ]
  const client = {
    author,
    subscribe: (listener: (event: ClientEvent) => void) => {
      listeners.add(listener)
      return () => { listeners.delete(listener) }
    }
  } as Record<string, unknown>
  // An AbortSignal cannot cross a BroadcastChannel, so media() drops it; the leader applies its own timeout.
  for (const m of methods) client[m] = async (...args: unknown[]) => await call(m, args.filter(a => !(a instanceof AbortSignal)))
  return client as unknown as FlockClient
}
