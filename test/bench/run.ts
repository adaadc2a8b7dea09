/**
 * `npm run bench -- [--quick] [--build] [--verbose] [--only ID,…] [--out FILE]`
 *
 * Runs every measurement (one module each), prints a Markdown table to stdout and writes
 * bench-results.json: {machine, quick, skipped: [{name, reason}], metrics: {NAME: {value, unit, …}}}.
 * Progress goes to stderr. Networks run in worker processes (procs.ts) around a real relay process;
 * everything binds 127.0.0.1. A measurement that fails is listed in `skipped` with its error, and
 * the exit code is 1.
 *
 * --quick leaves out the N = 50 and N = 100 networks (and what they yield), the browser rows, the
 * rows measured under attack and the relay under 1,000 connections, and must finish in under two
 * minutes on a 2-core machine.
 */
import { writeFile } from 'node:fs/promises'
import { cpus, platform, release, totalmem } from 'node:os'
import { join, resolve } from 'node:path'
import { baseline } from './baseline.js'
import { BROWSER_METRICS, browserMetrics } from './browser.js'
import { bundleSizes } from './bundle.js'
import { announceFlood } from './announce-flood.js'
import { catchup, catchupLong } from './catchup.js'
import { cryptoRates } from './crypto.js'
import { hostilePull } from './hostile-pull.js'
import { rssMetric } from './memory.js'
import { runNetwork } from './cluster.js'
import { amplificationMetric, propagation, propagationMetrics, serverEgressMetric } from './propagation.js'
import { killChildren } from './procs.js'
import { relayRss } from './relay-load.js'
import { relayShare } from './relay-share.js'
import { outcome, type BenchContext, type Measurement, type Metric, type Skipped } from './types.js'
import { repo } from '../server/harness.js'

const N100_QUICK = 'quick mode: the N = 100 network is left out (run without --quick)'
const UNDER_ATTACK_QUICK = 'quick mode: rows measured under attack are left out (run without --quick)'

export const measurements: Measurement[] = [
  { id: 'crypto', produces: ['sign_per_s', 'verify_per_s'], run: cryptoRates },
  { id: 'propagation_n10', produces: ['propagation_n10_p50_ms', 'propagation_n10_p99_ms'], run: async ctx => await propagation(ctx, 10) },
  { id: 'relay_share', produces: ['relay_post_bytes_share'], run: relayShare },
  { id: 'catchup', produces: ['catchup_10k_s'], run: catchup },
  { id: 'bundle', produces: ['bundle_initial_gzip_kb', 'bundle_total_gzip_kb'], run: bundleSizes },
  {
    // Cheap (a few seconds), so quick mode keeps it.
    id: 'baseline_n100',
    produces: ['baseline_propagation_n100_p50_ms', 'baseline_propagation_n100_p99_ms', 'baseline_server_egress_bytes_per_post_n100'],
    run: async ctx => await baseline(ctx, 100)
  },
  {
    id: 'propagation_n50',
    produces: ['propagation_n50_p50_ms', 'propagation_n50_p99_ms'],
    skipInQuick: 'quick mode: the N = 50 network is left out (run without --quick)',
    run: async ctx => await propagation(ctx, 50)
  },
  {
    id: 'propagation_n100',
    produces: ['propagation_n100_p50_ms', 'propagation_n100_p99_ms', 'amplification_n100', 'server_egress_bytes_per_post_n100', 'rss_mb_per_node'],
    skipInQuick: N100_QUICK,
    run: async (ctx) => {
      const r = await runNetwork(ctx, 100, ctx.posts, 'random')
      return outcome({
        ...propagationMetrics(r),
        amplification_n100: amplificationMetric(r),
        server_egress_bytes_per_post_n100: serverEgressMetric(r),
        rss_mb_per_node: rssMetric(r)
      })
    }
  },
  {
    id: 'sync_hostile_pull_bytes_per_s',
    produces: ['sync_hostile_pull_bytes_per_s'],
    skipInQuick: UNDER_ATTACK_QUICK,
    run: hostilePull
  },
  {
    id: 'announce_flood_rss_growth_mb',
    produces: ['announce_flood_rss_growth_mb'],
    skipInQuick: UNDER_ATTACK_QUICK,
    run: announceFlood
  },
  {
    id: 'propagation_n10_flood_p99_ms',
    produces: ['propagation_n10_flood_p99_ms'],
    skipInQuick: UNDER_ATTACK_QUICK,
    run: async ctx => await (await import('./propagation.js')).floodPropagation(ctx, 10)
  },
  {
    id: 'relay_rss_1000_mb',
    produces: ['relay_rss_1000_mb'],
    skipInQuick: 'quick mode: the relay under 1,000 connections is left out (run without --quick)',
    run: relayRss
  },
  {
    id: 'catchup_20k_long_s',
    produces: ['catchup_20k_long_s'],
    skipInQuick: 'quick mode: the 154 MB catch-up (about a minute with its preparation) is left out',
    run: catchupLong
  },
  {
    id: 'browser',
    produces: BROWSER_METRICS,
    skipInQuick: 'quick mode: browser rows (Chromium in a private network namespace) are left out',
    run: browserMetrics
  }
]

interface Args { quick: boolean, build: boolean, verbose: boolean, posts: number, only: string[] | undefined, out: string, cpuProf: string | undefined, help: boolean }

function parseArgs (argv: string[]): Args {
  const args: Args = { quick: false, build: false, verbose: false, posts: 50, only: undefined, out: join(repo, 'bench-results.json'), cpuProf: undefined, help: false }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined]
    const value = (): string => {
      const v = inline ?? argv[++i]
      if (v === undefined) throw new Error(`${flag} needs a value`)
      return v
    }
    switch (flag) {
      case '--quick': args.quick = true; break
      case '--build': args.build = true; break
      case '--verbose': args.verbose = true; break
      case '--only': args.only = value().split(','); break
      case '--out': args.out = value(); break
      case '--cpu-prof': args.cpuProf = value(); break
      case '--posts': args.posts = Number(value()); break
      case '--help': case '-h': args.help = true; break
      default: throw new Error(`unknown flag ${a} (try --help)`)
    }
  }
  const unknown = args.only?.filter(id => !measurements.some(m => m.id === id)) ?? []
  if (!Number.isInteger(args.posts) || args.posts < 1) throw new Error('--posts must be a positive integer')
  if (unknown.length > 0) throw new Error(`--only: no measurement ${unknown.join(', ')}; there are ${measurements.map(m => m.id).join(', ')}`)
  return args
}

const HELP = `npm run bench -- [flags]
  --quick      leave out the N = 50 / N = 100 networks, browser, under-attack and relay-load rows; under 2 minutes
  --build      run \`npx vite build\` first even if build/ exists
  --only IDS   run only these measurements (comma-separated): ${measurements.map(m => m.id).join(', ')}
  --out FILE   where to write the JSON (default bench-results.json)
  --posts N    posts per network run (default 50; fewer for quick experiments)
  --verbose    forward child processes' stderr
  --cpu-prof DIR  write a V8 CPU profile of every child process (relay, workers) to DIR
`

function formatValue (m: Metric): string {
  const v = m.value
  if (!Number.isFinite(v)) return String(v)
  // A run cut off at its bound: the true value is beyond it.
  if (m.lowerBound === true) return `> ${formatValue({ ...m, lowerBound: false })}`
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString('en-US')
  return String(v)
}

interface Bound { text: string, ok: (m: Metric) => boolean }
const atLeast = (n: number): Bound => ({ text: `>= ${n}`, ok: m => m.value >= n })
const atMost = (n: number): Bound => ({ text: `<= ${n}`, ok: m => m.value <= n })

/**
 * Floors from the benchmark issue and, for some, a goal beyond the floor; a miss is profiled and
 * explained, not hidden.
 */
const TARGETS: Record<string, { floor: Bound, goal?: Bound }> = {
  verify_per_s: { floor: atLeast(5000) },
  propagation_n100_p99_ms: { floor: atMost(500) },
  catchup_10k_s: { floor: atMost(10) },
  relay_post_bytes_share: { floor: atMost(0.05) },
  // 1 MB/s read as 1 MiB/s, and the goal as 256 KiB/s; the node paces repeats at SYNC_SERVE_REPEAT_BYTES_PER_S.
  sync_hostile_pull_bytes_per_s: { floor: atMost(1024 * 1024), goal: atMost(256 * 1024) },
  catchup_20k_long_s: { floor: { text: 'completes', ok: m => m.completed === true }, goal: atMost(10) },
  announce_flood_rss_growth_mb: { floor: atMost(50), goal: atMost(10) },
  // 1 GiB and 300 MB, read as MiB like the other memory rows.
  relay_rss_1000_mb: { floor: atMost(1024), goal: atMost(300) }
}

function target (name: string, m: Metric | undefined): string {
  const t = TARGETS[name]
  if (t === undefined) return ''
  const verdict = (b: Bound, met: string, missed: string): string => m === undefined ? '' : b.ok(m) ? met : missed
  const goal = t.goal === undefined ? '' : `; goal ${t.goal.text}${verdict(t.goal, ' met', ' not met')}`
  return `${verdict(t.floor, 'ok ', 'MISS ')}${t.floor.text}${goal}`
}

function table (metrics: Record<string, Metric>, skipped: Skipped[], order: string[]): string {
  const lines = ['| metric | value | unit | target |', '|---|---:|---|---|']
  for (const name of order) {
    const m = metrics[name]
    if (m !== undefined) lines.push(`| ${name} | ${formatValue(m)} | ${m.unit} | ${target(name, m)} |`)
    else if (skipped.some(k => k.name === name)) lines.push(`| ${name} | — | skipped | ${target(name, m)} |`)
  }
  return lines.join('\n')
}

/** Skipped metrics grouped by reason, so a reason shared by many rows is printed once. */
function skippedList (skipped: Skipped[]): string {
  const byReason = new Map<string, string[]>()
  for (const s of skipped) byReason.set(s.reason, [...byReason.get(s.reason) ?? [], s.name])
  return [...byReason].map(([reason, names]) => `- ${names.join(', ')}: ${reason}`).join('\n')
}

async function main (): Promise<number> {
  let args: Args
  try {
    args = parseArgs(process.argv.slice(2))
  } catch (err) {
    console.error(`bench: ${(err as Error).message}`)
    return 2
  }
  if (args.help) {
    process.stdout.write(HELP)
    return 0
  }
  if (args.cpuProf !== undefined) process.env.BENCH_CPU_PROF = resolve(args.cpuProf)
  const started = performance.now()
  const ctx: BenchContext = {
    quick: args.quick,
    build: args.build,
    verbose: args.verbose,
    posts: args.posts,
    log: (line) => { process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}\n`) }
  }
  const metrics: Record<string, Metric> = {}
  const skipped: Skipped[] = []
  const durations: Record<string, number> = {}
  let failed = false
  const selected = measurements.filter(m => args.only === undefined || args.only.includes(m.id))
  for (const m of selected) {
    if (args.quick && m.skipInQuick !== undefined) {
      for (const name of m.produces) skipped.push({ name, reason: m.skipInQuick })
      continue
    }
    ctx.log(`${m.id}…`)
    const t = performance.now()
    try {
      const result = await m.run(ctx)
      Object.assign(metrics, result.metrics)
      skipped.push(...result.skipped)
      for (const name of m.produces) {
        if (result.metrics[name] === undefined && !result.skipped.some(s => s.name === name)) {
          skipped.push({ name, reason: 'not produced by its measurement' })
        }
      }
    } catch (err) {
      failed = true
      const message = (err as Error).message.split('\n')[0] ?? String(err)
      ctx.log(`${m.id} failed: ${(err as Error).message}`)
      for (const name of m.produces) skipped.push({ name, reason: `failed: ${message}` })
    }
    durations[m.id] = Math.round(performance.now() - t) / 1000
    const got = m.produces.filter(n => metrics[n] !== undefined).map(n => `${n}=${formatValue(metrics[n] as Metric)}`)
    ctx.log(`${m.id} done in ${durations[m.id]} s${got.length > 0 ? `: ${got.join(', ')}` : ''}`)
  }

  const cpu = cpus()
  const results = {
    machine: {
      node: process.version,
      cpus: cpu.length,
      cpuModel: cpu[0]?.model ?? 'unknown',
      totalMemGiB: Math.round(totalmem() / 2 ** 30 * 10) / 10,
      platform: `${platform()} ${release()}`,
      date: new Date().toISOString()
    },
    quick: args.quick,
    skipped,
    metrics,
    durationsS: { ...durations, total: Math.round(performance.now() - started) / 1000 }
  }
  await writeFile(args.out, JSON.stringify(results, null, 2) + '\n')

  const order = selected.flatMap(m => m.produces)
  process.stdout.write(`## Flock benchmark${args.quick ? ' (quick)' : ''}\n\n`)
  process.stdout.write(`${results.machine.cpus} × ${results.machine.cpuModel}, ${results.machine.totalMemGiB} GiB, Node ${results.machine.node}, ${results.machine.platform}, ${results.machine.date}\n\n`)
  process.stdout.write(table(metrics, skipped, order) + '\n')
  if (skipped.length > 0) process.stdout.write(`\nSkipped:\n${skippedList(skipped)}\n`)
  process.stdout.write(`\nTotal ${results.durationsS.total} s; results in ${args.out}\n`)
  return failed ? 1 : 0
}

// Interrupted (Ctrl-C, a CI timeout): take the relay and workers down too, or they linger.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killChildren()
    process.exit(130)
  })
}

// Exit explicitly: every child and node is stopped in finally blocks, but a stray handle of a
// library must never keep the benchmark from finishing.
main().then((code) => { process.exit(code) }, (err: Error) => {
  console.error(`bench: ${err.stack ?? err.message}`)
  process.exit(1)
})
