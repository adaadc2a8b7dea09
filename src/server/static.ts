/**
 * A small static file server for the built app, with the SPA fallback SvelteKit's adapter-static
 * expects. `vite preview` 404s /index.html, which keeps the service worker from installing, so
 * `npm start`, the tests and the benchmark all serve the build with this instead. Every response carries
 * the app's security headers (securityHeaders); README.md lists them for operators hosting the build
 * behind another server.
 */
import { createServer, type Server, type ServerResponse } from 'node:http'
import { readFile, stat } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize, resolve, sep } from 'node:path'

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
}

/** The build has no Content-Security-Policy to send: it is missing, or was not built by svelte.config.js. */
export class MissingPolicyError extends Error {
  override readonly name = 'MissingPolicyError'
}

const CSP_META = /<meta\s+http-equiv="content-security-policy"\s+content="([^"]+)"/i

/**
 * The headers every response carries. The Content-Security-Policy is the one SvelteKit wrote into the
 * shell's <meta> (svelte.config.js), read from the build because it holds the hashes of the inline
 * bootstrap script, which change with every build; a header policy without them would block the app.
 * Only a header can say frame-ancestors, which (with X-Frame-Options for browsers that predate it)
 * keeps another site from framing the app to click through it.
 */
export async function securityHeaders (root: string): Promise<Record<string, string>> {
  const shell = join(root, 'index.html')
  const policy = CSP_META.exec(await readFile(shell, 'utf8'))?.[1]
  if (policy === undefined) throw new MissingPolicyError(`${shell} has no Content-Security-Policy <meta>; build the app first`)
  return {
    'content-security-policy': `${policy}; frame-ancestors 'none'`,
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    // Addresses in the app name what someone reads (/post/<cid>, /u/<author>); links in posts lead to
    // other sites, which need not learn them. Nothing here reads the Referer, so none is sent.
    'referrer-policy': 'no-referrer'
  }
}

export async function serveStatic (options: StaticServerOptions): Promise<{ server: Server, url: string }> {
  // Absolute and without a trailing separator, so the containment check below compares like with like.
  const root = resolve(options.root)
  const fallback = join(root, 'index.html')
  const security = await securityHeaders(root)
  const plain = (res: ServerResponse, status: number, text: string): void => {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...security })
    res.end(text)
  }
  const server = createServer((req, res) => {
    void (async () => {
      let path: string
      try {
        path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
      } catch {
        plain(res, 400, 'bad request: malformed path')
        return
      }
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
        ...security
      })
      res.end(req.method === 'HEAD' ? undefined : body)
    })().catch(() => {
      plain(res, 404, 'not found')
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => { server.off('error', reject); resolve() })
  })
  const { port } = server.address() as AddressInfo
  return { server, url: `http://${options.host ?? '127.0.0.1'}:${port}` }
}
