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

/**
 * Makes a page the browser floor of a drain: an XMPP relay's client alone (@xmpp/client over WebSocket,
 * as ours uses), nothing stored, which sends `n` messages with the client's own `send` the moment bob's
 * presence reaches it. `window.floorSent` then resolves with { seen, sent } (Date.now() when it saw bob,
 * and when all n were handed to the client).
 */
export function browserFloorPage(page, service, n) {
  return page.evaluate(
    async ({ service, n }) => {
      const { createXmppRelay, xml } = window.harness;
      const relay = await createXmppRelay({ service, jid: "alice@localhost", password: "secret", mechanism: "PLAIN" });
      window.floorSent = new Promise((resolve) => {
        const off = relay.onPresence((c) => {
          if (c.peer !== "bob@localhost" || !c.available) return;
          off();
          const seen = Date.now();
          for (let i = 0; i < n; i++) void relay.client.send(xml("message", { type: "chat", to: "bob@localhost", id: `f${i}` }, xml("body", {}, `m${i}`), xml("request", { xmlns: "urn:xmpp:receipts" }))).catch(() => {});
          resolve({ seen, sent: Date.now() });
        });
      });
    },
    { service, n },
  );
}
