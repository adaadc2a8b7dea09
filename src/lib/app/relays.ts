/**
 * The relays this browser's node dials: from ?relay= in the page address, else the list saved in
 * Settings, else the site's bootstrap.json.
 */

const RELAYS_KEY = 'flock.relays'

export function isLoopbackPage (): boolean {
  return ['127.0.0.1', 'localhost', '[::1]'].includes(location.hostname)
}

export async function relayList (): Promise<{ url: string[], settings: string[], bootstrap: string[], effective: string[] }> {
  const url = new URLSearchParams(location.search).getAll('relay').filter(r => r !== '')
  let settings: string[] = []
  try {
    const parsed = JSON.parse(localStorage.getItem(RELAYS_KEY) ?? '[]') as unknown
    if (Array.isArray(parsed)) settings = parsed.filter((r): r is string => typeof r === 'string')
  } catch {
    settings = []
  }
  let bootstrap: string[] = []
  try {
    const res = await fetch('/bootstrap.json', { cache: 'no-cache' })
    if (res.ok) {
      const body = await res.json() as { relays?: unknown }
      if (Array.isArray(body.relays)) bootstrap = body.relays.filter((r): r is string => typeof r === 'string')
    }
  } catch {
    bootstrap = []
  }
  const effective = url.length > 0 ? url : settings.length > 0 ? settings : bootstrap
  return { url, settings, bootstrap, effective }
}

export async function saveRelays (relays: string[]): Promise<void> {
  const { multiaddr } = await import('@multiformats/multiaddr')
  for (const r of relays) multiaddr(r) // throws a readable error for a malformed address
  localStorage.setItem(RELAYS_KEY, JSON.stringify(relays))
}

export function forgetRelays (): void {
  localStorage.removeItem(RELAYS_KEY)
}
