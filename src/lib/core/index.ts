/**
 * The Flock protocol core: identity, entries, log rules and errors. Pure TypeScript with no DOM,
 * Svelte or libp2p node, so it runs the same in Node and the browser. Spec: PROTOCOL.md.
 */
export * from './constants.js'
export * from './errors.js'
export * from './identity.js'
export * from './entry.js'
export * from './log.js'
export * from './text.js'
export * from './sync-frames.js'
export * from './view.js'
export * from './compose.js'
export * from './signature.js'
export * from './announce.js'
export * from './canonical.js'
