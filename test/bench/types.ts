/**
 * Shapes shared by the benchmark modules: what a measurement returns and how run.ts records it.
 * Each measurement module exports one async function that resolves with an Outcome: metrics it
 * measured, and metrics it could not measure with the reason (never a made-up value).
 */

/** One result: `value` in `unit`, plus any detail that explains it (sample counts, settings). */
export interface Metric {
  value: number
  unit: string
  [detail: string]: unknown
}

export interface Skipped {
  name: string
  reason: string
}

export interface Outcome {
  metrics: Record<string, Metric>
  skipped: Skipped[]
}

/** What every measurement gets from run.ts. */
export interface BenchContext {
  quick: boolean
  /** Rebuild the web app even if build/ exists. */
  build: boolean
  /** Forward child processes' stderr as it arrives. */
  verbose: boolean
  /** Posts per network and baseline run (default 50; --posts for quicker experiments). */
  posts: number
  /** Print one progress line (stderr, so stdout stays the Markdown table). */
  log: (line: string) => void
}

export interface Measurement {
  /** Shown in progress lines and used by --only. */
  id: string
  /** Metric names this measurement produces, so a failure can list each as skipped. */
  produces: string[]
  /** Why quick mode leaves it out; undefined when it runs in quick mode too. */
  skipInQuick?: string
  run: (ctx: BenchContext) => Promise<Outcome>
}

export function outcome (metrics: Record<string, Metric> = {}, skipped: Skipped[] = []): Outcome {
  return { metrics, skipped }
}

export function skipAll (names: string[], reason: string): Outcome {
  return outcome({}, names.map(name => ({ name, reason })))
}
