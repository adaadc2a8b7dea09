import { multiaddr } from '@multiformats/multiaddr'
import type { Connection, MultiaddrConnection, Stream } from '@libp2p/interface'
import { describe, expect, it } from 'vitest'
import { TrafficAccounting } from '../../src/lib/p2p/accounting.js'

/** The parts of a raw connection or stream the accounting touches: send, onData, close. */
class FakeIo extends EventTarget {
  received = 0
  constructor (readonly remoteAddr = multiaddr('/ip4/127.0.0.1/tcp/4001')) { super() }
  send (_data: Uint8Array): boolean { return true }
  onData (data: Uint8Array): void { this.received += data.byteLength }
}

const PEER = '12D3KooWGC6TvWhfapngX6wvJHMYvKpDMXPb3ZnCZ6dMoaMtimQ5'

describe('TrafficAccounting', () => {
  it('counts a raw connection’s bytes both ways, per connection and in total', () => {
    const traffic = new TrafficAccounting()
    const raw = new FakeIo()
    traffic.track(raw as unknown as MultiaddrConnection)
    raw.send(new Uint8Array(10))
    raw.onData(new Uint8Array(4))
    expect(raw.received).toBe(4)
    const conn = { remoteAddr: multiaddr(`/ip4/127.0.0.1/tcp/4001/p2p/${PEER}`) } as unknown as Connection
    expect(traffic.forConnection(conn)).toEqual({ bytesIn: 4, bytesOut: 10 })
    expect(traffic.totals).toEqual({ bytesIn: 4, bytesOut: 10 })

    raw.dispatchEvent(new Event('close'))
    expect(traffic.forConnection(conn)).toEqual({ bytesIn: 0, bytesOut: 0 })
    expect(traffic.totals).toEqual({ bytesIn: 4, bytesOut: 10 })
  })

  it('adds up a WebRTC connection’s streams and ignores streams of other connections', () => {
    const traffic = new TrafficAccounting()
    const rtcStreams = [new FakeIo(), new FakeIo()]
    const tcpStream = new FakeIo()
    const rtc = { remoteAddr: multiaddr(`/ip4/127.0.0.1/tcp/9/p2p/${PEER}/p2p-circuit/webrtc/p2p/${PEER}`), streams: rtcStreams } as unknown as Connection
    const tcp = { remoteAddr: multiaddr(`/ip4/127.0.0.1/tcp/4001/p2p/${PEER}`), streams: [tcpStream] } as unknown as Connection
    traffic.attach(() => [tcp, rtc])
    for (const s of [...rtcStreams, tcpStream]) traffic.trackStream(s as unknown as Stream)
    rtcStreams[0]?.send(new Uint8Array(5))
    rtcStreams[1]?.send(new Uint8Array(6))
    rtcStreams[1]?.onData(new Uint8Array(2))
    tcpStream.send(new Uint8Array(100))
    expect(traffic.forConnection(rtc)).toEqual({ bytesIn: 2, bytesOut: 11 })
    expect(traffic.forConnection(tcp)).toEqual({ bytesIn: 0, bytesOut: 0 })
    expect(traffic.totals).toEqual({ bytesIn: 2, bytesOut: 11 })
  })
})
