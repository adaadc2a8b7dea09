// The static server of `npm start` and the tests: the app's security headers on every response, 400 for a
// path it cannot decode, and nothing outside the build directory, however the path is spelled.
import { request } from 'node:http'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import type { Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MissingPolicyError, serveStatic } from '../../src/server/static.js'

const POLICY = "default-src 'self'; script-src 'self' 'sha256-AAAA'; object-src 'none'"
const SHELL = `<!doctype html><html><head><meta http-equiv="content-security-policy" content="${POLICY}"></head><body>shell</body></html>`

let dir: string
let app: { server: Server, url: string }

interface Reply { status: number, headers: Record<string, string | string[] | undefined>, body: string }

/** A GET with the path sent exactly as written: fetch() would resolve dot segments before sending. */
async function get (path: string): Promise<Reply> {
  return await new Promise((resolve, reject) => {
    const req = request(`${app.url}/`, { path }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { body += chunk })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, body }) })
    })
    req.on('error', reject)
    req.end()
  })
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flock-static-'))
  await mkdir(join(dir, 'build', '_app', 'immutable'), { recursive: true })
  await mkdir(join(dir, 'build-secret'))
  await writeFile(join(dir, 'build', 'index.html'), SHELL)
  await writeFile(join(dir, 'build', '_app', 'immutable', 'app.js'), 'export {}')
  await writeFile(join(dir, 'secret.txt'), 'SECRET')
  await writeFile(join(dir, 'build-secret', 'key.txt'), 'SECRET')
  // A trailing separator must not change what counts as inside the root.
  app = await serveStatic({ root: join(dir, 'build') + '/' })
})

afterAll(async () => {
  app.server.close()
  await rm(dir, { recursive: true, force: true })
})

describe('serveStatic', () => {
  it('sends the shell\'s own policy with frame-ancestors, and the other security headers, on every response', async () => {
    for (const path of ['/', '/u/someone', '/_app/immutable/app.js', '/%E0%A4%A']) {
      const { headers } = await get(path)
      expect(headers['content-security-policy']).toBe(`${POLICY}; frame-ancestors 'none'`)
      expect(headers['x-frame-options']).toBe('DENY')
      expect(headers['x-content-type-options']).toBe('nosniff')
      expect(headers['referrer-policy']).toBe('no-referrer')
    }
  })

  it('serves files with their type, and the shell for app routes', async () => {
    const script = await get('/_app/immutable/app.js')
    expect(script).toMatchObject({ status: 200, body: 'export {}' })
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8')
    expect(script.headers['cache-control']).toContain('immutable')
    expect(await get('/post/bafy')).toMatchObject({ status: 200, body: SHELL })
  })

  it('answers 400 to malformed percent-encoding', async () => {
    for (const path of ['/%', '/%E0%A4%A', '/a%zz', '/%C0%AF']) {
      expect(await get(path)).toMatchObject({ status: 400 })
    }
  })

  it('serves nothing outside the build directory', async () => {
    for (const path of [
      '/../secret.txt', '/../../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/_app/..%2f..%2f..%2fsecret.txt',
      '/..%5csecret.txt', '/../build-secret/key.txt', '/..%2fbuild-secret%2fkey.txt', `/${encodeURIComponent(join(dir, 'secret.txt'))}`
    ]) {
      const reply = await get(path)
      expect(reply.body, path).not.toContain('SECRET')
      expect([200, 404], path).toContain(reply.status)
    }
  })

  it('refuses to start on a build without a policy to send', async () => {
    const bare = join(dir, 'bare')
    await mkdir(bare)
    await writeFile(join(bare, 'index.html'), '<!doctype html><title>no policy</title>')
    await expect(serveStatic({ root: bare })).rejects.toThrow(MissingPolicyError)
  })
})
