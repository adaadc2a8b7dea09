import { describe, expect, it, vi } from 'vitest'
import type { DeviceView } from '../../src/lib/app/client.js'
import { canRevoke, deviceLabel, DevicesState, sortDevices } from '../../src/lib/state/devices.svelte.js'
import { fakeClient, ME } from './fake-client.js'

const THIS = '12D3KooWAdaAdaAdaAdaAdaAdaAdaAdaAdaAdaAdaAdaAdaAdaAd'
const PEER = '12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK'
const OLD = '12D3KooWBobBobBobBobBobBobBobBobBobBobBobBobBobBobBo'

const device = (id: string, extra: Partial<DeviceView> = {}): DeviceView => ({ id, entries: 3, lastTs: 10, current: false, root: false, ...extra })

const list: DeviceView[] = [
  device(ME, { root: true, lastTs: 5 }),
  device(OLD, { revokedAfter: 2, lastTs: 50 }),
  device(PEER, { name: 'headless peer', lastTs: 40 }),
  device(THIS, { current: true, lastTs: 1 })
]

describe('device rows', () => {
  it('are called by name, else "This browser" for this one, else by short id', () => {
    expect(deviceLabel(device(PEER, { name: 'headless peer' }))).toBe('Headless peer')
    expect(deviceLabel(device(THIS, { current: true }))).toBe('This browser')
    expect(deviceLabel(device(THIS, { current: true, name: 'laptop' }))).toBe('Laptop')
    expect(deviceLabel(device(OLD))).toBe('BobBobBo')
  })

  it('offer revoking only for other, unrevoked device logs', () => {
    expect(list.map(canRevoke)).toEqual([false, false, true, false])
  })

  it('list this device first and revoked ones last', () => {
    expect(sortDevices(list).map(d => d.id)).toEqual([THIS, PEER, ME, OLD])
  })
})

describe('DevicesState', () => {
  it('loads, and loads again when one of our entries arrives', async () => {
    const client = fakeClient()
    let answer = list
    client.devices = async () => { client.calls.push(['devices']); return answer }
    const devices = new DevicesState(client, 0)
    const stop = devices.start()
    await vi.waitFor(() => { expect(devices.devices?.map(d => d.id)).toEqual([THIS, PEER, ME, OLD]) })
    answer = list.slice(0, 1)
    client.emit({ type: 'entry', source: 'gossip', entry: { cid: 'x', author: ME, seq: 1, prev: null, ts: 1, kind: 'follow', body: { author: PEER } } })
    await vi.waitFor(() => { expect(devices.devices).toHaveLength(1) })
    stop()
    expect(client.listeners).toBe(0)
  })

  it('revokes only after the confirmation, then reads the list again', async () => {
    const client = fakeClient()
    client.devices = async () => { client.calls.push(['devices']); return list }
    const devices = new DevicesState(client)
    await devices.load()
    await devices.revoke(PEER)
    expect(client.calls.some(c => c[0] === 'revokeDevice')).toBe(false)
    devices.askRevoke(PEER)
    expect(devices.confirming).toBe(PEER)
    devices.cancelRevoke()
    expect(devices.confirming).toBeUndefined()
    devices.askRevoke(PEER)
    await devices.revoke(PEER)
    expect(client.calls).toContainEqual(['revokeDevice', PEER])
    expect(client.calls.filter(c => c[0] === 'devices')).toHaveLength(2)
    expect(devices.confirming).toBeUndefined()
    expect(devices.revoking).toBeUndefined()
  })

  it('says why a revoke failed and keeps the confirmation open', async () => {
    const client = fakeClient()
    client.fail.add('revokeDevice')
    const devices = new DevicesState(client)
    devices.askRevoke(PEER)
    await devices.revoke(PEER)
    expect(devices.error).toBe('revokeDevice failed')
    expect(devices.confirming).toBe(PEER)
  })
})
