import { expect, test } from 'vitest'
import * as dagCbor from '@ipld/dag-cbor'
import { decodeFrame } from '../../src/lib/core/index.js'

// Found by `npm run stress`: a map with its own toString key made the error message itself throw.
test.each([
  { t: { toString: 1 } },
  { t: 'range', author: 'x', from: { toString: 1 }, to: 1, head: 1 },
  { t: 'range', author: 'x', from: 1, to: { valueOf: 1 }, head: [1] }
])('a frame with hostile values in its error message is a SyncFrameError: %j', (frame) => {
  expect(() => decodeFrame(dagCbor.encode(frame))).toThrow(expect.objectContaining({ name: 'SyncFrameError' }))
})
