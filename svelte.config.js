import adapter from '@sveltejs/adapter-static'
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte'

/** @type {import('@sveltejs/kit').Config} */
const config = {
  preprocess: vitePreprocess(),
  kit: {
    // A single-page app: every route renders in the browser, the server only serves files.
    adapter: adapter({ fallback: 'index.html' }),
    typescript: {
      config: (tsconfig) => {
        tsconfig.include.push('../test/**/*.ts')
        return tsconfig
      }
    }
  }
}

export default config
