import { sveltekit } from '@sveltejs/kit/vite'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  plugins: [sveltekit()],
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['./src/server/polyfill.ts'],
    // Node 20 has no global WebSocket, which @libp2p/websockets dials with (DESIGN §5).
    execArgv: ['--experimental-websocket'],
    testTimeout: 60_000,
    hookTimeout: 60_000
  }
})
