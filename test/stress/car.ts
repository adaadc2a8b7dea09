/**
 * CAR files as importLog (src/lib/app/local-client.ts) reads them: openCar (src/lib/app/car.ts) over
 * the whole file, header then every block. Seeded with exports written as exportLog writes them, and
 * hand-built CARs in which every length, CID and header field may lie.
 */
import { createHash } from 'node:crypto'
import { CarWriter } from '@ipld/car'
import { CarFormatError, openCar } from '../../src/lib/app/car.js'
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import { create as digest } from 'multiformats/hashes/digest'
import type { MultihashDigest } from 'multiformats/hashes/interface'
import { equalBytes } from '../../src/lib/core/index.js'
import { collect } from '../../src/lib/p2p/store.js'
import { concat, encodeRawCbor, type Rng } from '../core/helpers.js'
import { tryEncode } from '../core/mutators.js'
import { cborBomb, sharedStrategies, type Target } from './inputs.js'
import type { Context } from './targets.js'

interface Block { cid: CID, bytes: Uint8Array }
interface Car { roots: CID[], blocks: Block[] }

/** CARs have no size limit: random lengths straddle this size of a short log's export, and oversized inputs exceed it. */
const LIMIT = 64 * 1024

// node:crypto rather than multiformats' sha256, which may answer with a promise: strategies make inputs synchronously.
const sha256 = (bytes: Uint8Array): MultihashDigest<0x12> => digest(0x12, createHash('sha256').update(bytes).digest())
const cidOf = (code: number, bytes: Uint8Array): CID => CID.createV1(code, sha256(bytes))

async function readCar (bytes: Uint8Array): Promise<Car> {
  const car = await openCar(bytes)
  const blocks: Block[] = []
  for await (const block of car.blocks) blocks.push(block)
  return { roots: car.roots, blocks }
}

/** As exportLog writes a CAR. */
async function writeCar ({ roots, blocks }: Car): Promise<Uint8Array> {
  const { writer, out } = CarWriter.create(roots)
  const bytes = collect(out)
  for (const block of blocks) await writer.put(block)
  await writer.close()
  return await bytes
}

function sameCar (x: Car, y: Car): boolean {
  return x.roots.length === y.roots.length && x.roots.every((r, i) => y.roots[i]?.equals(r) === true) &&
    x.blocks.length === y.blocks.length && x.blocks.every((b, i) => {
    const other = y.blocks[i]
    return other !== undefined && other.cid.equals(b.cid) && equalBytes(other.bytes, b.bytes)
  })
}

/** Unsigned LEB128, as CAR lengths and CID fields are written; `overlong` adds redundant zero groups. */
function varint (n: number, overlong = 0): Uint8Array {
  const out: number[] = []
  for (; n >= 0x80; n = Math.floor(n / 0x80)) out.push((n % 0x80) | 0x80)
  out.push(n)
  for (let i = 0; i < overlong; i++) {
    out[out.length - 1] = (out[out.length - 1] as number) | 0x80
    out.push(0)
  }
  return Uint8Array.from(out)
}

/** The length prefix of `n` bytes: mostly the truth, otherwise a little off, far off, overlong or endless. */
function lengthOf (rng: Rng, n: number): Uint8Array {
  switch (rng.int(16)) {
    case 0: return varint(Math.max(0, n + rng.pick([-3, -1, 1, 2, 100])))
    case 1: return varint(rng.pick([0, 2 ** 31, 2 ** 49 - 1, Number.MAX_SAFE_INTEGER]))
    case 2: return varint(n, 1 + rng.int(3))
    case 3: return new Uint8Array(1 + rng.int(10)).fill(0xff)
    default: return varint(n)
  }
}

/** The CID of a section: sometimes right, often a real CID of other bytes, or any field of it wrong. */
function cidBytes (rng: Rng, data: Uint8Array, cids: readonly CID[]): Uint8Array {
  const hash = (): Uint8Array => rng.bytes(32)
  switch (rng.int(9)) {
    case 0: return rng.pick(cids).bytes
    case 1: return concat(Uint8Array.of(0x12, 0x20), hash())
    case 2: return concat(Uint8Array.of(0x01), varint(rng.pick([0x55, 0x71, 0x70, 0, 2 ** 32, 2 ** 49 - 1, rng.int(1 << 20)])), Uint8Array.of(0x12, 0x20), hash())
    case 3: return concat(Uint8Array.of(0x01, 0x71), varint(rng.pick([0x12, 0x00, 0x13, rng.int(1 << 16)])), varint(rng.pick([0, 20, 32, 33, 127, 2 ** 31])), rng.bytes(rng.int(40)))
    case 4: return concat(varint(rng.pick([0, 2, 3, 0x12, 0x80])), Uint8Array.of(0x71, 0x12, 0x20), hash())
    // An identity multihash: the data once more inside the CID.
    case 5: return concat(Uint8Array.of(0x01, 0x55, 0x00), varint(data.length), data)
    case 6: return concat(varint(1, 1 + rng.int(2)), varint(0x71, 1), Uint8Array.of(0x12, 0x20), hash())
    case 7: return rng.bytes(rng.int(40))
    default: return cidOf(0x71, data).bytes
  }
}

/** The length-prefixed "version 2" header that starts a CARv2. */
const PRAGMA = concat(varint(dagCbor.encode({ version: 2 }).length), dagCbor.encode({ version: 2 }))

/** `v1` inside a CARv2; with `rng`, its offsets and sizes may point anywhere. */
function carV2 (v1: Uint8Array, rng?: Rng): Uint8Array {
  const head = new Uint8Array(40)
  const view = new DataView(head.buffer)
  const field = (truth: number): bigint => rng === undefined || rng.bool(0.7)
    ? BigInt(truth)
    : rng.pick([0n, 1n, BigInt(truth + rng.pick([-1, 1, 51])), 2n ** 53n + 1n, 2n ** 64n - 1n, BigInt(rng.int(1 << 16))])
  if (rng?.bool(0.2) === true) head.set(rng.bytes(16))
  view.setBigUint64(16, field(PRAGMA.length + head.length), true)
  view.setBigUint64(24, field(v1.length), true)
  // No index.
  view.setBigUint64(32, field(0), true)
  return concat(PRAGMA, head, v1)
}

export async function carTarget ({ m, entries, f }: Context): Promise<Target> {
  const media = ['img0', 'img1', 'img2', 'img3', 'img4', 'avatar'].map(s => new TextEncoder().encode(s))
  const entryBlocks = entries.map(v => ({ cid: v.cid, bytes: v.bytes }))
  const mediaBlocks = media.map(bytes => ({ cid: cidOf(0x55, bytes), bytes }))
  const pb = new TextEncoder().encode('a dag-pb node')
  const head = f.chain[f.chain.length - 1]?.v.cid as CID
  const exported = await writeCar({ roots: [head], blocks: [...entryBlocks, ...mediaBlocks] })
  const valid = [
    exported,
    await writeCar({ roots: [], blocks: [] }),
    await writeCar({ roots: [f.other.cid], blocks: [{ cid: f.other.cid, bytes: f.other.bytes }] }),
    await writeCar({ roots: [], blocks: [{ cid: CID.createV0(sha256(pb)), bytes: pb }] }),
    carV2(exported)
  ]
  const cids = [head, ...entryBlocks.map(b => b.cid), ...mediaBlocks.map(b => b.cid), ...m.cids]
  const data = (rng: Rng): Uint8Array => rng.pick([rng.pick(entries).bytes, rng.pick(media), rng.bytes(rng.int(64)), new Uint8Array(0)])
  const header = (rng: Rng): Uint8Array => {
    switch (rng.int(10)) {
      case 0: return tryEncode(m.randomValue(rng)) ?? Uint8Array.of(0xf6)
      case 1: return encodeRawCbor(m.randomRaw(rng))
      case 2: return cborBomb(rng, 16 * 1024)
      default: {
        const fields: Record<string, unknown> = { version: rng.pick([1, 1, 1, 2, 0, 3, -1, '1', null, 1.5]) }
        if (rng.bool(0.9)) {
          fields.roots = rng.pick([[], [head], [rng.pick(cids), rng.pick(cids)], new Array(1 + rng.int(2000)).fill(head), [m.randomValue(rng, 1)], 'x', null])
        }
        return tryEncode(fields) ?? Uint8Array.of(0xf6)
      }
    }
  }
  return {
    name: 'openCar (CAR import)',
    valid,
    strategies: [
      ...sharedStrategies(m, valid, LIMIT),
      {
        name: 'hand-built CAR',
        weight: 20,
        make: (rng) => {
          const h = header(rng)
          const sections = Array.from({ length: rng.int(7) }, () => {
            const d = data(rng)
            const body = concat(cidBytes(rng, d, cids), d)
            return concat(lengthOf(rng, body.length), body)
          })
          const v1 = concat(lengthOf(rng, h.length), h, ...sections, rng.bool(0.1) ? rng.bytes(1 + rng.int(16)) : new Uint8Array(0))
          return rng.bool(0.15) ? carV2(v1, rng) : v1
        }
      },
      {
        // Honest but large: what the decoder does per block and per byte must stay small.
        name: 'large CAR',
        weight: 0.5,
        make: (rng) => {
          let blocks: Block[]
          if (rng.bool(0.2)) {
            const big = new Uint8Array((1 + rng.int(4)) << 20)
            blocks = [{ cid: cidOf(0x55, big), bytes: big }]
          } else {
            blocks = Array.from({ length: 1000 + rng.int(4000) }, (_, i) => ({ cid: rng.pick(cids), bytes: Uint8Array.of(i & 0xff) }))
          }
          const h = dagCbor.encode({ version: 1, roots: new Array(rng.int(2000)).fill(head) })
          return concat(varint(h.length), h, ...blocks.map(({ cid, bytes }) => concat(varint(cid.bytes.length + bytes.length), cid.bytes, bytes)))
        }
      }
    ],
    decode: async (bytes) => {
      const car = await readCar(bytes)
      return async () => {
        if (!sameCar(await readCar(await writeCar(car)), car)) throw new Error('written again and read back, the roots or blocks differ')
      }
    },
    refusal: (err) => {
      // openCar turns whatever the CAR libraries throw into one typed error; anything else is a crash.
      if (!(err instanceof CarFormatError)) return undefined
      const cause = err.cause instanceof Error ? err.cause : undefined
      return `CarFormatError: ${cause === undefined ? shape(err.message) : `${cause.constructor.name}: ${shape(cause.message)}`}`
    }
  }
}

/** An error message with its particulars (numbers, quoted keys, bytes) left out, to count by. */
function shape (message: string): string {
  return message.replace(/"[^"]*"/g, '"…"').replace(/0x[0-9a-f]+/gi, '0x…').replace(/-?\d+(\.\d+)?/g, 'N')
}
