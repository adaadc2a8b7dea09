import { describe, expect, it, vi } from 'vitest'
import type { ClientEvent, NotificationView } from '../../src/lib/app/client.js'
import { NotificationsState } from '../../src/lib/state/notifications.svelte.js'
import { ProfileState } from '../../src/lib/state/profile.svelte.js'
import { TimelineState } from '../../src/lib/state/timeline.svelte.js'
import { fakeClient, ME, post } from './fake-client.js'

const OTHER = '12D3KooWAdaAdaAdaAdaAdaAdaAdaAdaAdaAdaAdaAdaAdaAdaAd'

describe('TimelineState', () => {
  it('loads posts, and filters by tag', async () => {
    const client = fakeClient()
    client.posts = [post('p1', 'a'), { ...post('p2', 'b #x'), body: { text: 'b #x', tags: ['x'] } }]
    const home = new TimelineState(client)
    const tag = new TimelineState(client, { tag: 'X' })
    home.refresh()
    tag.refresh()
    await vi.waitFor(() => { expect(home.loaded && tag.loaded).toBe(true) })
    expect(home.posts.map(p => p.cid)).toEqual(['p1', 'p2'])
    expect(tag.posts.map(p => p.cid)).toEqual(['p2'])
    expect(client.calls).toContainEqual(['timeline', 50])
    expect(client.calls).toContainEqual(['timeline', 200])
  })

  it('likes optimistically and reverts when the node refuses', async () => {
    const client = fakeClient()
    client.posts = [post('p1')]
    const timeline = new TimelineState(client)
    timeline.refresh()
    await vi.waitFor(() => { expect(timeline.loaded).toBe(true) })
    const liking = timeline.like('p1')
    expect(timeline.posts[0]?.likedByMe).toBe(true)
    // Shown, but not stored until the client answers.
    expect(timeline.pending('p1')).toBe(true)
    await liking
    expect(timeline.pending('p1')).toBe(false)
    expect(timeline.posts[0]?.likes).toBe(1)
    client.fail.add('repost')
    await timeline.repost('p1')
    expect(timeline.pending('p1')).toBe(false)
    expect(timeline.posts[0]?.repostedByMe).toBe(false)
    expect(timeline.posts[0]?.reposts).toBe(0)
    expect(timeline.error).toBe('repost failed')
  })

  it('reads again when the node comes up, since the first answer may have come from the stored logs', () => {
    class Probe extends TimelineState {
      refetchesOn (event: ClientEvent): boolean { return this.relevant(event) }
    }
    const timeline = new Probe(fakeClient())
    expect(timeline.refetchesOn({ type: 'live' })).toBe(true)
    expect(timeline.refetchesOn({ type: 'network' })).toBe(false)
  })
})

describe('ProfileState', () => {
  it('follows with an optimistic button and rolls back on failure', async () => {
    const client = fakeClient()
    const profile = new ProfileState(client, OTHER)
    profile.refresh()
    await vi.waitFor(() => { expect(profile.profile).toBeDefined() })
    expect(profile.isMe).toBe(false)
    await profile.toggleFollow()
    expect(client.calls).toContainEqual(['follow', OTHER])
    expect(profile.profile?.following).toBe(true)
    client.fail.add('unfollow')
    await profile.toggleFollow()
    expect(profile.profile?.following).toBe(true)
    expect(profile.followError).toBe('unfollow failed')
  })
})

describe('NotificationsState', () => {
  it('counts unread until the page is viewed, and keeps new ones highlighted while it is', async () => {
    const client = fakeClient()
    const items: NotificationView[] = [
      { kind: 'follow', entry: { cid: 'n1', author: OTHER, seq: 1, prev: null, ts: 10, kind: 'follow', body: { author: ME } } },
      { kind: 'like', entry: { cid: 'n2', author: OTHER, seq: 2, prev: null, ts: 20, kind: 'like', body: { subject: 'p', author: ME } } }
    ]
    client.notifications = async () => items
    const notes = new NotificationsState(client)
    notes.refresh()
    await vi.waitFor(() => { expect(notes.loaded).toBe(true) })
    expect(notes.unread).toBe(2)
    expect(notes.groups.map(g => [g.kind, g.unread])).toEqual([['like', true], ['follow', true]])
    const stop = notes.view()
    expect(notes.unread).toBe(0)
    expect(notes.groups.every(g => g.unread)).toBe(true)
    stop()
    expect(notes.groups.every(g => !g.unread)).toBe(true)
  })

  it('remembers what was seen in localStorage, per author', async () => {
    const data = new Map<string, string>()
    vi.stubGlobal('localStorage', { getItem: (k: string) => data.get(k) ?? null, setItem: (k: string, v: string) => { data.set(k, v) } })
    try {
      const client = fakeClient()
      client.notifications = async () => [{ kind: 'follow', entry: { cid: 'n1', author: OTHER, seq: 1, prev: null, ts: 10, kind: 'follow', body: { author: ME } } }]
      const first = new NotificationsState(client)
      first.refresh()
      await vi.waitFor(() => { expect(first.unread).toBe(1) })
      first.view()()
      const again = new NotificationsState(client)
      again.refresh()
      await vi.waitFor(() => { expect(again.loaded).toBe(true) })
      expect(again.unread).toBe(0)
      expect([...data.keys()]).toEqual([`flock.notifications.seen.${client.author}`])
    } finally {
      vi.unstubAllGlobals()
    }
  })
})
