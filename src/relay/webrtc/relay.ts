import type { Element } from "@xmpp/xml";
import { option } from "../../core/options.ts";
import { InvalidOptionError } from "../../core/errors.ts";
import { address, bareJid, parseAddress } from "../../core/jid.ts";
import { Listeners } from "../../core/listeners.ts";
import { DEFAULT_MAX_STANZA_BYTES, readMessage, readMessageText } from "../../core/stanza.ts";
import { MAX_BATCH_CHARS, MAX_FRAMES_PER_POST, MAX_INTERVAL, MESH_VERSION, MIN_INTERVAL, framesOf, readFrame, stanzaId, type MeshFrame, type MessageFrame } from "../mesh/frame.ts";
import { randomId } from "../xmpp/ids.ts";
import { Deadlines, type Deadline } from "../../core/deadlines.ts";
import { MicroBatcher } from "../../core/micro-batch.ts";
import type { PresenceChange, Relay, SendOutcome } from "../relay.ts";
import { FrameRefusedError, type RefusedReason } from "./errors.ts";

/** Who we are on the WebRTC mesh, and its timings. */
export interface WebRtcOptions {
  /** Our bare JID, e.g. `alice@example.org` (a resource given here is used as ours). */
  self: string;
  /** Our resource (one per tab). Default: random. */
  resource?: string;
  /** Presence heartbeat interval on every channel, in ms. Default 1000. */
  heartbeatMs?: number;
  /** A channel counts as dead after this many of the peer's beats are missed. Default 3. */
  missedBeats?: number;
  /** How long `send` waits for the recipient's delivery ack before answering `unknown`. Default 5000 ms. */
  ackTimeoutMs?: number;
  /** Cap on one stanza, sent or received. Default 256 KiB (Chromium's SCTP message cap is about the same). */
  maxStanzaBytes?: number;
}

/** Why a channel stopped counting: its close, ICE failure, missed beats, the peer saying it leaves, or us. */
export type DropReason = "closed" | "ice-failed" | "missed-heartbeats" | "left" | "detached" | "relay-closed";

/** Counters of what the relay saw, for diagnostics and tests. */
export interface WebRtcStats {
  /** Message frames handed to our listeners. */
  received: number;
  /** Delivery acks we sent. */
  acksSent: number;
  /** Frames refused (each also reported to `onError`). */
  refused: number;
  /** Channels dropped, by reason. */
  drops: Record<DropReason, number>;
}

/** What `attach` may be told besides the channel. */
export interface AttachOptions {
  /** The channel's connection: its ICE failure drops the channel at once rather than after the missed beats. */
  connection?: RTCPeerConnection;
  /** Close `connection` when the channel is dropped (the signallers here own theirs). Default false. */
  closeConnection?: boolean;
}

/** One data channel to one peer. */
interface Link {
  peer: string;
  channel: RTCDataChannel;
  connection?: RTCPeerConnection;
  closeConnection: boolean;
  /** The full JID of the relay at the other end, from its first presence frame; null until then (not live yet). */
  remote: string | null;
  /** When it counts as dead unless another frame comes. */
  due: number;
  /** When it turned live; the newest live link of a peer carries our sends. */
  liveSince: number;
  /** The relay at the other end reads posts of several frames (its presence says `batches`; not 0.1.0). */
  batches: boolean;
  /** This task's frames, as JSON, sent together at its end; `ref` for a message (a refused post settles it). */
  outgoing: MicroBatcher<Outgoing>;
  off: () => void;
}

/** A frame waiting for the end of its task, as JSON; `ref` when it carries a message. */
interface Outgoing {
  json: string;
  ref?: string;
}

interface Pending {
  link: Link;
  id: string;
  resolve: (o: SendOutcome) => void;
  deadline: Deadline;
}

const BOUNCED: SendOutcome = { status: "bounced", condition: "service-unavailable" };


/**
 * A {@link Relay} over WebRTC data channels, one or more per peer, however
 * they were signalled (`attach` takes any open or opening channel; see
 * `XmppSignalling`, `PeerJsSignalling`). The frames are the local mesh's
 * (versioned, validated), as JSON. A peer is available while one of its
 * channels is open and its presence beats arrive; it goes unavailable when
 * the last one closes, its ICE fails, its beats stop, or it says it leaves.
 * A message to an unavailable peer bounces at once (the outbox queues it);
 * one to an available peer is delivered when the peer's relay acks it,
 * which it does once its app (the inbox) has taken it. A frame whose sender
 * is not the channel's peer, or that is off-shape, is refused: counted,
 * reported to `onError` with a {@link FrameRefusedError}, nothing else.
 *
 * Call `close()` on `pagehide` so peers see us leave at once.
 */
export class WebRtcRelay implements Relay {
  readonly self: string;
  /** Our full JID: the `from` of our frames. */
  readonly address: string;
  readonly stats: WebRtcStats = {
    received: 0,
    acksSent: 0,
    refused: 0,
    drops: { closed: 0, "ice-failed": 0, "missed-heartbeats": 0, left: 0, detached: 0, "relay-closed": 0 },
  };
  private readonly heartbeatMs: number;
  private readonly missedBeats: number;
  /** Sends waiting for their ack, by ref: one timer for all (every wait is `ackTimeoutMs`). */
  private readonly ackWaits: Deadlines<string>;
  private readonly maxBytes: number;
  private readonly links = new Set<Link>();
  private readonly pending = new Map<string, Pending>();
  private readonly presence = new Listeners<PresenceChange>();
  private readonly messages = new Listeners<Element, unknown>();
  private readonly errors = new Listeners<FrameRefusedError>();
  private readonly dropped = new Listeners<{ peer: string; reason: DropReason }>();
  private readonly beat: ReturnType<typeof setInterval>;
  private closed = false;

  constructor(options: WebRtcOptions) {
    const me = parseAddress(options.self);
    this.self = me.bare().toString();
    this.address = parseAddress(`${this.self}/${options.resource ?? (me.resource || randomId().slice(0, 8))}`).toString();
    this.heartbeatMs = option.numberIn("heartbeatMs", options.heartbeatMs, 1000, MIN_INTERVAL, MAX_INTERVAL);
    this.missedBeats = option.positiveInteger("missedBeats", options.missedBeats, 3);
    const ackTimeoutMs = option.duration("ackTimeoutMs", options.ackTimeoutMs, 5000, 1);
    this.ackWaits = new Deadlines(ackTimeoutMs, (ref) => this.settle(ref, { status: "unknown", reason: "timeout" }));
    this.maxBytes = option.positiveInteger("maxStanzaBytes", options.maxStanzaBytes, DEFAULT_MAX_STANZA_BYTES);
    this.beat = setInterval(() => this.heartbeat(), this.heartbeatMs);
  }

  /**
   * Adds a data channel to `peer` (a JID; its bare JID is used), open or
   * still opening: bring your own signalling. The peer is available once the
   * channel is open and the relay at the other end has announced itself on
   * it. Returns the function that drops the channel again.
   */
  attach(peer: string, channel: RTCDataChannel, options: AttachOptions = {}): () => void {
    const bare = bareJid(peer);
    if (bare === this.self) throw new InvalidOptionError("A channel to ourselves cannot be attached.");
    if (this.closed) throw new InvalidOptionError("The relay is closed.");
    const link: Link = {
      peer: bare,
      channel,
      connection: options.connection,
      closeConnection: options.closeConnection ?? false,
      remote: null,
      due: Infinity,
      liveSince: 0,
      batches: false,
      outgoing: new MicroBatcher<Outgoing>((frames) => this.sendFrames(link, frames), { serial: false }),
      off: () => undefined,
    };
    const onOpen = () => this.announce(link, true);
    const onMessage = (e: MessageEvent) => this.receive(link, e.data);
    const onClose = () => this.drop(link, "closed");
    const onState = () => {
      const c = link.connection!;
      if (c.connectionState === "failed" || c.iceConnectionState === "failed") this.drop(link, "ice-failed");
      else if (c.connectionState === "closed") this.drop(link, "closed");
    };
    channel.addEventListener("open", onOpen);
    channel.addEventListener("message", onMessage);
    channel.addEventListener("close", onClose);
    link.connection?.addEventListener("connectionstatechange", onState);
    link.connection?.addEventListener("iceconnectionstatechange", onState);
    link.off = () => {
      channel.removeEventListener("open", onOpen);
      channel.removeEventListener("message", onMessage);
      channel.removeEventListener("close", onClose);
      link.connection?.removeEventListener("connectionstatechange", onState);
      link.connection?.removeEventListener("iceconnectionstatechange", onState);
    };
    this.links.add(link);
    if (channel.readyState === "open") this.announce(link, true);
    else if (channel.readyState !== "connecting") this.drop(link, "closed");
    return () => this.drop(link, "detached");
  }

  /** Whether a channel to `peer` is attached and not dropped (live or still opening): a signaller need not dial again. */
  hasChannel(peer: string): boolean {
    const bare = bareJid(peer);
    for (const l of this.links) if (l.peer === bare) return true;
    return false;
  }

  isAvailable(peer: string): boolean {
    try {
      return this.liveLink(bareJid(peer)) !== null;
    } catch {
      return false;
    }
  }

  /** Bare JIDs available now. */
  peers(): string[] {
    return [...new Set([...this.links].filter((l) => l.remote).map((l) => l.peer))];
  }

  onPresence(listener: (change: PresenceChange) => void): () => void {
    return this.presence.add(listener);
  }

  /**
   * Incoming messages for us. As on the mesh: the delivery ack goes back
   * once every listener's promise has fulfilled, none if one rejects, and
   * nothing is acked when no one listens.
   */
  onMessage(listener: (stanza: Element) => unknown): () => void {
    return this.messages.add(listener);
  }

  /** Refused frames, each as a typed {@link FrameRefusedError}. */
  onError(listener: (error: FrameRefusedError) => void): () => void {
    return this.errors.add(listener);
  }

  /** Each channel dropped, and why (a signaller redials on some: see `Redial`). */
  onDrop(listener: (drop: { peer: string; reason: DropReason }) => void): () => void {
    return this.dropped.add(listener);
  }

  /**
   * Sends a message stanza on the peer's newest live channel. Rejects with a
   * typed error for a bad stanza or `to`; resolves `bounced` at once when the
   * peer is not available, `delivered` on its ack, `unknown` when no ack
   * comes in time or the channel drops first.
   */
  async send(stanza: Element): Promise<SendOutcome> {
    const { element: el, text } = readMessageText(stanza, this.maxBytes);
    const peer = bareJid(el.attrs.to);
    if (this.closed) return { status: "unknown", reason: "closed" };
    const link = this.liveLink(peer);
    if (!link) return BOUNCED;
    const ref = randomId();
    const outcome = new Promise<SendOutcome>((resolve) => {
      this.pending.set(ref, { link, id: stanzaId(el, ref), resolve, deadline: this.ackWaits.add(ref) });
    });
    const frame: MessageFrame = { v: MESH_VERSION, kind: "message", from: this.address, to: link.remote!, ref, stanza: text };
    if (!this.post(link, frame, ref)) this.settle(ref, { status: "unknown", reason: "send-failed" });
    return outcome;
  }

  /** Says we leave on every channel, closes them, answers pending sends `unknown`. */
  async close(): Promise<void> {
    if (this.closed) return;
    for (const link of this.links) {
      this.announce(link, false);
      link.outgoing.flushNow();
    }
    this.closed = true;
    clearInterval(this.beat);
    for (const link of [...this.links]) this.drop(link, "relay-closed");
    this.ackWaits.clear();
    this.presence.clear();
    this.messages.clear();
    this.errors.clear();
    this.dropped.clear();
  }

  /** The peer's newest live channel, or null. */
  private liveLink(peer: string): Link | null {
    let best: Link | null = null;
    for (const l of this.links) {
      if (l.peer === peer && l.remote && l.channel.readyState === "open" && (!best || l.liveSince > best.liveSince)) best = l;
    }
    return best;
  }

  private announce(link: Link, available: boolean): void {
    this.post(link, { v: MESH_VERSION, kind: "presence", from: this.address, available, interval: this.heartbeatMs, batches: true });
  }

  private heartbeat(): void {
    const now = Date.now();
    for (const link of [...this.links]) {
      if (link.due < now) this.drop(link, "missed-heartbeats");
      else if (link.channel.readyState === "open") this.announce(link, true);
    }
  }

  /**
   * Puts a frame on a channel; false when the channel would not take it. To
   * a relay that reads them, the frames of one task leave together at its
   * end (see {@link sendFrames}); to one of 0.1.0, each at once.
   */
  private post(link: Link, frame: MeshFrame, ref?: string): boolean {
    if (this.closed || link.channel.readyState !== "open") return false;
    const json = JSON.stringify(frame);
    if (!link.batches && link.outgoing.size === 0) return this.sendText(link, json);
    link.outgoing.add({ json, ref });
    return true;
  }

  /**
   * Sends the task's frames in order: in posts of at most
   * {@link MAX_BATCH_CHARS} and {@link MAX_FRAMES_PER_POST} (a longer frame
   * alone), or one by one to a relay of 0.1.0. A post the channel refuses
   * settles its messages `unknown` at once.
   */
  private sendFrames(link: Link, queued: Outgoing[]): void {
    if (!this.links.has(link)) return; // dropped meanwhile: what waited on it is settled
    const bound = batchChars(link);
    let part: typeof queued = [];
    let chars = 1;
    const send = () => {
      if (part.length === 0) return;
      const text = part.length === 1 ? part[0]!.json : `[${part.map((f) => f.json).join(",")}]`;
      if (!this.sendText(link, text)) for (const f of part) if (f.ref) this.settle(f.ref, { status: "unknown", reason: "send-failed" });
      [part, chars] = [[], 1];
    };
    for (const f of queued) {
      if (!link.batches || chars + f.json.length + 1 > bound || part.length >= MAX_FRAMES_PER_POST) send();
      part.push(f);
      chars += f.json.length + 1;
    }
    send();
  }

  private sendText(link: Link, text: string): boolean {
    if (link.channel.readyState !== "open") return false;
    try {
      link.channel.send(text);
      return true;
    } catch {
      return false; // closing, or over the channel's message size: the beats or the close event tell the rest
    }
  }

  private settle(ref: string, outcome: SendOutcome): void {
    const p = this.pending.get(ref);
    if (!p) return;
    this.pending.delete(ref);
    p.deadline.cancel();
    p.resolve(outcome);
  }

  /** A channel stops counting: forget it, close it, settle what waited on it, tell of the peer leaving. */
  private drop(link: Link, reason: DropReason): void {
    if (!this.links.delete(link)) return;
    this.stats.drops[reason]++;
    link.off();
    try {
      link.channel.close();
      if (link.closeConnection) link.connection?.close();
    } catch {
      // already closed
    }
    for (const [ref, p] of this.pending) if (p.link === link) this.settle(ref, { status: "unknown", reason: "recipient-left" });
    if (this.closed) return;
    if (link.remote && !this.liveLink(link.peer)) this.presence.emit({ peer: link.peer, available: false });
    this.dropped.emit({ peer: link.peer, reason });
  }

  private refuse(link: Link, reason: RefusedReason, message: string): void {
    this.stats.refused++;
    this.errors.emit(new FrameRefusedError(link.peer, reason, message));
  }

  /** A channel's message handler: validates, dispatches, never throws. */
  private receive(link: Link, data: unknown): void {
    if (this.closed || !this.links.has(link)) return;
    let parsed: unknown;
    try {
      // JSON escapes at most multiply a stanza by 6, and a post of several frames is bounded: anything longer is not ours.
      const limit = Math.max(this.maxBytes * 6 + 1024, MAX_BATCH_CHARS);
      parsed = typeof data === "string" && data.length <= limit ? JSON.parse(data) : undefined;
    } catch {
      parsed = undefined;
    }
    const frames = framesOf(parsed);
    if (!frames) return this.refuse(link, "malformed", `a post of no frames or of more than ${MAX_FRAMES_PER_POST}`);
    for (const item of frames) {
      if (this.closed || !this.links.has(link)) return;
      const frame = readFrame(item, this.maxBytes);
      if (!frame) {
        this.refuse(link, "malformed", "not a frame of version " + MESH_VERSION);
        continue;
      }
      try {
        this.dispatch(link, frame);
      } catch (e) {
        this.refuse(link, "malformed", e instanceof Error ? e.message : String(e));
      }
    }
  }

  private dispatch(link: Link, frame: MeshFrame): void {
    if (bareJid(frame.from) !== link.peer || (link.remote && frame.from !== link.remote)) {
      return this.refuse(link, "spoofed", `the frame says it is from ${frame.from}`);
    }
    if (frame.kind === "presence") {
      link.batches = frame.batches === true;
      return this.onPresenceFrame(link, frame.from, frame.available, frame.interval);
    }
    if (frame.kind === "ack") {
      if (frame.to !== this.address) return this.refuse(link, "misaddressed", `ack for ${frame.to}`);
      const p = this.pending.get(frame.ref);
      if (p && p.link === link && frame.id === p.id) this.settle(frame.ref, { status: "delivered" });
      return;
    }
    this.onMessageFrame(link, frame);
  }

  private onPresenceFrame(link: Link, from: string, available: boolean, interval: number): void {
    if (!available) return this.drop(link, "left");
    const now = Date.now();
    link.due = now + interval * this.missedBeats;
    if (link.remote) return;
    const wasAvailable = this.liveLink(link.peer) !== null;
    link.remote = from;
    link.liveSince = now;
    // The peer learns of us now rather than at our next beat.
    this.announce(link, true);
    if (!wasAvailable) this.presence.emit({ peer: link.peer, available: true });
  }

  private onMessageFrame(link: Link, frame: MessageFrame): void {
    const to = address(frame.to); // cached: the same few addresses come on every frame
    if (to.bare !== this.self || (to.resource && to.full !== this.address)) {
      return this.refuse(link, "misaddressed", `message for ${frame.to}`);
    }
    let el: Element;
    try {
      el = readMessage(frame.stanza, this.maxBytes);
    } catch (e) {
      return this.refuse(link, "malformed", e instanceof Error ? e.message : String(e));
    }
    if (bareJid(el.attrs.to) !== this.self) return this.refuse(link, "misaddressed", `stanza for ${el.attrs.to}`);
    // The stanza's own `from` is what the app will show: it must be the channel's peer too.
    if (el.attrs.from && bareJid(el.attrs.from) !== link.peer) return this.refuse(link, "spoofed", `the stanza says it is from ${el.attrs.from}`);
    el.attrs.from ||= frame.from;
    if (this.messages.size === 0) return;
    this.stats.received++;
    const taken = this.messages.emit(el);
    const ack: MeshFrame = { v: MESH_VERSION, kind: "ack", from: this.address, to: frame.from, ref: frame.ref, id: stanzaId(el, frame.ref) };
    void Promise.all(taken).then(
      () => {
        if (this.post(link, ack)) this.stats.acksSent++;
      },
      () => undefined, // a listener could not take it: no ack, the sender keeps it
    );
  }
}

/** The longest post of several frames a link takes: the protocol's bound, and its channel's message size (64 KiB if unknown) at 3 bytes a character. */
function batchChars(link: Link): number {
  const bytes = link.connection?.sctp?.maxMessageSize || 65_536;
  return Math.min(MAX_BATCH_CHARS, Math.floor(bytes / 3));
}
