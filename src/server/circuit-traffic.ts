/**
 * Counts the bytes a circuit relay server carries between the peers of its relayed connections.
 *
 * The relay service exposes no hook for this, but libp2p hands every negotiated protocol stream to
 * its Metrics component. A relayed connection is a hop stream (from the dialing peer) spliced to a
 * stop stream (to the listening peer); each starts with one length-prefixed control message the
 * relay writes (STATUS on hop, CONNECT on stop), and everything the relay writes after it is the
 * other peer's data. So we count what the relay sends on those streams after its first message:
 * every relayed byte is sent exactly once, in either direction, and reservations (a hop stream
 * with one reply) count nothing. Counting sends rather than receives also avoids bytes being seen
 * twice when the relay's message reader hands read-ahead data back to the stream.
 *
 * libp2p's `use()` middleware would look like the natural hook, but in libp2p 3.3 every inbound
 * stream appends its handler to the registered middleware array, so the relay's hop handler would
 * run again for each later stream.
 */
import { RELAY_V2_HOP_CODEC, RELAY_V2_STOP_CODEC } from '@libp2p/circuit-relay-v2'
import type { Metrics, Stream } from '@libp2p/interface'
import { countSent, trafficMetrics, type Chunk } from '../lib/p2p/traffic-hooks.js'

/** Reads past the first unsigned-varint-length-prefixed message of a byte sequence. */
export class FirstFrameSkipper {
  #length = 0
  #shift = 0
  /** Body bytes still to skip; undefined while the length prefix is being read. */
  #bodyLeft: number | undefined

  /** How many bytes of `chunk` come after the first message. */
  after (chunk: Chunk): number {
    const size = chunk.byteLength
    let i = 0
    while (this.#bodyLeft !== 0 && i < size) {
      if (this.#bodyLeft === undefined) {
        const byte = byteAt(chunk, i++)
        this.#length += (byte & 0x7f) * 2 ** this.#shift
        this.#shift += 7
        if ((byte & 0x80) === 0) this.#bodyLeft = this.#length
      } else {
        const skip = Math.min(this.#bodyLeft, size - i)
        i += skip
        this.#bodyLeft -= skip
      }
    }
    return this.#bodyLeft === 0 ? size - i : 0
  }
}

function byteAt (chunk: Chunk, i: number): number {
  return chunk instanceof Uint8Array ? chunk[i] ?? 0 : chunk.get(i)
}

export class CircuitTraffic {
  /** Bytes relayed between peers since start, both directions. */
  bytes = 0

  track (stream: Stream): void {
    if (stream.protocol !== RELAY_V2_HOP_CODEC && stream.protocol !== RELAY_V2_STOP_CODEC) return
    const skipper = new FirstFrameSkipper()
    countSent(stream, relayed => { this.bytes += relayed }, data => skipper.after(data))
  }

  /** A libp2p Metrics component feeding this counter; every other metric is accepted and dropped. */
  metrics (): Metrics {
    return trafficMetrics({ stream: stream => { this.track(stream) } })
  }

}
