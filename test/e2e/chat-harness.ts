// A chat session in a test page: store + relay + messenger, with what the
// app saw recorded on window.chat for the test to read.
import type { Element } from "@xmpp/xml";
import { createOfflineStore, type CreateOfflineStoreOptions } from "../../src/client/create.ts";
import { Messenger } from "../../src/messaging/messenger.ts";
import { MemorySeenIds } from "../../src/messaging/receive/claims.ts";
import { NS } from "../../src/core/namespaces.ts";
import type { DeliveryStatus } from "../../src/messaging/send/status-book.ts";
import { MeshRelay } from "../../src/relay/mesh/relay.ts";
import type { Relay } from "../../src/relay/relay.ts";
import { createXmppRelay } from "../../src/relay/xmpp/index.ts";
import { WebRtcRelay, XmppSignalling } from "../../src/relay/webrtc/index.ts";
import { PeerJsSignalling } from "../../src/relay/webrtc/peerjs/index.ts";

export interface ChatOptions {
  self: string;
  relay: "mesh" | "xmpp" | "webrtc";
  /**
   * WebRTC: how channels are signalled (XMPP via `service`; PeerJS on
   * 127.0.0.1:`peerPort`; "byo": the test carries offers and answers through
   * `byo`), and whom to dial at start.
   */
  signalling?: "xmpp" | "peerjs" | "byo";
  peerPort?: number;
  dial?: string[];
  /** XMPP: ws URL, password. */
  service?: string;
  password?: string;
  store?: CreateOfflineStoreOptions;
  heartbeatMs?: number;
  drainBatch?: number;
  /** The drain's window (messages in flight per peer); default 2 × batch. */
  drainWindow?: number;
  /** Keep what the app was handed in localStorage too (survives the tab closing). */
  history?: boolean;
  /** Seen ids in memory only, not IndexedDB (benchmarks: what persisted claims cost). */
  memorySeen?: boolean;
  /**
   * The page starts to leave (a `pagehide`, as when its tab closes) in the
   * very task its app is handed the Nth message, or sees its Nth message
   * delivered: a test then closes the tab knowing it left mid-drain, however
   * slow the machine. `chat.left` turns true.
   */
  leaveAfter?: LeaveAfter;
}

/** When a test page starts to leave: at its app's Nth message received, or its Nth delivered. */
export interface LeaveAfter {
  received?: number;
  delivered?: number;
}

/** What the app was handed: body, delay text and stamp, origin-id. */
export interface Received {
  from: string;
  body: string;
  delay: string | null;
  stamp: string | null;
  id: string | null;
}

function received(el: Element): Received {
  const delay = el.getChild("delay", NS.delay);
  return {
    from: el.attrs.from ?? "",
    body: el.getChildText("body") ?? "",
    delay: delay ? delay.getText() : null,
    stamp: delay?.attrs.stamp ?? null,
    id: el.getChild("origin-id", NS.sid)?.attrs.id ?? null,
  };
}

const xmppLogin = (o: ChatOptions) => createXmppRelay({ service: o.service!, jid: o.self, password: o.password ?? "secret", mechanism: "PLAIN" });

/** A WebRTC relay with its signalling; what to call on leaving. */
async function webrtc(o: ChatOptions) {
  const relay = new WebRtcRelay({ self: o.self, heartbeatMs: o.heartbeatMs ?? 500 });
  const errors: { name: string; code: string; reason: string; peer: string }[] = [];
  relay.onError((e) => errors.push({ name: e.name, code: e.code, reason: e.reason, peer: e.peer }));
  let stop = () => undefined as unknown;
  if (o.signalling === "peerjs") {
    const s = await PeerJsSignalling.start(relay, { host: "127.0.0.1", port: o.peerPort, path: "/", config: { iceServers: [] } });
    for (const p of o.dial ?? []) s.connect(p);
    stop = () => s.close();
  } else if (o.signalling === "xmpp") {
    const xmpp = await xmppLogin(o);
    const s = new XmppSignalling(relay, xmpp.client, { iceServers: [] });
    await Promise.all((o.dial ?? []).map((p) => s.connect(p)));
    stop = () => void xmpp.close();
  }
  return { relay, errors, stop, byo: byo(relay) };
}

/** Bring-your-own signalling as an app would do it: its own RTCPeerConnection, the offer and answer carried by the test. */
function byo(relay: WebRtcRelay) {
  const connections = new Map<string, RTCPeerConnection>();
  const channels = new Map<string, RTCDataChannel>();
  const gathered = async (c: RTCPeerConnection) => {
    await c.setLocalDescription();
    while (c.iceGatheringState !== "complete") await new Promise((r) => c.addEventListener("icegatheringstatechange", r, { once: true }));
    return c.localDescription!.sdp;
  };
  return {
    channels,
    async offer(peer: string): Promise<string> {
      const c = new RTCPeerConnection({ iceServers: [] });
      connections.set(peer, c);
      const channel = c.createDataChannel("app");
      channels.set(peer, channel);
      relay.attach(peer, channel, { connection: c });
      return gathered(c);
    },
    async answer(peer: string, sdp: string): Promise<string> {
      const c = new RTCPeerConnection({ iceServers: [] });
      c.addEventListener("datachannel", (e) => {
        channels.set(peer, e.channel);
        relay.attach(peer, e.channel, { connection: c });
      });
      await c.setRemoteDescription({ type: "offer", sdp });
      return gathered(c);
    },
    accept: (peer: string, sdp: string) => connections.get(peer)!.setRemoteDescription({ type: "answer", sdp }),
  };
}

export async function startChat(o: ChatOptions) {
  const store = await createOfflineStore({ timeoutMs: 30_000, ...o.store });
  const rtc = o.relay === "webrtc" ? await webrtc(o) : null;
  const relay: Relay = rtc ? rtc.relay : o.relay === "mesh" ? new MeshRelay({ self: o.self, heartbeatMs: o.heartbeatMs ?? 200 }) : await xmppLogin(o);
  const inbox = o.memorySeen ? { seen: new MemorySeenIds() } : undefined;
  const messenger = await Messenger.start({ store, relay, inbox, drain: { batchSize: o.drainBatch, window: o.drainWindow, retryMs: 500 } });
  const chat = {
    store,
    relay,
    rtc,
    messenger,
    received: [] as Received[],
    statuses: [] as DeliveryStatus[],
    left: false,
    send: (to: string, body: string, extra = "", type = "chat") =>
      messenger.send(`<message type='${type}' to='${to}'><body>${body}</body>${extra}</message>`),
  };
  messenger.onMessage((el) => {
    const r = received(el);
    chat.received.push(r);
    if (o.history) {
      // The app's history, kept synchronously so that it survives the tab closing right after.
      const key = `history:${o.self}`;
      localStorage.setItem(key, JSON.stringify([...JSON.parse(localStorage.getItem(key) ?? "[]"), r.body]));
    }
    // A test may listen from Node (page.exposeFunction), across page closes.
    (window as { onReceived?: (r: Received) => void }).onReceived?.(r);
    if (chat.received.length === o.leaveAfter?.received) leave();
  });
  let delivered = 0;
  messenger.onStatus((s) => {
    chat.statuses.push(s);
    if (s.state === "delivered" && ++delivered === o.leaveAfter?.delivered) leave();
  });
  const leave = () => {
    chat.left = true;
    dispatchEvent(new PageTransitionEvent("pagehide", { persisted: false }));
  };
  addEventListener("pagehide", () => {
    void relay.close();
    rtc?.stop();
  });
  return chat;
}
