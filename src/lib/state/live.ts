/**
 * Coalesced refreshing: node events come in bursts (a sync can deliver a thousand entries in a
 * second), and each would otherwise refetch a whole timeline. `coalesce` runs the refresh at most
 * once at a time and at most every `gapMs`, and runs it once more after a burst that arrived while
 * it was running, so the final state is always fetched.
 *
 * ```ts
 * const refresher = coalesce(async () => { posts = await client.timeline() }, 250)
 * client.subscribe(() => { refresher.request() })
 * ```
 */

export interface Refresher {
  /** Ask for a refresh; returns at once. */
  request (): void
  /** Stop: pending requests are dropped, a running refresh finishes but none follows. */
  cancel (): void
  /** Allow requests again after cancel(). */
  resume (): void
}

export function coalesce (run: () => Promise<void>, gapMs = 0, now: () => number = Date.now): Refresher {
  let running = false
  let dirty = false
  let stopped = false
  let timer: ReturnType<typeof setTimeout> | undefined
  let last = -Infinity

  const go = async (): Promise<void> => {
    timer = undefined
    running = true
    dirty = false
    last = now()
    try {
      await run()
    } catch {
      // run() reports its own errors into state; a failed refresh must not stop later ones.
    } finally {
      running = false
      if (dirty && !stopped) request()
    }
  }

  function request (): void {
    if (stopped) return
    if (running) {
      dirty = true
      return
    }
    if (timer !== undefined) return
    timer = setTimeout(() => { void go() }, Math.max(0, last + gapMs - now()))
  }

  return {
    request,
    cancel () {
      stopped = true
      dirty = false
      clearTimeout(timer)
      timer = undefined
    },
    resume () {
      stopped = false
    }
  }
}

/** A readable message from anything thrown (Error, RemoteCallError, strings). */
export function errorMessage (err: unknown): string {
  if (err instanceof Error) return err.message === '' ? err.name : err.message
  if (typeof err === 'string') return err
  return 'Something went wrong.'
}
