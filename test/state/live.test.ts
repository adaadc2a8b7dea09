import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { coalesce, errorMessage } from '../../src/lib/state/live.js'

describe('coalesce', () => {
  beforeEach(() => { vi.useFakeTimers() })
  afterEach(() => { vi.useRealTimers() })

  it('runs once for a burst of requests', async () => {
    const run = vi.fn(async () => {})
    const r = coalesce(run, 100)
    for (let i = 0; i < 50; i++) r.request()
    await vi.runAllTimersAsync()
    expect(run).toHaveBeenCalledTimes(1)
  })

  it('runs once more when requests arrive while it runs, never concurrently', async () => {
    let active = 0
    let maxActive = 0
    let release: (() => void) | undefined
    const run = vi.fn(async () => {
      active++
      maxActive = Math.max(maxActive, active)
      await new Promise<void>(resolve => { release = resolve })
      active--
    })
    const r = coalesce(run, 0)
    r.request()
    await vi.advanceTimersByTimeAsync(0)
    expect(run).toHaveBeenCalledTimes(1)
    r.request()
    r.request()
    release?.()
    await vi.advanceTimersByTimeAsync(0)
    expect(run).toHaveBeenCalledTimes(2)
    release?.()
    await vi.runAllTimersAsync()
    expect(run).toHaveBeenCalledTimes(2)
    expect(maxActive).toBe(1)
  })

  it('keeps a gap between runs', async () => {
    const run = vi.fn(async () => {})
    const r = coalesce(run, 1000)
    r.request()
    await vi.advanceTimersByTimeAsync(0)
    expect(run).toHaveBeenCalledTimes(1)
    r.request()
    await vi.advanceTimersByTimeAsync(500)
    expect(run).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(500)
    expect(run).toHaveBeenCalledTimes(2)
  })

  it('keeps going after a failed run and stops on cancel', async () => {
    const run = vi.fn(async () => { throw new Error('boom') })
    const r = coalesce(run, 0)
    r.request()
    await vi.runAllTimersAsync()
    r.request()
    await vi.runAllTimersAsync()
    expect(run).toHaveBeenCalledTimes(2)
    r.request()
    r.cancel()
    await vi.runAllTimersAsync()
    expect(run).toHaveBeenCalledTimes(2)
    r.request()
    await vi.runAllTimersAsync()
    expect(run).toHaveBeenCalledTimes(2)
    r.resume()
    r.request()
    await vi.runAllTimersAsync()
    expect(run).toHaveBeenCalledTimes(3)
  })
})

describe('errorMessage', () => {
  it('reads errors of any shape', () => {
    expect(errorMessage(new Error('bad'))).toBe('bad')
    expect(errorMessage(Object.assign(new Error(''), { name: 'TimeoutError' }))).toBe('TimeoutError')
    expect(errorMessage('text')).toBe('text')
    expect(errorMessage(42)).toBe('Something went wrong.')
  })
})
