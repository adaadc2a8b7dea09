/**
 * Byte and rate budgets for work a peer can make us do (DESIGN §6). A token bucket: `rate` units per
 * second refill it up to `burst`; a taker either waits for its units (pacing honest traffic instead of
 * failing it) or is told no (a flood). Pure apart from the clock, which tests inject.
 *
 * ```ts
 * const bucket = new TokenBucket(1024 * 1024, 8 * 1024 * 1024)   // 1 MiB/s, 8 MiB at once
 * await bucket.take(bytes.length, { signal })                      // paced
 * if (!bucket.tryTake(1)) return 'ignore'                          // refused
 * ```
 */
export class TokenBucket {
  readonly #rate: number
  readonly #burst: number
  readonly #now: () => number
  #tokens: number
  #at: number

  constructor (ratePerSecond: number, burst: number, now: () => number = Date.now) {
    if (!(ratePerSecond > 0) || !(burst > 0)) throw new RangeError('a budget needs a positive rate and burst')
    this.#rate = ratePerSecond
    this.#burst = burst
    this.#now = now
    this.#tokens = burst
    this.#at = now()
  }

  /** Units available now. */
  get available (): number {
    this.#refill()
    return this.#tokens
  }

  /** Whether nothing has been taken that is not yet refilled: the bucket can be forgotten. */
  get full (): boolean {
    return this.available >= this.#burst
  }

  /** Take `n` units if they are there now; false (and nothing taken) if not. */
  tryTake (n: number): boolean {
    this.#refill()
    if (this.#tokens < n) return false
    this.#tokens -= n
    return true
  }

  /**
   * Take `n` units, waiting until they have refilled. More than the burst is taken a burst at a time,
   * so one large item is paced, never refused forever nor charged less than it costs.
   */
  async take (n: number, options: { signal?: AbortSignal } = {}): Promise<void> {
    for (let left = n; left > 0;) {
      const part = Math.min(left, this.#burst)
      while (!this.tryTake(part)) {
        options.signal?.throwIfAborted()
        await sleep(Math.max(1, Math.ceil(((part - this.#tokens) / this.#rate) * 1000)), options.signal)
      }
      left -= part
    }
  }

  #refill (): void {
    const now = this.#now()
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#at) / 1000) * this.#rate)
    this.#at = now
  }
}

/**
 * One bucket per key (a peer), made on first use. Buckets that refilled completely are forgotten
 * once there are more than `maxKeys`, so the map stays bounded however many peers come and go.
 */
export class BudgetMap {
  readonly #buckets = new Map<string, TokenBucket>()
  readonly #make: () => TokenBucket
  readonly #maxKeys: number

  constructor (make: () => TokenBucket, maxKeys: number) {
    this.#make = make
    this.#maxKeys = maxKeys
  }

  get size (): number {
    return this.#buckets.size
  }

  get (key: string): TokenBucket {
    let bucket = this.#buckets.get(key)
    if (bucket === undefined) {
      if (this.#buckets.size >= this.#maxKeys) {
        for (const [k, b] of this.#buckets) if (b.full) this.#buckets.delete(k)
        // Still full of keys in debt: the oldest goes (a fresh bucket for it is the lesser harm).
        if (this.#buckets.size >= this.#maxKeys) this.#buckets.delete(this.#buckets.keys().next().value as string)
      }
      bucket = this.#make()
      this.#buckets.set(key, bucket)
    }
    return bucket
  }
}

async function sleep (ms: number, signal?: AbortSignal): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(signal?.reason as Error)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
