/**
 * A small static file server for the built app, with the SPA fallback SvelteKit's adapter-static
 * expects. `vite preview` 404s /index.html, which keeps the service worker from installing, so
 * `npm start`, the tests and the benchmark all serve the build with this instead.
 */
import { createServer, type Server } from 'node:http'
import { readFile, stat } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize, sep } from 'node:path'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm'
}

export interface StaticServerOptions {
  root: string
  host?: string
  port?: number
  /** Extra headers on every response (the app's Content-Security-Policy, for instance). */
  headers?: Record<string, string>
}

export async function serveStatic (options: StaticServerOptions): Promise<{ server: Server, url: string }> {
  const root = normalize(options.root)
  const fallback = join(root, 'index.html')
  const server = createServer((req, res) => {
    void (async () => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
      let file = normalize(join(root, path))
      // Never serve anything outside the build directory, whatever the request path says.
      if (file !== root && !file.startsWith(root + sep)) file = fallback
      const info = await stat(file).catch(() => null)
      if (info === null || info.isDirectory()) {
        const index = join(file, 'index.html')
        file = info?.isDirectory() === true && await stat(index).then(() => true, () => false) ? index : fallback
      }
      const body = await readFile(file)
      const immutable = file.includes(`${sep}_app${sep}immutable${sep}`)
      res.writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
        ...options.headers
      })
      res.end(req.method === 'HEAD' ? undefined : body)
    })().catch(() => {
      res.writeHead(404, { 'content-type': 'text/plain' })
      res.end('not found')
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => { server.off('error', reject); resolve() })
  })
  const { port } = server.address() as AddressInfo
  return { server, url: `http://${options.host ?? '127.0.0.1'}:${port}` }
}
