/**
 * Media: files (images) as single raw blocks, a valid single-leaf UnixFS file each, stored here and
 * fetched from peers over bitswap; and the count of blocks this node served to others. Helia answers
 * bitswap wants by reading the blockstore, so the blockstore handed to Helia is wrapped to count those
 * reads, minus the ones this node makes for itself.
 *
 * ```ts
 * const counted = countServedBlocks(blockstore)          // give counted.blockstore to Helia
 * const m = media()({ blocks: helia.blockstore, served: counted.served })
 * const cid = await m.add(bytes)
 * ```
 */
import type { Blockstore } from 'interface-blockstore'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { collect } from './store.js'
import { BLOCK_FETCH_TIMEOUT_MS, MAX_MEDIA_BYTES } from './constants.js'

const RAW_CODE = 0x55

/** The media file is larger than the node accepts. */
export class MediaTooLargeError extends RangeError {
  override readonly name = 'MediaTooLargeError'
  readonly code = 'MEDIA_TOO_LARGE'
}

/** Blocks read by Helia for peers, told apart from the reads this node makes for itself. */
export class ServedBlocks {
  count = 0
  readonly #own = new Set<string>()

  /** Run `read` for `cid` as a read of our own, not counted as served. */
  async own<T> (cid: CID, read: () => Promise<T>): Promise<T> {
    const key = cid.toString()
    this.#own.add(key)
    try {
      return await read()
    } finally {
      this.#own.delete(key)
    }
  }

  read (cid: CID): void {
    if (!this.#own.has(cid.toString())) this.count++
  }
}

/** Wrap `store` so that every get() through it is counted by the returned ServedBlocks. */
export function countServedBlocks (store: Blockstore): { blockstore: Blockstore, served: ServedBlocks } {
  const served = new ServedBlocks()
  const blockstore = new Proxy(store, {
    get (target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown
      if (prop !== 'get' || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value
      return (cid: CID, options?: unknown) => {
        served.read(cid)
        return (value as (c: CID, o?: unknown) => unknown).call(target, cid, options)
      }
    }
  })
  return { blockstore, served }
}

export interface MediaInit {
  /** Largest file accepted (MAX_MEDIA_BYTES). */
  maxBytes?: number
  /** How long fetching a block we don't hold may take by default (BLOCK_FETCH_TIMEOUT_MS). */
  fetchTimeoutMs?: number
}

export interface MediaComponents {
  /** Helia's blockstore: reads fall back to bitswap for blocks we don't hold. */
  blocks: {
    put: (cid: CID, bytes: Uint8Array) => unknown
    get: (cid: CID, options?: { signal?: AbortSignal }) => AsyncIterable<Uint8Array> | Iterable<Uint8Array>
  }
  served: ServedBlocks
}

export class Media {
  readonly #c: MediaComponents
  readonly #maxBytes: number
  readonly #fetchTimeoutMs: number

  constructor (init: MediaInit, components: MediaComponents) {
    this.#c = components
    this.#maxBytes = init.maxBytes ?? MAX_MEDIA_BYTES
    this.#fetchTimeoutMs = init.fetchTimeoutMs ?? BLOCK_FETCH_TIMEOUT_MS
  }

  /** Blocks this node served to others over bitswap. */
  get served (): number {
    return this.#c.served.count
  }

  /** Store a media file and return its CID. */
  async add (bytes: Uint8Array): Promise<CID> {
    if (bytes.length > this.#maxBytes) throw new MediaTooLargeError(`media of ${bytes.length} bytes exceeds ${this.#maxBytes}`)
    const cid = CID.createV1(RAW_CODE, await sha256.digest(bytes))
    await this.#c.blocks.put(cid, bytes)
    return cid
  }

  /** A block (media file or entry) by CID: from our store, or fetched from connected peers over bitswap. */
  async get (cid: CID, signal?: AbortSignal): Promise<Uint8Array> {
    return await this.#c.served.own(cid, async () => await collect(this.#c.blocks.get(cid, { signal: signal ?? AbortSignal.timeout(this.#fetchTimeoutMs) })))
  }
}

export function media (init: MediaInit = {}): (components: MediaComponents) => Media {
  return (components) => new Media(init, components)
}
