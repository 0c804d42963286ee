// Store write throughput with the <offline-dashboard> open and live in both
// tabs, against the same run with no dashboard: rounds alternate between
// the two, in the same browser. Target: within 5%.
// Run: node bench/dashboard-overhead.mjs [rounds]
import { clearPeers, fireWrites, fmt, median, openHarness, openUnlimitedStore, startBench } from "./lib.mjs";

const ROUNDS = Number(process.argv[2] ?? 6);
const TOTAL = 10_000;
const PEERS = 100;

const env = await startBench();

async function round(withDashboard) {
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const tabs = [await openHarness(context, env.baseUrl), await openHarness(context, env.baseUrl)];
  for (const p of tabs) {
    await openUnlimitedStore(p);
    if (withDashboard) {
      await p.evaluate(() => {
        window.harness.defineOfflineDashboard();
        const el = document.createElement("offline-dashboard");
        el.store = window.store;
        document.body.append(el);
      });
    }
  }
  await clearPeers(tabs[0], PEERS);
  const t0 = Date.now();
  await Promise.all(tabs.map((p, i) => fireWrites(p, `T${i}`, TOTAL / 2, PEERS)));
  const ms = Date.now() - t0;
  const shown = withDashboard
    ? await tabs[0].evaluate(() => new Promise((r) => setTimeout(() => r(document.querySelector("offline-dashboard").report?.snapshot.counters.stored ?? 0), 600)))
    : null;
  await context.close();
  return { ms, shown };
}

const rows = [];
for (let r = 0; r < ROUNDS; r++) {
  // Alternate the order so that drift in the machine hits both sides alike.
  const pair = r % 2 ? [await round(true), await round(false)] : [await round(false), await round(true)].reverse();
  const [dash, none] = pair;
  rows.push({ dash: dash.ms, none: none.ms });
  console.log(`round ${r + 1}: no dashboard ${none.ms} ms, dashboard live ${dash.ms} ms (it showed ${dash.shown} stored), overhead ${fmt((dash.ms / none.ms - 1) * 100, 1)}%`);
}
const overhead = median(rows.map((x) => x.dash / x.none - 1)) * 100;
console.log(`median overhead of a live dashboard on write throughput: ${fmt(overhead, 1)}% (target < 5%); medians ${median(rows.map((x) => x.none))} ms without, ${median(rows.map((x) => x.dash))} ms with`);
await env.close();
