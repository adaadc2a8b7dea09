/**
 * Service worker registration. With `ssr = false` nothing registers it unless the app does. The worker
 * precaches the app shell so Flock opens offline with its stored timeline, and updates itself on the
 * next load (autoUpdate), so nobody is stranded on an old build.
 */
export async function registerServiceWorker (): Promise<void> {
  if (!('serviceWorker' in navigator)) return
  const { registerSW } = await import('virtual:pwa-register')
  registerSW({ immediate: true })
}
