// CPU profiles of a store workload, through the DevTools protocol, on both
// the page and the service worker: writes <workload>-page.cpuprofile and
// <workload>-worker.cpuprofile (open them in Chromium's DevTools, Performance
// panel) and prints the top self-time functions of each, idle excluded.
// Run: node bench/profile.mjs <awaited|fired|pop|peers> [outDir]
//   awaited  300 single-message writes, each awaited
//   fired    5,000 single-message writes fired at once
//   pop      pop of a 10,000 queue (the fill is not profiled)
//   peers    5,000 writes to 5,000 distinct peers, fired at once
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fmt, openHarness, openUnlimitedStore, selfTimes, startBench, workerSession } from "./lib.mjs";

const WORKLOADS = {
  awaited: { run: (n = 300) => runWrites(n, 100, false) },
  fired: { run: (n = 5000) => runWrites(n, 100, true) },
  peers: { run: (n = 5000) => runWrites(n, n, true) },
  pop: { setup: () => fillQueue(10_000), run: () => page.evaluate(async () => (await window.store.pop("profiled@localhost")).length) },
};
const workload = process.argv[2];
if (!WORKLOADS[workload]) {
  console.error(`usage: node bench/profile.mjs <${Object.keys(WORKLOADS).join("|")}> [outDir]`);
  process.exit(2);
}
const outDir = resolve(process.argv[3] ?? "bench/profiles");
mkdirSync(outDir, { recursive: true });

const env = await startBench();
const context = await env.browser.newContext();
const page = await openHarness(context, env.baseUrl);
await openUnlimitedStore(page, "worker");

function runWrites(n, peers, atOnce) {
  return page.evaluate(
    async ({ n, peers, atOnce }) => {
      const msg = (i) => `<message type='chat' from='alice@localhost/A' to='prof${i % peers}@localhost' id='pf${i}'><body>message ${i}, a typical chat line of some length</body></message>`;
      const one = (i) => window.store.write([msg(i)]);
      if (atOnce) await Promise.all(Array.from({ length: n }, (_, i) => one(i)));
      else for (let i = 0; i < n; i++) await one(i);
      return n;
    },
    { n, peers, atOnce },
  );
}

function fillQueue(n) {
  return page.evaluate(async (n) => {
    const body = (i) => `<message type='chat' from='alice@localhost/A' to='profiled@localhost'><body>queued ${i}, a typical chat line of some length</body></message>`;
    for (let i = 0; i < n; i += 1000) await window.store.write(Array.from({ length: 1000 }, (_, k) => body(i + k)));
  }, n);
}

const pageSession = await context.newCDPSession(page);
const swSession = await workerSession(env);
const sessions = [["page", pageSession], ["worker", swSession]];
for (const [, s] of sessions) {
  await s.send("Profiler.enable");
  await s.send("Profiler.setSamplingInterval", { interval: 200 });
}
await WORKLOADS[workload].setup?.();
for (const [, s] of sessions) await s.send("Profiler.start");
const t0 = Date.now();
await WORKLOADS[workload].run();
const wall = Date.now() - t0;
console.log(`workload ${workload}: ${wall} ms wall`);
for (const [name, s] of sessions) {
  const { profile } = await s.send("Profiler.stop");
  const file = join(outDir, `${workload}-${name}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  const { total, idle, top } = selfTimes(profile, env.baseUrl);
  console.log(`\n${name}: ${fmt(total, 0)} ms busy, ${fmt(idle, 0)} ms idle; ${file}`);
  for (const [fn, ms] of top.slice(0, 15)) console.log(`  ${fmt(ms, 1).padStart(8)} ms ${fmt((100 * ms) / total, 1).padStart(5)}%  ${fn}`);
}
await context.close();
await env.close();
