// The app is a single-page app: every page renders in the browser, where its node runs.
export const ssr = false
export const prerender = false
