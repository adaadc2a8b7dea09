// Server-renders a post card with a quoted post: the quote's text goes through the same segmenter as
// post text, so markup in it stays text; a quote not held here stays a link to its thread.
import { render } from 'svelte/server'
import { describe, expect, it } from 'vitest'
import type { PostView } from '../../src/lib/app/client.js'
import QuotedPost from '../../src/lib/components/QuotedPost.svelte'
import { fakeClient, ME, post } from '../state/fake-client.js'
import EntryCardHost from './EntryCardHost.svelte'

const OTHER = '12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK'
const QUOTED = 'bafyreiquoted'
const quoted = { cid: QUOTED, author: OTHER, authorName: 'Bo', ts: 1, text: '<b>x</b> #tag' }

function strip (html: string): string {
  // Svelte's hydration comments are not part of what the user sees.
  return html.replace(/<!--[^]*?-->/g, '')
}

function card (p: PostView): string {
  return strip(render(EntryCardHost, { props: { app: { client: fakeClient(), author: ME }, post: p } }).body)
}

describe('QuotedPost', () => {
  it('shows the quoted text as text, with its author and a link to its thread', () => {
    const out = strip(render(QuotedPost, { props: { quote: quoted } }).body)
    expect(out).toContain('data-testid="quoted-post"')
    expect(out).toContain('&lt;b>x&lt;/b>')
    expect(out).not.toContain('<b>')
    expect(out).toContain('href="/tag/tag"')
    expect(out).toContain(`href="/u/${OTHER}"`)
    expect(out).toContain(`href="/post/${QUOTED}"`)
    expect(out).toContain('>Bo</a>')
  })
})

describe('EntryCard', () => {
  it('embeds a quoted post it holds', () => {
    const out = card(post('bafyreiquoting', 'look', { body: { text: 'look', quote: QUOTED }, quoted }))
    expect(out).toContain('data-testid="quoted-post"')
    expect(out).toContain('&lt;b>x&lt;/b>')
    expect(out).not.toContain('<b>')
    expect(out).not.toContain('Quoted post</a>')
  })

  it('links to a quoted post it does not hold', () => {
    const out = card(post('bafyreiquoting', 'look', { body: { text: 'look', quote: QUOTED } }))
    expect(out).not.toContain('data-testid="quoted-post"')
    expect(out).toContain(`href="/post/${QUOTED}">❝ Quoted post</a>`)
  })

  it('shows the initial until an avatar image is here', () => {
    // Server rendering fetches nothing, so this is also what a card shows while its avatar loads.
    const out = card(post('bafyreipost', 'hi', { authorName: 'Ann', avatar: 'bafkreiavatar' }))
    expect(out).not.toContain('data-testid="post-avatar"')
    expect(out).toMatch(/class="avatar[^"]*"[^>]*>A<\/span>/)
  })
})
