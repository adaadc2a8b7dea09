import adapter from '@sveltejs/adapter-static'
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte'

/** @type {import('@sveltejs/kit').Config} */
const config = {
  preprocess: vitePreprocess(),
  kit: {
    // A single-page app: every route renders in the browser, the server only serves files.
    adapter: adapter({ fallback: 'index.html' }),
    // Strict CSP as a <meta> in the shell: scripts only from our origin (SvelteKit hashes its own
    // bootstrap script), no eval. connect-src allows ws/wss because relays are chosen at run time, and
    // https because a profile handle is proved by its own domain's /.well-known/flock.json;
    // images are our files or blobs made from verified blocks. Inline styles stay allowed for
    // Svelte's style directives; they cannot run code.
    csp: {
      mode: 'hash',
      directives: {
        'default-src': ['self'],
        'script-src': ['self'],
        'style-src': ['self', 'unsafe-inline'],
        'img-src': ['self', 'blob:', 'data:'],
        'connect-src': ['self', 'ws:', 'wss:', 'https:'],
        'worker-src': ['self'],
        'manifest-src': ['self'],
        'object-src': ['none'],
        'base-uri': ['self'],
        'form-action': ['self']
      }
    },
    typescript: {
      config: (tsconfig) => {
        tsconfig.include.push('../test/**/*.ts')
        return tsconfig
      }
    }
  }
}

export default config
