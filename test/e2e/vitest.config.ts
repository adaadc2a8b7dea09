// End-to-end tests: the built app in Debian's Chromium, a real relay and real peers. They use WebRTC,
// so `npm run test:e2e` runs them inside a fresh network namespace (unshare -n) with only loopback up:
// ICE candidates and mDNS stay on this machine.
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    setupFiles: ['./src/server/polyfill.ts'],
    execArgv: ['--experimental-websocket'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000
  }
})
