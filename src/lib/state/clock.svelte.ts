/**
 * The current time for relative timestamps, ticking every 30 seconds while any timestamp renders
 * (svelte.dev's createSubscriber pattern): no timer runs when none is on screen.
 */
import { createSubscriber } from 'svelte/reactivity'

const TICK_MS = 30_000

const subscribe = createSubscriber(update => {
  const timer = setInterval(update, TICK_MS)
  return () => { clearInterval(timer) }
})

export const clock = {
  get now (): number {
    subscribe()
    return Date.now()
  }
}
