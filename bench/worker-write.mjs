// Write throughput page → service worker → IndexedDB: 10,000 messages to 100
// peers, sent concurrently from two tabs, against raw IndexedDB doing the
// same puts in one transaction in the same browser run. Also the median
// latency of a single write. Run: node bench/worker-write.mjs [rounds]
import { clearPeers, fireWrites, fmt, median, openHarness, openUnlimitedStore, spread, startBench } from "./lib.mjs";

const ROUNDS = Number(process.argv[2] ?? 3);
const TOTAL = 10_000;
const PEERS = 100;

const env = await startBench();
const context = await env.browser.newContext();
const [a, b] = [await openHarness(context, env.baseUrl), await openHarness(context, env.baseUrl)];
for (const p of [a, b]) await openUnlimitedStore(p, process.env.MODE ?? "worker");

/** The baseline: the same number of records put in one raw IndexedDB transaction. */
const raw = (page) =>
  page.evaluate(async ({ total, peers }) => {
    const name = `raw-${Math.random()}`;
    const db = await new Promise((res, rej) => {
      const r = indexedDB.open(name, 1);
      r.onupgradeneeded = () => r.result.createObjectStore("m", { keyPath: ["owner", "ts", "seq"] });
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    const t0 = performance.now();
    const tx = db.transaction("m", "readwrite");
    const store = tx.objectStore("m");
    for (let i = 0; i < total; i++) {
      store.put({ owner: `peer${i % peers}@localhost`, ts: Date.now(), seq: i, id: crypto.randomUUID(), from: "alice@localhost/A", expireAt: null, marker: null,
        packet: `<message type='chat' from='alice@localhost/A' to='peer${i % peers}@localhost' id='A${i}'><body>message ${i} from A, a typical chat line of some length</body></message>` });
    }
    await new Promise((res, rej) => { tx.oncomplete = res; tx.onerror = () => rej(tx.error); });
    const ms = performance.now() - t0;
    db.close();
    indexedDB.deleteDatabase(name);
    return ms;
  }, { total: TOTAL, peers: PEERS });

const single = (page, n) =>
  page.evaluate(async (n) => {
    const out = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await window.store.write([`<message type='chat' to='solo@localhost' id='s${i}'><body>one</body></message>`]);
      out.push(performance.now() - t0);
    }
    return out;
  }, n);

const rows = [];
for (let r = 0; r < ROUNDS; r++) {
  await clearPeers(a, PEERS);
  const t0 = Date.now();
  await Promise.all([fireWrites(a, "A", TOTAL / 2, PEERS), fireWrites(b, "B", TOTAL / 2, PEERS)]);
  const ours = Date.now() - t0;
  const base = await raw(a);
  rows.push({ ours, base, ratio: base / ours });
  console.log(`round ${r + 1}: ours ${ours} ms (${fmt(TOTAL / (ours / 1000), 0)} msg/s), raw IndexedDB ${fmt(base, 0)} ms, ratio ${fmt(base / ours, 2)}`);
}
const lat = await single(a, 300);
const count = await a.evaluate(() => window.store.count("peer0@localhost"));
console.log(`check: peer0 holds ${count} (expected ${TOTAL / PEERS})`);
console.log(`median ratio (raw time / ours; goal >= 0.7), min-max: ${spread(rows.map((r) => r.ratio))}`);
console.log(`median throughput: ${fmt(TOTAL / (median(rows.map((r) => r.ours)) / 1000), 0)} msg/s; median single-write latency: ${fmt(median(lat), 2)} ms (p95 ${fmt(lat.sort((x, y) => x - y)[Math.floor(lat.length * 0.95)], 2)} ms)`);
await context.close();
await env.close();
