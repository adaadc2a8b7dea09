/**
 * Reading CAR files (a log export) from bytes nobody vouches for. @ipld/car and the decoders under it
 * throw whatever they meet on malformed bytes: plain Errors, RangeErrors, and for some headers a
 * TypeError (a CID tag around null) or a stack overflow (deep nesting) — found by `npm run stress`.
 * Here every one of them becomes a CarFormatError, so a hostile file is refused like any other bad
 * input, with what went wrong kept as its cause.
 *
 * ```ts
 * const { roots, blocks } = await openCar(bytes)
 * for await (const { cid, bytes } of blocks) …   // may throw CarFormatError part-way
 * ```
 */
import { CarBlockIterator } from '@ipld/car'
import type { CID } from 'multiformats/cid'

export class CarFormatError extends Error {
  override readonly name = 'CarFormatError'
  readonly code = 'CAR_FORMAT'
}

export interface CarBlock {
  cid: CID
  bytes: Uint8Array
}

function refused (err: unknown): CarFormatError {
  return new CarFormatError(`not a readable CAR file: ${err instanceof Error ? err.message : 'unknown error'}`, { cause: err })
}

/** The roots of the CAR in `bytes`, and its blocks in file order. */
export async function openCar (bytes: Uint8Array): Promise<{ roots: CID[], blocks: AsyncGenerator<CarBlock> }> {
  let car: CarBlockIterator
  let roots: CID[]
  try {
    car = await CarBlockIterator.fromBytes(bytes)
    roots = await car.getRoots()
  } catch (err) {
    throw refused(err)
  }
  async function * blocks (): AsyncGenerator<CarBlock> {
    const it = car[Symbol.asyncIterator]()
    while (true) {
      let next: IteratorResult<CarBlock>
      try {
        next = await it.next()
      } catch (err) {
        throw refused(err)
      }
      if (next.done === true) return
      yield next.value
    }
  }
  return { roots, blocks: blocks() }
}
