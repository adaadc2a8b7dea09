/**
 * Per-connection traffic accounting. libp2p hands every raw connection to its Metrics component
 * before upgrading it; we count bytes there, below encryption and muxing, so the numbers are what
 * actually crossed the wire (or the relay). Only the two hooks we need are real; the rest of the
 * Metrics interface is inert because nothing else here reads libp2p's metrics.
 */
import type { Metrics, MultiaddrConnection } from '@libp2p/interface'

export interface TrafficCounter {
  bytesIn: number
  bytesOut: number
}

type Chunk = { byteLength: number }

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
    const totals = this.totals
    const conn = maConn as unknown as { send: (d: Chunk) => boolean, onData?: (d: Chunk) => void }
    const send = conn.send.bind(maConn)
    conn.send = (data: Chunk): boolean => {
      counter.bytesOut += data.byteLength
      totals.bytesOut += data.byteLength
      return send(data)
    }
    if (typeof conn.onData === 'function') {
      const onData = conn.onData.bind(maConn)
      conn.onData = (data: Chunk): void => {
        counter.bytesIn += data.byteLength
        totals.bytesIn += data.byteLength
        onData(data)
      }
    }
    maConn.addEventListener('close', () => {
      if (this.#byAddr.get(key) === counter) this.#byAddr.delete(key)
    }, { once: true })
  }

  /** Counter of the raw connection with this remote address, if it is still open. */
  forRemoteAddr (addr: string): TrafficCounter | undefined {
    return this.#byAddr.get(addr)
  }

  /** A libp2p Metrics component that feeds this accounting. */
  metrics (): Metrics {
    // Any metric libp2p registers gets an object that accepts every call and records nothing.
    const inert: unknown = new Proxy(function () {}, { get: () => inert, apply: () => inert })
    const register = (): unknown => inert
    const passthrough = <F>(_name: string, fn: F): F => fn
    return {
      trackMultiaddrConnection: (maConn: MultiaddrConnection) => { this.track(maConn) },
      trackProtocolStream: () => {},
      registerMetric: register,
      registerMetricGroup: register,
      registerCounter: register,
      registerCounterGroup: register,
      registerHistogram: register,
      registerHistogramGroup: register,
      registerSummary: register,
      registerSummaryGroup: register,
      traceFunction: passthrough,
      createTrace: () => undefined
    } as unknown as Metrics
  }
}
