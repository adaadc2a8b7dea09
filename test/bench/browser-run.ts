/**
 * The browser rows of the benchmark, run in real Chromium against the production build. It uses
 * WebRTC, so browser.ts starts it inside a fresh network namespace (unshare -n, loopback only), and it
 * prints one JSON line with its measurements.
 *
 * - browser_direct_connection_ms: two onboarded profiles, A following B; from opening both pages to
 *   A's network page listing a direct, non-relay connection (the WebRTC link to B).
 * - browser_first_timeline_ms: A with a stored timeline; from navigation to the first entry rendered.
 */
import { newUser, onboard, allowLoopbackIce, world } from '../e2e/browser.js'
import { percentile } from './util.js'

const ROUNDS = 5

const w = await world()
try {
  const a = await newUser(w)
  const b = await newUser(w)
  const [, bId] = await Promise.all([onboard(a.page, a.url(), 'A'), onboard(b.page, b.url(), 'B')])
  await a.page.getByTestId('follow-input').fill(bId)
  await a.page.getByTestId('follow-submit').click()
  for (let i = 0; i < 20; i++) {
    await b.page.getByTestId('compose-text').fill(`post ${i}`)
    await b.page.getByTestId('compose-submit').click()
    await b.page.getByTestId('entry').filter({ hasText: `post ${i}` }).first().waitFor()
  }
  await a.page.getByTestId('entry').filter({ hasText: 'post 19' }).first().waitFor({ timeout: 90_000 })
  await a.page.evaluate(async () => { await navigator.serviceWorker.ready })

  const direct: number[] = []
  for (let round = 0; round < ROUNDS; round++) {
    await Promise.all([a.page.goto('about:blank'), b.page.goto('about:blank')])
    const t0 = performance.now()
    await Promise.all([a.page.goto(a.url('/network')), b.page.goto(b.url('/'))])
    await Promise.all([allowLoopbackIce(a.page), allowLoopbackIce(b.page)])
    await a.page.locator('[data-testid="connection"][data-direct="true"][data-relay="false"]').first().waitFor({ timeout: 90_000 })
    direct.push(performance.now() - t0)
  }

  const timeline: number[] = []
  await b.page.goto('about:blank')
  for (let round = 0; round < ROUNDS; round++) {
    await a.page.goto('about:blank')
    const t0 = performance.now()
    await a.page.goto(a.url('/'))
    await a.page.getByTestId('entry').first().waitFor({ timeout: 30_000 })
    timeline.push(performance.now() - t0)
  }
  process.stdout.write(JSON.stringify({
    browser_first_timeline_ms: { value: Math.round(percentile(timeline, 50)), unit: 'ms', rounds: timeline.map(Math.round) },
    browser_direct_connection_ms: { value: Math.round(percentile(direct, 50)), unit: 'ms', rounds: direct.map(Math.round) }
  }) + '\n')
} finally {
  await w.close()
}
