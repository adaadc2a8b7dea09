import { describe, expect, it } from 'vitest'
import type { ProfileView } from '../../src/lib/app/client.js'
import { ProfileEditorState } from '../../src/lib/state/profile-editor.svelte.js'
import { fakeClient, ME } from './fake-client.js'

const current: ProfileView = {
  author: ME, name: 'Ann', bio: 'hi', avatar: 'bafyAvatar', following: false, followsMe: false, posts: 0, forked: false
}

describe('ProfileEditorState', () => {
  it('leaves the avatar out when unchanged, so the client keeps it without refetching it', async () => {
    const client = fakeClient()
    const editor = new ProfileEditorState(client, current)
    editor.name = ' Ann B '
    expect(await editor.save()).toBe(true)
    expect(client.calls).toEqual([['setProfile', { name: 'Ann B', bio: 'hi' }]])
  })

  it('asks the client to remove the avatar when the user removed it', async () => {
    const client = fakeClient()
    const editor = new ProfileEditorState(client, current)
    editor.removeAvatar()
    expect(editor.hasAvatar).toBe(false)
    expect(await editor.save()).toBe(true)
    expect(client.calls).toEqual([['setProfile', { name: 'Ann', bio: 'hi', avatar: null }]])
  })
})
