import { describe, expect, test } from 'vitest'
import { ServeBudget, type ServedFrame } from '../../src/lib/p2p/serve-budget.js'

/** `count` entry frames of `bytes` each, seqs from `first`. */
function frames (first: number, count: number, bytes: number): ServedFrame[] {
  return Array.from({ length: count }, (_, i) => ({ seq: first + i, bytes }))
}

async function timed (fn: () => Promise<void>): Promise<number> {
  const started = performance.now()
  await fn()
  return performance.now() - started
}

describe('ServeBudget', () => {
  // 10,000 B/s after 1,000 for repeats: 50,000 repeated bytes would take ~4.9 s.
  const repeatOnly = { repeatBytesPerSecond: 10_000, repeatBurstBytes: 1_000, totalBytesPerSecond: 1e9, totalBurstBytes: 1e9 }

  test('entries a peer has not had from us are not paced per peer', async () => {
    const budget = new ServeBudget(repeatOnly)
    const ms = await timed(async () => {
      await budget.charge('p', 'a', frames(1, 50, 1_000))
      await budget.charge('p', 'a', frames(51, 50, 1_000))
    })
    expect(ms).toBeLessThan(2_000)
  })

  test('the same entries again, or range frames, are paced by the peer\'s repeat budget', async () => {
    const budget = new ServeBudget({ ...repeatOnly, repeatBytesPerSecond: 20_000 })
    await budget.charge('p', 'a', frames(1, 10, 1_000))
    // 1,000 at once, then 4,000 more at 20,000/s.
    const again = await timed(async () => { await budget.charge('p', 'a', frames(1, 5, 1_000)) })
    expect(again).toBeGreaterThanOrEqual(150)
    const ranges = await timed(async () => { await budget.charge('p', 'b', [{ seq: 0, bytes: 4_000 }]) })
    expect(ranges).toBeGreaterThanOrEqual(150)
  })

  test('another peer, or another author, is new again', async () => {
    const budget = new ServeBudget(repeatOnly)
    await budget.charge('p', 'a', frames(1, 10, 1_000))
    const ms = await timed(async () => {
      await budget.charge('q', 'a', frames(1, 10, 1_000))
      await budget.charge('p', 'b', frames(1, 10, 1_000))
    })
    expect(ms).toBeLessThan(500)
  })

  test('all peers together share the total budget', async () => {
    const budget = new ServeBudget({ totalBytesPerSecond: 20_000, totalBurstBytes: 1_000 })
    const ms = await timed(async () => {
      await Promise.all(['p', 'q', 'r', 's'].map(async peer => { await budget.charge(peer, 'a', frames(1, 1, 1_000)) }))
    })
    // 4,000 bytes from four fresh peers: 1,000 at once, 3,000 at 20,000/s.
    expect(ms).toBeGreaterThanOrEqual(120)
  })

  test('remembers a bounded number of (peer, author) marks', async () => {
    const budget = new ServeBudget({ marksKept: 100 })
    for (let i = 0; i < 1_000; i++) await budget.charge(`peer${i}`, 'a', frames(1, 1, 10))
    expect(budget.marks).toBe(100)
  })

  test('a charge stops waiting when its signal aborts', async () => {
    const budget = new ServeBudget({ repeatBytesPerSecond: 1, repeatBurstBytes: 1 })
    await budget.charge('p', 'a', frames(1, 1, 1))
    await expect(budget.charge('p', 'a', frames(1, 1, 1_000), AbortSignal.timeout(50))).rejects.toThrow()
  })
})
