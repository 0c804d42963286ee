import type { Element } from "@xmpp/xml";
import { option } from "../../core/options.ts";
import { address, bareJid, parseAddress } from "../../core/jid.ts";
import { DEFAULT_MAX_STANZA_BYTES, readMessage, readMessageText } from "../../core/stanza.ts";
import { Listeners } from "../../core/listeners.ts";
import { randomId } from "../../core/id.ts";
import { Deadlines, type Deadline } from "../../core/deadlines.ts";
import { MicroBatcher } from "../../core/micro-batch.ts";
import { MESH_VERSION, MAX_FRAMES_PER_POST, MAX_INTERVAL, MIN_INTERVAL, framesOf, readFrame, stanzaId, type AckFrame, type MessageFrame, type MeshFrame, type PresenceFrame } from "./frame.ts";
import { MeshRoster, type RosterChange } from "./roster.ts";
import type { PresenceChange, Relay, SendOutcome } from "../relay.ts";

/** Default name of the BroadcastChannel the mesh runs on. */
export const MESH_CHANNEL = "offline-edge:mesh";

/** How a mesh tab joins: who it is, the channel, and its timings. */
export interface MeshOptions {
  /** Our bare JID on the mesh, e.g. `alice@mesh.local` (a resource given here is used as the tab's). */
  self: string;
  /** This tab's resource. Default: random. */
  resource?: string;
  /** BroadcastChannel name. Default {@link MESH_CHANNEL}. */
  channel?: string;
  /** Presence heartbeat interval in ms. Default 1000. */
  heartbeatMs?: number;
  /** A tab counts as gone after this many missed beats. Default 3. */
  missedBeats?: number;
  /** How long `send` waits for the recipient's delivery ack before answering `unknown`. Default 5000 ms. */
  ackTimeoutMs?: number;
  /** Cap on one stanza, sent or received. Default 256 KiB. */
  maxStanzaBytes?: number;
}

/** Counters of what the mesh saw, for diagnostics and tests. */
export interface MeshStats {
  /** Message frames handed to our listeners. */
  received: number;
  /** Delivery acks we sent. */
  acksSent: number;
  /** Frames ignored because they were malformed (bad shape, bad JID, bad stanza). */
  malformed: number;
}

interface Pending {
  peer: string;
  /** Full JID when the message went to one tab, else the bare JID. */
  target: string;
  id: string;
  resolve: (o: SendOutcome) => void;
  deadline: Deadline;
}

const BOUNCED: SendOutcome = { status: "bounced", condition: "service-unavailable", type: "cancel", permanent: false };

/**
 * A relay with no server: a BroadcastChannel between the tabs and windows
 * of one origin. Each tab is a resource of a bare JID and beats its
 * presence; a bare JID is available while one of its tabs is. A message to
 * an unavailable peer bounces at once (the mesh "reports it offline"); one
 * to an available peer goes to every tab of it and is delivered when the
 * first tab acks it. Everything read from the channel is validated; bad
 * frames are counted in `stats.malformed` and otherwise ignored. The
 * frames of one task leave in one post (a drain's window, the acks of a
 * claimed batch), unless a tab of 0.1.0, which reads one frame per post, is
 * on the mesh (see `framesOf` in frame.ts).
 *
 * The page wiring is the caller's: call `close()` on `pagehide` so that
 * peers see us leave at once rather than after the missed beats.
 */
export class MeshRelay implements Relay {
  readonly self: string;
  /** This tab's full JID on the mesh. */
  readonly address: string;
  readonly stats: MeshStats = { received: 0, acksSent: 0, malformed: 0 };
  private readonly channel: BroadcastChannel;
  private readonly roster: MeshRoster;
  private readonly heartbeatMs: number;
  /** Sends waiting for their ack, by ref: one timer for all (every wait is `ackTimeoutMs`). */
  private readonly ackWaits: Deadlines<string>;
  private readonly maxBytes: number;
  private readonly pending = new Map<string, Pending>();
  private readonly presence = new Listeners<PresenceChange>();
  private readonly messages = new Listeners<Element, unknown>();
  private readonly beat: ReturnType<typeof setInterval>;
  /** Frames of this task, posted together at its end (see {@link post}). */
  private readonly outgoing = new MicroBatcher<MeshFrame>((frames) => this.postFrames(frames), { serial: false });
  private closed = false;

  constructor(options: MeshOptions) {
    const me = parseAddress(options.self);
    this.self = me.bare().toString();
    this.address = parseAddress(`${this.self}/${options.resource ?? (me.resource || randomId(8))}`).toString();
    this.heartbeatMs = option.numberIn("heartbeatMs", options.heartbeatMs, 1000, MIN_INTERVAL, MAX_INTERVAL);
    this.roster = new MeshRoster(option.positiveInteger("missedBeats", options.missedBeats, 3));
    const ackTimeoutMs = option.duration("ackTimeoutMs", options.ackTimeoutMs, 5000, 1);
    this.ackWaits = new Deadlines(ackTimeoutMs, (ref) => this.settle(ref, { status: "unknown", reason: "timeout" }));
    this.maxBytes = option.positiveInteger("maxStanzaBytes", options.maxStanzaBytes, DEFAULT_MAX_STANZA_BYTES);
    this.channel = new BroadcastChannel(options.channel ?? MESH_CHANNEL);
    this.channel.onmessage = (e: MessageEvent) => this.receivePost(e.data);
    this.channel.onmessageerror = () => this.stats.malformed++;
    this.announce(true);
    this.beat = setInterval(() => this.heartbeat(), this.heartbeatMs);
  }

  /** Whether the peer has a tab on the mesh; never true for ourselves (our own other tabs are not a peer). */
  isAvailable(peer: string): boolean {
    try {
      const bare = bareJid(peer);
      return bare !== this.self && this.roster.isAvailable(bare);
    } catch {
      return false;
    }
  }

  /** Bare JIDs available on the mesh now (our own other tabs included). */
  peers(): string[] {
    return this.roster.peers();
  }

  onPresence(listener: (change: PresenceChange) => void): () => void {
    return this.presence.add(listener);
  }

  /**
   * Incoming messages for us. A listener may return a promise: the delivery
   * ack goes to the sender once every listener's promise has fulfilled (so an
   * inbox can record the message first); none if one rejects. With no listener, nothing is acked
   * and the sender learns nothing (`unknown`): a message is never acked
   * unless someone took it.
   */
  onMessage(listener: (stanza: Element) => unknown): () => void {
    return this.messages.add(listener);
  }

  /**
   * Sends a message stanza. Rejects with a typed error for a bad stanza or
   * `to`. Resolves `bounced` at once when the peer is not on the mesh,
   * `delivered` on the first tab's ack, `unknown` when no ack comes in time
   * or every tab it went to left first.
   */
  async send(stanza: Element): Promise<SendOutcome> {
    const { element: el, text } = readMessageText(stanza, this.maxBytes);
    const peer = bareJid(el.attrs.to);
    if (this.closed) return { status: "unknown", reason: "closed" };
    if (!this.roster.isAvailable(peer)) return BOUNCED;
    // RFC 6121 §8.5.3.2.1: a message for a resource that is not there goes to the bare JID.
    const full = address(el.attrs.to).full;
    const target = full !== peer && this.roster.hasTab(full) ? full : peer;
    const ref = randomId();
    const outcome = new Promise<SendOutcome>((resolve) => {
      this.pending.set(ref, { peer, target, id: stanzaId(el, ref), resolve, deadline: this.ackWaits.add(ref) });
    });
    this.post({ v: MESH_VERSION, kind: "message", from: this.address, to: target, ref, stanza: text });
    return outcome;
  }

  /** Says we leave (peers see it at once), stops beating, answers pending sends `unknown`. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.announce(false);
    this.outgoing.flushNow();
    this.closed = true;
    clearInterval(this.beat);
    for (const ref of [...this.pending.keys()]) this.settle(ref, { status: "unknown", reason: "closed" });
    this.ackWaits.clear();
    this.channel.close();
    this.presence.clear();
    this.messages.clear();
  }

  private announce(available: boolean): void {
    this.post({ v: MESH_VERSION, kind: "presence", from: this.address, available, interval: this.heartbeatMs, batches: true });
  }

  private heartbeat(): void {
    this.announce(true);
    for (const change of this.roster.sweep(Date.now())) this.left(change);
  }

  /**
   * Queues a frame; the frames of one task leave in one post at its end
   * (a drain's window and the acks of a claimed batch each become one post,
   * not one per message). Order is kept: the channel delivers one sender's
   * posts in order, and a post's frames are read in order.
   */
  private post(frame: MeshFrame): void {
    if (!this.closed) this.outgoing.add(frame);
  }

  /** One task's frames, in posts of at most {@link MAX_FRAMES_PER_POST}; each alone while a 0.1.0 tab is on the mesh. */
  private postFrames(frames: MeshFrame[]): void {
    if (this.closed) return;
    const size = this.roster.readsBatches() ? MAX_FRAMES_PER_POST : 1;
    try {
      for (let i = 0; i < frames.length; i += size) {
        const part = frames.slice(i, i + size);
        this.channel.postMessage(part.length === 1 ? part[0] : part);
      }
    } catch {
      // A closed or broken channel: our peers will see our beats stop.
    }
  }

  private settle(ref: string, outcome: SendOutcome): void {
    const p = this.pending.get(ref);
    if (!p) return;
    this.pending.delete(ref);
    p.deadline.cancel();
    p.resolve(outcome);
  }

  /** The channel's message handler: one frame or an array of them (see {@link framesOf}). */
  private receivePost(data: unknown): void {
    const frames = framesOf(data);
    if (!frames) this.stats.malformed++;
    else for (const f of frames) this.receive(f);
  }

  /** Validates one frame, dispatches it, never throws. */
  private receive(data: unknown): void {
    if (this.closed) return;
    try {
      const frame = readFrame(data, this.maxBytes);
      if (!frame) {
        this.stats.malformed++;
        return;
      }
      const from = address(frame.from).full;
      if (from === this.address) return;
      if (frame.kind === "presence") this.onPresenceFrame(frame, from);
      else if (frame.kind === "message") this.onMessageFrame(frame, from);
      else this.onAckFrame(frame, from);
    } catch {
      this.stats.malformed++;
    }
  }

  private onPresenceFrame(frame: PresenceFrame, from: string): void {
    if (!frame.available) {
      const change = this.roster.leave(from);
      if (change) this.left(change);
      return;
    }
    const change = this.roster.see(from, frame.interval, Date.now(), frame.batches);
    if (!change) return;
    // A newcomer learns of us now rather than at our next beat.
    this.announce(true);
    if (change.bareChanged && change.bare !== this.self) this.presence.emit({ peer: change.bare, available: true });
  }

  /** A tab left: sends waiting on it can no longer be acked by it. */
  private left(change: RosterChange): void {
    for (const [ref, p] of this.pending) {
      if (p.target === change.full || (change.bareChanged && p.peer === change.bare)) {
        this.settle(ref, { status: "unknown", reason: "recipient-left" });
      }
    }
    if (change.bareChanged && change.bare !== this.self) this.presence.emit({ peer: change.bare, available: false });
  }

  private onMessageFrame(frame: MessageFrame, from: string): void {
    const to = address(frame.to);
    if (to.bare !== this.self || (to.resource && to.full !== this.address)) return;
    const el = readMessage(frame.stanza, this.maxBytes);
    if (bareJid(el.attrs.to) !== this.self) {
      this.stats.malformed++;
      return;
    }
    if (this.messages.size === 0) return;
    this.stats.received++;
    const taken = this.messages.emit(el);
    const ack: AckFrame = { v: MESH_VERSION, kind: "ack", from: this.address, to: from, ref: frame.ref, id: stanzaId(el, frame.ref) };
    void Promise.all(taken).then(
      () => {
        if (this.closed) return;
        this.stats.acksSent++;
        this.post(ack);
      },
      () => undefined, // a listener could not take it: no ack, the sender keeps it
    );
  }

  private onAckFrame(frame: AckFrame, from: string): void {
    if (address(frame.to).full !== this.address) return;
    const p = this.pending.get(frame.ref);
    if (!p || bareJid(from) !== p.peer || frame.id !== p.id) return;
    this.settle(frame.ref, { status: "delivered" });
  }
}
