/**
 * The relays this browser's node dials: the list saved in Settings, else the site's bootstrap.json —
 * or those a link names with ?relay=, once they may be used. A link can point someone's node at a relay
 * of the link author's choosing, so ?relay= replaces the user's relays only after they agree
 * (relayLinkToConfirm). The exception is a first visit, with no identity and no saved relays: that is
 * someone joining from an invite link, whose relays are used and, once an identity is made, saved
 * (adoptInviteRelays), so that the same link opened later asks nothing.
 */

const RELAYS_KEY = 'flock.relays'

export function isLoopbackPage (): boolean {
  return ['127.0.0.1', 'localhost', '[::1]'].includes(location.hostname)
}

function linkRelays (): string[] {
  return new URLSearchParams(location.search).getAll('relay').filter(r => r !== '')
}

function savedRelays (): string[] {
  try {
    const parsed = JSON.parse(localStorage.getItem(RELAYS_KEY) ?? '[]') as unknown
    return Array.isArray(parsed) ? parsed.filter((r): r is string => typeof r === 'string') : []
  } catch {
    return []
  }
}

function sameRelays (a: string[], b: string[]): boolean {
  const set = new Set(a)
  return set.size === new Set(b).size && b.every(r => set.has(r))
}

export async function relayList (): Promise<{ url: string[], settings: string[], bootstrap: string[], effective: string[] }> {
  const url = linkRelays()
  const settings = savedRelays()
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
  // Saved relays a link would replace win until the user accepts the link's (which saves them).
  const linkWins = url.length > 0 && (settings.length === 0 || sameRelays(url, settings))
  const effective = linkWins ? url : settings.length > 0 ? settings : bootstrap
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

/** Relays a ?relay= link proposes, waiting for the user to accept or refuse them before the node starts. */
export interface RelayLink {
  readonly relays: string[]
  /** Settles once the user answered, and the relay list says what they chose. */
  readonly answered: Promise<void>
  /** Save the link's relays as this browser's relays. */
  use: () => Promise<void>
  /** Keep the user's relays, and take ?relay= out of the address so a reload does not ask again. */
  keep: () => void
}

/**
 * The link's relays, if they must be confirmed first: they differ from the saved ones, and this browser
 * has saved relays or an identity (an existing user, not someone arriving from an invite).
 */
export function relayLinkToConfirm (hasIdentity: boolean): RelayLink | undefined {
  const relays = linkRelays()
  const saved = savedRelays()
  if (relays.length === 0 || sameRelays(relays, saved) || (saved.length === 0 && !hasIdentity)) return undefined
  let answer = (): void => {}
  const answered = new Promise<void>(resolve => { answer = resolve })
  return {
    relays,
    answered,
    use: async () => {
      await saveRelays(relays)
      answer()
    },
    keep: () => {
      const url = new URL(location.href)
      url.searchParams.delete('relay')
      // The router's own entry state is kept, so back and forward still work.
      history.replaceState(history.state, '', url)
      answer()
    }
  }
}

/** On a first visit from an invite link, the relays it named become the new identity's saved relays. */
export async function adoptInviteRelays (): Promise<void> {
  const relays = linkRelays()
  if (relays.length > 0 && savedRelays().length === 0) await saveRelays(relays)
}
