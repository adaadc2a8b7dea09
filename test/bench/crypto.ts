/**
 * sign_per_s and verify_per_s: how many typical posts (300 bytes of text) one core signs
 * (createEntry: schema, canonical encoding, Ed25519 signature, CID) or fully validates
 * (validateEntry: size, decode, schema, signature, timestamp) per second. A single-threaded loop
 * with sequential awaits, so the numbers are per core and include every await the API costs.
 *
 * Verification cycles through entries of several authors, as a timeline would, so per-author
 * caches help only as much as they would in use.
 */
import { createEntry, generateAuthor, validateEntry, type Author, type VerifiedEntry } from '../../src/lib/core/index.js'
import { postText, round } from './util.js'
import { outcome, type BenchContext, type Outcome } from './types.js'

const AUTHORS = 8
const DISTINCT_ENTRIES = 512

/** Run `op` sequentially for at least `ms` after a warm-up; resolves with operations per second. */
async function rate (op: (i: number) => Promise<unknown>, ms: number, warmup: number): Promise<{ perSecond: number, ops: number, ms: number }> {
  for (let i = 0; i < warmup; i++) await op(i)
  let ops = 0
  const start = performance.now()
  let elapsed = 0
  // Check the clock every 64 operations: cheap, and the loop still stops within a few ms of `ms`.
  while (elapsed < ms) {
    for (let k = 0; k < 64; k++) await op(ops++)
    elapsed = performance.now() - start
  }
  return { perSecond: ops / (elapsed / 1000), ops, ms: Math.round(elapsed) }
}

export async function cryptoRates (ctx: BenchContext): Promise<Outcome> {
  const ms = ctx.quick ? 1500 : 4000
  const authors: Author[] = await Promise.all(Array.from({ length: AUTHORS }, async () => await generateAuthor()))
  const text = postText('sign', 300)

  // Signing extends one log, as an author's device does.
  const me = authors[0] as Author
  let head: VerifiedEntry | null = null
  const sign = await rate(async () => { head = await createEntry(me, head, 'post', { text }) }, ms, 200)

  const pool: Uint8Array[] = []
  const heads = new Map<string, VerifiedEntry>()
  for (let i = 0; i < DISTINCT_ENTRIES; i++) {
    const a = authors[i % AUTHORS] as Author
    const v: VerifiedEntry = await createEntry(a, heads.get(a.id) ?? null, 'post', { text: postText(`v${i}`, 300) })
    heads.set(a.id, v)
    pool.push(v.bytes)
  }
  const entryBytes = pool.reduce((sum, b) => sum + b.length, 0) / pool.length
  const verify = await rate(async (i) => await validateEntry(pool[i % pool.length] as Uint8Array), ms, 200)

  const common = { textBytes: 300, entryBytes: round(entryBytes, 1), loop: 'single-threaded, sequential awaits' }
  return outcome({
    sign_per_s: { value: Math.round(sign.perSecond), unit: 'entries/s', ops: sign.ops, ms: sign.ms, api: 'createEntry', ...common },
    verify_per_s: {
      value: Math.round(verify.perSecond),
      unit: 'entries/s',
      ops: verify.ops,
      ms: verify.ms,
      api: 'validateEntry (size, decode, schema, signature, timestamp)',
      authors: AUTHORS,
      distinctEntries: DISTINCT_ENTRIES,
      ...common
    }
  })
}
