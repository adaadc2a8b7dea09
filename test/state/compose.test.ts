import { describe, expect, it } from 'vitest'
import { ComposeState } from '../../src/lib/state/compose.svelte.js'
import { FollowState } from '../../src/lib/state/follow.svelte.js'
import { fakeClient, ME } from './fake-client.js'

const OTHER = '12D3KooWAdaAdaAdaAdaAdaAdaAdaAdaAdaAdaAdaAdaAdaAdaAd'

describe('ComposeState', () => {
  it('counts graphemes against the limit and blocks over-limit or empty posts', () => {
    const compose = new ComposeState(fakeClient())
    expect(compose.canSubmit).toBe(false)
    compose.text = '👍🏽'.repeat(500)
    expect(compose.counter.count).toBe(500)
    expect(compose.over).toBe(false)
    expect(compose.canSubmit).toBe(true)
    compose.text += 'x'
    expect(compose.over).toBe(true)
    expect(compose.canSubmit).toBe(false)
    compose.text = '   '
    expect(compose.canSubmit).toBe(false)
  })

  it('posts trimmed text with replyTo and quote, then clears', async () => {
    const client = fakeClient()
    const compose = new ComposeState(client, { replyTo: 'bafyParent', quote: 'bafyQuoted' })
    compose.text = '  hello #flock  '
    expect(await compose.submit()).toBe('bafyNew')
    expect(client.calls).toContainEqual(['post', { text: 'hello #flock', replyTo: 'bafyParent', quote: 'bafyQuoted' }])
    expect(compose.text).toBe('')
    expect(compose.quote).toBeUndefined()
    expect(compose.replyTo).toBe('bafyParent')
  })

  it('keeps the text and shows the error when posting fails', async () => {
    const client = fakeClient()
    client.fail.add('post')
    const compose = new ComposeState(client)
    compose.text = 'keep me'
    expect(await compose.submit()).toBeUndefined()
    expect(compose.text).toBe('keep me')
    expect(compose.error).toBe('post failed')
    expect(compose.busy).toBe(false)
  })
})

describe('FollowState', () => {
  it('checks the id before asking the node', async () => {
    const client = fakeClient()
    const follow = new FollowState(client)
    follow.value = 'nonsense'
    await follow.submit()
    expect(follow.error).toMatch(/not an author id/)
    follow.value = ME
    await follow.submit()
    expect(follow.error).toMatch(/your own id/)
    expect(client.calls.filter(c => c[0] === 'follow')).toEqual([])
  })

  it('follows a pasted id and clears the field', async () => {
    const client = fakeClient()
    const follow = new FollowState(client)
    follow.value = ` @${OTHER} `
    await follow.submit()
    expect(client.calls).toContainEqual(['follow', OTHER])
    expect(follow.followed).toBe(OTHER)
    expect(follow.value).toBe('')
    expect(follow.error).toBeUndefined()
  })
})
