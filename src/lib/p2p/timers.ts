/**
 * Timers a service owns: stop() clears every pending one, so a stopped service never wakes up to
 * dial, announce or sync on a node that is shutting down.
 */
export class Timers {
  readonly #pending = new Set<ReturnType<typeof setTimeout>>()
  #stopped = false

  get stopped (): boolean {
    return this.#stopped
  }

  /** Run `fn` after `ms` unless stop() comes first. */
  later (ms: number, fn: () => void): void {
    if (this.#stopped) return
    const timer = setTimeout(() => {
      this.#pending.delete(timer)
      if (!this.#stopped) fn()
    }, ms)
    this.#pending.add(timer)
  }

  /** Run `fn` every `ms` until stop(). */
  every (ms: number, fn: () => void): void {
    this.later(ms, () => {
      fn()
      this.every(ms, fn)
    })
  }

  start (): void {
    this.#stopped = false
  }

  stop (): void {
    this.#stopped = true
    for (const t of this.#pending) clearTimeout(t)
    this.#pending.clear()
  }
}
