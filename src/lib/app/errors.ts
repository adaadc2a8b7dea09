/**
 * The errors a FlockClient throws for a request it refuses. Each sets `name`, which survives being
 * passed to another tab (tabs.ts), and a stable `code` for callers that answer over the wire (the
 * headless peer's HTTP API): messages may be reworded, codes are not.
 */

export abstract class ClientError extends Error {
  abstract readonly code: string
}

export class InvalidAuthorError extends ClientError {
  override readonly name = 'InvalidAuthorError'
  readonly code = 'INVALID_AUTHOR'

  constructor (message = 'That is not an author id (they start with 12D3KooW).') {
    super(message)
  }
}

export class SelfFollowError extends ClientError {
  override readonly name = 'SelfFollowError'
  readonly code = 'SELF_FOLLOW'

  constructor (message = 'You cannot follow yourself.') {
    super(message)
  }
}

export class NotOwnEntryError extends ClientError {
  override readonly name = 'NotOwnEntryError'
  readonly code = 'NOT_OWN_ENTRY'

  constructor (message = 'only the author of an entry can delete it') {
    super(message)
  }
}

/** The entry is neither held here nor sent by a peer, or a peer sent a block that is not it. */
export class UnknownEntryError extends ClientError {
  override readonly name = 'UnknownEntryError'
  readonly code = 'UNKNOWN_ENTRY'
}

export class InvalidCidError extends ClientError {
  override readonly name = 'InvalidCidError'
  readonly code = 'INVALID_CID'

  constructor (cid: string) {
    super(`"${cid}" is not a CID`)
  }
}
