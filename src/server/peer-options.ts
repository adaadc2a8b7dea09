/**
 * Flags of `npm run peer`. Every flag can also come from FLOCK_<FLAG> in the environment (flags win).
 */
import { parseFlags, type FlagSpec } from './flags.js'
import { SYNC_SERVE_TOTAL_BYTES_PER_S } from '../lib/p2p/constants.js'

export interface PeerOptions {
  data: string
  relays: string[]
  bootstrap: string[]
  apiPort: number
  /** Origins (scheme://host[:port]) whose web pages may call the API; every other Origin is refused. */
  apiOrigins: string[]
  tcpPort: number
  webrtc: boolean
  ipColocationWeight?: number
  syncServeBytesPerSecond: number
}

const spec = {
  data: { type: 'string', default: '.flock/peer', help: 'directory for keys, log and replicated data' },
  relay: { type: 'string', multiple: true, help: 'relay multiaddr to keep a connection to (repeatable)' },
  bootstrap: { type: 'string', multiple: true, help: "URL of a relay's /bootstrap to read relay addresses from (repeatable)" },
  'api-port': { type: 'port', default: 0, help: 'port of the JSON API on 127.0.0.1 (0: any free port)' },
  'api-origin': { type: 'string', multiple: true, help: 'origin of a web page allowed to call the API, e.g. http://localhost:5173 (repeatable)' },
  'tcp-port': { type: 'port', default: 0, help: 'TCP port for direct peer connections on 127.0.0.1 (0: any)' },
  webrtc: { type: 'boolean', default: true, help: 'accept WebRTC so browsers can connect directly (--no-webrtc to turn off)' },
  'sync-serve-bytes-per-s': { type: 'count', default: SYNC_SERVE_TOTAL_BYTES_PER_S, help: "bytes per second all peers together may pull from this peer's logs over sync" },
  'ip-colocation-weight': { type: 'number', help: "gossipsub's IP-colocation penalty weight (<= 0); 0 when all peers share one IP" }
} satisfies Record<string, FlagSpec>

export type PeerOptionsResult =
  | { kind: 'options', options: PeerOptions }
  | { kind: 'help', text: string }
  | { kind: 'error', message: string }

/**
 * The origin a browser would send for `value`, or undefined when `value` is not one. A path, query or
 * credentials mean the operator had something else in mind than an origin, so they are refused
 * rather than cut off; case and a default port are normalised as browsers do.
 */
function origin (value: string): string | undefined {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return undefined
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined
  if (url.username !== '' || url.password !== '' || url.pathname !== '/' || url.search !== '' || url.hash !== '') return undefined
  return url.origin
}

export function peerOptions (argv: string[], env: NodeJS.ProcessEnv): PeerOptionsResult {
  const result = parseFlags(spec, argv, env, 'npm run peer --')
  if (result.kind !== 'flags') return result
  const f = result.flags
  const weight = f['ip-colocation-weight']
  if (weight !== undefined && weight > 0) return { kind: 'error', message: '--ip-colocation-weight must be <= 0' }
  if (f['sync-serve-bytes-per-s'] < 1024) return { kind: 'error', message: '--sync-serve-bytes-per-s must be at least 1024' }
  const apiOrigins: string[] = []
  for (const value of f['api-origin']) {
    const o = origin(value)
    if (o === undefined) return { kind: 'error', message: `--api-origin must be an origin like https://app.example or http://localhost:5173, got "${value}"` }
    apiOrigins.push(o)
  }
  return {
    kind: 'options',
    options: {
      data: f.data,
      relays: f.relay,
      bootstrap: f.bootstrap,
      apiPort: f['api-port'],
      apiOrigins,
      tcpPort: f['tcp-port'],
      webrtc: f.webrtc,
      syncServeBytesPerSecond: f['sync-serve-bytes-per-s'],
      ...(weight !== undefined ? { ipColocationWeight: weight } : {})
    }
  }
}
