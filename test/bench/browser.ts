/**
 * browser_first_timeline_ms and browser_direct_connection_ms: real Chromium against the production
 * build (browser-run.ts). It uses WebRTC, so it runs in a fresh network namespace with only loopback
 * up (unshare -n, as root), where ICE and mDNS cannot leave the machine.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { outcome, skipAll, type BenchContext, type Metric, type Outcome } from './types.js'
import { repo } from '../server/harness.js'
import { withTimeout } from './util.js'

export const BROWSER_METRICS = ['browser_first_timeline_ms', 'browser_direct_connection_ms']

export async function browserMetrics (ctx: BenchContext): Promise<Outcome> {
  if (!existsSync(join(repo, 'build', 'index.html'))) return skipAll(BROWSER_METRICS, 'no production build (run npm run build, or the bench with --build)')
  if (!existsSync('/usr/bin/chromium') && process.env.CHROMIUM_PATH === undefined) return skipAll(BROWSER_METRICS, 'Chromium is not installed')
  ctx.log('browser: Chromium in a private network namespace')
  const node = `${process.execPath} --experimental-websocket --import tsx --import ./src/server/polyfill.ts test/bench/browser-run.ts`
  const child = spawn('unshare', ['-n', '--', 'sh', '-c', `ip link set lo up && exec ${node}`], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString()
    if (ctx.verbose) process.stderr.write(d)
  })
  // browser-run.ts waits on pages with its own timeouts; this bound only catches a wedged Chromium.
  let code: number | null
  try {
    code = await withTimeout(new Promise<number | null>(resolve => child.once('exit', resolve)), 10 * 60_000, 'browser-run.ts')
  } catch (e) {
    child.kill('SIGKILL')
    return skipAll(BROWSER_METRICS, `browser run failed: ${(e as Error).message}`)
  }
  const line = out.trim().split('\n').at(-1) ?? ''
  if (code !== 0 || !line.startsWith('{')) {
    return skipAll(BROWSER_METRICS, `browser run failed (exit ${String(code)}): ${err.trim().split('\n').at(-1) ?? ''}`)
  }
  return outcome(JSON.parse(line) as Record<string, Metric>)
}
