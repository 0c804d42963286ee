// Drain 10,000 queued messages to one peer over the local mesh: alice queues
// them while bob is away; bob's tab joins; time until bob's app has them all
// and alice's queue is empty. Baseline in the same run: the same 10,000
// messages written to the store and popped in one call, no relay (the cost
// floor of any drain). Run: node bench/drain-mesh.mjs [rounds]
import { fmt, median, openHarness, startBench } from "./lib.mjs";

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
  const ms = await bob.evaluate(async ({ n }) => {
    const t0 = performance.now();
    window.chat = await window.harness.startChat({ self: "bob@mesh.local", relay: "mesh" });
    await new Promise((resolve) => {
      const check = () => (window.chat.received.length >= n ? resolve() : setTimeout(check, 5));
      check();
    });
    return performance.now() - t0;
  }, { n: N });
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
  rows.push({ ms, base, left, inOrder });
  console.log(`round ${r + 1}: mesh drain ${fmt(ms, 0)} ms (${fmt(N / (ms / 1000), 0)} msg/s), left ${left}, in order once: ${inOrder}; pop-all floor ${fmt(base, 0)} ms; floor/drain ${fmt(base / ms, 3)}`);
  await context.close();
}
console.log(`median: mesh drain of ${N}: ${fmt(median(rows.map((x) => x.ms)), 0)} ms (${fmt(N / (median(rows.map((x) => x.ms)) / 1000), 0)} msg/s); floor/drain ratio ${fmt(median(rows.map((x) => x.base / x.ms)), 3)}`);
await env.close();
