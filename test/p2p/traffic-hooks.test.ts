import { Uint8ArrayList } from 'uint8arraylist'
import { describe, expect, it } from 'vitest'
import { countSent, type Chunk } from '../../src/lib/p2p/traffic-hooks.js'

/** A stream whose send records what it got and returns `accept`, or throws when closed. */
function fakeStream (accept = true): { send: (data: Chunk) => boolean, got: Chunk[], closed: boolean } {
  const stream = {
    got: [] as Chunk[],
    closed: false,
    send (data: Chunk): boolean {
      if (stream.closed) throw new Error('closed')
      stream.got.push(data)
      return accept
    }
  }
  return stream
}

describe('countSent', () => {
  it('reports the length of each chunk and passes it on unchanged', () => {
    const stream = fakeStream()
    const seen: number[] = []
    countSent(stream, n => seen.push(n))
    const list = new Uint8ArrayList(new Uint8Array(2), new Uint8Array(3))
    expect(stream.send(new Uint8Array(4))).toBe(true)
    expect(stream.send(list)).toBe(true)
    expect(seen).toEqual([4, 5])
    expect(stream.got[1]).toBe(list)
  })

  it('returns send’s backpressure signal and still counts the chunk', () => {
    const stream = fakeStream(false)
    let total = 0
    countSent(stream, n => { total += n })
    expect(stream.send(new Uint8Array(7))).toBe(false)
    expect(total).toBe(7)
  })

  it('measures before send and counts nothing when send throws', () => {
    const stream = fakeStream()
    const measured: number[] = []
    let total = 0
    countSent(stream, n => { total += n }, data => { measured.push(data.byteLength); return 1 })
    stream.send(new Uint8Array(9))
    stream.closed = true
    expect(() => stream.send(new Uint8Array(9))).toThrow('closed')
    expect(measured).toEqual([9, 9])
    expect(total).toBe(1)
  })

  it('stacks: a second wrapper sees the same chunks', () => {
    const stream = fakeStream()
    let a = 0
    let b = 0
    countSent(stream, n => { a += n })
    countSent(stream, n => { b += n })
    stream.send(new Uint8Array(3))
    expect([a, b, stream.got.length]).toEqual([3, 3, 1])
  })
})
