import { randomId } from "../xmpp/ids.ts";
import type { WebRtcRelay } from "./relay.ts";

/** One negotiation message between two relays, whatever carries it: a whole offer or answer (ICE gathered first, no trickle). */
export interface Signal {
  /** Names one dial: the answer carries the offer's. */
  sid: string;
  kind: "offer" | "answer";
  sdp: string;
}

const MAX_SDP = 64 * 1024;

/** Checks a signal read from the carrier; null when it is not one. */
export function readSignal(sid: unknown, kind: unknown, sdp: unknown): Signal | null {
  if (typeof sid !== "string" || !/^[A-Za-z0-9_-]{1,64}$/.test(sid)) return null; // randomId()'s alphabet
  if (kind !== "offer" && kind !== "answer") return null;
  if (typeof sdp !== "string" || sdp.length === 0 || sdp.length > MAX_SDP) return null;
  return { sid, kind, sdp };
}

/** Label of the data channels we dial. */
export const CHANNEL_LABEL = "offline-edge";

/**
 * Offer/answer for signallers that carry text (XMPP): dials a peer with a
 * new RTCPeerConnection and one data channel, answers offers, and attaches
 * each channel to the relay (which then owns the connection). Candidates go
 * inside the SDP: ICE gathering finishes before an offer or answer is sent,
 * quick with host candidates, so one message each way is all it takes.
 */
export class Negotiator {
  private readonly dials = new Map<string, { peer: string; connection: RTCPeerConnection; detach: () => void }>();

  constructor(
    private readonly relay: WebRtcRelay,
    /** Carries a signal to `to` (where the peer's answer must go: a full JID, or a bare one for an offer). */
    private readonly carry: (to: string, signal: Signal) => void,
    private readonly rtc: RTCConfiguration = {},
    private readonly gatherMs = 5000,
  ) {}

  /** Offers a channel to `peer`, sent to `to` (default the peer itself). */
  async dial(peer: string, to = peer): Promise<void> {
    const connection = new RTCPeerConnection(this.rtc);
    const sid = randomId();
    const detach = this.relay.attach(peer, connection.createDataChannel(CHANNEL_LABEL), { connection, closeConnection: true });
    this.dials.set(sid, { peer, connection, detach });
    // A dial nobody answers in time is dropped (and its connection closed).
    setTimeout(() => this.forget(sid), this.gatherMs * 4);
    try {
      await connection.setLocalDescription(await connection.createOffer());
      this.carry(to, { sid, kind: "offer", sdp: await this.gathered(connection) });
    } catch {
      this.forget(sid);
    }
  }

  /** A signal from `peer` (bare JID) that came from `from` (where to answer). */
  async receive(peer: string, from: string, signal: Signal): Promise<void> {
    if (signal.kind === "answer") {
      const dial = this.dials.get(signal.sid);
      if (!dial || dial.peer !== peer || dial.connection.signalingState !== "have-local-offer") return;
      this.dials.delete(signal.sid);
      await dial.connection.setRemoteDescription({ type: "answer", sdp: signal.sdp }).catch(() => dial.detach());
      return;
    }
    const connection = new RTCPeerConnection(this.rtc);
    let attached = false;
    connection.addEventListener("datachannel", (e) => {
      attached = true;
      this.relay.attach(peer, e.channel, { connection, closeConnection: true });
    }, { once: true });
    setTimeout(() => attached || connection.close(), this.gatherMs * 4);
    try {
      await connection.setRemoteDescription({ type: "offer", sdp: signal.sdp });
      await connection.setLocalDescription(await connection.createAnswer());
      this.carry(from, { sid: signal.sid, kind: "answer", sdp: await this.gathered(connection) });
    } catch {
      connection.close();
    }
  }

  /** Closes the dials still unanswered. */
  close(): void {
    for (const sid of [...this.dials.keys()]) this.forget(sid);
  }

  private forget(sid: string): void {
    const dial = this.dials.get(sid);
    if (!dial) return;
    this.dials.delete(sid);
    dial.detach();
  }

  /** The local description once ICE gathering is complete (or after `gatherMs`, with what was gathered). */
  private async gathered(c: RTCPeerConnection): Promise<string> {
    if (c.iceGatheringState !== "complete") {
      await new Promise<void>((resolve) => {
        const done = () => {
          if (c.iceGatheringState !== "complete") return;
          c.removeEventListener("icegatheringstatechange", done);
          resolve();
        };
        c.addEventListener("icegatheringstatechange", done);
        setTimeout(resolve, this.gatherMs);
      });
    }
    return c.localDescription!.sdp;
  }
}
