// Drain 10,000 queued messages to one peer over the local mesh: alice queues
// them while bob is away; bob's tab joins; time until bob's app has them all and
// alice's queue is empty (the later of the two). Baseline in the same run: the same 10,000
// messages written to the store and popped in one call, no relay (the cost
// floor of any drain). Run: node bench/drain-mesh.mjs [rounds]
// PROFILE=1 (one round is enough): CPU profiles of alice's page, bob's page and
// the service worker over the drain, in bench/profiles/drain-mesh-<who>.cpuprofile,
// with each one's busy time and top functions (MINIFY=0 keeps the names readable).
// SEEN=memory: bob's seen ids in memory only, not IndexedDB (what persisted claims cost).
import { cpuByProcess, cpuSince, fmt, machineCpuMs, median, openHarness, startBench, startProfiles, stopProfiles, workerSession } from "./lib.mjs";

const ROUNDS = Number(process.argv[2] ?? 3);
const N = 10_000;
const BOB = "bob@mesh.local";
const unlimited = { access: { max_user_offline_messages: [{ acl: "all", value: "infinity" }] } };

const env = await startBench();
const rows = [];
for (let r = 0; r < ROUNDS; r++) {
  const context = await env.browser.newContext();
  const alice = await openHarness(context, env.baseUrl);
  await alice.evaluate(async ({ config, n, to }) => {
    window.chat = await window.harness.startChat({ self: "alice@mesh.local", relay: "mesh", store: { config }, drainBatch: 200 });
    const body = (i) => `<message type='chat' to='${to}'><body>queued ${i}</body></message>`;
    for (let i = 0; i < n; i += 1000) await window.chat.store.write(Array.from({ length: 1000 }, (_, k) => body(i + k)));
  }, { config: unlimited, n: N, to: BOB });
  const bob = await openHarness(context, env.baseUrl);
  const profiles = process.env.PROFILE === "1" ? [["alice", await context.newCDPSession(alice)], ["bob", await context.newCDPSession(bob)], ["worker", await workerSession(env)]] : [];
  await startProfiles(profiles);
  const cpu0 = machineCpuMs();
  const byProcess0 = cpuByProcess();
  // Bob's app has everything (bob's clock), then alice's queue is empty (the end: wall clock, same machine).
  const { received, start } = await bob.evaluate(async ({ n, memorySeen }) => {
    const start = Date.now();
    const t0 = performance.now();
    window.chat = await window.harness.startChat({ self: "bob@mesh.local", relay: "mesh", memorySeen });
    await new Promise((resolve) => {
      const check = () => (window.chat.received.length >= n ? resolve() : setTimeout(check, 5));
      check();
    });
    return { received: performance.now() - t0, start };
  }, { n: N, memorySeen: process.env.SEEN === "memory" });
  await alice.evaluate(async (to) => {
    while ((await window.chat.store.count(to)) > 0) await new Promise((r) => setTimeout(r, 5));
  }, BOB);
  const ms = Date.now() - start;
  const cpu = machineCpuMs() - cpu0;
  const byProcess = cpuSince(byProcess0);
  await stopProfiles(profiles, "drain-mesh", env.baseUrl);
  const left = await alice.evaluate((to) => window.chat.store.count(to), BOB);
  const bodies = await bob.evaluate(() => window.chat.received.map((m) => m.body));
  const inOrder = bodies.every((b, i) => b === `queued ${i}`) && bodies.length === N;
  // Baseline: the same messages written then popped in one call, in the same browser.
  const base = await alice.evaluate(async ({ n }) => {
    const to = "floor@mesh.local";
    const body = (i) => `<message type='chat' to='${to}'><body>queued ${i}</body></message>`;
    for (let i = 0; i < n; i += 1000) await window.chat.store.write(Array.from({ length: 1000 }, (_, k) => body(i + k)));
    const t0 = performance.now();
    const popped = await window.chat.store.pop(to);
    if (popped.length !== n) throw new Error("pop floor short");
    return performance.now() - t0;
  }, { n: N });
  rows.push({ ms, base, left, inOrder, cpu });
  console.log(`round ${r + 1}: mesh drain ${fmt(ms, 0)} ms (${fmt(N / (ms / 1000), 0)} msg/s; bob had all at ${fmt(received, 0)} ms), left ${left}, in order once: ${inOrder}; pop-all floor ${fmt(base, 0)} ms; floor/drain ${fmt(base / ms, 3)}; machine CPU over the drain ${cpu} ms: ${byProcess.slice(0, 5).map(([kind, t]) => `${kind} ${t}`).join(", ")}`);
  await context.close();
}
console.log(`median: mesh drain of ${N}: ${fmt(median(rows.map((x) => x.ms)), 0)} ms (${fmt(N / (median(rows.map((x) => x.ms)) / 1000), 0)} msg/s); floor/drain ratio ${fmt(median(rows.map((x) => x.base / x.ms)), 3)}; machine CPU ${median(rows.map((x) => x.cpu))} ms`);
await env.close();
