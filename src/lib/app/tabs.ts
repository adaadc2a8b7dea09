/**
 * One node per browser profile: the tab that holds the Web Lock runs the node and answers the other
 * tabs' FlockClient calls over a BroadcastChannel; they see its events live. Calls and results are
 * structured-cloned, which the FlockClient contract (plain data only) allows.
 */
import { CLIENT_METHODS, callMethod, forwarding, type ClientEvent, type ClientMethod, type FlockClient } from './client.js'
import { ClientError } from './errors.js'

export const NODE_LOCK = 'flock-node'
const CHANNEL = 'flock-tabs'
const CALL_TIMEOUT_MS = 60_000
const HELLO_INTERVAL_MS = 500

type Message =
  | { type: 'hello' }
  | { type: 'leader', author: string }
  | { type: 'call', id: string, method: ClientMethod, args: unknown[] }
  | { type: 'result', id: string, value: unknown }
  | { type: 'error', id: string, name: string, message: string, code?: string }
  | { type: 'event', event: ClientEvent }

/** Answer other tabs' calls with `client`, and forward its events to them. Returns a stop function. */
export function serveTabs (client: FlockClient): () => void {
  const channel = new BroadcastChannel(CHANNEL)
  const post = (m: Message): void => { channel.postMessage(m) }
  channel.onmessage = (evt: MessageEvent<Message>) => {
    const m = evt.data
    if (m.type === 'hello') return post({ type: 'leader', author: client.author })
    if (m.type !== 'call') return
    Promise.resolve()
      .then(async () => await callMethod(client, m.method, m.args))
      .then(
        value => { post({ type: 'result', id: m.id, value }) },
        (err: Error) => {
          post({ type: 'error', id: m.id, name: err.name, message: err.message, code: err instanceof ClientError ? err.code : undefined })
        }
      )
  }
  const unsubscribe = client.subscribe(event => { post({ type: 'event', event }) })
  post({ type: 'leader', author: client.author })
  return () => {
    unsubscribe()
    channel.close()
  }
}

/**
 * An error thrown in the tab running the node, as this tab receives it: an Error's class does not
 * survive the channel, so its name (and a ClientError's code) is what tells errors apart here.
 */
export class RemoteCallError extends Error {
  constructor (override readonly name: string, message: string, readonly code?: string) {
    super(message)
  }
}

/** The client of a tab that forwards every call to the tab running the node. */
class RemoteClient extends forwarding(CLIENT_METHODS) implements FlockClient {
  readonly author: string
  readonly #call: (method: ClientMethod, args: unknown[]) => Promise<unknown>
  readonly #listeners: Set<(event: ClientEvent) => void>

  constructor (author: string, call: (method: ClientMethod, args: unknown[]) => Promise<unknown>, listeners: Set<(event: ClientEvent) => void>) {
    super()
    this.author = author
    this.#call = call
    this.#listeners = listeners
  }

  protected override async forward (method: ClientMethod, args: unknown[]): Promise<unknown> {
    // An AbortSignal cannot cross a BroadcastChannel, so media() drops it; the leader applies its own timeout.
    return await this.#call(method, args.filter(a => !(a instanceof AbortSignal)))
  }

  subscribe (listener: (event: ClientEvent) => void): () => void {
    this.#listeners.add(listener)
    return () => { this.#listeners.delete(listener) }
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
    else if (m.type === 'error') pending.get(m.id)?.reject(new RemoteCallError(m.name, m.message, m.code))
  }
  // The leader may be starting (or another tab taking over): ask until one answers.
  let hello: ReturnType<typeof setInterval> | undefined
  const author = await new Promise<string>((resolve, reject) => {
    announce = resolve
    signal?.addEventListener('abort', () => { reject(signal.reason as Error) }, { once: true })
    channel.postMessage({ type: 'hello' } satisfies Message)
    hello = setInterval(() => { channel.postMessage({ type: 'hello' } satisfies Message) }, HELLO_INTERVAL_MS)
  }).finally(() => { clearInterval(hello) })
  const call = async (method: ClientMethod, args: unknown[]): Promise<unknown> => {
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
  return new RemoteClient(author, call, listeners)
}
