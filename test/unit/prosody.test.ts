// Smoke test for the real-Prosody harness in test/prosody: the bounce shape our
// offline store relies on, live delivery, Prosody's own mod_offline baseline,
// XEP-0198 acks, and the WebSocket endpoint the browser demo uses.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import type { Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { xml, type Element } from "@xmpp/xml";
import {
  connectClient,
  nextStanza,
  startProsody,
  type ConnectOptions,
  type ProsodyServer,
  type XmppClient,
} from "../prosody/prosody.mjs";

const NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";
const NS_DELAY = "urn:xmpp:delay";
const ROOT = fileURLToPath(new URL("../..", import.meta.url));

// Every client a test starts is stopped in afterEach, before Prosody goes away
// (otherwise @xmpp/reconnect keeps retrying against a dead port).
const live: XmppClient[] = [];

async function login(server: ProsodyServer, opts: ConnectOptions): Promise<XmppClient> {
  // connectClient waits for "online", for XEP-0198 <enabled/> and, with
  // presence: true, for the echo of our initial presence: Prosody only routes
  // bare-JID messages to *available* resources, and send() resolving does not
  // mean the server has processed the presence yet.
  const xmpp = await connectClient(server, opts);
  live.push(xmpp);
  return xmpp;
}

/** Round-trip an XEP-0199 ping: Prosody handles a session's stanzas in order,
 * so once the result is back, every stanza sent before it has been routed and
 * any bounce for it has already been written to us. */
async function barrier(xmpp: XmppClient, server: ProsodyServer): Promise<void> {
  await xmpp.iqCaller.request(xml("iq", { type: "get", to: server.domain }, xml("ping", { xmlns: "urn:xmpp:ping" })), 5000);
}

function chat(to: string, id: string, body: string): Element {
  return xml("message", { to, id, type: "chat" }, xml("body", {}, body));
}

afterEach(async () => {
  await Promise.all(live.splice(0).map((x) => x.stop().catch(() => {})));
});

describe("Prosody harness, offline storage disabled (our normal mode)", () => {
  let server: ProsodyServer;

  beforeAll(async () => {
    server = await startProsody();
  }, 20_000);

  afterAll(async () => {
    await server?.stop();
    expect(existsSync(server.dir)).toBe(false);
  });

  it("exposes loopback URLs on its own ports", () => {
    expect(server.domain).toBe("localhost");
    expect(server.tcpUrl).toBe(`xmpp://127.0.0.1:${server.c2sPort}`);
    expect(server.wsUrl).toBe(`ws://127.0.0.1:${server.httpPort}/xmpp-websocket`);
    for (const p of [server.c2sPort, server.httpPort]) expect([5222, 5269, 5280, 5281]).not.toContain(p);
    expect(server.offline).toBe(false);
  });

  it("bounces a chat message to offline bob with service-unavailable, without echoing the body", async () => {
    const alice = await login(server, { username: "alice", presence: true });
    expect(alice.jid?.toString()).toBe("alice@localhost/r1");

    const bounce = nextStanza(alice, (s) => s.is("message") && s.attrs.id === "m1", 5000, "bounce of m1");
    await alice.send(chat("bob@localhost", "m1", "hello while you are away"));
    const err = await bounce;

    expect(err.attrs.type).toBe("error");
    expect(err.attrs.from).toBe("bob@localhost");
    expect(err.attrs.to).toBe("alice@localhost/r1");
    const error = err.getChild("error");
    expect(error?.attrs.type).toBe("cancel");
    expect(error?.getChild("service-unavailable", NS_STANZAS)).toBeDefined();
    // Prosody 0.12's st.error_reply() copies only the attributes: the original
    // <body/> is NOT echoed back, so the client must keep its own copy (by id).
    expect(err.getChild("body")).toBeUndefined();
    expect(err.getChildElements().map((c) => c.name)).toEqual(["error"]);
  });

  it("bounces even when bob is connected but has sent no initial presence", async () => {
    const alice = await login(server, { username: "alice", presence: true });
    const bob = await login(server, { username: "bob", resource: "quiet", presence: false });
    let bobGotIt = false;
    bob.on("stanza", (s) => {
      if (s.is("message") && s.attrs.id === "m-quiet") bobGotIt = true;
    });

    const bounce = nextStanza(alice, (s) => s.is("message") && s.attrs.id === "m-quiet", 5000, "bounce of m-quiet");
    await alice.send(chat("bob@localhost", "m-quiet", "are you there?"));
    const err = await bounce;
    expect(err.attrs.type).toBe("error");
    expect(err.getChild("error")?.getChild("service-unavailable", NS_STANZAS)).toBeDefined();
    await barrier(bob, server);
    expect(bobGotIt).toBe(false);
  });

  it("delivers live once bob is online with presence", async () => {
    const alice = await login(server, { username: "alice", presence: true });
    const bob = await login(server, { username: "bob", presence: true });
    let aliceBounced = false;
    alice.on("stanza", (s) => {
      if (s.is("message") && s.attrs.type === "error") aliceBounced = true;
    });

    const received = nextStanza(bob, (s) => s.is("message") && s.attrs.id === "m2", 5000, "m2 at bob");
    await alice.send(chat("bob@localhost", "m2", "hi bob"));
    const msg = await received;
    expect(msg.attrs.from).toBe("alice@localhost/r1");
    expect(msg.attrs.type).toBe("chat");
    expect(msg.getChildText("body")).toBe("hi bob");
    expect(msg.getChild("delay", NS_DELAY)).toBeUndefined();
    await barrier(alice, server);
    expect(aliceBounced).toBe(false);
  });

  it("bounces with recipient-unavailable when bob's stream closes with the message unacked", async () => {
    const bob = await login(server, { username: "bob", presence: true });
    const alice = await login(server, { username: "alice", presence: true });
    bob.reconnect.stop();
    const bobSocket = bob.socket as Socket;
    bobSocket.pause(); // bob stops reading: Prosody routes m-lost to him, it sits unacked in his XEP-0198 queue

    alice.streamManagement.requestAckDebounce = 0;
    const acked = new Promise<void>((resolve) => {
      alice.streamManagement.on("ack", (s: Element) => s.attrs.id === "m-lost" && resolve());
    });
    const bounce = nextStanza(alice, (s) => s.is("message") && s.attrs.id === "m-lost", 5000, "bounce of m-lost");
    await alice.send(chat("bob@localhost", "m-lost", "into the void"));
    await acked; // the server's ack means "Prosody has it", not "bob has it"

    bobSocket.write("</stream:stream>"); // a clean close without <a/>: no hibernation, unacked stanzas bounce now
    const err = await bounce;
    bobSocket.destroy();
    expect(err.attrs.type).toBe("error");
    expect(err.attrs.from).toBe("bob@localhost");
    expect(err.getChild("error")?.attrs.type).toBe("cancel");
    expect(err.getChild("error")?.getChild("recipient-unavailable", NS_STANZAS)).toBeDefined();
    expect(err.getChild("body")).toBeUndefined();
  });

  it("negotiates XEP-0198 and reports server acks through streamManagement 'ack'", async () => {
    const alice = await login(server, { username: "alice", presence: true });
    const sm = alice.streamManagement;
    expect(sm.enabled).toBe(true);
    expect(sm.id).not.toBe("");
    sm.requestAckDebounce = 0; // ask for <a/> right after the send instead of 250 ms later

    const acked = new Promise<Element>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no ack for m-sm within 5 s")), 5000);
      const onAck = (stanza: Element) => {
        if (stanza.attrs.id !== "m-sm") return;
        clearTimeout(timer);
        sm.removeListener("ack", onAck);
        resolve(stanza);
      };
      sm.on("ack", onAck);
    });
    const before = sm.outbound;
    await alice.send(chat("carol@localhost", "m-sm", "acked?")); // carol does not exist: still acked, then bounced
    const stanza = await acked;
    expect(stanza.is("message")).toBe(true);
    expect(sm.outbound).toBeGreaterThan(before);
    expect(sm.outbound_q.some((q) => q.stanza.attrs.id === "m-sm")).toBe(false);
  });

  it("accepts an XMPP-over-WebSocket login at wsUrl (Node's --experimental-websocket in a child)", async () => {
    // `ws` is not installed (and Node 20 has no global WebSocket by default),
    // so run @xmpp/client in a child node with the built-in WebSocket enabled.
    const script = `
      import { xml } from "@xmpp/client";
      import { connectClient } from "./test/prosody/prosody.mjs";
      const server = { wsUrl: process.env.WS_URL, tcpUrl: "", domain: "localhost" };
      const x = await connectClient(server, { username: "bob", resource: "ws", transport: "ws", presence: true });
      const pong = await x.iqCaller.request(xml("iq", { type: "get", to: "localhost" }, xml("ping", { xmlns: "urn:xmpp:ping" })), 5000);
      console.log(JSON.stringify({ jid: x.jid.toString(), pong: pong.attrs.type, sm: x.streamManagement.enabled, secure: x.isSecure() }));
      await x.stop();
      process.exit(0); // don't linger on the WebSocket closing handshake
    `;
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ["--experimental-websocket", "--no-warnings", "--input-type=module", "-e", script],
        { cwd: ROOT, env: { ...process.env, WS_URL: server.wsUrl }, timeout: 25_000 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stdout}\n${stderr}`)) : resolve(stdout)),
      );
    });
    const result = JSON.parse(out.trim().split("\n").pop() ?? "{}");
    expect(result).toEqual({ jid: "bob@localhost/ws", pong: "result", sm: true, secure: true });
  }, 30_000); // a child node that loads @xmpp/client: seconds on a busy machine
});

describe("Prosody harness, offline storage enabled (mod_offline baseline)", () => {
  let server: ProsodyServer;

  beforeAll(async () => {
    server = await startProsody({ offline: true });
  }, 20_000);

  afterAll(async () => {
    await server?.stop();
  });

  it("stores a message for offline bob and delivers it with a delay stamp when he comes online", async () => {
    expect(server.offline).toBe(true);
    const alice = await login(server, { username: "alice", presence: true });
    let bounced = false;
    alice.on("stanza", (s) => {
      if (s.is("message") && s.attrs.type === "error") bounced = true;
    });
    await alice.send(chat("bob@localhost", "m3", "stored for later"));
    await barrier(alice, server);
    expect(bounced).toBe(false);

    // Offline messages are flushed by mod_offline on bob's initial presence.
    const bob = await login(server, { username: "bob", presence: false });
    const delivered = nextStanza(bob, (s) => s.is("message") && s.attrs.id === "m3", 5000, "m3 from mod_offline");
    await bob.send(xml("presence"));
    const msg = await delivered;
    expect(msg.attrs.from).toBe("alice@localhost/r1");
    expect(msg.getChildText("body")).toBe("stored for later");
    const delay = msg.getChild("delay", NS_DELAY);
    expect(delay?.attrs.from).toBe("localhost");
    expect(Number.isNaN(Date.parse(delay?.attrs.stamp ?? ""))).toBe(false);
  });

  it("registers users at runtime with prosodyctl", async () => {
    await server.register("dave", "pw2");
    const dave = await login(server, { username: "dave", password: "pw2" });
    expect(dave.jid?.toString()).toBe("dave@localhost/r1");
  });
});
