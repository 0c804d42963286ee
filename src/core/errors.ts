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

const byCode: Record<OfflineEdgeErrorCode, (m: string) => OfflineEdgeError> = {
  "malformed-stanza": (m) => new MalformedStanzaError(m),
  "invalid-jid": (m) => new InvalidJidError(m),
  "oversized-stanza": (m) => Object.assign(new OfflineEdgeError("oversized-stanza", m), { name: "OversizedStanzaError" }),
  "invalid-request": (m) => new InvalidRequestError(m),
  "invalid-option": (m) => new InvalidOptionError(m),
  "origin-refused": (m) => new OfflineEdgeError("origin-refused", m),
  timeout: (m) => new OfflineEdgeError("timeout", m),
  "storage-failed": (m) => new OfflineEdgeError("storage-failed", m),
  "refused-frame": (m) => new OfflineEdgeError("refused-frame", m),
};

/** Rebuilds a typed error from its `toJSON()` form on the other side of a channel. */
export function reviveError(data: { code?: unknown; message?: unknown }): OfflineEdgeError {
  const code = typeof data.code === "string" && data.code in byCode ? (data.code as OfflineEdgeErrorCode) : "invalid-request";
  return byCode[code](typeof data.message === "string" ? data.message : "Unknown error");
}
