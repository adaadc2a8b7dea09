/**
 * `npm start`: serve the built app on 127.0.0.1 together with a local relay, and write the relay's
 * addresses to build/bootstrap.json, where the app looks for relays when none are configured.
 */
import { spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'
import { serveStatic } from './static.js'

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const build = join(repo, 'build')
const port = Number(process.env.PORT ?? 5173)
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a port number, got "${process.env.PORT ?? ''}"`)
  process.exit(2)
}

interface Ready { peerId: string, multiaddrs: string[], http: string }

async function startRelay (): Promise<{ ready: Ready, stop: () => void }> {
  const child = spawn(process.execPath, [
    '--experimental-websocket', '--import', 'tsx', '--import', './src/server/polyfill.ts', 'src/server/relay.ts',
    '--data', join(repo, '.flock', 'relay'), '--ws-port', '0', '--webrtc-direct-port', '0', '--http-port', '0',
    // This relay serves only this machine's browsers, all from 127.0.0.1: one IP, many profiles and tabs.
    '--max-reservations-per-ip', '128', '--max-connections-per-ip', '512'
  ], { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] })
  const lines = createInterface({ input: child.stdout })
  const ready = await new Promise<Ready>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`relay exited with code ${String(code)} before it was ready`)))
    lines.on('line', (line) => {
      try {
        const msg = JSON.parse(line) as { event?: string } & Ready
        if (msg.event === 'ready') resolve(msg)
      } catch {
        // The ready line is the only JSON the relay prints; anything else is its own output.
      }
    })
  })
  return { ready, stop: () => { child.kill('SIGTERM') } }
}

const relay = await startRelay()
await writeFile(join(build, 'bootstrap.json'), JSON.stringify({ relays: relay.ready.multiaddrs }, null, 2) + '\n')
const app = await serveStatic({ root: build, port })
console.log(`Flock is running at ${app.url}  (local relay ${relay.ready.peerId}, health ${relay.ready.http}/health)`)

function shutdown (): void {
  relay.stop()
  app.server.close()
  app.server.closeAllConnections()
}
process.once('SIGINT', shutdown)
process.once('SIGTERM', shutdown)
