/** A FlockClient double for state tests: canned answers, recorded calls, and events on demand. */
import type { ClientEvent, FlockClient, NetworkView, PostInput, PostView, Written } from '../../src/lib/app/client.js'

export const ME = '12D3KooWKnDdG3iXw9eTFijk3EWSunZcFi54Zka4wmtqtt6rPxc7'

type PostKindView = Extract<PostView, { kind: 'post' }>

export function post (cid: string, text = 'hi', extra: Partial<PostKindView> = {}): PostKindView {
  return {
    cid, author: ME, seq: 1, prev: null, ts: 1, kind: 'post', text, body: { text },
    replies: 0, likes: 0, reposts: 0, likedByMe: false, repostedByMe: false, ...extra
  }
}

export interface FakeClient extends FlockClient {
  calls: Array<[string, ...unknown[]]>
  posts: PostView[]
  fail: Set<string>
  emit (event: ClientEvent): void
  listeners: number
}

export function fakeClient (): FakeClient {
  const listeners = new Set<(e: ClientEvent) => void>()
  const calls: Array<[string, ...unknown[]]> = []
  const fail = new Set<string>()
  const record = (name: string, ...args: unknown[]): void => {
    calls.push([name, ...args])
    if (fail.has(name)) throw new Error(`${name} failed`)
  }
  let seq = 0
  const written = (cid: string): Written => ({ cid, seq: ++seq })
  const network: NetworkView = {
    peerId: 'peer', author: ME, relays: [], connections: [], totals: { bytesIn: 0, bytesOut: 0 }, relayShare: 0,
    served: { entries: 0, blocks: 0 }, latestPostPeers: 0, sync: { active: false, received: 0, expected: 0, peers: 0 }
  }
  const client: FakeClient = {
    author: ME,
    calls,
    fail,
    posts: [],
    get listeners () { return listeners.size },
    emit (event) { for (const l of listeners) l(event) },
    async timeline (limit) { record('timeline', limit); return client.posts },
    async authorPosts (author, limit) { record('authorPosts', author, limit); return client.posts },
    async thread (cid) { record('thread', cid); return { ancestors: [], focus: client.posts.find(p => p.cid === cid) ?? null, replies: [] } },
    async post (input: PostInput) { record('post', input); return written('bafyNew') },
    async like (cid) { record('like', cid); return written('bafyLike') },
    async repost (cid) { record('repost', cid); return written('bafyRepost') },
    async remove (cid) { record('remove', cid); return written('bafyDelete') },
    async edit (cid, text) { record('edit', cid, text); return written('bafyEdit') },
    async edits (cid) { record('edits', cid); return [] },
    async devices () { record('devices'); return [] },
    async revokeDevice (id) { record('revokeDevice', id); return written('bafyRevoke') },
    async follow (author) { record('follow', author); return written('bafyFollow') },
    async unfollow (author) { record('unfollow', author); return written('bafyUnfollow') },
    async following () { record('following'); return [] },
    async setProfile (profile) { record('setProfile', profile); return written('bafyProfile') },
    async profile (author) { record('profile', author); return { author, name: '', bio: '', following: false, followsMe: false, posts: 0, forked: false } },
    async notifications (limit) { record('notifications', limit); return [] },
    async network () { record('network'); return network },
    async media (cid) { record('media', cid); return new Uint8Array([1, 2, 3]) },
    async forks () { record('forks'); return [] },
    async exportLog () { record('exportLog'); return new Uint8Array() },
    async importLog (car) { record('importLog', car); return { added: 0, otherAuthors: 0, badBlocks: 0, truncated: false } },
    subscribe (listener) {
      listeners.add(listener)
      return () => { listeners.delete(listener) }
    }
  }
  return client
}
