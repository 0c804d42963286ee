// Drain N queued messages to one peer over a real Prosody, against Prosody's
// own server-side offline storage (mod_offline) delivering the same N at
// login, in the same run (two Prosodys: ours with offline storage off).
// Receiving peers: bob in a browser page with offline-edge, and a plain
// @xmpp/client session in Node (no offline-edge code) that answers receipts
// (and says so in disco#info) or does not. Each is timed from the start of
// bob's login (for the Node peer: his initial presence, after SASL) until he
// holds all N AND alice's queue is empty; the baseline
// is the same kind of bob logging in to mod_offline. Also prints the CPU time
// each Prosody used over the same span (what bounds a drain through the server),
// and the CPU time of the whole machine (browser, Node, both Prosodys) over it.
// The baseline's messages ask for receipts as alice's do, so a bob who answers
// them does the same work against mod_offline as against us.
// Run: node bench/drain-xmpp.mjs [rounds]   (N=1000 and N=5000 by default; env N=1000 for one size)
import { client } from "@xmpp/client";
import { xml } from "@xmpp/xml";
import { connectClient, startProsody } from "../test/prosody/prosody.mjs";
import { cpuMs, fmt, machineCpuMs, median, openHarness, startBench } from "./lib.mjs";
import { browserFloorPage, smSettled, subscribed } from "./xmpp.mjs";

const ROUNDS = Number(process.argv[2] ?? 2);
const SIZES = process.env.N ? [Number(process.env.N)] : [1000, 5000];
const BATCH = process.env.BATCH ? Number(process.env.BATCH) : undefined; // alice's drain batch (window = 2 × batch); default 200
const KINDS = (process.env.KINDS ?? "browser,receipts,plain").split(",");
const unlimited = { access: { max_user_offline_messages: [{ acl: "all", value: "infinity" }] } };
const ping = () => xml("iq", { type: "get" }, xml("ping", { xmlns: "urn:xmpp:ping" }));

async function server(offline) {
  const s = await startProsody({ offline, users: [["alice", "secret"], ["bob", "secret"]] });
  await subscribed(s);
  return s;
}

/** Bob in a fresh browser context with offline-edge; resolves when his app holds n (Date.now() clock). */
async function browserBob(env, s, n) {
  const context = await env.browser.newContext();
  const bob = await openHarness(context, env.baseUrl);
  const t0 = Date.now();
  const cpu0 = machineCpuMs();
  const done = await bob.evaluate(async ({ service, n }) => {
    window.chat = await window.harness.startChat({ self: "bob@localhost", relay: "xmpp", service: service });
    await new Promise((r, j) => {
      const t = performance.now();
      const c = () => (window.chat.received.length >= n ? r() : performance.now() - t > 300_000 ? j(new Error(`bob has ${window.chat.received.length} of ${n}`)) : setTimeout(c, 5));
      c();
    });
    return Date.now();
  }, { service: s.wsUrl, n });
  const bodies = await bob.evaluate(() => window.chat.received.map((m) => m.body));
  return { t0, cpu0, done, bodies, close: () => context.close() };
}

/** Bob as a plain @xmpp/client in Node (TCP), answering receipts or not. */
async function plainBob(s, n, receipts) {
  const bob = client({ service: s.tcpUrl, domain: s.domain, username: "bob", password: "secret", resource: `plain${Date.now()}` });
  bob.on("error", () => {});
  if (receipts) bob.iqCallee.get("http://jabber.org/protocol/disco#info", "query", () => xml("query", { xmlns: "http://jabber.org/protocol/disco#info" }, xml("feature", { var: "urn:xmpp:receipts" })));
  const bodies = [];
  let resolve;
  const all = new Promise((r) => (resolve = r));
  bob.on("stanza", (st) => {
    if (!st.is("message") || st.attrs.type === "error") return;
    const body = st.getChildText("body");
    if (body === null) return;
    bodies.push(body);
    if (receipts && st.getChild("request", "urn:xmpp:receipts") && st.attrs.id) void bob.send(xml("message", { to: st.attrs.from }, xml("received", { xmlns: "urn:xmpp:receipts", id: st.attrs.id })));
    if (bodies.length === n) resolve(Date.now());
  });
  await smSettled(bob);
  // From initial presence on: that is when mod_offline flushes, and when alice sees bob (SASL login left out).
  const t0 = Date.now();
  const cpu0 = machineCpuMs();
  await bob.send(xml("presence"));
  const done = await all;
  return { t0, cpu0, done, bodies, close: () => bob.stop() };
}

/**
 * The floor of any relay in a client, timed as ours: alice as a plain @xmpp/client in Node (TCP),
 * online with nothing stored, no browser, waiting for nothing, sends the n the moment bob's presence
 * reaches her; done when bob holds them all. What Prosody and bob cost for n live stanzas.
 */
async function floorDrain(s, n, kind) {
  const alice = await connectClient(s, { username: "alice", presence: true });
  const seen = new Promise((resolve) => alice.on("stanza", (st) => st.is("presence") && st.attrs.from?.startsWith("bob@") && !st.attrs.type && resolve()));
  void seen.then(() => {
    for (let i = 0; i < n; i++) void alice.send(xml("message", { type: "chat", to: "bob@localhost", id: `f${i}` }, xml("body", {}, `m${i}`), xml("request", { xmlns: "urn:xmpp:receipts" })));
  });
  const b = await plainBob(s, n, kind === "receipts");
  await b.close();
  await alice.stop();
  return { ms: b.done - b.t0, inOrder: inOrder(b.bodies, n) };
}

/**
 * The same floor in the browser: alice's page with only an XMPP relay's client (@xmpp/client over
 * WebSocket, as ours uses), nothing stored, sends the n at bob's presence with the client's own
 * send; done when bob holds them all. What a browser page costs for n live stanzas, before any store.
 */
async function browserFloor(env, s, n, kind) {
  const context = await env.browser.newContext();
  await browserFloorPage(await openHarness(context, env.baseUrl), s.wsUrl, n);
  const b = await plainBob(s, n, kind === "receipts");
  await b.close();
  await context.close();
  return { ms: b.done - b.t0, inOrder: inOrder(b.bodies, n) };
}

const bobOf = (env, s, n, kind) => (kind === "browser" ? browserBob(env, s, n) : plainBob(s, n, kind === "receipts"));
const inOrder = (bodies, n) => bodies.length === n && bodies.every((b, i) => b === `m${i}`);

// The browsers run as a user's do, without Playwright's instrumentation (PLAYWRIGHT=1: with it, as before).
const PLAYWRIGHT = process.env.PLAYWRIGHT === "1";
const env = await startBench({ plain: !PLAYWRIGHT });
const ours = await server(false);
const theirs = await server(true);
const results = [];
for (const n of SIZES) {
  for (const kind of KINDS) {
    const rows = [];
    for (let r = 0; r < ROUNDS; r++) {
      // Ours: alice's store holds the n (queued while bob was away); her drain sends them when he appears.
      const ctxA = await env.browser.newContext();
      const alice = await openHarness(ctxA, env.baseUrl);
      await alice.evaluate(async ({ service, n, config, batch }) => {
        window.chat = await window.harness.startChat({ self: "alice@localhost", relay: "xmpp", service, store: { config }, drainBatch: batch });
        await window.chat.store.write(Array.from({ length: n }, (_, i) => `<message type='chat' to='bob@localhost'><body>m${i}</body><request xmlns='urn:xmpp:receipts'/></message>`));
        // The sender's side of the clock: when her queue is empty (store events, no polling of bob).
        window.emptyAt = new Promise((resolve) => {
          const check = () => window.chat.store.count("bob@localhost").then((c) => (c === 0 ? resolve(Date.now()) : undefined));
          window.chat.store.subscribe((e) => e.type === "popped" && void check());
        });
      }, { service: ours.wsUrl, n, config: unlimited, batch: BATCH });
      const oursCpu0 = cpuMs(ours.pid);
      const a = await bobOf(env, ours, n, kind);
      const emptyAt = await alice.evaluate(() => window.emptyAt);
      const oursAll = machineCpuMs() - a.cpu0;
      const oursCpu = cpuMs(ours.pid) - oursCpu0;
      const oursMs = Math.max(a.done, emptyAt) - a.t0;
      await a.close();
      await ctxA.close();

      // Baseline: alice sends the n to offline bob; Prosody's mod_offline stores them and delivers at login.
      const sender = await connectClient(theirs, { username: "alice" });
      // The same messages as alice's store holds: each asks for a receipt (XEP-0184 lets a sender ask a peer whose support it
      // cannot know, and chat clients do), so a bob who answers receipts does the same work in both.
      for (let i = 0; i < n; i++) await sender.send(xml("message", { type: "chat", to: "bob@localhost", id: `b${i}` }, xml("body", {}, `m${i}`), xml("request", { xmlns: "urn:xmpp:receipts" })));
      await sender.iqCaller.request(ping()); // the server has them all
      await sender.stop();
      const baseCpu0 = cpuMs(theirs.pid);
      const b = await bobOf(env, theirs, n, kind);
      const baseMs = b.done - b.t0;
      const baseAll = machineCpuMs() - b.cpu0;
      const baseCpu = cpuMs(theirs.pid) - baseCpu0;
      await b.close();
      const floor = kind === "browser" ? null : await floorDrain(ours, n, kind);
      const pageFloor = kind === "browser" ? null : await browserFloor(env, ours, n, kind);
      rows.push({ ours: oursMs, base: baseMs, oursCpu, baseCpu, oursAll, baseAll, floor: floor?.ms, pageFloor: pageFloor?.ms });
      if (floor) console.log(`  floors, alice online with nothing stored, sending at bob's presence: Node ${fmt(floor.ms, 0)} ms (in order once: ${floor.inOrder}), browser page ${fmt(pageFloor.ms, 0)} ms (in order once: ${pageFloor.inOrder}); mod_offline / floor: Node ${fmt(baseMs / floor.ms, 2)}, browser ${fmt(baseMs / pageFloor.ms, 2)}`);
      console.log(`N=${n} bob=${kind} round ${r + 1}: offline-edge drain ${fmt(oursMs, 0)} ms (in order once: ${inOrder(a.bodies, n)}); mod_offline ${fmt(baseMs, 0)} ms (in order: ${inOrder(b.bodies, n)}); mod_offline/ours ${fmt(baseMs / oursMs, 2)}; Prosody CPU ours ${oursCpu} ms, mod_offline ${baseCpu} ms; machine CPU ours ${oursAll} ms, mod_offline ${baseAll} ms`);
    }
    const ratios = rows.map((x) => x.base / x.ours);
    const line = `N=${n} bob=${kind}: median ours ${fmt(median(rows.map((x) => x.ours)), 0)} ms, mod_offline ${fmt(median(rows.map((x) => x.base)), 0)} ms, ratio (mod_offline time / ours) ${fmt(median(ratios), 2)} (min ${fmt(Math.min(...ratios), 2)}, max ${fmt(Math.max(...ratios), 2)}); Prosody CPU median ours ${median(rows.map((x) => x.oursCpu))} ms, mod_offline ${median(rows.map((x) => x.baseCpu))} ms; machine CPU (every process, 2 cores) median ours ${median(rows.map((x) => x.oursAll))} ms, mod_offline ${median(rows.map((x) => x.baseAll))} ms`;
    const floors = rows.filter((x) => x.floor).map((x) => x.base / x.floor);
    const pageFloors = rows.filter((x) => x.pageFloor).map((x) => x.base / x.pageFloor);
    const range = (r) => `${fmt(median(r), 2)} (min ${fmt(Math.min(...r), 2)}, max ${fmt(Math.max(...r), 2)})`;
    const ofFloor = rows.filter((x) => x.pageFloor).map((x) => x.pageFloor / x.ours);
    results.push(floors.length ? `${line}; mod_offline time / floor's: Node ${range(floors)}, browser page ${range(pageFloors)}; browser floor's time / ours ${range(ofFloor)}` : line);
    console.log(results.at(-1));
  }
}
console.log("\nsummary\n" + results.join("\n"));
await Promise.all([ours.stop(), theirs.stop()]);
await env.close();
