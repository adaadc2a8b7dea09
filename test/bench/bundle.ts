/**
 * bundle_initial_gzip_kb and bundle_total_gzip_kb: gzip size (node:zlib, level 9) of the production
 * build's JavaScript. "Initial" is what index.html makes the browser load before the app runs: its
 * modulepreload links and inline import() entries, plus everything those import statically
 * (closure over `import … from "x"` / `import "x"`; dynamic import() calls inside chunks are lazy
 * and not followed). "Total" is every .js under build/_app/immutable.
 *
 * Builds with `npx vite build` only when build/ is missing (full run) or --build is passed.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile, readdir } from 'node:fs/promises'
import { dirname, join, posix, relative } from 'node:path'
import { gzipSync } from 'node:zlib'
import { repo } from '../server/harness.js'
import { round, withTimeout } from './util.js'
import { outcome, skipAll, type BenchContext, type Outcome } from './types.js'

const BUILD = join(repo, 'build')
const IMMUTABLE = join(BUILD, '_app', 'immutable')
const NAMES = ['bundle_initial_gzip_kb', 'bundle_total_gzip_kb']

async function viteBuild (ctx: BenchContext): Promise<void> {
  ctx.log('  bundle: npx vite build')
  const child = spawn('npx', ['vite', 'build'], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const keep = (d: Buffer): void => { output = (output + d.toString()).slice(-4000) }
  child.stdout.on('data', keep)
  child.stderr.on('data', keep)
  const code = await withTimeout(new Promise<number | null>(resolve => child.once('exit', resolve)), 300_000, 'vite build').catch((err: Error) => {
    child.kill('SIGKILL')
    throw err
  })
  if (code !== 0) throw new Error(`vite build exited with ${String(code)}: ${output.split('\n').slice(-5).join(' ')}`)
}

async function jsFiles (dir: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.js')) out.push(join(entry.parentPath, entry.name))
  }
  return out.sort()
}

const gzipCache = new Map<string, number>()
async function gzipSize (file: string): Promise<number> {
  const cached = gzipCache.get(file)
  if (cached !== undefined) return cached
  const size = gzipSync(await readFile(file), { level: 9 }).length
  gzipCache.set(file, size)
  return size
}

/** Files index.html loads up front: modulepreload hrefs and the inline script's import("…") entries. */
export function entriesOfHtml (html: string): string[] {
  const out = new Set<string>()
  for (const m of html.matchAll(/<link\b[^>]*>/g)) {
    const tag = m[0]
    const href = /\bhref="([^"]+\.js)"/.exec(tag)?.[1]
    if (href !== undefined && /\brel="modulepreload"/.test(tag)) out.add(href)
  }
  for (const m of html.matchAll(/<script\b[^>]*\bsrc="([^"]+\.js)"/g)) out.add(m[1] as string)
  for (const m of html.matchAll(/\bimport\(\s*["']([^"']+\.js)["']\s*\)/g)) out.add(m[1] as string)
  return [...out]
}

/** Specifiers of the static imports (and re-exports) of minified ES module source. */
export function staticImports (source: string): string[] {
  const out = new Set<string>()
  for (const m of source.matchAll(/\bfrom\s*["']([^"']+\.js)["']/g)) out.add(m[1] as string)
  for (const m of source.matchAll(/\bimport\s*["']([^"']+\.js)["']/g)) out.add(m[1] as string)
  return [...out]
}

/** index.html's entries and their static import closure, as absolute paths. */
async function initialFiles (): Promise<string[]> {
  const html = await readFile(join(BUILD, 'index.html'), 'utf8')
  const queue = entriesOfHtml(html).map(href => join(BUILD, href.replace(/^\//, '').split('?')[0] as string))
  const seen = new Set<string>()
  while (queue.length > 0) {
    const file = queue.pop() as string
    if (seen.has(file) || !existsSync(file)) continue
    seen.add(file)
    for (const spec of staticImports(await readFile(file, 'utf8'))) {
      if (spec.startsWith('.')) queue.push(join(dirname(file), spec))
      else if (spec.startsWith('/')) queue.push(join(BUILD, spec.slice(1)))
    }
  }
  return [...seen].sort()
}

export async function bundleSizes (ctx: BenchContext): Promise<Outcome> {
  const missing = !existsSync(join(BUILD, 'index.html'))
  if (ctx.build || (missing && !ctx.quick)) {
    try {
      await viteBuild(ctx)
    } catch (err) {
      return skipAll(NAMES, `vite build failed: ${(err as Error).message}`)
    }
  } else if (missing) {
    return skipAll(NAMES, 'build/ is missing (quick mode does not build; run `npx vite build` or pass --build)')
  }
  const all = await jsFiles(IMMUTABLE)
  const initial = await initialFiles()
  if (initial.length === 0) return skipAll(NAMES, 'build/index.html references no JavaScript')
  const sizes = async (files: string[]): Promise<{ gzip: number, raw: number }> => {
    let gzip = 0
    let raw = 0
    for (const f of files) {
      gzip += await gzipSize(f)
      raw += (await readFile(f)).length
    }
    return { gzip, raw }
  }
  const init = await sizes(initial)
  const total = await sizes(all)
  const rel = (f: string): string => relative(BUILD, f).split(/[\\/]/).join(posix.sep)
  return outcome({
    bundle_initial_gzip_kb: {
      value: round(init.gzip / 1000, 1),
      unit: 'kB (gzip -9)',
      files: initial.map(rel),
      rawKb: round(init.raw / 1000, 1),
      rebuilt: ctx.build || missing
    },
    bundle_total_gzip_kb: {
      value: round(total.gzip / 1000, 1),
      unit: 'kB (gzip -9)',
      fileCount: all.length,
      rawKb: round(total.raw / 1000, 1),
      largest: (await Promise.all(all.map(async f => ({ file: rel(f), gzipKb: round(await gzipSize(f) / 1000, 1) }))))
        .sort((a, b) => b.gzipKb - a.gzipKb).slice(0, 5)
    }
  })
}
