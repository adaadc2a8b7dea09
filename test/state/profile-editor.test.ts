import { describe, expect, it } from 'vitest'
import type { ProfileView } from '../../src/lib/app/client.js'
import { handleProblem, normalizeHandle, ProfileEditorState } from '../../src/lib/state/profile-editor.svelte.js'
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

  it('saves a handle typed loosely in the form the entry stores it', async () => {
    const client = fakeClient()
    const editor = new ProfileEditorState(client, current)
    expect(editor.handle).toBe('')
    editor.handle = ' @Alice.Example.org '
    expect(editor.handleError).toBeUndefined()
    expect(await editor.save()).toBe(true)
    expect(client.calls).toEqual([['setProfile', { name: 'Ann', bio: 'hi', handle: 'alice.example.org' }]])
  })

  it('refuses an invalid handle with a message, and keeps or removes the current one', async () => {
    const client = fakeClient()
    const editor = new ProfileEditorState(client, { ...current, handle: 'ann.example.org' })
    expect(editor.handle).toBe('ann.example.org')
    editor.handle = 'not a domain'
    expect(editor.handleError).toMatch(/domain name/)
    expect(editor.canSave).toBe(false)
    expect(await editor.save()).toBe(false)
    expect(client.calls).toEqual([])
    // Unchanged: left out, so the client carries it over.
    editor.handle = 'ann.example.org'
    expect(await editor.save()).toBe(true)
    // Emptied: '' removes it.
    editor.handle = ''
    expect(editor.handleError).toBeUndefined()
    expect(await editor.save()).toBe(true)
    expect(client.calls).toEqual([
      ['setProfile', { name: 'Ann', bio: 'hi' }],
      ['setProfile', { name: 'Ann', bio: 'hi', handle: '' }]
    ])
  })

  it('tells handles from what is not one', () => {
    expect(normalizeHandle('https://Ann.Example.org/')).toBe('ann.example.org')
    for (const ok of ['', 'ann.example.org', 'a.b.c', 'x-y.example']) expect(handleProblem(ok), ok).toBeUndefined()
    for (const bad of ['localhost', 'ann', '1.2.3.4', 'ann..example.org', '-ann.example.org', 'ann_b.example.org', 'ann.example.org/x', 'a b.org']) {
      expect(handleProblem(bad), bad).toBeDefined()
    }
  })
})
