// What Chromium's own operations cost on this machine, as CPU time of its
// processes (renderer and browser, from /proc): the unit prices a drain pays
// per message. Posts 20,000 mesh-sized frames on a BroadcastChannel from one
// tab to another, one per post and then 200 per post; and 30,000 IndexedDB
// requests (a third `get`, the rest `put`, as the receiving side's claims do)
// in transactions of 200. Prints wall time and CPU per process kind.
// Run: node bench/chromium-costs.mjs
import { cpuByProcess, cpuSince, openHarness, startBench } from "./lib.mjs";

const FRAMES = 20_000;
const REQUESTS = 30_000;
const env = await startBench();
const context = await env.browser.newContext();
const sender = await openHarness(context, env.baseUrl);
const receiver = await openHarness(context, env.baseUrl);
await receiver.evaluate(() => {
  window.got = 0;
  new BroadcastChannel("costs").onmessage = (e) => (window.got += Array.isArray(e.data) ? e.data.length : 1);
});

const measure = async (label, run) => {
  const before = cpuByProcess();
  const t0 = Date.now();
  await run();
  const cpu = cpuSince(before).filter(([kind]) => kind.startsWith("chromium"));
  console.log(`${label}: ${Date.now() - t0} ms wall; CPU ${cpu.map(([kind, ms]) => `${kind} ${ms} ms`).join(", ")}`);
};

for (const perPost of [1, 200]) {
  await receiver.evaluate(() => (window.got = 0));
  await measure(`BroadcastChannel, ${FRAMES} frames, ${perPost} per post`, async () => {
    await sender.evaluate(
      ({ n, perPost }) => {
        const frame = (i) => ({
          v: 1, kind: "message", from: "alice@mesh.local/a", to: "bob@mesh.local", ref: `r${i}`,
          stanza: `<message to='bob@mesh.local' id='x${i}'><body>queued ${i}</body><origin-id xmlns='urn:xmpp:sid:0' id='0f2c9a7e-${i}'/></message>`,
        });
        const channel = new BroadcastChannel("costs");
        for (let i = 0; i < n; i += perPost) channel.postMessage(perPost === 1 ? frame(i) : Array.from({ length: perPost }, (_, k) => frame(i + k)));
      },
      { n: FRAMES, perPost },
    );
    await receiver.waitForFunction((n) => window.got >= n, FRAMES, { timeout: 120_000 });
  });
}

await measure(`IndexedDB, ${REQUESTS} requests (1/3 get, 2/3 put) in transactions of 200`, () =>
  sender.evaluate(async (n) => {
    const db = await new Promise((resolve) => {
      const open = indexedDB.open("chromium-costs", 1);
      open.onupgradeneeded = () => open.result.createObjectStore("seen", { keyPath: ["scope", "id"] });
      open.onsuccess = () => resolve(open.result);
    });
    for (let i = 0; i < n; i += 200) {
      const tx = db.transaction("seen", "readwrite", { durability: "relaxed" });
      const seen = tx.objectStore("seen");
      for (let k = 0; k < 200; k++) {
        if (k % 3 === 0) seen.get(["bob", `id${i + k}`]);
        else seen.put({ scope: "bob", id: `id${i + k}`, at: Date.now(), holder: "tab" });
      }
      await new Promise((resolve) => (tx.oncomplete = resolve));
    }
  }, REQUESTS),
);
await env.close();
