// Drain 1,000 queued messages to one peer over a real Prosody, against
// Prosody's own server-side offline storage (mod_offline) delivering the same
// 1,000 at login, in the same run. Both are timed in bob's page, from the
// start of his login to his app holding all 1,000.
// Run: node bench/drain-xmpp.mjs [rounds]
import { xml } from "@xmpp/xml";
import { connectClient, startProsody } from "../test/prosody/prosody.mjs";
import { fmt, median, openHarness, startBench } from "./lib.mjs";

const ROUNDS = Number(process.argv[2] ?? 3);
const N = Number(process.env.N ?? 1000);
const unlimited = { access: { max_user_offline_messages: [{ acl: "all", value: "infinity" }] } };

async function server(offline) {
  const s = await startProsody({ offline, users: [["alice", "secret"], ["bob", "secret"]] });
  // Mutual presence subscription (pre-approve, then ask), as the chat app's roster has it.
  const [a, b] = await Promise.all(["alice", "bob"].map((username) => connectClient(s, { username })));
  for (const [c, peer] of [[a, "bob@localhost"], [b, "alice@localhost"]]) {
    await c.send(xml("presence", { type: "subscribed", to: peer }));
    await c.send(xml("presence", { type: "subscribe", to: peer }));
  }
  await Promise.all([a.iqCaller.request(xml("iq", { type: "get" }, xml("ping", { xmlns: "urn:xmpp:ping" }))), b.iqCaller.request(xml("iq", { type: "get" }, xml("ping", { xmlns: "urn:xmpp:ping" })))]);
  await Promise.all([a.stop(), b.stop()]);
  return s;
}

/** Bob logs in in a fresh context; ms until his app holds n messages. */
async function bobReceives(env, service, n) {
  const context = await env.browser.newContext();
  const bob = await openHarness(context, env.baseUrl);
  const ms = await bob.evaluate(async ({ service, n }) => {
    const t0 = performance.now();
    window.chat = await window.harness.startChat({ self: "bob@localhost", relay: "xmpp", service });
    await new Promise((r, j) => {
      const c = () => (window.chat.received.length >= n ? r() : performance.now() - t0 > 120_000 ? j(new Error(`bob has ${window.chat.received.length} of ${n}`)) : setTimeout(c, 5));
      c();
    });
    return performance.now() - t0;
  }, { service, n });
  const bodies = await bob.evaluate(() => window.chat.received.map((m) => m.body));
  await context.close();
  return { ms, inOrder: bodies.length === n && bodies.every((b, i) => b === `m${i}`) };
}

const env = await startBench();
const ours = await server(false);
const theirs = await server(true);
const rows = [];
for (let r = 0; r < ROUNDS; r++) {
  // Ours: alice's store holds the 1,000 (queued while bob was away); her drain sends them when he appears.
  const ctxA = await env.browser.newContext();
  const alice = await openHarness(ctxA, env.baseUrl);
  await alice.evaluate(async ({ service, n, config }) => {
    window.chat = await window.harness.startChat({ self: "alice@localhost", relay: "xmpp", service, store: { config } });
    await window.chat.store.write(Array.from({ length: n }, (_, i) => `<message type='chat' to='bob@localhost'><body>m${i}</body><request xmlns='urn:xmpp:receipts'/></message>`));
  }, { service: ours.wsUrl, n: N, config: unlimited });
  const a = await bobReceives(env, ours.wsUrl, N);
  const left = await alice.evaluate(() => window.chat.store.count("bob@localhost"));
  await ctxA.close();

  // Baseline: alice sends the 1,000 to offline bob; Prosody's mod_offline stores them and delivers at login.
  const sender = await connectClient(theirs, { username: "alice" });
  for (let i = 0; i < N; i++) await sender.send(xml("message", { type: "chat", to: "bob@localhost" }, xml("body", {}, `m${i}`)));
  await sender.iqCaller.request(xml("iq", { type: "get" }, xml("ping", { xmlns: "urn:xmpp:ping" }))); // the server has them all
  await sender.stop();
  const b = await bobReceives(env, theirs.wsUrl, N);

  rows.push({ ours: a.ms, base: b.ms });
  console.log(`round ${r + 1}: offline-edge drain ${fmt(a.ms, 0)} ms (in order once: ${a.inOrder}, left ${left}); Prosody mod_offline ${fmt(b.ms, 0)} ms (in order: ${b.inOrder}); mod_offline/ours ${fmt(b.ms / a.ms, 2)}`);
}
console.log(`median: ours ${fmt(median(rows.map((x) => x.ours)), 0)} ms, mod_offline ${fmt(median(rows.map((x) => x.base)), 0)} ms, ratio (mod_offline time / ours) ${fmt(median(rows.map((x) => x.base / x.ours)), 2)}`);
await Promise.all([ours.stop(), theirs.stop()]);
await env.close();
