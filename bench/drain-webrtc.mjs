// WebRTC relay against the local mesh, in the same run and browser:
// - drain of 10,000 queued messages alice -> bob: from the moment alice's
//   relay sees bob available (mesh: bob's tab joins; WebRTC: bob's channel
//   opens, alice and bob in separate contexts) until bob's app has them all;
//   ratio mesh time / WebRTC time (goal >= 0.8), and the time to bob's first;
// - presence latency: bob's tab closed (clean: pagehide, the relay says it
//   leaves) or crashed (CDP Page.crash: nothing said, the beats stop), until
//   alice's relay reports him unavailable (WebRTC heartbeat: the default
//   1000 ms, 3 missed beats).
// Signalling: the benchmark carries the offer and answer (bring your own
// channel), so no signalling server is timed. Run: node bench/drain-webrtc.mjs [rounds]
// Each round also prints the machine's CPU by process over each drain (from bob's start).
// PROFILE=1 (one round is enough; MINIFY=0 keeps names): CPU profiles of alice's and bob's pages and
// alice's service worker over the WebRTC drain, in bench/profiles/drain-webrtc-<who>.cpuprofile.
import { cpuByProcess, cpuSince, fmt, median, openHarness, startBench, startProfiles, stopProfiles, workerSession } from "./lib.mjs";

const ROUNDS = Number(process.argv[2] ?? 3);
const N = 10_000;
const ALICE = "alice@localhost";
const BOB = "bob@localhost";
const unlimited = { access: { max_user_offline_messages: [{ acl: "all", value: "infinity" }] } };

/** Starts alice's chat, queues N for bob, and records when her relay sees bob come and go. */
async function alice(page, relay) {
  await page.evaluate(async ({ config, n, to, relay, self }) => {
    window.chat = await window.harness.startChat({ self, relay, signalling: "byo", heartbeatMs: 1000, store: { config }, drainBatch: 200 });
    window.seen = { up: 0, down: 0 };
    window.chat.relay.onPresence((p) => {
      if (p.peer === to) window.seen[p.available ? "up" : "down"] ||= Date.now();
    });
    const body = (i) => `<message type='chat' to='${to}'><body>queued ${i}</body></message>`;
    for (let i = 0; i < n; i += 1000) await window.chat.store.write(Array.from({ length: 1000 }, (_, k) => body(i + k)));
  }, { config: unlimited, n: N, to: BOB, relay, self: ALICE });
}

/** Starts bob's chat; records when his app got the first and the Nth message. */
function bob(page, relay) {
  return page.evaluate(async ({ relay, self, n }) => {
    window.times = { first: 0, last: 0 };
    window.chat = await window.harness.startChat({ self, relay, signalling: "byo", heartbeatMs: 1000 });
    window.chat.messenger.onMessage(() => {
      const count = window.chat.received.length;
      if (count === 1) window.times.first = Date.now();
      if (count === n) window.times.last = Date.now();
    });
  }, { relay, self: BOB, n: N });
}

/** The app's own signalling, carried here: alice offers, bob answers. */
async function connect(a, b) {
  const offer = await a.evaluate((peer) => window.chat.rtc.byo.offer(peer), BOB);
  const answer = await b.evaluate(({ peer, offer }) => window.chat.rtc.byo.answer(peer, offer), { peer: ALICE, offer });
  await a.evaluate(({ peer, answer }) => window.chat.rtc.byo.accept(peer, answer), { peer: BOB, answer });
}

async function drained(a, b) {
  await b.waitForFunction(() => window.times.last > 0, null, { timeout: 600_000 });
  const up = await a.evaluate(() => window.seen.up);
  const { first, last } = await b.evaluate(() => window.times);
  const bodies = await b.evaluate(() => window.chat.received.map((m) => m.body));
  const once = bodies.length === N && bodies.every((x, i) => x === `queued ${i}`);
  await a.waitForFunction((to) => window.chat.store.count(to).then((c) => c === 0), BOB);
  return { ms: last - up, firstMs: first - up, once };
}

/** Closes (or crashes) bob's page; ms until alice's relay says he is gone. */
async function gone(env, a, bobContext, b, crash) {
  const t0 = Date.now();
  if (crash) {
    const cdp = await bobContext.newCDPSession(b);
    void cdp.send("Page.crash").catch(() => undefined);
  } else {
    await b.close();
  }
  await a.waitForFunction(() => window.seen.down > 0, null, { timeout: 60_000 });
  return (await a.evaluate(() => window.seen.down)) - t0;
}

const env = await startBench();
const rows = [];
for (let r = 0; r < ROUNDS; r++) {
  // The local mesh: two tabs of one profile.
  const mc = await env.browser.newContext();
  const ma = await openHarness(mc, env.baseUrl);
  await alice(ma, "mesh");
  const mb = await openHarness(mc, env.baseUrl);
  const meshCpu0 = cpuByProcess();
  await bob(mb, "mesh");
  const mesh = await drained(ma, mb);
  const meshCpu = cpuSince(meshCpu0);
  await mc.close();
  // WebRTC: two profiles; the drain, then presence latency for a clean close and a crash.
  const [ac, bc] = [await env.browser.newContext(), await env.browser.newContext()];
  const wa = await openHarness(ac, env.baseUrl);
  await alice(wa, "webrtc");
  let wb = await openHarness(bc, env.baseUrl);
  const profiles = process.env.PROFILE === "1" ? [["alice", await ac.newCDPSession(wa)], ["bob", await bc.newCDPSession(wb)], ["worker", await workerSession(env)]] : [];
  await startProfiles(profiles);
  const rtcCpu0 = cpuByProcess();
  await bob(wb, "webrtc");
  await connect(wa, wb);
  const rtc = await drained(wa, wb);
  const rtcCpu = cpuSince(rtcCpu0);
  await stopProfiles(profiles, "drain-webrtc", env.baseUrl);
  const clean = await gone(env, wa, bc, wb, false);
  await wa.evaluate(() => (window.seen = { up: 0, down: 0 }));
  wb = await openHarness(bc, env.baseUrl);
  await bob(wb, "webrtc");
  await connect(wa, wb);
  await wa.waitForFunction(() => window.seen.up > 0);
  const crash = await gone(env, wa, bc, wb, true);
  await Promise.all([ac.close(), bc.close()]);
  rows.push({ mesh, rtc, clean, crash });
  console.log(
    `round ${r + 1}: drain of ${N}: mesh ${fmt(mesh.ms, 0)} ms, WebRTC ${fmt(rtc.ms, 0)} ms (${fmt(N / (rtc.ms / 1000), 0)} msg/s), ` +
      `mesh/WebRTC ${fmt(mesh.ms / rtc.ms, 2)}; first message after open: mesh ${fmt(mesh.firstMs, 0)} ms, WebRTC ${fmt(rtc.firstMs, 0)} ms; ` +
      `each once in order: ${mesh.once && rtc.once}; WebRTC unavailable after clean close ${fmt(clean, 0)} ms, after crash ${fmt(crash, 0)} ms`,
  );
  const top = (cpu) => cpu.slice(0, 5).map(([kind, ms]) => `${kind} ${ms}`).join(", ");
  console.log(`  CPU from bob's start, mesh: ${top(meshCpu)}\n  CPU from bob's start, WebRTC: ${top(rtcCpu)}`);
}
const med = (f) => median(rows.map(f));
console.log(
  `median of ${ROUNDS}: drain of ${N}: mesh ${fmt(med((x) => x.mesh.ms), 0)} ms, WebRTC ${fmt(med((x) => x.rtc.ms), 0)} ms; ` +
    `ratio mesh/WebRTC ${fmt(med((x) => x.mesh.ms / x.rtc.ms), 2)} (goal >= 0.8); first drained after open: WebRTC ${fmt(med((x) => x.rtc.firstMs), 0)} ms ` +
    `(mesh ${fmt(med((x) => x.mesh.firstMs), 0)} ms); presence latency: clean close ${fmt(med((x) => x.clean), 0)} ms, crash ${fmt(med((x) => x.crash), 0)} ms (heartbeat 1000 ms x 3)`,
);
await env.close();
