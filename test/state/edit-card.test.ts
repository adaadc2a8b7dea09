// Server-renders post cards: "Edit" only on our own posts where a list can save it, and an edited
// post's latest text (as text, never HTML) with its "edited" mark.
import { render } from 'svelte/server'
import { describe, expect, it } from 'vitest'
import type { PostView } from '../../src/lib/app/client.js'
import EditCardHost from './EditCardHost.svelte'
import { fakeClient, ME, post } from './fake-client.js'

const OTHER = '12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK'

function card (p: PostView, onedit?: (cid: string, text: string) => Promise<void>): string {
  return render(EditCardHost, { props: { app: { client: fakeClient(), author: ME }, post: p, onedit } }).body.replace(/<!--[^]*?-->/g, '')
}

describe('EntryCard editing', () => {
  const save = async (): Promise<void> => {}

  it('offers Edit on our own posts only, and only where the list can save', () => {
    expect(card(post('p1'), save)).toContain('data-testid="entry-edit"')
    expect(card(post('p1'))).not.toContain('data-testid="entry-edit"')
    expect(card(post('p1', 'hi', { author: OTHER }), save)).not.toContain('data-testid="entry-edit"')
  })

  it('shows the latest text of an edited post, as text, with an "edited" mark titled with its time', () => {
    const out = card(post('p1', '<b>new</b>', { body: { text: 'old' }, edited: { ts: Date.UTC(2024, 0, 2), count: 2 } }), save)
    expect(out).toContain('&lt;b>new&lt;/b>')
    expect(out).not.toContain('<b>')
    expect(out).not.toContain('>old<')
    expect(out).toMatch(/data-testid="entry-edited"[^>]*title="Edited [^"]*2024[^"]*\(2 edits\)"/)
    // The history opens on demand.
    expect(out).not.toContain('data-testid="edit-history"')
    expect(card(post('p2'), save)).not.toContain('data-testid="entry-edited"')
  })
})
