/**
 * Building entry bodies from what a user typed: hashtags and mentions come from the text, a reply
 * names its thread's root and its parent. Shared by the app and the headless peer's API so both
 * write the same entries for the same input.
 *
 * ```ts
 * const body = postBody('hello #flock', { replyTo: parent })
 * await node.publish('post', body)
 * ```
 */
import type { CID } from 'multiformats/cid'
import type { Media, PostBody, VerifiedEntry } from './entry.js'
import { isAuthorId } from './identity.js'
import { MAX_MENTIONS, MAX_TAGS } from './constants.js'
import { extractMentions, extractTags, isTag } from './text.js'

export interface PostOptions {
  replyTo?: VerifiedEntry
  quote?: CID
  media?: Media[]
}

export function postBody (text: string, options: PostOptions = {}): PostBody {
  const body: PostBody = { text }
  const parent = options.replyTo
  if (parent !== undefined) {
    const root = parent.entry.kind === 'post' ? parent.entry.body.reply?.root : undefined
    body.reply = { root: root ?? parent.cid, parent: parent.cid }
  }
  if (options.quote !== undefined) body.quote = options.quote
  if (options.media !== undefined && options.media.length > 0) body.media = options.media
  const mentions = extractMentions(text, MAX_MENTIONS).filter(isAuthorId)
  if (mentions.length > 0) body.mentions = mentions
  const tags = extractTags(text, MAX_TAGS).filter(isTag)
  if (tags.length > 0) body.tags = tags
  return body
}
