/**
 * Per-connection traffic accounting. libp2p hands every raw connection to its Metrics component
 * before upgrading it; we count bytes there, below encryption and muxing, so the numbers are what
 * actually crossed the wire (or the relay). Only the two hooks we need are real; the rest of the
 * Metrics interface is inert because nothing else here reads libp2p's metrics.
 */
import type { Connection, MessageStream, Metrics, MultiaddrConnection, Stream } from '@libp2p/interface'
import { countSent, trafficMetrics, type Chunk } from './traffic-hooks.js'

export interface TrafficCounter {
  bytesIn: number
  bytesOut: number
}

export class TrafficAccounting {
  /** Counters by remote address string of the raw connection. */
  readonly #byConn = new WeakMap<object, TrafficCounter>()
  readonly #byAddr = new Map<string, TrafficCounter>()
  /** Totals over every connection since start, including closed ones. */
  readonly totals: TrafficCounter = { bytesIn: 0, bytesOut: 0 }

  track (maConn: MultiaddrConnection): void {
    const counter: TrafficCounter = { bytesIn: 0, bytesOut: 0 }
    this.#byConn.set(maConn, counter)
    const key = maConn.remoteAddr.toString()
    this.#byAddr.set(key, counter)
    this.#wrap(maConn, counter)
    maConn.addEventListener('close', () => {
      if (this.#byAddr.get(key) === counter) this.#byAddr.delete(key)
    }, { once: true })
  }

  /**
   * WebRTC connections carry their streams on data channels, not on the raw connection, so their
   * bytes are counted per protocol stream and added up per connection.
   */
  readonly #byRtcConn = new WeakMap<Connection, TrafficCounter>()
  #connections: () => Connection[] = () => []

  /** Where to look up which connection a new stream belongs to (the node's open connections). */
  attach (connections: () => Connection[]): void {
    this.#connections = connections
  }

  trackStream (stream: Stream): void {
    const conn = this.#connections().find(c => c.streams.includes(stream))
    if (conn === undefined || !isWebRTC(conn)) return
    let counter = this.#byRtcConn.get(conn)
    if (counter === undefined) {
      counter = { bytesIn: 0, bytesOut: 0 }
      this.#byRtcConn.set(conn, counter)
    }
    this.#wrap(stream, counter)
  }

  #wrap (target: MessageStream, counter: TrafficCounter): void {
    const totals = this.totals
    countSent(target, bytes => {
      counter.bytesOut += bytes
      totals.bytesOut += bytes
    })
    // onData is the implementation's hook for incoming bytes (AbstractMessageStream), not part of
    // the MessageStream interface; streams without it go uncounted inbound.
    const io = target as MessageStream & { onData?: (d: Chunk) => void }
    if (typeof io.onData === 'function') {
      const onData = io.onData.bind(target)
      io.onData = (data: Chunk): void => {
        counter.bytesIn += data.byteLength
        totals.bytesIn += data.byteLength
        onData(data)
      }
    }
  }

  /** Bytes carried by an open connection so far. */
  forConnection (conn: Connection): TrafficCounter {
    if (isWebRTC(conn)) return this.#byRtcConn.get(conn) ?? { bytesIn: 0, bytesOut: 0 }
    return this.#byAddr.get(conn.remoteAddr.toString()) ?? this.#byAddr.get(stripPeer(conn.remoteAddr.toString())) ?? { bytesIn: 0, bytesOut: 0 }
  }

  /** A libp2p Metrics component that feeds this accounting. */
  metrics (): Metrics {
    return trafficMetrics({ connection: conn => { this.track(conn) }, stream: stream => { this.trackStream(stream) } })
  }

}

function isWebRTC (conn: Connection): boolean {
  return conn.remoteAddr.toString().includes('/webrtc')
}

/** The raw connection's address lacks the trailing /p2p/<peer> a Connection's address has. */
function stripPeer (addr: string): string {
  const i = addr.lastIndexOf('/p2p/')
  return i > 0 && !addr.slice(i + 5).includes('/') ? addr.slice(0, i) : addr
}
