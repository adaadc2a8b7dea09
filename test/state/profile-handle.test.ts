import { describe, expect, it, vi } from 'vitest'
import type { ProfileView } from '../../src/lib/app/client.js'
import { ProfileState } from '../../src/lib/state/profile.svelte.js'
import { fakeClient } from './fake-client.js'

const OTHER = '12D3KooWAdaAdaAdaAdaAdaAdaAdaAdaAdaAdaAdaAdaAdaAdaAd'

function withProfile (handle: string | undefined): ReturnType<typeof fakeClient> {
  const client = fakeClient()
  const view: ProfileView = { author: OTHER, name: 'Ada', bio: '', following: false, followsMe: false, posts: 0, forked: false }
  client.profile = async () => handle === undefined ? view : { ...view, handle }
  return client
}

describe('ProfileState handle', () => {
  it('is verified only once the proof checks', async () => {
    let settle: (ok: boolean) => void = () => {}
    const asked: Array<[string, string]> = []
    const profile = new ProfileState(withProfile('ada.example.org'), OTHER, {
      verify: async (handle, author) => { asked.push([handle, author]); return await new Promise(resolve => { settle = resolve }) }
    })
    profile.refresh()
    await vi.waitFor(() => { expect(profile.profile?.handle).toBe('ada.example.org') })
    // Shown, but not as verified, while the check runs.
    expect(profile.handleVerified).toBeUndefined()
    expect(asked).toEqual([['ada.example.org', OTHER]])
    settle(true)
    await vi.waitFor(() => { expect(profile.handleVerified).toBe(true) })
  })

  it('is unverified, not hidden, when the proof fails or the check throws', async () => {
    const failing = new ProfileState(withProfile('ada.example.org'), OTHER, { verify: async () => false })
    failing.refresh()
    await vi.waitFor(() => { expect(failing.handleVerified).toBe(false) })
    expect(failing.profile?.handle).toBe('ada.example.org')

    const throwing = new ProfileState(withProfile('ada.example.org'), OTHER, { verify: async () => { throw new Error('boom') } })
    throwing.refresh()
    await vi.waitFor(() => { expect(throwing.handleVerified).toBe(false) })
  })

  it('checks nothing when the profile has no handle', async () => {
    const verify = vi.fn(async () => true)
    const profile = new ProfileState(withProfile(undefined), OTHER, { verify })
    profile.refresh()
    await vi.waitFor(() => { expect(profile.profile).toBeDefined() })
    expect(profile.handleVerified).toBeUndefined()
    expect(verify).not.toHaveBeenCalled()
  })
})
