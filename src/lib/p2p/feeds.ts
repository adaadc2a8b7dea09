/**
 * Feeds: the author topics this node carries (its own and every author it follows), their gossip
 * validators, and publishing our own entries. The follow set lives here because following an
 * author is subscribing to its topic (PROTOCOL.md §8); it is replayed from our own log at start and
 * kept current by the intake pipeline as our own follow and unfollow entries are stored.
 *
 * ```ts
 * const f = feeds()({ pubsub, intake, self: author.id, onBehind: peer => sync.syncWith(peer) })
 * f.start(await followStateOf(store, author.id))
 * await f.publish(v)
 * ```
 */
import { TopicValidatorResult, type GossipSub } from '@libp2p/gossipsub'
import { logger } from '@libp2p/logger'
import type { PeerId } from '@libp2p/interface'
import { TOPIC_PREFIX, authorTopic, gossipVerdict, logOf, verifyEntry, type VerifiedEntry } from '../core/index.js'
import { penalize, scoreTopic } from './gossip.js'
import { BudgetMap, TokenBucket } from './budget.js'
import { FEEDS_AUTHORS_KEPT, FEEDS_FORWARDERS_KEPT, GOSSIP_AUTHOR_BURST, GOSSIP_AUTHOR_ENTRIES_PER_MIN, GOSSIP_THROTTLE_MS } from './constants.js'
import type { Intake } from './intake.js'
import { FollowState } from './timeline.js'

const log = logger('flock:feeds')

export interface FeedsInit {
  /** Entries of one author taken from gossip per minute, and at once (GOSSIP_AUTHOR_ENTRIES_PER_MIN, GOSSIP_AUTHOR_BURST). */
  authorEntriesPerMinute?: number
  authorBurst?: number
}

export interface FeedsComponents {
  pubsub: Pick<GossipSub, 'subscribe' | 'unsubscribe' | 'publish' | 'getSubscribers' | 'topicValidators'>
  intake: Pick<Intake, 'ingestOne'>
  /** Our author id. */
  self: string
  /** A forwarded entry showed we miss part of a log (a gap, or another branch): catch up with its sender. */
  onBehind: (peer: PeerId) => void
  /**
   * A forwarder sent more of one author than an honest one can: besides the score penalty (which
   * graylists it, but leaves its connection open, every message still costing decryption and
   * framing), the node disconnects it.
   */
  onAbuse?: (peer: PeerId) => void
}

const VERDICTS = {
  accept: TopicValidatorResult.Accept,
  ignore: TopicValidatorResult.Ignore,
  reject: TopicValidatorResult.Reject
} as const

export class Feeds {
  readonly #c: FeedsComponents
  #follows: FollowState
  readonly #rates: BudgetMap
  /** Messages each forwarder sends us on each author's topic, against what an honest one can forward. */
  readonly #arrivals: BudgetMap
  /** Authors over their gossip budget, until when. */
  readonly #throttled = new Map<string, number>()
  #started = false

  constructor (init: FeedsInit, components: FeedsComponents) {
    this.#c = components
    this.#follows = new FollowState(components.self)
    const perSecond = (init.authorEntriesPerMinute ?? GOSSIP_AUTHOR_ENTRIES_PER_MIN) / 60
    const burst = init.authorBurst ?? GOSSIP_AUTHOR_BURST
    // Keyed by author; only authors we carry have validators, so this holds at most one per follow.
    this.#rates = new BudgetMap(() => new TokenBucket(perSecond, burst), FEEDS_AUTHORS_KEPT)
    // An honest peer forwards only entries it accepted, so at most its own budget for the author:
    // twice that leaves room for budgets that started at other times.
    this.#arrivals = new BudgetMap(() => new TokenBucket(2 * perSecond, 2 * burst), FEEDS_FORWARDERS_KEPT)
  }

  /** Join our own topic and those of `follows` (replayed from our logs). Safe to call twice. */
  start (follows: FollowState): void {
    if (this.#started) return
    this.#started = true
    this.#follows = follows
    this.#join(this.#c.self)
    for (const a of this.#follows.following) this.#join(a)
  }

  stop (): void {
    if (!this.#started) return
    this.#started = false
    for (const a of [this.#c.self, ...this.#follows.following]) this.#leave(a)
  }

  get following (): string[] {
    return [...this.#follows.following]
  }

  isFollowing (author: string): boolean {
    return this.#follows.following.has(author)
  }

  /** Us and everyone we follow: the logs this node keeps. */
  get authors (): string[] {
    return [this.#c.self, ...this.#follows.following]
  }

  /** Whether `topic` is an author topic this node carries. */
  carries (topic: string): boolean {
    if (!topic.startsWith(TOPIC_PREFIX)) return false
    const author = topic.slice(TOPIC_PREFIX.length)
    return author === this.#c.self || this.#follows.following.has(author)
  }

  /** Peers subscribed to `author`'s topic right now. */
  subscribers (author: string): string[] {
    return this.#c.pubsub.getSubscribers(authorTopic(author)).map(p => p.toString())
  }

  /** Send an entry of ours to our followers; none listening yet is normal (they catch up by sync). */
  async publish (v: VerifiedEntry): Promise<void> {
    await this.#c.pubsub.publish(authorTopic(this.#c.self), v.bytes).catch((err: Error) => {
      log('publish of %s reached no peer: %s', v.cid, err.message)
    })
  }

  /** An entry of our own log was stored (here or restored from another device): follow what it says. */
  applyOwn (v: VerifiedEntry): void {
    if (!this.#follows.apply(v)) return
    const e = v.entry
    if (e.kind === 'follow') this.#join(e.body.author)
    if (e.kind === 'unfollow') this.#leave(e.body.author)
  }

  #join (author: string): void {
    const topic = authorTopic(author)
    const pubsub = this.#c.pubsub
    scoreTopic(pubsub, topic)
    pubsub.topicValidators.set(topic, async (from, msg) => await this.#validate(author, msg.data, from))
    pubsub.subscribe(topic)
  }

  #leave (author: string): void {
    const topic = authorTopic(author)
    this.#c.pubsub.unsubscribe(topic)
    this.#c.pubsub.topicValidators.delete(topic)
  }

  /**
   * The gossip verdict of one message on `author`'s topic (PROTOCOL.md §8), within two budgets. A
   * forwarder sending more of one author than any honest peer forwards is penalised and ignored
   * before anything is verified. Then the author's own budget: only a valid entry of that author
   * spends it (nobody can use up an honest author's budget with forgeries), and entries beyond it
   * are ignored, not rejected — the honest peers that accepted and forwarded them within their own
   * budgets would be scored down with the flooder otherwise.
   */
  async #validate (author: string, data: Uint8Array, from: PeerId): Promise<TopicValidatorResult> {
    const forwarder = from.toString()
    if (!this.#arrivals.get(`${forwarder} ${author}`).tryTake(1)) {
      // Graylisting follows within a few messages and stops them reaching this validator, so the
      // disconnect cannot wait for more.
      penalize(this.#c.pubsub, forwarder)
      log('%s forwards more of %s than an honest peer can: disconnecting', forwarder, author)
      this.#c.onAbuse?.(from)
      return TopicValidatorResult.Ignore
    }
    // While the author is over its budget, its entries are ignored whatever they are: verifying
    // them first would only spend the work a flood is meant to cost us.
    if (this.#rates.get(author).available < 1) return TopicValidatorResult.Ignore
    let v: VerifiedEntry
    try {
      v = await verifyEntry(data)
    } catch {
      return TopicValidatorResult.Reject
    }
    // Every log of the author (its root log and its devices') is carried on its one topic.
    if (v.entry.author !== author) return TopicValidatorResult.Reject
    if (!this.#rates.get(author).tryTake(1)) {
      this.#throttled.set(author, Date.now() + GOSSIP_THROTTLE_MS)
      return TopicValidatorResult.Ignore
    }
    const decision = await this.#c.intake.ingestOne(logOf(v.entry), v, 'gossip')
    if ((decision.kind === 'gap' || decision.kind === 'prev-mismatch') && !this.#isThrottled(author)) this.#c.onBehind(from)
    return VERDICTS[gossipVerdict(decision)]
  }

  #isThrottled (author: string): boolean {
    const until = this.#throttled.get(author)
    if (until === undefined) return false
    if (until > Date.now()) return true
    this.#throttled.delete(author)
    return false
  }
}

export function feeds (init: FeedsInit = {}): (components: FeedsComponents) => Feeds {
  return (components) => new Feeds(init, components)
}
