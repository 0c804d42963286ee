// Where an XMPP drain's time goes: one drain of N queued messages from alice
// (offline-edge in Chromium) to bob, a plain @xmpp/client in Node (answering
// receipts or not), over a private Prosody with offline storage off. Prints a
// timeline in ms from bob's initial presence: alice's relay sees him, each
// store peek and ack (call and answer), relay sends, WebSocket writes,
// accepts (server-acked, grace window left), receipts in, deliveries (every
// 100th), bob's arrivals, and when alice's queue is empty. PROFILE=1 also
// writes CPU profiles of alice's page and service worker to
// bench/profiles/drain-xmpp-<kind>-<page|worker>.cpuprofile and prints their
// busy and idle time and top functions (MINIFY=0 keeps the names readable). Ends with the CPU time each kind of
// process on the machine used (Chromium's by process type).
// FLOOR=1: alice's page is bench/drain-xmpp.mjs's browser floor instead (only an XMPP relay's client, nothing
// stored, the N sent at bob's presence), to see what a page pays with none of our code in the way.
// Run: KIND=plain|receipts N=1000 [BATCH=100] [WINDOW=200] [FLOOR=1] [PROFILE=1 [MINIFY=0]] node bench/drain-xmpp-trace.mjs
import { mkdirSync, writeFileSync } from "node:fs";
import { client } from "@xmpp/client";
import { xml } from "@xmpp/xml";
import { startProsody } from "../test/prosody/prosody.mjs";
import { cpuByProcess, cpuSince, fmt, openHarness, selfTimes, startBench, workerSession } from "./lib.mjs";
import { browserFloorPage, subscribed, smSettled } from "./xmpp.mjs";

const N = Number(process.env.N ?? 1000);
const KIND = process.env.KIND ?? "plain";
const BATCH = process.env.BATCH ? Number(process.env.BATCH) : undefined;
const WINDOW = process.env.WINDOW ? Number(process.env.WINDOW) : undefined;
const unlimited = { access: { max_user_offline_messages: [{ acl: "all", value: "infinity" }] } };

const server = await startProsody({ users: [["alice", "secret"], ["bob", "secret"]] });
await subscribed(server);
// As a user's browser, without Playwright's instrumentation (PLAYWRIGHT=1: with it).
const env = await startBench({ plain: process.env.PLAYWRIGHT !== "1" });
const context = await env.browser.newContext();
const alice = await openHarness(context, env.baseUrl);
const FLOOR = process.env.FLOOR === "1";
if (FLOOR) {
  await browserFloorPage(alice, server.wsUrl, N);
  await alice.evaluate((n) => {
    window.marks = [];
    // Nothing queued, so nothing to empty: the queue's line is when all n were handed to the client.
    window.emptyAt = window.floorSent.then(({ seen, sent }) => {
      window.marks.push([seen, "alice sees bob@localhost available"], [sent, `all ${n} handed to the client`]);
      return sent;
    });
  }, N);
} else await alice.evaluate(
  async ({ service, n, config, batch, drainWindow }) => {
    const chat = (window.chat = await window.harness.startChat({ self: "alice@localhost", relay: "xmpp", service, store: { config }, drainBatch: batch, drainWindow }));
    await chat.store.write(Array.from({ length: n }, (_, i) => `<message type='chat' to='bob@localhost'><body>m${i}</body><request xmlns='urn:xmpp:receipts'/></message>`));
    const marks = (window.marks = []);
    const mark = (what) => marks.push([Date.now(), what]);
    const every = (counter, what) => (counter === 1 || counter % 100 === 0) && mark(`${what} ${counter}`);
    const counts = { send: 0, ws: 0, accepted: 0, receipt: 0, delivered: 0 };
    chat.relay.onPresence((p) => mark(`alice sees ${p.peer} ${p.available ? "available" : "gone"}`));
    const send = chat.relay.send.bind(chat.relay);
    chat.relay.send = (stanza, progress) => {
      every(++counts.send, "relay.send");
      const accepted = progress?.accepted && (() => (every(++counts.accepted, "accepted"), progress.accepted()));
      return send(stanza, accepted ? { accepted } : progress);
    };
    const wsSend = WebSocket.prototype.send;
    WebSocket.prototype.send = function (data) {
      if (String(data).startsWith("<message")) every(++counts.ws, "ws write");
      return wsSend.call(this, data);
    };
    chat.relay.client.socket.socket.addEventListener("message", (e) => {
      const data = String(e.data);
      if (data.includes("<received")) every(++counts.receipt, "receipt in");
      else if (data.startsWith("<iq") && data.includes("disco#info")) mark("disco#info answer in");
    });
    for (const op of ["peek", "ack"]) {
      const f = chat.store[op].bind(chat.store);
      chat.store[op] = (...args) => {
        mark(`${op} call`);
        return f(...args).then((r) => (mark(`${op} answer ${Array.isArray(r) ? r.length : r}`), r));
      };
    }
    chat.messenger.onStatus((s) => s.state === "delivered" && every(++counts.delivered, "delivered"));
    window.emptyAt = new Promise((resolve) => {
      const check = () => chat.store.count("bob@localhost").then((c) => c === 0 && resolve(Date.now()));
      chat.store.subscribe((e) => e.type === "popped" && void check());
    });
  },
  { service: server.wsUrl, n: N, config: unlimited, batch: BATCH, drainWindow: WINDOW },
);
// PROFILE=1: alice's page and her service worker, each its own CPU profile.
const profiling = process.env.PROFILE === "1" ? [["page", alice.cdp ? alice.cdp() : await context.newCDPSession(alice)], ...(FLOOR ? [] : [["worker", await workerSession(env)]])] : [];
for (const [, session] of profiling) {
  await session.send("Profiler.enable");
  await session.send("Profiler.setSamplingInterval", { interval: 200 });
  await session.send("Profiler.start");
}

const bob = client({ service: server.tcpUrl, domain: server.domain, username: "bob", password: "secret", resource: "trace" });
bob.on("error", () => {});
const receipts = KIND === "receipts";
if (receipts) bob.iqCallee.get("http://jabber.org/protocol/disco#info", "query", () => xml("query", { xmlns: "http://jabber.org/protocol/disco#info" }, xml("feature", { var: "urn:xmpp:receipts" })));
const bobMarks = [];
let got = 0;
let resolveAll;
const all = new Promise((r) => (resolveAll = r));
bob.on("stanza", (st) => {
  if (st.is("iq") && st.attrs.type === "get") bobMarks.push([Date.now(), `bob asked ${st.getChildElements()[0]?.attrs.xmlns}`]);
  if (!st.is("message") || st.attrs.type === "error" || st.getChildText("body") === null) return;
  if (++got === 1 || got % 100 === 0) bobMarks.push([Date.now(), `bob has ${got}`]);
  if (receipts && st.getChild("request", "urn:xmpp:receipts") && st.attrs.id) void bob.send(xml("message", { to: st.attrs.from }, xml("received", { xmlns: "urn:xmpp:receipts", id: st.attrs.id })));
  if (got === N) resolveAll(Date.now());
});
await smSettled(bob);
const cpu0 = cpuByProcess({ [server.pid]: "prosody (ours)" });
const t0 = Date.now();
await bob.send(xml("presence"));
const done = await all;
const emptyAt = await alice.evaluate(() => window.emptyAt);
const rows = [...(await alice.evaluate(() => window.marks)), ...bobMarks, [done, `bob has all ${N}`], [emptyAt, "alice's queue empty"]].sort((a, b) => a[0] - b[0]);
for (const [t, what] of rows) console.log(String(t - t0).padStart(6), what);
const cpu = cpuSince(cpu0, { [server.pid]: "prosody (ours)" });
console.log(`CPU from bob's presence until this line (${Date.now() - t0} ms), every process: ${cpu.reduce((s, [, ms]) => s + ms, 0)} ms`);
for (const [kind, ms] of cpu) console.log(`  ${String(ms).padStart(6)} ms  ${kind}`);
for (const [name, session] of profiling) {
  const { profile } = await session.send("Profiler.stop");
  mkdirSync("bench/profiles", { recursive: true });
  const file = `bench/profiles/drain-xmpp-${KIND}-${name}.cpuprofile`;
  writeFileSync(file, JSON.stringify(profile));
  const { total, idle, top } = selfTimes(profile, env.baseUrl);
  console.log(`${name} profile: ${file}; busy ${fmt(total, 0)} ms, idle ${fmt(idle, 0)} ms; top self time:`);
  for (const [fn, ms] of top.slice(0, 15)) console.log(`  ${fmt(ms, 1).padStart(8)} ms  ${fn}`);
}
await bob.stop();
await context.close();
await env.close();
await server.stop();
