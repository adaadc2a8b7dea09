import { Uint8ArrayList } from 'uint8arraylist'
import { describe, expect, it } from 'vitest'
import { FirstFrameSkipper } from '../../src/server/circuit-traffic.js'

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
