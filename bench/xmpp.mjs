// XMPP set-up shared by the XMPP benchmarks.
import { xml } from "@xmpp/xml";
import { connectClient } from "../test/prosody/prosody.mjs";

const ping = () => xml("iq", { type: "get" }, xml("ping", { xmlns: "urn:xmpp:ping" }));

/** alice and bob with a mutual presence subscription (pre-approve, then ask), as a chat app's roster has it. */
export async function subscribed(server) {
  const [a, b] = await Promise.all(["alice", "bob"].map((username) => connectClient(server, { username })));
  for (const [c, peer] of [[a, "bob@localhost"], [b, "alice@localhost"]]) {
    await c.send(xml("presence", { type: "subscribed", to: peer }));
    await c.send(xml("presence", { type: "subscribe", to: peer }));
  }
  await Promise.all([a.iqCaller.request(ping()), b.iqCaller.request(ping())]);
  await Promise.all([a.stop(), b.stop()]);
}

/**
 * Starts a plain client and waits for its XEP-0198 <enabled/> (and one macrotask, for
 * @xmpp/stream-management's own continuation): @xmpp/client 0.14 resolves start() before, and a
 * stanza that arrives in between is counted and then forgotten, which makes Prosody kill the stream.
 */
export async function smSettled(c) {
  const enabled = new Promise((resolve) => c.on("nonza", (n) => n.name === "enabled" && setTimeout(resolve, 0)));
  await c.start();
  await enabled;
}
