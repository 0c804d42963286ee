// In-memory stand-ins for the parts of RTCDataChannel and RTCPeerConnection that
// WebRtcRelay uses (Node has no WebRTC). The real channels run in
// test/e2e/webrtc.e2e.ts; these let the unit suite (and mutation testing) check
// the relay's own rules: presence, frames, acks, drops.

/** One end of an in-memory, ordered, reliable channel. */
export class TestChannel extends EventTarget {
  readyState: RTCDataChannelState = "connecting";
  other: TestChannel | null = null;
  /** Frames written on this end, as sent. */
  readonly sent: string[] = [];
  /** When true, `send` throws (as a closing channel or an over-long message does). */
  refuseSends = false;

  send(data: string): void {
    if (this.readyState !== "open") throw new DOMException("The channel is not open", "InvalidStateError");
    if (this.refuseSends) throw new DOMException("Message too large", "OperationError");
    this.sent.push(data);
    const to = this.other;
    // Delivered on a later task, in order, as a data channel does.
    setTimeout(() => {
      if (to?.readyState === "open") to.dispatchEvent(new MessageEvent("message", { data }));
    }, 0);
  }

  /** Opens this end (fires `open`). */
  open(): void {
    if (this.readyState !== "connecting") return;
    this.readyState = "open";
    this.dispatchEvent(new Event("open"));
  }

  /** Closes both ends; each fires `close` once. */
  close(): void {
    for (const end of [this, this.other]) {
      if (!end || end.readyState === "closed") continue;
      end.readyState = "closed";
      setTimeout(() => end.dispatchEvent(new Event("close")), 0);
    }
  }

  /** Delivers raw data to this end, as if the peer had sent it. */
  receive(data: unknown): void {
    this.dispatchEvent(new MessageEvent("message", { data }));
  }
}

/** Two connected ends, both still connecting: call `open()` on each (or {@link openPair}). */
export function channelPair(): [TestChannel, TestChannel] {
  const a = new TestChannel();
  const b = new TestChannel();
  a.other = b;
  b.other = a;
  return [a, b];
}

/** The connection state a relay watches for ICE failure. */
export class TestConnection extends EventTarget {
  connectionState: RTCPeerConnectionState = "connected";
  iceConnectionState: RTCIceConnectionState = "connected";
  closed = false;
  /** The SCTP transport's message size, when a test sets one (null: not negotiated yet). */
  sctp: { maxMessageSize: number } | null = null;

  close(): void {
    this.closed = true;
  }

  /** Moves to a state and fires the events a browser fires. */
  set(state: { connection?: RTCPeerConnectionState; ice?: RTCIceConnectionState }): void {
    if (state.connection) {
      this.connectionState = state.connection;
      this.dispatchEvent(new Event("connectionstatechange"));
    }
    if (state.ice) {
      this.iceConnectionState = state.ice;
      this.dispatchEvent(new Event("iceconnectionstatechange"));
    }
  }
}

/** As the relay's `attach` types them. */
export const asChannel = (c: TestChannel) => c as unknown as RTCDataChannel;
export const asConnection = (c: TestConnection) => c as unknown as RTCPeerConnection;

/**
 * A stand-in RTCPeerConnection for signalling tests: offers and answers are
 * tokens naming the connection that made them; applying an answer joins the
 * offerer's data channel to a new one, announced on the answerer's side by
 * `datachannel`. Install with `vi.stubGlobal("RTCPeerConnection", TestPeerConnection)`.
 */
export class TestPeerConnection extends EventTarget {
  private static made = new Map<string, TestPeerConnection>();
  private static count = 0;
  readonly name = `pc${++TestPeerConnection.count}`;
  signalingState: RTCSignalingState = "stable";
  connectionState: RTCPeerConnectionState = "new";
  iceConnectionState: RTCIceConnectionState = "new";
  iceGatheringState: RTCIceGatheringState = "complete";
  localDescription: RTCSessionDescriptionInit | null = null;
  closed = false;
  private channel: TestChannel | null = null;
  private offerer: TestPeerConnection | null = null;

  createDataChannel(): TestChannel {
    return (this.channel = new TestChannel());
  }

  async createOffer(): Promise<RTCSessionDescriptionInit> {
    return { type: "offer", sdp: `offer:${this.name}` };
  }

  async createAnswer(): Promise<RTCSessionDescriptionInit> {
    return { type: "answer", sdp: `answer:${this.name}` };
  }

  async setLocalDescription(d: RTCSessionDescriptionInit): Promise<void> {
    this.localDescription = d;
    this.signalingState = d.type === "offer" ? "have-local-offer" : "stable";
    TestPeerConnection.made.set(d.sdp!, this);
  }

  async setRemoteDescription(d: RTCSessionDescriptionInit): Promise<void> {
    const other = TestPeerConnection.made.get(d.sdp ?? "");
    if (!other || this.closed) throw new DOMException("Unknown description", "InvalidAccessError");
    if (d.type === "offer") {
      this.offerer = other;
      this.signalingState = "have-remote-offer";
      return;
    }
    if (this.signalingState !== "have-local-offer" || other.offerer !== this) throw new DOMException("Wrong state", "InvalidStateError");
    this.signalingState = "stable";
    const [mine, theirs] = [this.channel!, new TestChannel()];
    mine.other = theirs;
    theirs.other = mine;
    for (const pc of [this, other]) pc.connectionState = pc.iceConnectionState = "connected" as never;
    other.dispatchEvent(Object.assign(new Event("datachannel"), { channel: theirs }));
    setTimeout(() => (mine.open(), theirs.open()), 0);
  }

  close(): void {
    this.closed = true;
    this.signalingState = "closed";
    this.channel?.close();
  }
}
