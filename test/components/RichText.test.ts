// Server-renders RichText to check that user text can never become markup: everything is text or an
// <a> we built, and only http(s) URLs become external links.
import { render } from 'svelte/server'
import { describe, expect, it } from 'vitest'
import RichText from '../../src/lib/components/RichText.svelte'

const AUTHOR = '12D3KooWKnDdG3iXw9eTFijk3EWSunZcFi54Zka4wmtqtt6rPxc7'

function html (text: string): string {
  // Strip Svelte's hydration comments; they are not part of what the user sees.
  return render(RichText, { props: { text } }).body.replace(/<!--[^]*?-->/g, '')
}

describe('RichText', () => {
  it('escapes markup in post text', () => {
    const out = html('<script>alert(1)</script><img src=x onerror=alert(1)>')
    expect(out).not.toContain('<script')
    expect(out).not.toContain('<img')
    expect(out).toContain('&lt;script>')
  })

  it('links tags, mentions and http(s) URLs, and nothing else', () => {
    const out = html(`#Flock @${AUTHOR} https://example.org/x javascript:alert(1)`)
    expect(out).toContain('href="/tag/flock"')
    expect(out).toContain(`href="/u/${AUTHOR}"`)
    expect(out).toContain('href="https://example.org/x"')
    expect(out).toContain('rel="external noopener noreferrer"')
    expect(out).toContain('target="_blank"')
    expect(out).not.toContain('href="javascript')
    expect((out.match(/<a /g) ?? []).length).toBe(3)
  })

  it('keeps the text exactly, adding no whitespace', () => {
    const text = `a #b\nc https://d.org/e.`
    const out = html(text).replace(/<[^>]+>/g, '')
    expect(out).toBe(text)
  })
})
