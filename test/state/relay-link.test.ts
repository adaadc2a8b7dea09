// A ?relay= link replaces the user's relays only once they agree; a first visit from an invite link uses
// and keeps the link's relays without asking.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { adoptInviteRelays, relayLinkToConfirm, relayList, saveRelays } from '../../src/lib/app/relays.js'

const MINE = '/dns4/mine.example/tcp/443/wss/p2p/12D3KooWKnDdG3iXw9eTFijk3EWSunZcFi54Zka4wmtqtt6rPxc7'
const LINKED = '/dns4/linked.example/tcp/443/wss/p2p/12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK'
const BOOT = '/dns4/boot.example/tcp/443/wss'

let page: URL
const replaceState = vi.fn((_state: unknown, _title: string, url: URL) => { page = new URL(url) })

function open (address: string): void {
  page = new URL(address)
}

beforeEach(() => {
  const store = new Map<string, string>()
  vi.stubGlobal('location', { get href () { return page.href }, get search () { return page.search }, get hostname () { return page.hostname } })
  vi.stubGlobal('history', { state: { 'sveltekit:history': 3 }, replaceState })
  vi.stubGlobal('localStorage', {
    getItem: (k: string) => store.get(k) ?? null,
    setItem: (k: string, v: string) => { store.set(k, v) },
    removeItem: (k: string) => { store.delete(k) }
  })
  vi.stubGlobal('fetch', async () => new Response(JSON.stringify({ relays: [BOOT] })))
  replaceState.mockClear()
})

afterEach(() => { vi.unstubAllGlobals() })

const link = `http://flock.example/u/x?relay=${encodeURIComponent(LINKED)}`

describe('relay links', () => {
  it('on a first visit, uses the link\'s relays without asking, and keeps them for the new identity', async () => {
    open(link)
    expect(relayLinkToConfirm(false)).toBeUndefined()
    expect((await relayList()).effective).toEqual([LINKED])
    await adoptInviteRelays()
    expect((await relayList()).settings).toEqual([LINKED])
    // The same link later asks nothing.
    expect(relayLinkToConfirm(true)).toBeUndefined()
  })

  it('asks before replacing saved relays, which stay in use until the user accepts', async () => {
    await saveRelays([MINE])
    open(link)
    for (const hasIdentity of [false, true]) expect(relayLinkToConfirm(hasIdentity)?.relays).toEqual([LINKED])
    expect((await relayList()).effective).toEqual([MINE])
    await adoptInviteRelays()
    expect((await relayList()).settings).toEqual([MINE])

    const asked = relayLinkToConfirm(true)
    await asked?.use()
    await asked?.answered
    expect(await relayList()).toMatchObject({ settings: [LINKED], effective: [LINKED] })
  })

  it('asks a user with an identity even with no saved relays; keeping theirs drops ?relay= from the address', async () => {
    open(`${link}&relay=${encodeURIComponent(MINE)}&tab=2#top`)
    const asked = relayLinkToConfirm(true)
    expect(asked?.relays).toEqual([LINKED, MINE])
    asked?.keep()
    await asked?.answered
    expect(replaceState).toHaveBeenCalledWith({ 'sveltekit:history': 3 }, '', expect.any(URL))
    expect(page.href).toBe('http://flock.example/u/x?tab=2#top')
    expect(await relayList()).toMatchObject({ url: [], settings: [], effective: [BOOT] })
  })

  it('does not ask when the link names the saved relays, in any order', async () => {
    await saveRelays([MINE, LINKED])
    open(`${link}&relay=${encodeURIComponent(MINE)}`)
    expect(relayLinkToConfirm(true)).toBeUndefined()
    expect((await relayList()).effective).toEqual([LINKED, MINE])
  })

  it('keeps asking when the link\'s relays cannot be saved', async () => {
    await saveRelays([MINE])
    open('http://flock.example/?relay=not-a-multiaddr')
    const asked = relayLinkToConfirm(true)
    await expect(asked?.use()).rejects.toThrow()
    expect((await relayList()).settings).toEqual([MINE])
  })
})
