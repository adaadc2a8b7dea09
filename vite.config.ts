import { sveltekit } from '@sveltejs/kit/vite'
import { SvelteKitPWA } from '@vite-pwa/sveltekit'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  plugins: [
    sveltekit(),
    SvelteKitPWA({
      // A new version activates on the next load instead of waiting for every tab to close, so no
      // one is stranded on an old build.
      registerType: 'autoUpdate',
      injectRegister: false,
      manifest: {
        name: 'Flock',
        short_name: 'Flock',
        description: 'A microblog with no server in the middle: your browser is a peer.',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        background_color: '#0f1419',
        theme_color: '#1d9bf0',
        icons: [
          { src: '/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: '/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: '/icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' }
        ]
      },
      workbox: {
        globPatterns: ['**/*.{js,css,html,svg,png,ico,webmanifest}'],
        // Every route is the SPA shell; bootstrap.json is fetched fresh and never cached.
        navigateFallback: '/',
        navigateFallbackDenylist: [/\/bootstrap\.json$/],
        cleanupOutdatedCaches: true,
        clientsClaim: true,
        skipWaiting: true
      },
      // The shell (adapter-static's fallback page) is precached under '/', which every route falls back to.
      kit: { adapterFallback: 'index.html', spa: { fallbackMapping: '/' } }
    })
  ],
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', '**/node_modules/**'],
    setupFiles: ['./src/server/polyfill.ts'],
    // Node 20 has WebSocket only behind this flag; libp2p's WebSockets transport needs the global.
    execArgv: ['--experimental-websocket'],
    testTimeout: 60_000,
    hookTimeout: 60_000
  }
})
