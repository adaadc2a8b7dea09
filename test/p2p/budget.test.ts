import { describe, expect, test } from 'vitest'
import { BudgetMap, TokenBucket } from '../../src/lib/p2p/budget.js'

describe('TokenBucket', () => {
  test('starts full, refuses beyond what it holds, and refills at its rate up to the burst', () => {
    let now = 0
    const bucket = new TokenBucket(100, 50, () => now)
    expect(bucket.tryTake(50)).toBe(true)
    expect(bucket.tryTake(1)).toBe(false)
    now = 100
    expect(bucket.available).toBeCloseTo(10)
    expect(bucket.tryTake(11)).toBe(false)
    expect(bucket.tryTake(10)).toBe(true)
    now = 10_000
    expect(bucket.available).toBe(50)
    expect(bucket.full).toBe(true)
  })

  test('take() waits for refills and charges an item larger than the burst in full', async () => {
    const bucket = new TokenBucket(10_000, 1_000)
    const started = Date.now()
    await bucket.take(3_000)
    // 1,000 at once, then 2,000 more at 10,000/s: about 200 ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(150)
    expect(bucket.available).toBeLessThan(100)
  })

  test('take() stops waiting when its signal aborts', async () => {
    const bucket = new TokenBucket(1, 1)
    bucket.tryTake(1)
    await expect(bucket.take(1, { signal: AbortSignal.timeout(20) })).rejects.toMatchObject({ name: 'TimeoutError' })
  })

  test('needs a positive rate and burst', () => {
    expect(() => new TokenBucket(0, 1)).toThrow(RangeError)
    expect(() => new TokenBucket(1, 0)).toThrow(RangeError)
  })
})

describe('BudgetMap', () => {
  test('one bucket per key, and never more keys than its bound', () => {
    let now = 0
    const map = new BudgetMap(() => new TokenBucket(1, 10, () => now), 3)
    expect(map.get('a')).toBe(map.get('a'))
    for (const k of ['a', 'b', 'c']) map.get(k).tryTake(5)
    map.get('d')
    expect(map.size).toBe(3)
    now = 100_000
    map.get('e')
    // Every bucket had refilled: all forgotten but the new one.
    expect(map.size).toBe(1)
  })
})
