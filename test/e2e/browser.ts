/**
 * Drives the built app in real Chromium (Debian's package, via playwright-core) against a real relay,
 * all on 127.0.0.1 inside the test's own network namespace.
 */
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { serveStatic } from '../../src/server/static.js'
import { repo, start, tempDir, type Proc, type RelayReady } from '../server/harness.js'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

// Base flags keep Chromium from reaching out at all; the loopback and fake-media flags make it
// gather ICE candidates on 127.0.0.1, the only interface in the namespace (DESIGN §5).
const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--allow-loopback-in-peer-connection', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'
]

export interface World {
  relay: Proc<RelayReady>
  relayWs: string
  app: string
  browser: Browser
  dir: Awaited<ReturnType<typeof tempDir>>
  close: () => Promise<void>
}

export async function world (): Promise<World> {
  const build = join(repo, 'build')
  if (!existsSync(join(build, 'index.html'))) throw new Error('build/ is missing: run `npm run build` first (npm run test:e2e does)')
  const dir = await tempDir('flock-e2e-')
  // Every browser and peer here is 127.0.0.1, and a reloaded tab's old connections linger until the
  // relay's pings notice them: the per-IP caps would count them all as one crowded host.
  const relay = await start<RelayReady>('relay', [
    '--data', join(dir.path, 'relay'), '--ws-port', '0', '--webrtc-direct-port', '0', '--http-port', '0', '--ip-colocation-weight', '0',
    '--max-reservations-per-ip', '128', '--max-connections-per-ip', '512'
  ])
  const relayWs = relay.ready.multiaddrs.find(a => a.includes('/ws/'))
  if (relayWs === undefined) throw new Error('relay has no WebSocket address')
  const app = await serveStatic({ root: build })
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true })
  return {
    relay,
    relayWs,
    app: app.url,
    browser,
    dir,
    close: async () => {
      await browser.close()
      app.server.closeAllConnections()
      app.server.close()
      await relay.stop()
      await dir.remove()
    }
  }
}

export async function newUser (w: World): Promise<{ context: BrowserContext, page: Page, url: (path?: string) => string }> {
  const context = await w.browser.newContext()
  await context.grantPermissions(['microphone', 'camera'], { origin: w.app })
  const page = await context.newPage()
  page.on('pageerror', (err) => { console.error('page error:', err.message) })
  const url = (path = '/'): string => `${w.app}${path}?relay=${encodeURIComponent(w.relayWs)}`
  return { context, page, url }
}

/** Chromium exposes loopback ICE candidates only once the page holds a media stream. */
export async function allowLoopbackIce (page: Page): Promise<void> {
  await page.evaluate(async () => {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true })
    ;(globalThis as { __flockKeepStream?: MediaStream }).__flockKeepStream = stream
  })
}

/** Onboard a new identity with `name` and return its author id. */
export async function onboard (page: Page, url: string, name: string): Promise<string> {
  await page.goto(url)
  await allowLoopbackIce(page)
  await page.getByTestId('onboarding-name').fill(name)
  await page.getByTestId('onboarding-create').click()
  const id = page.getByTestId('author-id').first()
  await id.waitFor({ timeout: 60_000 })
  return (await id.textContent() ?? '').trim()
}
