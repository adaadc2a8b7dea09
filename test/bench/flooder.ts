/**
 * The shard side of propagation_n10_flood_p99_ms (propagation.ts): a flooding author, and each
 * follower's tally of what the flood got through to it.
 *
 * The flooder is a real Flock node, but it floods past its own node: entries are signed ahead of
 * time (a chain from its log's head, so they are valid posts) and handed to gossipsub directly, at a
 * fixed rate. A real attacker would skip its own node's publish path and any local limit too; and
 * signing during the flood would spend a core this machine shares with the victims.
 */
import type { GossipSub, TopicValidatorResult } from '@libp2p/gossipsub'
import { authorTopic, createEntry, generateAuthor, type Author, type VerifiedEntry } from '../../src/lib/core/index.js'
import type { FlockNode } from '../../src/lib/p2p/node.js'
import { postText, withTimeout } from './util.js'

/** 'own': the flooder's author topic, which the followers carry; 'nobody': a topic no node carries. */
export type FloodTarget = 'own' | 'nobody'

export interface FloodReport {
  target: FloodTarget
  perSecond: number
  /** Entries handed to gossipsub, over how long, and the rate that made. */
  published: number
  seconds: number
  achievedPerSecond: number
  /** Sum over published entries of the peers gossipsub sent each to. */
  recipients: number
  errors: number
  firstError?: string
  /** Entries signed during the flood because the stock signed ahead ran out. */
  signedDuringFlood: number
}

/** How often the pacing timer runs; each run publishes what the rate owes since the start. */
const TICK_MS = 10

interface Chain { author: Author, head: VerifiedEntry | null, stock: Uint8Array[], next: number }

export class Flooder {
  readonly #node: FlockNode
  readonly #pubsub: GossipSub
  readonly #textBytes: number
  readonly #chains: Record<FloodTarget, Chain>
  #run: { stop: () => Promise<FloodReport> } | undefined
  #signed = 0

  private constructor (node: FlockNode, nobody: Author, head: VerifiedEntry | null, textBytes: number) {
    this.#node = node
    this.#pubsub = node.libp2p.services.pubsub
    this.#textBytes = textBytes
    // Two chains: gossipsub remembers what it published and drops a second publish of the same bytes,
    // so the control flood cannot reuse the entries of the real one.
    this.#chains = {
      own: { author: node.author, head, stock: [], next: 0 },
      nobody: { author: nobody, head: null, stock: [], next: 0 }
    }
  }

  static async create (node: FlockNode, textBytes: number): Promise<Flooder> {
    const stored = await node.logs.head(node.author.id)
    const head = stored === null ? null : await node.logs.get(stored.cid) ?? null
    return new Flooder(node, await generateAuthor(), head, textBytes)
  }

  /** Sign `count` posts on each chain; resolves with the milliseconds it took. */
  async arm (count: number): Promise<number> {
    const start = performance.now()
    for (const chain of Object.values(this.#chains)) await this.#sign(chain, count)
    return performance.now() - start
  }

  async #sign (chain: Chain, count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      chain.head = await createEntry(chain.author, chain.head, 'post', { text: postText(`flood ${this.#signed++}`, this.#textBytes) })
      chain.stock.push(chain.head.bytes)
    }
  }

  /**
   * Publish at `perSecond` on `target` until halt(); `onWarm` runs once `warm` entries are out, so the
   * caller can start measuring in a flood already under way.
   */
  start (target: FloodTarget, perSecond: number, warm: number, onWarm: () => void): void {
    if (this.#run !== undefined) throw new Error('already flooding')
    const chain = this.#chains[target]
    const topic = target === 'own' ? authorTopic(this.#node.author.id) : authorTopic(chain.author.id)
    const report: FloodReport = { target, perSecond, published: 0, seconds: 0, achievedPerSecond: 0, recipients: 0, errors: 0, signedDuringFlood: 0 }
    const pending = new Set<Promise<unknown>>()
    // At most 100 ms of backlog: a process stalled on the shared cores falls behind the rate rather
    // than bursting what it missed, and the achieved rate says so.
    const maxBacklog = Math.max(1, Math.ceil(perSecond / 10))
    let start = performance.now()
    let busy = false
    const tick = async (): Promise<void> => {
      if (busy) return
      busy = true
      try {
        let owed = Math.floor((performance.now() - start) / 1000 * perSecond) - report.published
        if (owed > maxBacklog) {
          start += (owed - maxBacklog) / perSecond * 1000
          owed = maxBacklog
        }
        for (let i = 0; i < owed; i++) {
          if (chain.next >= chain.stock.length) {
            await this.#sign(chain, maxBacklog)
            report.signedDuringFlood += maxBacklog
          }
          const bytes = chain.stock[chain.next++] as Uint8Array
          const sent = this.#pubsub.publish(topic, bytes).then(
            (r) => { report.recipients += r.recipients.length },
            (err: Error) => {
              report.errors++
              report.firstError ??= err.message
            })
          pending.add(sent)
          void sent.finally(() => pending.delete(sent))
          if (++report.published === warm) onWarm()
        }
      } finally {
        busy = false
      }
    }
    const began = performance.now()
    const timer = setInterval(() => { void tick() }, TICK_MS)
    this.#run = {
      stop: async () => {
        clearInterval(timer)
        report.seconds = (performance.now() - began) / 1000
        report.achievedPerSecond = Math.round(report.published / report.seconds)
        await withTimeout(Promise.allSettled([...pending]), 30_000, 'flood publishes to settle').catch(() => {})
        this.#run = undefined
        return report
      }
    }
  }

  async halt (): Promise<FloodReport> {
    if (this.#run === undefined) throw new Error('not flooding')
    return await this.#run.stop()
  }
}

/** What one follower made of the flood: entries stored by source, and the gossip verdicts. */
export interface FloodTally {
  index: number
  /** Directly connected to the flooder: gets every flood message, not only those others accepted. */
  linked: boolean
  gossip: number
  sync: number
  /** Validator runs on the flooder's topic; messages gossipsub dropped unread (graylist) never get one. */
  verdicts: { accept: number, ignore: number, reject: number }
  /** RPCs from the flooder that gossipsub dropped unread because its score was below the graylist threshold. */
  graylistedRpcs: number
  /**
   * The same for RPCs from honest peers (followers, the author): collateral damage, since gossipsub
   * charges a peer that forwards a message we rejected, and the author's posts come in those RPCs.
   */
  honestRpcsDropped: number
  /** The lowest gossipsub score among this follower's other direct peers now (flooder and relay left out). */
  minHonestScore: number
  /** The flooder's gossipsub score at this follower now. */
  score: number
}

/** The gossipsub class decides per RPC whether to read a peer's messages at all; its public interface does not say so. */
interface AcceptFrom { acceptFrom: (id: string) => boolean }

/**
 * Count what the entries of `flooder` (an author id, its node's peer id) do at `node`; returns a
 * reader of the counts so far.
 */
export function watchFlood (node: FlockNode, flooder: { author: string, peer: string }): (() => Omit<FloodTally, 'index' | 'linked' | 'score' | 'minHonestScore'>) | undefined {
  const pubsub = node.libp2p.services.pubsub
  const topic = authorTopic(flooder.author)
  const validate = pubsub.topicValidators.get(topic)
  if (validate === undefined) return undefined
  const counts = { gossip: 0, sync: 0, verdicts: { accept: 0, ignore: 0, reject: 0 }, graylistedRpcs: 0, honestRpcsDropped: 0 }
  const gate = pubsub as unknown as AcceptFrom
  const acceptFrom = gate.acceptFrom.bind(pubsub)
  gate.acceptFrom = (id) => {
    const ok = acceptFrom(id)
    if (!ok) {
      if (id === flooder.peer) counts.graylistedRpcs++
      else counts.honestRpcsDropped++
    }
    return ok
  }
  pubsub.topicValidators.set(topic, async (from, msg): Promise<TopicValidatorResult> => {
    const verdict = await validate(from, msg)
    counts.verdicts[verdict]++
    return verdict
  })
  node.addEventListener('entry', (evt) => {
    const { entry, source } = evt.detail
    if (entry.entry.author !== flooder.author) return
    if (source === 'gossip') counts.gossip++
    if (source === 'sync') counts.sync++
  })
  return () => ({ ...counts, verdicts: { ...counts.verdicts } })
}
