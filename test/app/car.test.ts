import { expect, test } from 'vitest'
import { CarWriter } from '@ipld/car'
import { openCar } from '../../src/lib/app/car.js'
import { collect } from '../../src/lib/p2p/store.js'

function varint (n: number): number[] {
  const out: number[] = []
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80)
    n >>>= 7
  }
  out.push(n)
  return out
}

/** A CAR v1 whose header is `header` (raw CBOR bytes) and that has no blocks. */
function withHeader (header: number[]): Uint8Array {
  return Uint8Array.from([...varint(header.length), ...header])
}

// Each of these made the CAR libraries throw something other than their own errors (npm run stress).
test.each([
  ['a header nested 6,000 arrays deep (stack overflow)', withHeader([...Array(6000).fill(0x81), 0x01])],
  ['a CID tag around null in the header (TypeError)', withHeader([0xa2, 0x67, ...new TextEncoder().encode('version'), 0x01, 0x65, ...new TextEncoder().encode('roots'), 0x81, 0xd8, 0x2a, 0xf6])],
  ['not a CAR at all', Uint8Array.from([0xff, 0xff, 0xff])]
])('%s is refused with a CarFormatError', async (_label, bytes) => {
  const read = async (): Promise<number> => {
    let n = 0
    for await (const block of (await openCar(bytes)).blocks) n += block.bytes.length
    return n
  }
  await expect(read()).rejects.toMatchObject({ name: 'CarFormatError', code: 'CAR_FORMAT' })
})

test('a well-formed CAR reads back its roots and blocks', async () => {
  const { writer, out } = CarWriter.create([])
  const bytes = collect(out)
  await writer.close()
  const car = await openCar(await bytes)
  expect(car.roots).toEqual([])
  const blocks = []
  for await (const b of car.blocks) blocks.push(b)
  expect(blocks).toEqual([])
})
