import { describe, expect, it } from 'vitest'
import type { NotificationKind, NotificationView } from '../../src/lib/app/client.js'
import type { EntryView, PlainBody } from '../../src/lib/core/view.js'
import {
  addSeen, groupNotifications, groupSentence, loadSeen, saveSeen, seenKey, unreadCount
} from '../../src/lib/state/notify.js'

const ME = '12D3KooWKnDdG3iXw9eTFijk3EWSunZcFi54Zka4wmtqtt6rPxc7'
const ADA = '12D3KooWAdaAdaAdaAdaAdaAdaAdaAdaAdaAdaAdaAdaAdaAdaAd'
const BO = '12D3KooWBoBoBoBoBoBoBoBoBoBoBoBoBoBoBoBoBoBoBoBoBoBo'
const CY = '12D3KooWCyCyCyCyCyCyCyCyCyCyCyCyCyCyCyCyCyCyCyCyCyCy'

let n = 0
type EntryKindOf<N extends NotificationKind> = N extends 'reply' | 'mention' | 'quote' ? 'post' : N

function note<N extends NotificationKind> (kind: N, author: string, ts: number, body: PlainBody<EntryKindOf<N>>, authorName?: string): NotificationView {
  const entryKind = kind === 'reply' || kind === 'mention' || kind === 'quote' ? 'post' : kind
  // TypeScript does not follow EntryKindOf<N> through the ternary above; the signature keeps kind and body paired.
  const entry = { cid: `bafy${++n}`, author, seq: n, prev: null, ts, kind: entryKind, body } as EntryView
  return {
    kind,
    entry,
    ...(authorName !== undefined ? { authorName } : {})
  }
}

describe('groupNotifications', () => {
  it('groups likes and reposts per post, follows together, and keeps replies apart', () => {
    const list = [
      note('like', ADA, 100, { subject: 'bafyP1', author: ME }, 'Ada'),
      note('like', BO, 90, { subject: 'bafyP1', author: ME }),
      note('reply', CY, 80, { text: 'hi' }),
      note('like', CY, 70, { subject: 'bafyP2', author: ME }),
      note('follow', ADA, 60, { author: ME }, 'Ada'),
      note('repost', BO, 50, { subject: 'bafyP1', author: ME }),
      note('follow', BO, 40, { author: ME }),
      note('reply', CY, 30, { text: 'again' }),
      note('like', ADA, 20, { subject: 'bafyP1', author: ME }, 'Ada')
    ]
    const groups = groupNotifications(list)
    expect(groups.map(g => [g.kind, g.items.length])).toEqual([
      ['like', 3], ['reply', 1], ['like', 1], ['follow', 2], ['repost', 1], ['reply', 1]
    ])
    const first = groups[0]
    expect(first?.subject).toBe('bafyP1')
    expect(first?.ts).toBe(100)
    // Ada liked twice (e.g. from a forked log): one actor.
    expect(first?.actors).toEqual([{ author: ADA, name: 'Ada' }, { author: BO }])
    expect(new Set(groups.map(g => g.key)).size).toBe(groups.length)
  })

  it('sorts by time even if the input is not', () => {
    const groups = groupNotifications([note('reply', ADA, 1, { text: 'a' }), note('reply', BO, 5, { text: 'b' })])
    expect(groups.map(g => g.ts)).toEqual([5, 1])
  })

  it('marks a group unread when any member is unseen', () => {
    const a = note('like', ADA, 10, { subject: 'bafyX', author: ME })
    const b = note('like', BO, 9, { subject: 'bafyX', author: ME })
    expect(groupNotifications([a, b], new Set([a.entry.cid, b.entry.cid]))[0]?.unread).toBe(false)
    expect(groupNotifications([a, b], new Set([b.entry.cid]))[0]?.unread).toBe(true)
    expect(unreadCount([a, b], new Set([b.entry.cid]))).toBe(1)
    expect(unreadCount([a, b], new Set())).toBe(2)
  })
})

describe('groupSentence', () => {
  const name = (a: { author: string, name?: string }): string => a.name ?? a.author.slice(8, 11)
  it('names one, two, or the first and a count', () => {
    const one = groupNotifications([note('like', ADA, 3, { subject: 's', author: ME }, 'Ada')])[0]
    const two = groupNotifications([note('follow', ADA, 3, { author: ME }, 'Ada'), note('follow', BO, 2, { author: ME }, 'Bo')])[0]
    const many = groupNotifications([
      note('repost', ADA, 3, { subject: 's', author: ME }, 'Ada'), note('repost', BO, 2, { subject: 's', author: ME }), note('repost', CY, 1, { subject: 's', author: ME })
    ])[0]
    if (one === undefined || two === undefined || many === undefined) throw new Error('missing group')
    expect(groupSentence(one, name)).toEqual({ who: 'Ada', what: 'liked your post' })
    expect(groupSentence(two, name)).toEqual({ who: 'Ada and Bo', what: 'followed you' })
    expect(groupSentence(many, name)).toEqual({ who: 'Ada and 2 others', what: 'reposted your post' })
  })
})

describe('seen storage', () => {
  it('adds ids newest last and forgets the oldest beyond the cap', () => {
    expect(addSeen(['a', 'b'], ['b', 'c'])).toEqual(['a', 'b', 'c'])
    expect(addSeen(['a', 'b', 'c'], ['d'], 3)).toEqual(['b', 'c', 'd'])
  })

  it('round-trips through storage and survives garbage', () => {
    const data = new Map<string, string>()
    const storage = { getItem: (k: string) => data.get(k) ?? null, setItem: (k: string, v: string) => { data.set(k, v) } }
    expect(loadSeen(storage, ME)).toEqual([])
    saveSeen(storage, ME, ['x', 'y'])
    expect(loadSeen(storage, ME)).toEqual(['x', 'y'])
    data.set(seenKey(ME), '{not json')
    expect(loadSeen(storage, ME)).toEqual([])
    data.set(seenKey(ME), '[1, "z"]')
    expect(loadSeen(storage, ME)).toEqual(['z'])
    expect(loadSeen(undefined, ME)).toEqual([])
  })
})
