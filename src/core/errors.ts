/**
 * Typed errors for bad input. Every one carries a stable `code` so that a
 * caller across a message channel (page ↔ worker) can tell them apart after
 * structured cloning, where `instanceof` no longer works.
 */
export type OfflineEdgeErrorCode =
  | "malformed-stanza"
  | "invalid-jid"
  | "oversized-stanza"
  | "invalid-request"
  | "invalid-option"
  | "origin-refused"
  | "timeout"
  | "storage-failed"
  | "inbox-closed"
  | "seen-ids-closed"
  | "sasl-mechanism"
  | "no-store"
  | "refused-frame";

/** Base class of every error offline-edge throws on purpose. */
export class OfflineEdgeError extends Error {
  readonly code: OfflineEdgeErrorCode;
  constructor(code: OfflineEdgeErrorCode, message: string) {
    super(message);
    this.name = "OfflineEdgeError";
    this.code = code;
  }
  /** A plain object that survives postMessage; see {@link reviveError}. */
  toJSON(): { code: OfflineEdgeErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

/** The text is not one well-formed XMPP `<message/>` element. */
export class MalformedStanzaError extends OfflineEdgeError {
  constructor(message: string) {
    super("malformed-stanza", message);
    this.name = "MalformedStanzaError";
  }
}

/** An address is missing or is not a valid JID (RFC 7622). */
export class InvalidJidError extends OfflineEdgeError {
  constructor(message: string) {
    super("invalid-jid", message);
    this.name = "InvalidJidError";
  }
}

/** A stanza is larger than the configured cap (`maxStanzaBytes`). */
export class OversizedStanzaError extends OfflineEdgeError {
  constructor(bytes: number, cap: number) {
    super("oversized-stanza", `Stanza is ${bytes} bytes; the cap is ${cap} bytes.`);
    this.name = "OversizedStanzaError";
  }
}

/** A request to the store has the wrong shape or refers to nothing. */
export class InvalidRequestError extends OfflineEdgeError {
  constructor(message: string) {
    super("invalid-request", message);
    this.name = "InvalidRequestError";
  }
}

/** A configuration value is out of range or of the wrong type. */
export class InvalidOptionError extends OfflineEdgeError {
  constructor(message: string) {
    super("invalid-option", message);
    this.name = "InvalidOptionError";
  }
}

/** A window of another origin asked the service worker's store. */
export class OriginRefusedError extends OfflineEdgeError {
  constructor(message: string) {
    super("origin-refused", message);
    this.name = "OriginRefusedError";
  }
}

/** Something did not answer in time (see `withTimeout`). */
export class TimeoutError extends OfflineEdgeError {
  constructor(message: string) {
    super("timeout", message);
    this.name = "TimeoutError";
  }
}

/** The store could not do its work (no service worker, IndexedDB failing, …). */
export class StorageFailedError extends OfflineEdgeError {
  constructor(message: string) {
    super("storage-failed", message);
    this.name = "StorageFailedError";
  }
}

/** The inbox closed before it could hand a message over: the relay must not confirm it. */
export class InboxClosedError extends OfflineEdgeError {
  constructor(message = "The inbox closed before this message was handed over.") {
    super("inbox-closed", message);
    this.name = "InboxClosedError";
  }
}

/** The seen-id set was closed: it takes no claims, so a message cannot be taken through it. */
export class SeenIdsClosedError extends OfflineEdgeError {
  constructor(message = "The seen-id set is closed.") {
    super("seen-ids-closed", message);
    this.name = "SeenIdsClosedError";
  }
}

/** The XMPP server does not offer the SASL mechanism the relay was told to use. */
export class SaslMechanismError extends OfflineEdgeError {
  constructor(message: string) {
    super("sasl-mechanism", message);
    this.name = "SaslMechanismError";
  }
}

/** A component needs a store and none was attached. */
export class NoStoreError extends OfflineEdgeError {
  constructor(message: string) {
    super("no-store", message);
    this.name = "NoStoreError";
  }
}

/** Each code's class: what {@link reviveError} rebuilds. */
const byCode: Record<OfflineEdgeErrorCode, (m: string) => OfflineEdgeError> = {
  "malformed-stanza": (m) => new MalformedStanzaError(m),
  "invalid-jid": (m) => new InvalidJidError(m),
  "oversized-stanza": (m) => Object.assign(Object.create(OversizedStanzaError.prototype) as OversizedStanzaError, fields("oversized-stanza", m, "OversizedStanzaError")),
  "invalid-request": (m) => new InvalidRequestError(m),
  "invalid-option": (m) => new InvalidOptionError(m),
  "origin-refused": (m) => new OriginRefusedError(m),
  timeout: (m) => new TimeoutError(m),
  "storage-failed": (m) => new StorageFailedError(m),
  "inbox-closed": (m) => new InboxClosedError(m),
  "seen-ids-closed": (m) => new SeenIdsClosedError(m),
  "sasl-mechanism": (m) => new SaslMechanismError(m),
  "no-store": (m) => new NoStoreError(m),
  "refused-frame": (m) => new OfflineEdgeError("refused-frame", m),
};

/** An error's own fields, for a class whose constructor does not take a message (its stack is the reviver's). */
function fields(code: OfflineEdgeErrorCode, message: string, name: string) {
  const stack = new Error(message).stack;
  return { code, message, name, stack };
}

/** Rebuilds a typed error from its `toJSON()` form on the other side of a channel. */
export function reviveError(data: { code?: unknown; message?: unknown }): OfflineEdgeError {
  const code = typeof data.code === "string" && data.code in byCode ? (data.code as OfflineEdgeErrorCode) : "invalid-request";
  return byCode[code](typeof data.message === "string" ? data.message : "Unknown error");
}
