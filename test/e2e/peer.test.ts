/**
 * A headless peer (npm run peer, with WebRTC) and a browser follow each other and exchange posts.
 */
import { afterAll, beforeAll, expect, test } from 'vitest'
import { join } from 'node:path'
import { newUser, onboard, world, type World } from './browser.js'
import { api, events, start, type PeerReady, type Proc } from '../server/harness.js'

let w: World
let peer: Proc<PeerReady>

beforeAll(async () => {
  w = await world()
  peer = await start<PeerReady>('peer', ['--data', join(w.dir.path, 'peer'), '--relay', w.relayWs, '--ip-colocation-weight', '0'])
})

afterAll(async () => {
  await peer?.stop()
  await w?.close()
})

test('a headless peer and a browser follow each other and exchange posts', async () => {
  const user = await newUser(w)
  const me = await onboard(user.page, user.url(), 'Carol')
  expect((await api(peer.ready, 'POST', '/follows', { author: me })).status).toBe(201)
  await user.page.getByTestId('follow-input').fill(peer.ready.author)
  await user.page.getByTestId('follow-submit').click()

  const fromPeer = await api<{ cid: string }>(peer.ready, 'POST', '/posts', { text: 'beep from the headless peer' })
  const onBrowser = user.page.getByTestId('entry').filter({ has: user.page.getByTestId('entry-text').getByText('beep from the headless peer') })
  await onBrowser.waitFor({ timeout: 90_000 })
  expect(await onBrowser.getAttribute('data-cid')).toBe(fromPeer.body.cid)

  const ev = await events(peer.ready)
  await user.page.getByTestId('compose-text').fill('hello, robot')
  await user.page.getByTestId('compose-submit').click()
  const got = await ev.next(e => e.event === 'entry' && e.data.author === me && e.data.kind === 'post', 90_000)
  ev.close()
  const entry = await api<{ text: string }>(peer.ready, 'GET', `/entries/${got.data.cid as string}`)
  expect(entry.body.text).toBe('hello, robot')
  await user.context.close()
})
