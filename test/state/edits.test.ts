import { describe, expect, it, vi } from 'vitest'
import type { EditView } from '../../src/lib/app/client.js'
import { EditDraftState, EditHistoryState, historyOf } from '../../src/lib/state/edits.svelte.js'
import { withEdit } from '../../src/lib/state/posts.js'
import { ProfileState } from '../../src/lib/state/profile.svelte.js'
import { ThreadState } from '../../src/lib/state/thread.svelte.js'
import { TimelineState } from '../../src/lib/state/timeline.svelte.js'
import { fakeClient, ME, post } from './fake-client.js'

describe('EditDraftState', () => {
  it('starts from the current text and saves only a changed, non-empty text within the limit', async () => {
    const draft = new EditDraftState('hello', false)
    expect(draft.text).toBe('hello')
    expect(draft.canSave).toBe(false)
    draft.text = ' hello  '
    expect(draft.changed).toBe(false)
    draft.text = '   '
    expect(draft.canSave).toBe(false)
    draft.text = 'x'.repeat(501)
    expect(draft.counter.over).toBe(true)
    expect(draft.canSave).toBe(false)
    draft.text = ' hello, world '
    expect(draft.canSave).toBe(true)
    const saved: string[] = []
    expect(await draft.save(async text => { saved.push(text) })).toBe(true)
    expect(saved).toEqual(['hello, world'])
  })

  it('may empty the text of a post with images', () => {
    const draft = new EditDraftState('caption', true)
    draft.text = ''
    expect(draft.canSave).toBe(true)
  })

  it('keeps the text and says why when the write fails', async () => {
    const draft = new EditDraftState('a', false)
    draft.text = 'b'
    expect(await draft.save(async () => { throw new Error('edit failed') })).toBe(false)
    expect(draft.error).toBe('edit failed')
    expect(draft.text).toBe('b')
    expect(draft.busy).toBe(false)
    draft.text = 'c'
    expect(draft.error).toBeUndefined()
  })
})

describe('edit history', () => {
  const edits: EditView[] = [{ cid: 'e1', ts: 5, text: 'second' }, { cid: 'e2', ts: 9, text: 'third' }]

  it('lists the signed original first, then the edits oldest first', () => {
    const p = post('p1', 'third', { ts: 2, body: { text: 'first' }, edited: { ts: 9, count: 2 } })
    expect(historyOf(p, edits)).toEqual([
      { cid: 'p1', ts: 2, text: 'first', original: true },
      { cid: 'e1', ts: 5, text: 'second', original: false },
      { cid: 'e2', ts: 9, text: 'third', original: false }
    ])
  })

  it('loads from the client', async () => {
    const client = fakeClient()
    client.edits = async (cid) => { client.calls.push(['edits', cid]); return edits }
    const history = new EditHistoryState(client)
    expect(history.loaded).toBe(false)
    await history.load(post('p1', 'third', { body: { text: '<b>first</b>' } }))
    expect(history.loaded).toBe(true)
    expect(client.calls).toEqual([['edits', 'p1']])
    expect(history.items.map(i => i.text)).toEqual(['<b>first</b>', 'second', 'third'])
  })

  it('says why it could not load', async () => {
    const client = fakeClient()
    client.fail.add('edits')
    const history = new EditHistoryState(client)
    await history.load(post('p1'))
    expect(history.loaded).toBe(true)
    expect(history.error).toBe('edits failed')
  })
})

describe('editing in a list', () => {
  it('marks a post edited with the new text, and leaves reposts as they are', () => {
    const p = post('p1', 'old')
    const once = withEdit(p, 'new', 7)
    expect(once).toMatchObject({ text: 'new', body: { text: 'old' }, edited: { ts: 7, count: 1 } })
    expect(withEdit(once, 'newer', 8)).toMatchObject({ text: 'newer', edited: { ts: 8, count: 2 } })
    const repost = { ...post('r1'), kind: 'repost', body: { subject: 'p1', author: ME } } as unknown as Parameters<typeof withEdit>[0]
    expect(withEdit(repost, 'x', 1)).toBe(repost)
  })

  it('writes the edit, shows it at once and refetches, in the timeline, a profile and a thread', async () => {
    const client = fakeClient()
    client.posts = [post('p1', 'old')]
    const timeline = new TimelineState(client)
    const profile = new ProfileState(client, ME, { verify: async () => false })
    const thread = new ThreadState(client, 'p1')
    for (const list of [timeline, profile, thread]) list.refresh()
    await vi.waitFor(() => { expect(timeline.loaded && profile.loaded && thread.loaded).toBe(true) })

    // The node answers the refetch with the edited post from now on.
    const fetches = (): number => client.calls.filter(c => c[0] === 'timeline').length
    const before = fetches()
    client.posts = [post('p1', 'new', { body: { text: 'old' }, edited: { ts: 100, count: 1 } })]
    await timeline.edit('p1', 'new')
    expect(client.calls).toContainEqual(['edit', 'p1', 'new'])
    expect(timeline.posts[0]).toMatchObject({ text: 'new', edited: { count: 1 } })
    await vi.waitFor(() => { expect(fetches()).toBeGreaterThan(before) })
    await vi.waitFor(() => { expect(timeline.posts[0]?.edited?.ts).toBe(100) })

    await profile.edit('p1', 'new')
    expect(profile.posts[0]?.text).toBe('new')
    await thread.edit('p1', 'new')
    expect(thread.focus?.text).toBe('new')
  })

  it('throws when the node refuses, and changes nothing', async () => {
    const client = fakeClient()
    client.posts = [post('p1', 'old')]
    const timeline = new TimelineState(client)
    timeline.refresh()
    await vi.waitFor(() => { expect(timeline.loaded).toBe(true) })
    client.fail.add('edit')
    await expect(timeline.edit('p1', 'new')).rejects.toThrow('edit failed')
    expect(timeline.posts[0]?.text).toBe('old')
    expect(timeline.posts[0]?.edited).toBeUndefined()
  })
})
