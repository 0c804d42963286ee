/**
 * WebRTC signalling through a PeerJS server (npm `peer`), with the `peerjs`
 * client: its own entry, so apps that signal otherwise never bundle peerjs.
 */
import { Peer, type DataConnection, type PeerOptions } from "peerjs";
import { InvalidOptionError } from "../../../core/errors.ts";
import { bareJid } from "../../../core/jid.ts";
import { withTimeout } from "../../../core/timeout.ts";
import type { WebRtcRelay } from "../relay.ts";
import { Redial } from "../redial.ts";

const PREFIX = "oe-";

/**
 * The PeerJS id of a bare JID: `oe-` and the JID's UTF-8 bytes in hex (PeerJS
 * ids allow letters, digits, `-` and `_` only). Anyone may register any id on
 * a PeerJS server: it names a JID, it proves nothing (see README).
 */
export function peerIdOf(jid: string): string {
  let hex = "";
  for (const b of new TextEncoder().encode(bareJid(jid))) hex += b.toString(16).padStart(2, "0");
  return PREFIX + hex;
}

/** The bare JID a PeerJS id of ours names; null for any other id. */
export function jidOfPeerId(id: string): string | null {
  if (!id.startsWith(PREFIX) || !/^([0-9a-f]{2})+$/.test(id.slice(PREFIX.length))) return null;
  const bytes = id.slice(PREFIX.length).match(/../g)!.map((h) => parseInt(h, 16));
  try {
    return bareJid(new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array(bytes)));
  } catch {
    return null;
  }
}

/** Where the PeerJS server is (`host`, `port`, `path`, `key`, `secure`, ICE `config`), and how long to wait for it. */
export interface PeerJsOptions extends PeerOptions {
  /** How long `start` waits for the server to take our id. Default 10000 ms. */
  startTimeoutMs?: number;
}

/**
 * Registers our bare JID (as {@link peerIdOf}) on a PeerJS server, attaches
 * every data connection a peer opens to us, and dials peers on `connect`.
 * One registration per bare JID: a second tab of the same user is refused
 * by the server (`unavailable-id`). A channel that breaks is dialed again
 * ({@link Redial}).
 */
export class PeerJsSignalling {
  private readonly redial: Redial;

  private constructor(
    private readonly relay: WebRtcRelay,
    /** The PeerJS client (for its `error` events, say). */
    readonly peer: Peer,
  ) {
    peer.on("connection", (conn) => this.accept(conn));
    this.redial = new Redial(relay, (p) => this.connect(p));
  }

  /** Connects to the server; resolves once it has taken our id. */
  static async start(relay: WebRtcRelay, options: PeerJsOptions = {}): Promise<PeerJsSignalling> {
    const { startTimeoutMs = 10_000, ...peerOptions } = options;
    const peer = new Peer(peerIdOf(relay.self), peerOptions);
    const opened = new Promise<void>((resolve, reject) => {
      peer.once("open", () => resolve());
      peer.once("error", (e) => reject(new InvalidOptionError(`PeerJS server refused us: ${e.type}: ${e.message}`)));
    });
    try {
      await withTimeout(opened, startTimeoutMs, "PeerJS server");
    } catch (e) {
      peer.destroy();
      throw e;
    }
    // Dialing a peer that is not registered fails with `peer-unavailable`: it dials us when it comes.
    peer.on("error", () => undefined);
    return new PeerJsSignalling(relay, peer);
  }

  /** Dials `peer` (a JID) unless a channel to it is already attached or opening. */
  connect(peer: string): void {
    const bare = bareJid(peer);
    if (this.relay.hasChannel(bare) || this.peer.destroyed) return;
    this.accept(this.peer.connect(peerIdOf(bare), { reliable: true, serialization: "raw" }), bare);
  }

  /** Leaves the server and closes the connections it made. */
  close(): void {
    this.redial.stop();
    this.peer.destroy();
  }

  /** Attaches a connection's channel once open; `bare` when we dialed, else from the caller's id. */
  private accept(conn: DataConnection, bare = jidOfPeerId(conn.peer)): void {
    if (!bare || bare === this.relay.self) return void conn.close();
    conn.once("open", () => this.relay.attach(bare, conn.dataChannel, { connection: conn.peerConnection, closeConnection: true }));
  }
}
