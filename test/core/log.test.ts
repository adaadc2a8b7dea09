// Version-1 logs: every entry here is version 1 (the version-2 chain rules are in v2.test.ts).
import { describe, expect, test } from 'vitest'
import {
  AuthorLog, checkNext, checkTimestamp, createEntry, decide, gossipVerdict, headOf, refusalError, validateEntry, verifyEntry,
  MAX_FUTURE_SKEW_MS, DuplicateEntryError, EntryDecodeError, EntrySchemaError, EntryTooLargeError, ForkError,
  FutureTimestampError, InvalidSignatureError, PrevMismatchError, SeqGapError, TimestampRegressionError,
  WrongAuthorError, type Author, type Decision, type GossipVerdict, type HeldLog, type VerifiedEntry
} from '../../src/lib/core/index.js'
import { T0, V1, authorFromSeed, cborCid, decodeRaw, rejectsWith, signRaw, throwsWith } from './helpers.js'
import * as dagCbor from '@ipld/dag-cbor'

async function chain (author: Author, n: number, label = 'x', from: VerifiedEntry | null = null): Promise<VerifiedEntry[]> {
  const out: VerifiedEntry[] = []
  let head = from
  for (let i = 0; i < n; i++) {
    head = await createEntry(author, head, 'post', { text: `${label} ${i}` }, T0 + 1000 * (out.length + (from?.entry.seq ?? 0)), V1)
    out.push(head)
  }
  return out
}

/** Sign the entry after `prev` with an arbitrary timestamp, bypassing createEntry's clamp. */
async function signedAfter (author: Author, prev: VerifiedEntry, ts: number, text = 'late'): Promise<VerifiedEntry> {
  const bytes = await signRaw(author, {
    v: 1, author: author.id, seq: prev.entry.seq + 1, prev: prev.cid, ts, kind: 'post', body: { text }
  })
  return verifyEntry(bytes)
}

const a = await authorFromSeed(1)
const b = await authorFromSeed(2)
const xs = await chain(a, 5, 'x')
const [x1, x2, x3, x4, x5] = xs as [VerifiedEntry, VerifiedEntry, VerifiedEntry, VerifiedEntry, VerifiedEntry]

function logOf (...entries: VerifiedEntry[]): AuthorLog {
  const log = new AuthorLog(a.id)
  for (const v of entries) log.append(v)
  return log
}

describe('AuthorLog', () => {
  test('appends a valid chain in order', () => {
    const log = logOf(...xs)
    expect(log.author).toBe(a.id)
    expect(log.length).toBe(5)
    expect(log.head?.cid.equals(x5.cid)).toBe(true)
    expect(log.get(1)?.cid.equals(x1.cid)).toBe(true)
    expect(log.get(3)?.cid.equals(x3.cid)).toBe(true)
    expect(log.get(0)).toBeUndefined()
    expect(log.get(6)).toBeUndefined()
    expect(log.entries().map(v => v.entry.seq)).toEqual([1, 2, 3, 4, 5])
    expect(log.entries(4).map(v => v.entry.seq)).toEqual([4, 5])
    expect(log.forks).toEqual([])
  })

  test('an empty log', () => {
    const log = new AuthorLog(a.id)
    expect(log.length).toBe(0)
    expect(log.head).toBeNull()
    expect(log.entries()).toEqual([])
  })

  test('gap: seq 3 after seq 1 is a SeqGapError naming what was expected', () => {
    const log = logOf(x1)
    const err = throwsWith(() => log.append(x3), SeqGapError, 'SeqGapError')
    expect(err.expected).toBe(2)
    expect(err.got).toBe(3)
    expect(err.code).toBe('SEQ_GAP')
    expect(log.length).toBe(1)
    const empty = new AuthorLog(a.id)
    expect(throwsWith(() => empty.append(x2), SeqGapError, 'SeqGapError').expected).toBe(1)
  })

  test('reordered delivery: 3 before 2 is refused, then 2 and 3 in order are fine', () => {
    const log = logOf(x1)
    throwsWith(() => log.append(x3), SeqGapError, 'SeqGapError')
    log.append(x2)
    log.append(x3)
    expect(log.length).toBe(3)
    expect(log.head?.cid.equals(x3.cid)).toBe(true)
  })

  test('duplicate: the same entry again, at the head or below it', () => {
    const log = logOf(x1, x2, x3)
    expect(throwsWith(() => log.append(x3), DuplicateEntryError, 'DuplicateEntryError').code).toBe('DUPLICATE_ENTRY')
    throwsWith(() => log.append(x1), DuplicateEntryError, 'DuplicateEntryError')
    expect(log.length).toBe(3)
    expect(log.forks).toHaveLength(0)
  })

  test('the same entry re-verified from a copy of its bytes is still a duplicate', async () => {
    const log = logOf(x1, x2)
    const copy = await verifyEntry(new Uint8Array(x2.bytes))
    expect(copy).not.toBe(x2)
    throwsWith(() => log.append(copy), DuplicateEntryError, 'DuplicateEntryError')
  })

  test('wrong prev: the next seq, but built on another history', async () => {
    const [y1] = await chain(a, 1, 'y')
    const y2 = await createEntry(a, y1 as VerifiedEntry, 'post', { text: 'y 1' }, T0 + 1000, V1)
    expect(y2.entry.seq).toBe(2)
    const log = logOf(x1)
    const err = throwsWith(() => log.append(y2), PrevMismatchError, 'PrevMismatchError')
    expect(err.code).toBe('PREV_MISMATCH')
    expect(log.length).toBe(1)
    // prev pointing at an entry nobody has.
    const stray = await verifyEntry(await signRaw(a, {
      v: 1, author: a.id, seq: 2, prev: await cborCid('nowhere'), ts: T0 + 5000, kind: 'post', body: { text: 'stray' }
    }))
    throwsWith(() => log.append(stray), PrevMismatchError, 'PrevMismatchError')
  })

  test('timestamp regression: a successor dated before its predecessor', async () => {
    const earlier = await signedAfter(a, x2, x2.entry.ts - 1)
    const log = logOf(x1, x2)
    const err = throwsWith(() => log.append(earlier), TimestampRegressionError, 'TimestampRegressionError')
    expect(err.code).toBe('TIMESTAMP_REGRESSION')
    expect(log.length).toBe(2)
    // Equal timestamps are fine: several entries can share a millisecond.
    log.append(await signedAfter(a, x2, x2.entry.ts))
    expect(log.length).toBe(3)
  })

  test('wrong author: B\'s entries do not go into A\'s log', async () => {
    const [y1] = await chain(b, 1, 'b')
    const log = new AuthorLog(a.id)
    expect(throwsWith(() => log.append(y1 as VerifiedEntry), WrongAuthorError, 'WrongAuthorError').code).toBe('WRONG_AUTHOR')
    expect(log.length).toBe(0)
  })

  test('fork: two valid entries at one seq are kept as evidence', async () => {
    const y2 = await createEntry(a, x1, 'post', { text: 'the other history' }, T0 + 1000, V1)
    expect(y2.entry.seq).toBe(2)
    expect(y2.cid.equals(x2.cid)).toBe(false)
    const log = logOf(x1, x2, x3)
    const err = throwsWith(() => log.append(y2), ForkError<VerifiedEntry>, 'ForkError')
    expect(err.code).toBe('FORK')
    expect(err.author).toBe(a.id)
    expect(err.seq).toBe(2)
    expect(err.evidence).toHaveLength(2)
    expect(err.evidence[0].cid.equals(x2.cid)).toBe(true)
    expect(err.evidence[1].cid.equals(y2.cid)).toBe(true)
    expect(log.forks).toHaveLength(1)
    expect(log.forks[0]?.[0].cid.equals(x2.cid)).toBe(true)
    expect(log.forks[0]?.[1].cid.equals(y2.cid)).toBe(true)
    // The log itself is unchanged: nothing was silently picked.
    expect(log.length).toBe(3)
    expect(log.get(2)?.cid.equals(x2.cid)).toBe(true)
    // A second, different fork is recorded too.
    const z1 = await createEntry(a, null, 'post', { text: 'another first post' }, T0, V1)
    expect(throwsWith(() => log.append(z1), ForkError, 'ForkError').seq).toBe(1)
    expect(log.forks).toHaveLength(2)
  })

  test('another history at the next seq is a PrevMismatchError, at a held seq a ForkError', async () => {
    const y2 = await createEntry(a, x1, 'post', { text: 'y' }, T0 + 1000, V1)
    const y3 = await createEntry(a, y2, 'post', { text: 'y again' }, T0 + 2000, V1)
    const log = logOf(x1, x2)
    // y3 is the next seq, but its prev is y2, which this log never saw: no proof of a fork yet.
    throwsWith(() => log.append(y3), PrevMismatchError, 'PrevMismatchError')
    expect(log.forks).toHaveLength(0)
    // y2 sits at a seq the log holds: that is the proof.
    throwsWith(() => log.append(y2), ForkError, 'ForkError')
    expect(log.forks).toHaveLength(1)
    expect(log.forks[0]?.[0].cid.equals(x2.cid)).toBe(true)
    expect(log.forks[0]?.[1].cid.equals(y2.cid)).toBe(true)
  })

  test('check() judges without changing the log', () => {
    const log = logOf(x1)
    log.check(x2)
    throwsWith(() => log.check(x3), SeqGapError, 'SeqGapError')
    expect(log.length).toBe(1)
  })
})

describe('checkNext', () => {
  test('first entry of an empty log', () => {
    checkNext(a.id, null, x1)
    expect(throwsWith(() => checkNext(a.id, null, x2), SeqGapError, 'SeqGapError').got).toBe(2)
  })

  test('each rule on its own', async () => {
    checkNext(a.id, headOf(x1), x2)
    checkNext(a.id, headOf(x4), x5)
    throwsWith(() => checkNext(b.id, headOf(x1), x2), WrongAuthorError, 'WrongAuthorError')
    const gap = throwsWith(() => checkNext(a.id, headOf(x1), x4), SeqGapError, 'SeqGapError')
    expect([gap.expected, gap.got]).toEqual([2, 4])
    throwsWith(() => checkNext(a.id, headOf(x2), x2), DuplicateEntryError, 'DuplicateEntryError')
    throwsWith(() => checkNext(a.id, headOf(x3), x2), DuplicateEntryError, 'DuplicateEntryError')
    throwsWith(() => checkNext(a.id, { ...headOf(x1), cid: x3.cid }, x2), PrevMismatchError, 'PrevMismatchError')
    throwsWith(() => checkNext(a.id, { ...headOf(x1), ts: x2.entry.ts + 1 }, x2), TimestampRegressionError, 'TimestampRegressionError')
    checkNext(a.id, { ...headOf(x1), ts: x2.entry.ts }, x2)
  })

  test('headOf', () => {
    const head = headOf(x3)
    expect(head.seq).toBe(3)
    expect(head.ts).toBe(x3.entry.ts)
    expect(head.cid.equals(x3.cid)).toBe(true)
  })
})

describe('timestamps in the future', () => {
  test('exactly MAX_FUTURE_SKEW_MS ahead passes, one ms more fails', async () => {
    const now = x1.entry.ts - MAX_FUTURE_SKEW_MS
    checkTimestamp(x1, now)
    await expect(validateEntry(x1.bytes, { now })).resolves.toBeDefined()
    const err = throwsWith(() => checkTimestamp(x1, now - 1), FutureTimestampError, 'FutureTimestampError')
    expect(err.code).toBe('FUTURE_TIMESTAMP')
    await rejectsWith(validateEntry(x1.bytes, { now: now - 1 }), FutureTimestampError, 'FutureTimestampError')
    expect(MAX_FUTURE_SKEW_MS).toBe(300_000)
  })

  test('a custom skew', () => {
    checkTimestamp(x1, x1.entry.ts - 10, 10)
    throwsWith(() => checkTimestamp(x1, x1.entry.ts - 11, 10), FutureTimestampError, 'FutureTimestampError')
    checkTimestamp(x1, x1.entry.ts, 0)
    throwsWith(() => checkTimestamp(x1, x1.entry.ts - 1, 0), FutureTimestampError, 'FutureTimestampError')
  })

  test('past timestamps are fine', () => {
    checkTimestamp(x1, x1.entry.ts + 365 * 24 * 3600 * 1000)
  })

  test('the default clock is the real one', async () => {
    // 2096: far enough ahead of any test machine's clock; T0 (2023) is in the past of all of them.
    const future = await createEntry(a, null, 'post', { text: 'from the future' }, 4_000_000_000_000, V1)
    throwsWith(() => checkTimestamp(future), FutureTimestampError, 'FutureTimestampError')
    await rejectsWith(validateEntry(future.bytes), FutureTimestampError, 'FutureTimestampError')
    checkTimestamp(x1)
  })
})

describe('validateEntry runs the steps in order: size → decode → schema → signature → chain → timestamp', () => {
  const badSig = async (v: VerifiedEntry): Promise<Uint8Array> => {
    const e = decodeRaw(v.bytes)
    const sig = new Uint8Array(e.sig as Uint8Array)
    sig[0] = (sig[0] as number) ^ 1
    return dagCbor.encode({ ...e, sig })
  }

  test('a valid entry that extends the log; the log is not changed', async () => {
    const log = logOf(x1, x2)
    const v = await validateEntry(x3.bytes, { log, now: T0 })
    expect(v.cid.equals(x3.cid)).toBe(true)
    expect(log.length).toBe(2)
  })

  test('size before decode', async () => {
    await rejectsWith(validateEntry(new Uint8Array(8193).fill(0xff)), EntryTooLargeError, 'EntryTooLargeError')
  })

  test('decode before schema', async () => {
    await rejectsWith(validateEntry(Uint8Array.of(0xa1, 0x61)), EntryDecodeError, 'EntryDecodeError')
  })

  test('schema before signature', async () => {
    const bytes = dagCbor.encode({ ...decodeRaw(x1.bytes), kind: 'boost' })
    await rejectsWith(validateEntry(bytes), EntrySchemaError, 'EntrySchemaError')
  })

  test('signature before chain', async () => {
    // x4 with a broken signature, offered to a log that has a gap before it.
    const log = logOf(x1)
    await rejectsWith(validateEntry(await badSig(x4), { log, now: T0 }), InvalidSignatureError, 'InvalidSignatureError')
    await rejectsWith(validateEntry(x4.bytes, { log, now: T0 }), SeqGapError, 'SeqGapError')
  })

  test('signature before timestamp', async () => {
    await rejectsWith(validateEntry(await badSig(x1), { now: 0 }), InvalidSignatureError, 'InvalidSignatureError')
  })

  test('chain before timestamp', async () => {
    const log = logOf(x1)
    // x4 is both beyond a gap and (for this `now`) in the future.
    const now = 0
    await rejectsWith(validateEntry(x4.bytes, { log, now }), SeqGapError, 'SeqGapError')
    await rejectsWith(validateEntry(x4.bytes, { now }), FutureTimestampError, 'FutureTimestampError')
    // Wrong author is a chain-step error too, ahead of the timestamp.
    await rejectsWith(validateEntry(x1.bytes, { log: new AuthorLog(b.id), now }), WrongAuthorError, 'WrongAuthorError')
  })

  test('fork and duplicate surface through validateEntry, without recording anything', async () => {
    const log = logOf(x1, x2)
    await rejectsWith(validateEntry(x2.bytes, { log, now: T0 }), DuplicateEntryError, 'DuplicateEntryError')
    const y2 = await createEntry(a, x1, 'post', { text: 'fork' }, T0 + 1000, V1)
    const err = await rejectsWith(validateEntry(y2.bytes, { log, now: T0 }), ForkError<VerifiedEntry>, 'ForkError')
    expect(err.evidence[1].cid.equals(y2.cid)).toBe(true)
    // validateEntry only checks; evidence is recorded by append.
    expect(log.forks).toHaveLength(0)
  })

  test('without a log, the chain step is skipped', async () => {
    await expect(validateEntry(x5.bytes, { now: T0 })).resolves.toBeDefined()
  })
})

describe('decide, and the gossip verdict of each decision (PROTOCOL.md §8)', () => {
  const held = (...entries: VerifiedEntry[]): HeldLog => {
    const last = entries.at(-1)
    return { log: a.id, head: last === undefined ? null : headOf(last) }
  }
  /** What a store holding `entries` knows when `v` arrives: its head, and the CID held at v's seq. */
  const against = (v: VerifiedEntry, ...entries: VerifiedEntry[]): HeldLog => {
    const h = held(...entries)
    const at = entries[v.entry.seq - 1]
    if (at !== undefined) h.atSeq = at.cid
    return h
  }

  test('every decision, with its evidence, and its verdict', async () => {
    const y2 = await createEntry(a, x1, 'post', { text: 'the other history' }, T0 + 1000, V1)
    const [b1] = await chain(b, 1, 'b')
    const earlier = await signedAfter(a, x2, x2.entry.ts - 1)
    const now = x2.entry.ts - MAX_FUTURE_SKEW_MS - 1
    const rows: Array<[string, Decision, GossipVerdict]> = [
      ['extends the log', decide(x3, against(x3, x1, x2), T0 + 10_000), 'accept'],
      ['the first entry of an empty log', decide(x1, against(x1), T0), 'accept'],
      ['already held', decide(x2, against(x2, x1, x2, x3), T0 + 10_000), 'ignore'],
      ['another entry at a held seq', decide(y2, against(y2, x1, x2, x3), T0 + 10_000), 'ignore'],
      ['another author', decide(b1 as VerifiedEntry, held(x1), T0 + 10_000), 'reject'],
      ['a seq beyond the next', decide(x4, against(x4, x1, x2), T0 + 10_000), 'ignore'],
      ['the next seq on another history', decide(x3, against(x3, x1, y2), T0 + 10_000), 'ignore'],
      ['dated before its predecessor', decide(earlier, against(earlier, x1, x2), T0 + 10_000), 'reject'],
      ['dated too far ahead', decide(x2, against(x2, x1), now), 'ignore']
    ]
    expect(rows.map(([label, d]) => [label, d.kind])).toEqual([
      ['extends the log', 'append'],
      ['the first entry of an empty log', 'append'],
      ['already held', 'duplicate'],
      ['another entry at a held seq', 'fork'],
      ['another author', 'wrong-author'],
      ['a seq beyond the next', 'gap'],
      ['the next seq on another history', 'prev-mismatch'],
      ['dated before its predecessor', 'regression'],
      ['dated too far ahead', 'future']
    ])
    for (const [label, d, verdict] of rows) expect([label, gossipVerdict(d)]).toEqual([label, verdict])
    expect(rows[3]?.[1]).toEqual({ kind: 'fork', seq: 2, held: x2.cid })
    expect(rows[5]?.[1]).toEqual({ kind: 'gap', expected: 3 })
    expect(rows[7]?.[1]).toEqual({ kind: 'regression', headTs: x2.entry.ts })
  })

  test('chain rules come before time: a gap dated in the future is a gap', () => {
    expect(decide(x4, against(x4, x1), x4.entry.ts - MAX_FUTURE_SKEW_MS - 1).kind).toBe('gap')
  })

  test('no clock (null) leaves the timestamp to the caller', () => {
    expect(decide(x2, against(x2, x1), null).kind).toBe('append')
  })

  test('each refusal has its typed error', async () => {
    const y2 = await createEntry(a, x1, 'post', { text: 'y' }, T0 + 1000, V1)
    const h = against(y2, x1, x2)
    const fork = decide(y2, h, null)
    expect(fork.kind).toBe('fork')
    if (fork.kind === 'append' || fork.kind === 'duplicate') return
    const err = refusalError(y2, h, fork, x2)
    expect(err).toBeInstanceOf(ForkError)
    expect((err as ForkError<VerifiedEntry>).evidence.map(v => v.cid.toString())).toEqual([x2.cid.toString(), y2.cid.toString()])
    expect(refusalError(x4, held(x1), { kind: 'gap', expected: 2 })).toMatchObject({ name: 'SeqGapError', expected: 2, got: 4 })
    expect(refusalError(x2, held(x1), { kind: 'future', skewMs: 0, now: 0 })).toMatchObject({ name: 'FutureTimestampError' })
  })
})
