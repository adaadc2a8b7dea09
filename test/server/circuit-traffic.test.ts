import { RELAY_V2_HOP_CODEC, RELAY_V2_STOP_CODEC } from '@libp2p/circuit-relay-v2'
import type { Stream } from '@libp2p/interface'
import { Uint8ArrayList } from 'uint8arraylist'
import { describe, expect, it } from 'vitest'
import { CircuitTraffic, FirstFrameSkipper } from '../../src/server/circuit-traffic.js'

/** A length-prefixed frame: unsigned varint length, then `length` bytes. */
function frame (length: number): Uint8Array {
  const prefix: number[] = []
  for (let n = length; ; n = Math.floor(n / 128)) {
    prefix.push(n >= 128 ? (n % 128) | 0x80 : n)
    if (n < 128) break
  }
  return Uint8Array.from([...prefix, ...new Uint8Array(length).fill(1)])
}

describe('FirstFrameSkipper', () => {
  it('counts nothing of the first message and everything after it', () => {
    const skipper = new FirstFrameSkipper()
    const control = frame(300)
    expect(skipper.after(Uint8Array.from([...control, 9, 9, 9]))).toBe(3)
    expect(skipper.after(new Uint8Array(1000))).toBe(1000)
  })

  it('follows a message split anywhere, even inside its length prefix', () => {
    const control = frame(300)
    for (let cut = 0; cut <= control.length; cut++) {
      const skipper = new FirstFrameSkipper()
      const counted = skipper.after(control.subarray(0, cut)) +
        skipper.after(new Uint8ArrayList(control.subarray(cut), new Uint8Array(5)))
      expect(counted).toBe(5)
    }
  })

  it('handles an empty first message', () => {
    expect(new FirstFrameSkipper().after(Uint8Array.from([0, 1, 2]))).toBe(2)
  })
})

describe('CircuitTraffic', () => {
  /** A stream of `protocol` whose send takes every chunk. */
  function stream (protocol: string): Stream {
    return { protocol, send: () => true } as unknown as Stream
  }

  it('counts what the relay sends on hop and stop streams after its control message', () => {
    const traffic = new CircuitTraffic()
    const hop = stream(RELAY_V2_HOP_CODEC)
    const stop = stream(RELAY_V2_STOP_CODEC)
    traffic.track(hop)
    traffic.track(stop)
    expect(hop.send(Uint8Array.from([...frame(10), 7, 7]))).toBe(true)
    stop.send(frame(20))
    stop.send(new Uint8Array(30))
    expect(traffic.bytes).toBe(32)
  })

  it('counts nothing on other protocols or on a reservation (one reply)', () => {
    const traffic = new CircuitTraffic()
    const other = stream('/ipfs/ping/1.0.0')
    const reservation = stream(RELAY_V2_HOP_CODEC)
    traffic.track(other)
    traffic.track(reservation)
    other.send(new Uint8Array(50))
    reservation.send(frame(40))
    expect(traffic.bytes).toBe(0)
  })
})
