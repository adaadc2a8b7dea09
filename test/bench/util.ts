/**
 * Small helpers for the benchmark: statistics, bounded waits on events, the typical post. Polling
 * (`until`), temp dirs and the repo path come from the test harness (test/server/harness.ts).
 */

/** Nearest-rank percentile of `values` (0 < p <= 100); NaN for no values. */
export function percentile (values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(p / 100 * sorted.length)))
  return sorted[rank - 1] as number
}

export interface Summary {
  count: number
  min: number
  p50: number
  p90: number
  p99: number
  max: number
  mean: number
}

export function summarize (values: readonly number[]): Summary {
  const mean = values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length
  return {
    count: values.length,
    min: round(Math.min(...values)),
    p50: round(percentile(values, 50)),
    p90: round(percentile(values, 90)),
    p99: round(percentile(values, 99)),
    max: round(Math.max(...values)),
    mean: round(mean)
  }
}

export function round (n: number, digits = 2): number {
  const f = 10 ** digits
  return Math.round(n * f) / f
}

/** Reject after `ms` unless `promise` settles first; the timer never keeps the process alive. */
export async function withTimeout<T> (promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => { reject(new Error(`timed out after ${ms} ms: ${what}`)) }, ms)
      })
    ])
  } finally {
    clearTimeout(timer)
  }
}

/** A counter that resolves a waiter when it reaches a target; the event-driven way to wait for N deliveries. */
export class Countdown {
  #count = 0
  #target: number
  #resolve: (() => void) | undefined
  readonly done: Promise<void>

  constructor (target: number) {
    this.#target = target
    this.done = new Promise(resolve => { this.#resolve = resolve })
    if (target <= 0) this.#resolve?.()
  }

  get count (): number {
    return this.#count
  }

  tick (): void {
    this.#count++
    if (this.#count >= this.#target) this.#resolve?.()
  }
}

const WORDS = ['flock', 'gossip', 'relay', 'signed', 'entry', 'peer', 'timeline', 'follow', 'mesh', 'log',
  'offline', 'catch', 'up', 'the', 'a', 'of', 'and', 'to', 'browser', 'tab', 'direct', 'post']

/**
 * A typical post: `bytes` characters of ASCII words (so 300 characters = 300 UTF-8 bytes), made
 * unique by `tag` at the front so every post has its own CID.
 */
export function postText (tag: string | number, bytes = 300): string {
  let text = `#${tag} `
  let i = typeof tag === 'number' ? tag : tag.length
  while (text.length < bytes) text += `${WORDS[(i++ * 7) % WORDS.length] as string} `
  return text.slice(0, bytes).trimEnd().padEnd(bytes, '.')
}

/** Resident set size in MiB, after a full GC when the process was started with --expose-gc. */
export function rssMiB (): number {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc !== undefined) {
    gc()
    gc()
  }
  return process.memoryUsage.rss() / (1024 * 1024)
}

export function hasGc (): boolean {
  return typeof (globalThis as { gc?: unknown }).gc === 'function'
}
