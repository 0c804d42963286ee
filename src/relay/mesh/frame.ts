import type { Element } from "@xmpp/xml";
import { address } from "../../core/jid.ts";
import { originIdOf } from "../../core/prepare.ts";
import { isPlainObject } from "../../core/options.ts";

/** Version of the mesh wire format (the local mesh's and the WebRTC relay's); frames of any other version are refused. */
export const MESH_VERSION = 1;

/** A participant's presence: sent on join, as a heartbeat, and (unavailable) on leaving. */
export interface PresenceFrame {
  v: typeof MESH_VERSION;
  kind: "presence";
  /** Full JID of the tab: `bare/resource`. */
  from: string;
  available: boolean;
  /** The sender's heartbeat interval in ms: it counts as gone after a few missed beats. */
  interval: number;
  /**
   * The tab reads posts that carry several frames (an array, see
   * {@link framesOf}). Absent from tabs of 0.1.0, which read one frame per
   * post; while such a tab is on the mesh, nobody batches.
   */
  batches?: true;
}

/** A message stanza for one bare JID (every tab of it) or one full JID. */
export interface MessageFrame {
  v: typeof MESH_VERSION;
  kind: "message";
  from: string;
  to: string;
  /** Unique per post: the ack names it. */
  ref: string;
  /** The `<message/>` stanza as XML. */
  stanza: string;
}

/** A recipient tab's delivery ack for one message frame, addressed to the sending tab. */
export interface AckFrame {
  v: typeof MESH_VERSION;
  kind: "ack";
  from: string;
  to: string;
  ref: string;
  /** The stanza's XEP-0359 origin-id (else its `id`), for the sender's records. */
  id: string;
}

/** Everything that travels on the mesh channel. */
export type MeshFrame = PresenceFrame | MessageFrame | AckFrame;

/**
 * Most frames one post may carry. A drain's window (200) with as many acks
 * fits; a longer array is refused whole.
 */
export const MAX_FRAMES_PER_POST = 1000;

/**
 * Longest post of several frames on a WebRTC data channel, in characters of
 * JSON, that a relay reads. A sender keeps its posts within its channel's
 * message size too (`RTCSctpTransport.maxMessageSize`, 64 KiB when not
 * known: RFC 8831's default), at up to 3 bytes of UTF-8 a character. A
 * longer frame goes alone.
 */
export const MAX_BATCH_CHARS = 80_000;

/**
 * The frames one post carries, in order: a post is one frame, or (from
 * tabs that announce `batches`) an array of them, which costs the channel
 * one post instead of one per frame (bench/chromium-costs.mjs). Null for an empty
 * array or one longer than {@link MAX_FRAMES_PER_POST}. Each entry is still
 * unchecked: read it with {@link readFrame}.
 */
export function framesOf(post: unknown): readonly unknown[] | null {
  if (!Array.isArray(post)) return [post];
  return post.length > 0 && post.length <= MAX_FRAMES_PER_POST ? post : null;
}

/** The id a delivery ack carries: the stanza's XEP-0359 origin-id, else its `id`, else the frame ref. */
export function stanzaId(el: Element, ref: string): string {
  return originIdOf(el) || el.attrs.id || ref;
}

/** Shortest heartbeat interval a peer may announce, in ms (shorter is a flood). */
export const MIN_INTERVAL = 5;
/** Longest heartbeat interval a peer may announce, in ms (longer keeps a dead tab "available" too long). */
export const MAX_INTERVAL = 60_000;
const MAX_REF = 128;


function text(x: unknown, max: number): x is string {
  return typeof x === "string" && x.length > 0 && x.length <= max;
}

function jidOk(x: unknown, needResource: boolean): x is string {
  if (typeof x !== "string" || (needResource && !x.includes("/"))) return false;
  try {
    address(x);
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks data read from the channel against the wire format. The channel
 * is a trust boundary even within one origin (another script, another
 * version of the app, a bug): anything off-shape gives null, never throws.
 * The stanza itself is parsed by the caller, who knows the size cap.
 */
export function readFrame(data: unknown, maxStanzaChars: number): MeshFrame | null {
  if (!isPlainObject(data) || data.v !== MESH_VERSION || !jidOk(data.from, true)) return null;
  const from = data.from;
  switch (data.kind) {
    case "presence": {
      const { available, interval } = data;
      if (typeof available !== "boolean" || typeof interval !== "number") return null;
      if (!(interval >= MIN_INTERVAL && interval <= MAX_INTERVAL)) return null;
      return { v: MESH_VERSION, kind: "presence", from, available, interval, ...(data.batches === true && { batches: true }) };
    }
    case "message": {
      const { to, ref, stanza } = data;
      if (!jidOk(to, false) || !text(ref, MAX_REF) || !text(stanza, maxStanzaChars)) return null;
      return { v: MESH_VERSION, kind: "message", from, to, ref, stanza };
    }
    case "ack": {
      const { to, ref, id } = data;
      if (!jidOk(to, true) || !text(ref, MAX_REF) || !text(id, 1024)) return null;
      return { v: MESH_VERSION, kind: "ack", from, to, ref, id };
    }
    default:
      return null;
  }
}
