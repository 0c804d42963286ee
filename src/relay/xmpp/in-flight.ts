import type { Element } from "@xmpp/xml";
import { address, bareJid } from "../../core/jid.ts";
import { NS } from "../../core/namespaces.ts";
import { PERMANENT_ERROR_TYPES, type StanzaErrorData } from "../../core/dead-letter.ts";
import { Deadlines, type Deadline } from "../../core/deadlines.ts";
import type { DeliveryProof, LateBounce, XmppSendOutcome } from "./types.ts";

/** Conditions that mean "no session of the peer took it" (RFC 6121 §8.5.2, XEP-0198 §5). */
export const PEER_OFFLINE_CONDITIONS: ReadonlySet<string> = new Set(["service-unavailable", "recipient-unavailable"]);

/** The type, defined condition and text of a stanza error (`<message type='error'><error type=…>…`), as data. */
export function readStanzaError(stanza: Element): StanzaErrorData {
  const error = stanza.getChild("error");
  const condition =
    error?.getChildElements().find((c) => c.getNS() === NS.stanzas && c.name !== "text")?.name ?? "undefined-condition";
  const text = error?.getChildText("text", NS.stanzas) ?? undefined;
  const type = error?.attrs.type ?? "cancel";
  return text ? { type, condition, text } : { type, condition };
}

/**
 * Whether sending the message again can never help: a `cancel`, `modify`
 * or `auth` error, except the "peer offline" conditions (the peer may come
 * back). A `groupchat` message to a user's bare JID is refused with
 * `service-unavailable` by design (RFC 6121 §8.5.2.1.1): permanent too.
 */
export function isPermanent(error: StanzaErrorData, sent: Element): boolean {
  if (!PERMANENT_ERROR_TYPES.has(error.type)) return false;
  if (!PEER_OFFLINE_CONDITIONS.has(error.condition)) return true;
  return sent.attrs.type === "groupchat" && error.condition === "service-unavailable";
}

/** Whether our copy of a sent message asked its peer for a XEP-0184 receipt (cf. `owesReceipt`, the receiving side). */
function requestsReceipt(kept: Element): boolean {
  return kept.getChild("request", NS.receipts) !== undefined;
}

/** One message between `send()` and its outcome. */
export interface InFlight {
  readonly id: string;
  /** Bare JID of `to`. */
  readonly peer: string;
  /** Our copy, never handed to the client (XEP-0198 resumption appends a `<delay/>` to what it re-sends). */
  readonly kept: Element;
  /** The clone given to `client.send()`; XEP-0198 acks name it by identity. */
  readonly wire: Element;
  confirmed: boolean;
  /** What confirmed it (the server's ack, or a ping round trip); set with `confirmed`. */
  via?: Exclude<DeliveryProof, "receipt">;
  /** When it is due: its confirmation, or (once confirmed) the end of its grace window. */
  deadline: Deadline | undefined;
  readonly resolve: (outcome: XmppSendOutcome) => void;
  /** The sender's hook: told when only the grace window is left (no receipt awaited). */
  readonly accepted: (() => void) | undefined;
}

interface Retained {
  peer: string;
  kept: Element;
  via: Exclude<DeliveryProof, "receipt">;
  expires: number;
}

export interface DeliveryOptions {
  graceMs: number;
  confirmTimeoutMs: number;
  /** How long a message that asked for a receipt waits for it after the server's confirmation. */
  receiptTimeoutMs: number;
  lateBounceWindowMs: number;
  lateBounceMaxEntries: number;
  onLateBounce: (bounce: LateBounce) => void;
  /** Our own server's domain: it may refuse a message on the peer's behalf. */
  ownDomain: () => string;
  /** A message to `peer` now only waits out its grace window: a ping answered by the peer may end it ({@link DeliveryTracker.proven}). */
  onGrace?: (peer: string) => void;
}

/**
 * The in-flight table of an XMPP relay and its delivery rule:
 *
 * - a `<message type='error'/>` with the id, from the peer (or its domain),
 *   settles `bounced` at any time before the outcome is known;
 * - a XEP-0184 `<received/>` from the peer settles `delivered` at once;
 * - a server confirmation (XEP-0198 ack, or a ping round trip) starts the
 *   grace window; `delivered` when it passes without a bounce (for a
 *   message that asked for a receipt, only after `receiptTimeoutMs` more
 *   without one: the receipt is the proof it waits for);
 * - no confirmation within `confirmTimeoutMs`, or the stream going down,
 *   settles `unknown`.
 *
 * Messages delivered on a confirmation are remembered for a while, so a
 * bounce that comes later still reaches `onLateBounce` with their copy.
 */
export class DeliveryTracker {
  private readonly byId = new Map<string, InFlight>();
  private readonly byWire = new Map<Element, InFlight>();
  private readonly retained = new Map<string, Retained>();
  /** Peers that have answered a receipt: for them, no receipt means not delivered. */
  private readonly receiptPeers = new Set<string>();
  // One timer per kind of deadline, not one per message (see Deadlines).
  private readonly unconfirmed: Deadlines<InFlight>;
  private readonly graceWindows: Deadlines<InFlight>;
  private readonly receiptWaits: Deadlines<InFlight>;

  constructor(private readonly options: DeliveryOptions) {
    this.unconfirmed = new Deadlines(options.confirmTimeoutMs, (e) => this.unknown(e, "no confirmation from the server"));
    this.graceWindows = new Deadlines(options.graceMs, (e) => this.graceOver(e));
    this.receiptWaits = new Deadlines(options.graceMs + options.receiptTimeoutMs, (e) => this.graceOver(e));
  }

  get size(): number {
    return this.byId.size;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** Whether the peer has answered a receipt in this session (so it does answer them). */
  answersReceipts(peer: string): boolean {
    return this.receiptPeers.has(peer);
  }

  /** Starts tracking a message about to be written; its outcome is the returned promise. */
  track(id: string, peer: string, kept: Element, wire: Element, accepted?: () => void): { entry: InFlight; outcome: Promise<XmppSendOutcome> } {
    let resolve!: (o: XmppSendOutcome) => void;
    const outcome = new Promise<XmppSendOutcome>((r) => (resolve = r));
    const entry: InFlight = { id, peer, kept, wire, confirmed: false, deadline: undefined, resolve, accepted };
    this.retained.delete(id);
    this.byId.set(id, entry);
    this.byWire.set(wire, entry);
    entry.deadline = this.unconfirmed.add(entry);
    return { entry, outcome };
  }

  isPending(entry: InFlight): boolean {
    return this.byId.get(entry.id) === entry;
  }

  /** The server has processed the message: start the grace window. */
  confirm(entry: InFlight, via: Exclude<DeliveryProof, "receipt">): void {
    if (!this.isPending(entry) || entry.confirmed) return;
    entry.confirmed = true;
    entry.deadline?.cancel();
    // A message that asked for a receipt waits for it. If none comes: from a
    // peer that answers receipts, that means its app never got it (unknown,
    // so it stays queued); from one that never does, the confirmation stands.
    const receipt = requestsReceipt(entry.kept);
    entry.via = via;
    entry.deadline = (receipt ? this.receiptWaits : this.graceWindows).add(entry);
    if (receipt) return;
    // Only the grace window is left: the sender need not hold it against its window of messages in flight.
    entry.accepted?.();
    this.options.onGrace?.(entry.peer);
  }

  /** Messages to `peer` that only wait out their grace window: confirmed, and asking for no receipt. */
  graced(peer: string): InFlight[] {
    return [...this.byId.values()].filter((e) => e.peer === peer && this.onlyGraceLeft(e));
  }

  /**
   * The peer's sessions answered a ping written after these messages. A
   * server routes one sender's stanzas to a session in order (RFC 6120
   * §10.1), so each session had them before it answered, and a bounce for
   * any of them would have come first: their grace window ends now.
   */
  proven(entries: InFlight[]): void {
    for (const e of entries) if (this.onlyGraceLeft(e)) this.graceOver(e);
  }

  /** Still pending, confirmed by the server, and waiting for no receipt: only its grace window is left. */
  private onlyGraceLeft(e: InFlight): boolean {
    return this.isPending(e) && e.confirmed && !requestsReceipt(e.kept);
  }

  /** The grace window (and a receipt's wait) passed without a bounce. */
  private graceOver(entry: InFlight): void {
    if (!this.isPending(entry)) return;
    if (requestsReceipt(entry.kept) && this.receiptPeers.has(entry.peer)) return this.unknown(entry, "no receipt from the peer");
    this.settle(entry, { status: "delivered", via: entry.via!, id: entry.id, stanza: entry.kept });
    this.retain(entry, entry.via!);
  }

  /** An XEP-0198 ack for a stanza the client wrote. */
  acked(wire: Element): void {
    const entry = this.byWire.get(wire);
    if (entry) this.confirm(entry, "ack");
  }

  /** Settles as `unknown` (stream down, write failed, no confirmation). */
  unknown(entry: InFlight, reason: string): void {
    if (this.isPending(entry)) this.settle(entry, { status: "unknown", reason, id: entry.id, stanza: entry.kept });
  }

  /** A stanza the client gave up on (XEP-0198 `fail`). */
  failed(wire: Element): void {
    const entry = this.byWire.get(wire);
    if (entry) this.unknown(entry, "stream management gave up on it");
  }

  /** Every message still in flight becomes `unknown`. */
  settleAll(reason: string): void {
    for (const entry of [...this.byId.values()]) this.unknown(entry, reason);
  }

  /** An incoming `<message type='error'/>`; true when it was about one of ours. */
  bounce(error: Element): boolean {
    const id = error.attrs.id;
    if (!id) return false;
    const entry = this.byId.get(id);
    if (entry) {
      if (!this.fromPeer(error.attrs.from, entry.peer)) return false;
      const data = readStanzaError(error);
      const { condition, text } = data;
      const permanent = isPermanent(data, entry.kept);
      const peerOffline = PEER_OFFLINE_CONDITIONS.has(condition) && !permanent;
      this.settle(entry, {
        status: "bounced",
        condition,
        ...(text !== undefined && { text }),
        type: data.type,
        permanent,
        peerOffline,
        error,
        id,
        stanza: entry.kept,
      });
      return true;
    }
    const kept = this.takeRetained(id, error.attrs.from);
    if (!kept) return false;
    const { condition, text } = readStanzaError(error);
    this.options.onLateBounce({
      id,
      peer: kept.peer,
      condition,
      ...(text !== undefined && { text }),
      peerOffline: PEER_OFFLINE_CONDITIONS.has(condition),
      stanza: kept.kept,
      error,
      deliveredVia: kept.via,
    });
    return true;
  }

  /**
   * The peer went unavailable: a message that asked for a receipt and has
   * none will not get one now (unknown: it stays queued), whether or not the
   * server has confirmed it yet. Its dying session may have taken it (and
   * acked it on the stream) without its app ever seeing it; the server's
   * confirmation alone must not pass it as delivered. The cost: a peer whose
   * client never answers receipts may see such a message again.
   */
  peerGone(peer: string): void {
    this.receiptPeers.delete(peer); // its next session proves receipts anew
    for (const entry of [...this.byId.values()]) {
      if (entry.peer === peer && requestsReceipt(entry.kept)) this.unknown(entry, "peer left before its receipt");
    }
  }

  /** An incoming XEP-0184 `<received id=…/>` from `from`. */
  receipt(id: string, from: string | undefined): void {
    const entry = this.byId.get(id);
    if (entry && sameBare(from, entry.peer)) {
      this.receiptPeers.add(entry.peer);
      this.settle(entry, { status: "delivered", via: "receipt", id, stanza: entry.kept });
      return;
    }
    // Delivered on an ack before and now confirmed by the peer: no late bounce can follow.
    this.takeRetained(id, from);
  }

  /** Drops every remembered copy and timer. */
  clear(): void {
    this.settleAll("closed");
    this.retained.clear();
    for (const d of [this.unconfirmed, this.graceWindows, this.receiptWaits]) d.clear();
  }

  /**
   * Whether an error comes from where errors about a message to `peer` may
   * come from: the peer's bare JID, or its server, or ours (RFC 6120
   * §8.3.1: the original `to`, or a server answering for it). An error
   * without `from` comes from our own server on our account's behalf.
   */
  private fromPeer(from: string | undefined, peer: string): boolean {
    if (from === undefined) return true;
    try {
      const a = address(from); // cached: every receipt and bounce of a drain comes from the same few
      if (a.bare === peer) return true;
      // A server's address is a bare domain (a domain never holds "@").
      return !a.bare.includes("@") && !a.resource && (peer.endsWith(`@${a.bare}`) || a.bare === this.options.ownDomain());
    } catch {
      return false;
    }
  }

  private settle(entry: InFlight, outcome: XmppSendOutcome): void {
    entry.deadline?.cancel();
    this.byId.delete(entry.id);
    this.byWire.delete(entry.wire);
    entry.resolve(outcome);
  }

  private retain(entry: InFlight, via: Exclude<DeliveryProof, "receipt">): void {
    const { lateBounceWindowMs, lateBounceMaxEntries } = this.options;
    if (lateBounceWindowMs <= 0 || lateBounceMaxEntries <= 0) return;
    const now = Date.now();
    for (const [id, r] of this.retained) {
      if (r.expires > now && this.retained.size < lateBounceMaxEntries) break;
      this.retained.delete(id); // insertion order is expiry order: drop expired and overflow from the front
    }
    this.retained.set(entry.id, { peer: entry.peer, kept: entry.kept, via, expires: now + lateBounceWindowMs });
  }

  private takeRetained(id: string, from: string | undefined): Retained | undefined {
    const r = this.retained.get(id);
    if (!r || !this.fromPeer(from, r.peer)) return undefined;
    this.retained.delete(id);
    return r.expires > Date.now() ? r : undefined;
  }
}

/** Whether `from` is (a resource of) the peer itself. */
function sameBare(from: string | undefined, peer: string): boolean {
  try {
    return bareJid(from) === peer;
  } catch {
    return false;
  }
}
