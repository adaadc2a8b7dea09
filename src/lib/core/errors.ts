/**
 * Named error classes, one per way an entry or a log can be wrong. Callers and tests tell them apart
 * by `name` (stable across bundlers) or `instanceof`. Every class carries a machine-readable `code`.
 *
 * ```ts
 * try { await verifyEntry(bytes) } catch (err) { if (isFlockError(err)) console.log(err.name) }
 * ```
 */

export abstract class FlockError extends Error {
  abstract readonly code: string
}

/** Encoded entry larger than MAX_ENTRY_BYTES: rejected before any parsing. */
export class EntryTooLargeError extends FlockError {
  readonly code = 'ENTRY_TOO_LARGE'
  override readonly name = 'EntryTooLargeError'
  constructor (readonly size: number, readonly limit: number) {
    super(`entry is ${size} bytes, limit is ${limit}`)
  }
}

/** Bytes are not one well-formed DAG-CBOR value. */
export class EntryDecodeError extends FlockError {
  readonly code = 'ENTRY_DECODE'
  override readonly name = 'EntryDecodeError'
}

/** Bytes decode, but are not the canonical DAG-CBOR encoding of what they decode to. */
export class NonCanonicalEncodingError extends FlockError {
  readonly code = 'NON_CANONICAL_ENCODING'
  override readonly name = 'NonCanonicalEncodingError'
}

/** `v` names a version this implementation does not speak. */
export class UnsupportedVersionError extends FlockError {
  readonly code = 'UNSUPPORTED_VERSION'
  override readonly name = 'UnsupportedVersionError'
}

/** A field is missing, has the wrong type, an unknown key is present, or a value breaks a limit. */
export class EntrySchemaError extends FlockError {
  readonly code = 'ENTRY_SCHEMA'
  override readonly name = 'EntrySchemaError'
  constructor (readonly field: string, message: string) {
    super(`${field}: ${message}`)
  }
}

/** A text field is longer, in user-perceived characters (grapheme clusters), than its limit. */
export class TextTooLongError extends FlockError {
  readonly code = 'TEXT_TOO_LONG'
  override readonly name = 'TextTooLongError'
  constructor (readonly field: string, readonly graphemes: number, readonly limit: number) {
    super(`${field} has ${graphemes} graphemes, limit is ${limit}`)
  }
}

/** The author id does not name a valid Ed25519 public key. */
export class InvalidAuthorError extends FlockError {
  readonly code = 'INVALID_AUTHOR'
  override readonly name = 'InvalidAuthorError'
}

/** The signature does not verify against the author's key over the signing input. */
export class InvalidSignatureError extends FlockError {
  readonly code = 'INVALID_SIGNATURE'
  override readonly name = 'InvalidSignatureError'
}

/** The entry belongs to a different author than the log or topic it arrived on. */
export class WrongAuthorError extends FlockError {
  readonly code = 'WRONG_AUTHOR'
  override readonly name = 'WrongAuthorError'
  /**
   * `bound`: the log held under the entry's log id speaks for another author — one device key signed
   * for two authors, and which one a peer holds depends on what reached it first, so an honest peer
   * may pass such an entry on (PROTOCOL.md §8, §9.1).
   */
  constructor (message: string, readonly bound = false) {
    super(message)
  }
}

/** The entry's seq is more than one past the log's head: entries in between are missing. */
export class SeqGapError extends FlockError {
  readonly code = 'SEQ_GAP'
  override readonly name = 'SeqGapError'
  constructor (readonly expected: number, readonly got: number) {
    super(`expected seq ${expected}, got ${got}`)
  }
}

/** The very same entry (same CID) is already in the log. */
export class DuplicateEntryError extends FlockError {
  readonly code = 'DUPLICATE_ENTRY'
  override readonly name = 'DuplicateEntryError'
}

/** The entry's prev does not name the CID of the log's entry at seq - 1. */
export class PrevMismatchError extends FlockError {
  readonly code = 'PREV_MISMATCH'
  override readonly name = 'PrevMismatchError'
}

/** The entry's timestamp is earlier than its predecessor's. */
export class TimestampRegressionError extends FlockError {
  readonly code = 'TIMESTAMP_REGRESSION'
  override readonly name = 'TimestampRegressionError'
}

/** A version-1 entry after a version-2 entry in one log: a log moves to a later version, never back. */
export class VersionRegressionError extends FlockError {
  readonly code = 'VERSION_REGRESSION'
  override readonly name = 'VersionRegressionError'
}

/** The entry's device log was revoked by its author at or before this seq (PROTOCOL.md §1, Devices). */
export class RevokedDeviceError extends FlockError {
  readonly code = 'REVOKED_DEVICE'
  override readonly name = 'RevokedDeviceError'
}

/** A new device log of an author that already has MAX_DEVICE_LOGS of them held here. */
export class DeviceLimitError extends FlockError {
  readonly code = 'DEVICE_LIMIT'
  override readonly name = 'DeviceLimitError'
}

/** The entry's timestamp is further in the future than MAX_FUTURE_SKEW_MS. */
export class FutureTimestampError extends FlockError {
  readonly code = 'FUTURE_TIMESTAMP'
  override readonly name = 'FutureTimestampError'
}

/**
 * Two valid entries of one author with the same seq and different CIDs: proof that the key signed two
 * histories. Carries both entries so they can be kept and shown as evidence.
 */
export class ForkError<E = unknown> extends FlockError {
  readonly code = 'FORK'
  override readonly name = 'ForkError'
  constructor (readonly author: string, readonly seq: number, readonly evidence: readonly [E, E]) {
    super(`author ${author} signed two different entries at seq ${seq}`)
  }
}

export function isFlockError (err: unknown): err is FlockError {
  return err instanceof FlockError
}

/**
 * A discovery announcement (announce.ts) that is malformed, forged, of another version, too old or
 * from the future. `reason` says which: gossip rejects the first two (the sender loses score) and
 * ignores the others.
 */
export class InvalidAnnouncementError extends FlockError {
  readonly code = 'INVALID_ANNOUNCEMENT'
  override readonly name = 'InvalidAnnouncementError'
  constructor (readonly reason: 'malformed' | 'signature' | 'unsupported' | 'stale' | 'future', message: string) {
    super(message)
  }
}
