/**
 * The browser app end to end: two (and three) real Chromium profiles, a relay and a headless peer.
 * Runs inside its own network namespace (npm run test:e2e), so WebRTC stays on loopback.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { join } from 'node:path'
import { readFile, writeFile } from 'node:fs/promises'
import type { Page } from 'playwright-core'
import { allowLoopbackIce, newUser, onboard, world, type World } from './browser.js'

let w: World
let a: Awaited<ReturnType<typeof newUser>>
let b: Awaited<ReturnType<typeof newUser>>
let aId: string
let bId: string

beforeAll(async () => {
  w = await world()
  a = await newUser(w)
  b = await newUser(w)
  ;[aId, bId] = await Promise.all([onboard(a.page, a.url(), 'Alice'), onboard(b.page, b.url(), 'Bob')])
})

afterAll(async () => {
  await w?.close()
})

async function follow (page: Page, author: string): Promise<void> {
  await page.getByTestId('follow-input').fill(author)
  await page.getByTestId('follow-submit').click()
}

async function compose (page: Page, text: string): Promise<void> {
  await page.getByTestId('compose-text').fill(text)
  await page.getByTestId('compose-submit').click()
}

function entryWithText (page: Page, text: string): ReturnType<Page['locator']> {
  return page.getByTestId('entry').filter({ has: page.getByTestId('entry-text').getByText(text, { exact: true }) })
}

describe('two browsers', () => {
  test('A follows B by id, B posts, the post reaches A over a direct WebRTC connection', async () => {
    expect(aId).toMatch(/^12D3KooW/)
    expect(bId).toMatch(/^12D3KooW/)
    expect(aId).not.toBe(bId)
    await follow(a.page, bId)
    await compose(b.page, 'hello from Bob')
    const onA = entryWithText(a.page, 'hello from Bob')
    await onA.waitFor({ timeout: 90_000 })
    expect(await onA.getAttribute('data-author')).toBe(bId)
    await a.page.goto(a.url('/network'))
    // A direct row that is not the relay: the WebRTC connection to B.
    await a.page.locator('[data-testid="connection"][data-direct="true"][data-relay="false"]').first().waitFor({ timeout: 90_000 })
  })

  test('A replies and likes; B sees the reply in the thread and the notifications', async () => {
    await a.page.goto(a.url('/'))
    const post = entryWithText(a.page, 'hello from Bob')
    await post.waitFor()
    const cid = await post.getAttribute('data-cid')
    expect(cid).toMatch(/^bafy/)
    await post.getByTestId('like-button').click()
    // Stored, not just shown: the tab reloads next, and a like still waiting for its node would be lost.
    await a.page.locator('[data-testid="like-button"][data-liked="true"][data-pending="false"]').first().waitFor()
    await a.page.goto(a.url(`/post/${cid as string}`))
    await a.page.getByTestId('reply-text').fill('nice one, Bob')
    await a.page.getByTestId('reply-submit').click()
    await entryWithText(a.page, 'nice one, Bob').waitFor()

    // B follows A so A's reply and like reach B's store. Both tabs have reloaded since they last
    // held a media stream, so each takes one again: without it Chromium hides loopback ICE
    // candidates, and the new nodes could not open a direct link to sync over.
    await follow(b.page, aId)
    await b.page.goto(b.url(`/post/${cid as string}`))
    await Promise.all([allowLoopbackIce(a.page), allowLoopbackIce(b.page)])
    await entryWithText(b.page, 'nice one, Bob').waitFor({ timeout: 90_000 })
    await b.page.goto(b.url('/notifications'))
    await b.page.locator('[data-testid="notification"][data-kind="reply"]').first().waitFor({ timeout: 60_000 })
    await b.page.locator('[data-testid="notification"][data-kind="like"]').first().waitFor({ timeout: 60_000 })
  })

  test('an image post from B shows on A, fetched over bitswap', async () => {
    const png = join(w.dir.path, 'dot.png')
    // 2x2 red PNG
    await writeFile(png, Buffer.from('89504e470d0a1a0a0000000d494844520000000200000002080600000072b60d24000000114944415478da63f8cfc0f01f8419600c0047ca07f91ab6f1a90000000049454e44ae426082', 'hex'))
    await b.page.goto(b.url('/'))
    await b.page.getByTestId('image-input').setInputFiles(png)
    await b.page.getByTestId('alt-input').first().fill('a red dot')
    await compose(b.page, 'a picture')
    await a.page.goto(a.url('/'))
    const post = entryWithText(a.page, 'a picture')
    await post.waitFor({ timeout: 90_000 })
    const img = post.getByTestId('entry-image').first()
    await img.waitFor({ timeout: 60_000 })
    expect(await img.getAttribute('alt')).toBe('a red dot')
    expect(await img.getAttribute('src')).toMatch(/^blob:/)
    await expect.poll(async () => await img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth), { timeout: 30_000 }).toBeGreaterThan(0)
  })
})

describe('devices', () => {
  test('an encrypted backup of A restored in a fresh profile C is a new device of A: both post, B sees both under A, nothing forks', async () => {
    await a.page.goto(`${w.app}/settings`)
    await a.page.getByTestId('backup-passphrase').fill('ﬁve gold rings')
    await a.page.getByTestId('backup-passphrase-again').fill('ﬁve gold rings')
    const [download] = await Promise.all([a.page.waitForEvent('download'), a.page.getByTestId('backup-download-encrypted').click()])
    const file = join(w.dir.path, 'backup.json')
    await download.saveAs(file)
    const saved = JSON.parse(await readFile(file, 'utf8')) as { format: string, author: string, privateKey?: string }
    expect(saved).toMatchObject({ format: 'flock-identity-encrypted', author: aId })
    expect(saved.privateKey).toBeUndefined()
    const c = await newUser(w)
    await c.page.goto(c.url('/'))
    await allowLoopbackIce(c.page)
    await c.page.getByTestId('restore-input').setInputFiles(file)
    // The passphrase is asked for once the file shows it is encrypted; NFKC makes 'ﬁ' and 'fi' one.
    await c.page.getByTestId('restore-passphrase').fill('wrong')
    await c.page.getByTestId('restore-submit').click()
    await c.page.getByRole('alert').filter({ hasText: 'wrong passphrase' }).waitFor({ timeout: 30_000 })
    await c.page.getByTestId('restore-passphrase').fill('five gold rings')
    await c.page.getByTestId('restore-submit').click()
    expect((await c.page.getByTestId('author-id').first().textContent({ timeout: 60_000 }))?.trim()).toBe(aId)

    // The restored profile is a new device of A: it posts at once, before it has caught up with A's
    // log, and A posts too. B follows A and sees both posts under one author, with no fork warning.
    await compose(c.page, 'from the restored device')
    await entryWithText(c.page, 'from the restored device').waitFor({ timeout: 30_000 })
    await a.page.goto(a.url('/'))
    await compose(a.page, 'from the first device')
    await b.page.goto(b.url('/'))
    await follow(b.page, aId)
    for (const text of ['from the restored device', 'from the first device']) {
      const onB = entryWithText(b.page, text)
      await onB.waitFor({ timeout: 90_000 })
      expect(await onB.getAttribute('data-author')).toBe(aId)
    }
    await b.page.goto(b.url(`/u/${aId}`))
    await entryWithText(b.page, 'from the restored device').waitFor({ timeout: 60_000 })
    await entryWithText(b.page, 'from the first device').waitFor({ timeout: 60_000 })
    expect(await b.page.getByText('signed two different histories').count()).toBe(0)
    // Each device lists the other as speaking for A.
    await c.page.goto(c.url('/settings'))
    await c.page.locator('[data-testid="device-row"][data-current="false"]').first().waitFor({ timeout: 90_000 })
    await c.context.close()
  })
})

describe('tabs', () => {
  test('a second tab of the same profile runs no second node: it follows the first and posts through it', async () => {
    const second = await a.context.newPage()
    await second.goto(a.url('/'))
    expect((await second.getByTestId('author-id').first().textContent({ timeout: 60_000 }))?.trim()).toBe(aId)
    await entryWithText(second, 'hello from Bob').waitFor({ timeout: 60_000 })
    const holders = await second.evaluate(async () => (await navigator.locks.query()).held?.filter(l => l.name === 'flock-node').length)
    expect(holders).toBe(1)
    await compose(second, 'written in the second tab')
    // The first tab runs the node: the entry it stored on the second tab's behalf shows up there live.
    await entryWithText(a.page, 'written in the second tab').waitFor({ timeout: 60_000 })
    await second.close()
  })
})

describe('persistence and offline', () => {
  test('a reloaded tab shows the stored timeline before any node runs, then takes over the node with no second copy of it', async () => {
    // A's tab steps aside, and a new one opens with the node lock already taken by a stand-in that
    // answers no one: until it lets go, no node runs in this profile at all.
    await a.page.goto('about:blank')
    const tab = await a.context.newPage()
    try {
      await tab.addInitScript(() => {
        if (location.protocol !== 'http:' || sessionStorage.getItem('flock-test-lock') !== null) return
        sessionStorage.setItem('flock-test-lock', 'held')
        void navigator.locks.request('flock-node', async () => {
          await new Promise<void>(resolve => { (globalThis as { releaseNodeLock?: () => void }).releaseNodeLock = resolve })
        })
      })
      await tab.goto(a.url('/'))
      await entryWithText(tab, 'hello from Bob').waitFor({ timeout: 30_000 })
      expect((await tab.getByTestId('author-id').first().textContent())?.trim()).toBe(aId)
      expect(await tab.evaluate(async () => (await navigator.locks.query()).held?.filter(l => l.name === 'flock-node').length)).toBe(1)

      // The stand-in lets go; the tab, queued for the lock, reloads into the node's place.
      const reloaded = tab.waitForEvent('load')
      await tab.evaluate(() => { (globalThis as { releaseNodeLock?: () => void }).releaseNodeLock?.() })
      await reloaded
      await entryWithText(tab, 'hello from Bob').waitFor({ timeout: 60_000 })
      await compose(tab, 'posted once the node runs')
      await entryWithText(tab, 'posted once the node runs').waitFor({ timeout: 60_000 })
      expect(await entryWithText(tab, 'hello from Bob').count()).toBe(1)
    } finally {
      await tab.close()
    }
  })

  test('after a reload A keeps identity, follows and timeline; offline, the shell opens from the service worker', async () => {
    await a.page.goto(a.url('/'))
    await entryWithText(a.page, 'hello from Bob').waitFor({ timeout: 60_000 })
    // The service worker must control the page before the network goes away.
    await a.page.evaluate(async () => { await navigator.serviceWorker.ready })
    await a.page.reload()
    await allowLoopbackIce(a.page)
    expect((await a.page.getByTestId('author-id').first().textContent())?.trim()).toBe(aId)
    await entryWithText(a.page, 'hello from Bob').waitFor({ timeout: 60_000 })

    await w.relay.stop()
    await a.context.setOffline(true)
    await a.page.goto(`${w.app}/`)
    expect((await a.page.getByTestId('author-id').first().textContent({ timeout: 60_000 }))?.trim()).toBe(aId)
    await entryWithText(a.page, 'hello from Bob').waitFor({ timeout: 60_000 })
    await a.context.setOffline(false)
  })
})
