/**
 * Hooks both traffic counters share (the peer's per-connection accounting and the relay's count of
 * relayed bytes): a libp2p Metrics implementation that only hands over connections and streams, and
 * a wrapper counting the bytes written to a stream.
 *
 *   metrics: () => trafficMetrics({ stream: s => { countSent(s, n => { total += n }) } })
 */
import type { MessageStream, Metrics, MultiaddrConnection, Stream } from '@libp2p/interface'
import type { Uint8ArrayList } from 'uint8arraylist'

export type Chunk = Uint8Array | Uint8ArrayList

/**
 * From now on, each chunk passed to `target.send` is measured (by default its length) before it is
 * handed on, since the stream may consume it, and the measure is reported to `onSent` once `send`
 * has taken the chunk: a send that throws (the stream is closing) counts nothing.
 */
export function countSent (
  target: Pick<MessageStream, 'send'>,
  onSent: (bytes: number) => void,
  measure: (data: Chunk) => number = data => data.byteLength
): void {
  const send = target.send.bind(target)
  target.send = (data: Chunk): boolean => {
    const bytes = measure(data)
    const accepted = send(data)
    onSent(bytes)
    return accepted
  }
}

/**
 * libp2p's Metrics hook is the one place it shows every raw connection (below encryption) and every
 * protocol stream. Any metric libp2p registers gets an object that accepts every call and records nothing.
 */
export function trafficMetrics (hooks: { connection?: (conn: MultiaddrConnection) => void, stream?: (stream: Stream) => void }): Metrics {
  const inert: unknown = new Proxy(function () {}, { get: () => inert, apply: () => inert })
  const register = (): unknown => inert
  return {
    trackMultiaddrConnection: (conn: MultiaddrConnection) => { hooks.connection?.(conn) },
    trackProtocolStream: (stream: Stream) => { hooks.stream?.(stream) },
    registerMetric: register,
    registerMetricGroup: register,
    registerCounter: register,
    registerCounterGroup: register,
    registerHistogram: register,
    registerHistogramGroup: register,
    registerSummary: register,
    registerSummaryGroup: register,
    traceFunction: <F>(_name: string, fn: F): F => fn,
    createTrace: () => undefined
  } as unknown as Metrics
}
