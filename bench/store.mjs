// The store's figures of issue 11, each against its baseline in the same
// browser run, rounds interleaved; prints per-round figures and the median
// ratio with its min-max. Run: node bench/store.mjs <figure> [rounds]
//   writes   awaited writes and writes fired at once vs Workbox Queue.pushRequest; for awaited
//            writes also the floor of any store in a service worker (bench/pages/floor-sw.js): a
//            round trip to a worker doing one raw add, and one doing a raw limit check (get, add, put)
//   pop      pop 10,000 vs raw IndexedDB getAll + delete(range)
//   peers    write throughput with 10,000 distinct peers vs 1 peer
//   startup  first visit, and repeat visits (reloads once the worker controls the page; median of 5) vs raw indexedDB.open
//   depth    single-write p50 with a queue of 5,000 vs an empty one
// MODE=page runs our side in page mode (default: worker).
import { fmt, median, openFloorWorker, openHarness, openUnlimitedStore, quantile, spread, startBench } from "./lib.mjs";

const FIGURES = { writes, pop, peers, startup, depth };
const figure = process.argv[2];
if (!FIGURES[figure]) {
  console.error(`usage: node bench/store.mjs <${Object.keys(FIGURES).join("|")}> [rounds]`);
  process.exit(2);
}
const ROUNDS = Number(process.argv[3] ?? 5);
const MODE = process.env.MODE ?? "worker";

// PLAIN=1: Chromium without Playwright's instrumentation (bench/plain-chromium.mjs).
const env = await startBench({ workbox: figure === "writes", plain: process.env.PLAIN === "1" });
try {
  await FIGURES[figure]();
} finally {
  await env.close();
}

/** Prints the rounds' ratios as median (min-max) with the goal. */
function verdict(label, ratios, goal, higherIsBetter = true) {
  const m = median(ratios);
  const met = higherIsBetter ? m >= goal : m <= goal;
  console.log(`${label}: ${spread(ratios)} (goal ${higherIsBetter ? ">=" : "<="} ${goal}: ${met ? "met" : "NOT met"})`);
}

async function storePage(context) {
  const page = await openHarness(context, env.baseUrl);
  await openUnlimitedStore(page, MODE);
  return page;
}

// Awaited: the app waits for each send before the next (one message a call);
// fired: every call at once. Workbox gets the same stanzas as POST requests.
async function writes() {
  const AWAITED = 300;
  const FIRED = 2000;
  const context = await env.browser.newContext();
  const page = await storePage(context);
  await page.evaluate(async () => (window.wb = await import("/bench/workbox-queue.js")));
  await openFloorWorker(page);
  const run = (who, n, atOnce, round) =>
    page.evaluate(
      async ({ who, n, atOnce, round }) => {
        const msg = (i) =>
          `<message type='chat' from='alice@localhost/A' to='peer${i % 100}@localhost' id='w${round}-${i}'><body>message ${i}, a typical chat line of some length</body></message>`;
        let one;
        if (who === "ours") one = (i) => window.store.write([msg(i)]).then(([r]) => { if (r.status !== "stored") throw new Error(r.status); });
        else if (who === "floor-add") one = (i) => window.floor({ op: "add", stanza: msg(i) });
        else if (who === "floor-checked") one = (i) => window.floor({ op: "checked", stanza: msg(i), owner: `peer${i % 100}@localhost` });
        else {
          const q = window.wb.newQueue(`q-${round}-${atOnce}-${Math.random()}`);
          one = (i) => q.pushRequest({ request: window.wb.requestFor(msg(i)) });
        }
        const t0 = performance.now();
        if (atOnce) await Promise.all(Array.from({ length: n }, (_, i) => one(i)));
        else for (let i = 0; i < n; i++) await one(i);
        return performance.now() - t0;
      },
      { who, n, atOnce, round },
    );
  const awaited = [];
  const fired = [];
  const floors = { add: [], checked: [] };
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 ? ["workbox", "ours"] : ["ours", "workbox"];
    const t = {};
    const floorOrder = r % 2 ? ["floor-checked", "floor-add"] : ["floor-add", "floor-checked"];
    for (const who of [...order, ...floorOrder]) t[`${who}-awaited`] = await run(who, AWAITED, false, r);
    floors.add.push(t["workbox-awaited"] / t["floor-add-awaited"]);
    floors.checked.push(t["workbox-awaited"] / t["floor-checked-awaited"]);
    for (const who of order) t[`${who}-fired`] = await run(who, FIRED, true, r);
    awaited.push(t["workbox-awaited"] / t["ours-awaited"]);
    fired.push(t["workbox-fired"] / t["ours-fired"]);
    console.log(
      `round ${r + 1}: awaited ${AWAITED}: ours ${fmt(t["ours-awaited"], 0)} ms, Workbox ${fmt(t["workbox-awaited"], 0)} ms, x${fmt(awaited.at(-1), 2)}; ` +
        `fired ${FIRED}: ours ${fmt(t["ours-fired"], 0)} ms, Workbox ${fmt(t["workbox-fired"], 0)} ms, x${fmt(fired.at(-1), 2)}; ` +
        `awaited floors in a worker: raw add ${fmt(t["floor-add-awaited"], 0)} ms, raw get+add+put ${fmt(t["floor-checked-awaited"], 0)} ms`,
    );
  }
  verdict("awaited writes, Workbox time / ours", awaited, 1.5);
  console.log(`awaited writes, Workbox time / a worker floor's: raw add ${spread(floors.add)}; raw get+add+put (a limit check) ${spread(floors.checked)}`);
  verdict("writes fired at once, Workbox time / ours", fired, 10);
  await context.close();
}

// Ours: store.pop of a 10,000 queue (stanzas with their delay, to the page).
// Raw: the same records, one relaxed readwrite transaction, getAll + delete(range).
async function pop() {
  const N = 10_000;
  const context = await env.browser.newContext();
  const page = await storePage(context);
  const ours = (round) =>
    page.evaluate(
      async ({ n, round }) => {
        const to = `pop${round}@localhost`;
        const body = (i) => `<message type='chat' from='alice@localhost/A' to='${to}' id='p${i}'><body>queued ${i}, a typical chat line of some length</body></message>`;
        for (let i = 0; i < n; i += 1000) await window.store.write(Array.from({ length: 1000 }, (_, k) => body(i + k)));
        const t0 = performance.now();
        const popped = await window.store.pop(to);
        const ms = performance.now() - t0;
        if (popped.length !== n) throw new Error(`popped ${popped.length}`);
        return ms;
      },
      { n: N, round },
    );
  const raw = () =>
    page.evaluate(async (n) => {
      const name = `raw-pop-${Math.random()}`;
      const db = await new Promise((res, rej) => {
        const r = indexedDB.open(name, 1);
        r.onupgradeneeded = () => r.result.createObjectStore("m", { keyPath: ["owner", "ts", "seq"] });
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
      });
      const done = (tx) => new Promise((res, rej) => { tx.oncomplete = res; tx.onerror = () => rej(tx.error); });
      const owner = "pop@localhost";
      const fill = db.transaction("m", "readwrite");
      for (let i = 0; i < n; i++) {
        fill.objectStore("m").put({ owner, ts: Date.now(), seq: i, id: crypto.randomUUID(), from: "alice@localhost/A", expireAt: null, marker: null,
          packet: `<message type='chat' from='alice@localhost/A' to='${owner}' id='p${i}'><body>queued ${i}, a typical chat line of some length</body></message>` });
      }
      await done(fill);
      const range = IDBKeyRange.bound([owner, -Infinity, -Infinity], [owner, Infinity, Infinity]);
      const t0 = performance.now();
      // relaxed, as our pops are: the same commit cost on both sides.
      const tx = db.transaction("m", "readwrite", { durability: "relaxed" });
      const got = await new Promise((res, rej) => { const q = tx.objectStore("m").getAll(range); q.onsuccess = () => res(q.result); q.onerror = () => rej(q.error); });
      tx.objectStore("m").delete(range);
      await done(tx);
      const ms = performance.now() - t0;
      if (got.length !== n) throw new Error("raw pop short");
      db.close();
      indexedDB.deleteDatabase(name);
      return ms;
    }, N);
  const ratios = [];
  for (let r = 0; r < ROUNDS; r++) {
    let o, b;
    if (r % 2) [b, o] = [await raw(), await ours(r)];
    else [o, b] = [await ours(r), await raw()];
    ratios.push(b / o);
    console.log(`round ${r + 1}: pop ${N}: ours ${fmt(o, 0)} ms, raw ${fmt(b, 0)} ms, raw/ours ${fmt(b / o, 2)}`);
  }
  verdict(`pop ${N} (${MODE} mode), raw time / ours`, ratios, 0.8);
  await context.close();
}

// 10,000 single-message writes fired at once, to 10,000 peers or to one.
async function peers() {
  const N = 10_000;
  const context = await env.browser.newContext();
  const page = await storePage(context);
  const run = (peers, round) =>
    page.evaluate(
      async ({ n, peers, round }) => {
        const msg = (i) => `<message type='chat' from='alice@localhost/A' to='r${round}p${peers}x${i % peers}@localhost' id='x${i}'><body>message ${i}, a typical chat line of some length</body></message>`;
        const t0 = performance.now();
        const rs = await Promise.all(Array.from({ length: n }, (_, i) => window.store.write([msg(i)])));
        const ms = performance.now() - t0;
        if (rs.some(([r]) => r.status !== "stored")) throw new Error("a write was not stored");
        return ms;
      },
      { n: N, peers, round },
    );
  // Floors of a store that keeps each queue's count (for O(1) limit checks at any depth): raw
  // IndexedDB, one transaction, each message added, and the counts' rows read and put once each:
  // "rows", a row per queue (schema 1-4); "shared", rows shared by queues as src/storage/tallies.ts
  // keeps them (64 rows, FNV-1a of the owner).
  const rawRows = (peers, layout) =>
    page.evaluate(async ({ n, peers, layout }) => {
      const db = await new Promise((res, rej) => {
        const r = indexedDB.open(`raw-rows-${Math.random()}`, 1);
        r.onupgradeneeded = () => {
          r.result.createObjectStore("m", { keyPath: ["owner", "ts", "seq"] });
          r.result.createObjectStore("c", { keyPath: "owner" });
        };
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
      });
      const t0 = performance.now();
      const tx = db.transaction(["m", "c"], "readwrite");
      const owners = new Map();
      for (let i = 0; i < n; i++) {
        const owner = `p${i % peers}@localhost`;
        owners.set(owner, (owners.get(owner) ?? 0) + 1);
        tx.objectStore("m").add({ owner, ts: Date.now(), seq: i, id: `x${i}`, from: "alice@localhost/A", expireAt: null, marker: null, verified: true,
          packet: `<message type='chat' from='alice@localhost/A' to='${owner}' id='x${i}'><body>message ${i}, a typical chat line of some length</body></message>` });
      }
      const shardOf = (owner) => {
        let h = 0x811c9dc5;
        for (let i = 0; i < owner.length; i++) h = Math.imul(h ^ owner.charCodeAt(i), 0x01000193);
        return String((h >>> 0) % 64);
      };
      const rows = new Map();
      for (const [owner, k] of owners) {
        const key = layout === "rows" ? owner : shardOf(owner);
        if (!rows.has(key)) rows.set(key, []);
        rows.get(key).push([owner, k]);
      }
      for (const [key, entries] of rows) {
        const get = tx.objectStore("c").get(key);
        get.onsuccess = () => {
          const row = get.result ?? { owner: key, queues: new Map() };
          for (const [owner, k] of entries) row.queues.set(owner, { count: (row.queues.get(owner)?.count ?? 0) + k, seq: k });
          tx.objectStore("c").put(row);
        };
      }
      await new Promise((res, rej) => { tx.oncomplete = res; tx.onerror = () => rej(tx.error); });
      const ms = performance.now() - t0;
      db.close();
      return ms;
    }, { n: N, peers, layout });
  const ratios = [];
  const floors = { rows: [], shared: [] };
  /** Runs `f(N peers)` and `f(1 peer)` in alternating order; answers [to N, to 1]. */
  const pair = async (r, f) => (r % 2 ? [await f(1), await f(N)].reverse() : [await f(N), await f(1)]);
  for (let r = 0; r < ROUNDS; r++) {
    const [many, one] = await pair(r, (p) => run(p, r));
    ratios.push(one / many);
    const line = [`round ${r + 1}: ${N} writes: to ${N} peers ${fmt(many, 0)} ms, to 1 peer ${fmt(one, 0)} ms, throughput ratio ${fmt(one / many, 2)}`];
    for (const layout of ["rows", "shared"]) {
      const [rawMany, rawOne] = await pair(r, (p) => rawRows(p, layout));
      floors[layout].push(rawOne / rawMany);
      line.push(`raw, ${layout}: ${fmt(rawMany, 0)} ms vs ${fmt(rawOne, 0)} ms, ${fmt(rawOne / rawMany, 2)}`);
    }
    console.log(line.join("; "));
  }
  verdict(`throughput with ${N} peers / with 1 peer`, ratios, 0.8);
  console.log(`the same ratio for raw IndexedDB with a count row per queue (schema 1-4): ${spread(floors.rows)}; with rows shared by queues (tallies.ts): ${spread(floors.shared)}`);
  await context.close();
}

// Time from the call until the store answered its first request (ours:
// createOfflineStore + count; raw: indexedDB.open + count), on a first
// visit (fresh profile) and on a reload of the same tab; the time from
// navigation start (page load included, the same for both) is shown too.
async function startup() {
  const REPEATS = 5;
  const oursReady = (page) =>
    page.evaluate(async (mode) => {
      const t0 = performance.now();
      const store = await window.harness.createOfflineStore({ prefer: mode, timeoutMs: 60_000 });
      await store.count("nobody@localhost");
      if (store.mode !== mode) throw new Error(`store in ${store.mode} mode`);
      return { call: performance.now() - t0, nav: performance.now() };
    }, MODE);
  const rawReady = (page) =>
    page.evaluate(async () => {
      const t0 = performance.now();
      const db = await new Promise((res, rej) => {
        const r = indexedDB.open("raw-startup", 1);
        r.onupgradeneeded = () => r.result.createObjectStore("m", { keyPath: ["owner", "ts", "seq"] });
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
      });
      await new Promise((res) => { const q = db.transaction("m").objectStore("m").count(); q.onsuccess = res; });
      return { call: performance.now() - t0, nav: performance.now() };
    });
  // The floor of a worker-hosted store: register a worker with raw IndexedDB only, and one count from it.
  const floorReady = async (page) => ({ call: await openFloorWorker(page), nav: await page.evaluate(() => performance.now()) });
  const visits = async (ready) => {
    const context = await env.browser.newContext();
    const page = await openHarness(context, env.baseUrl);
    const first = await ready(page);
    // A repeat visit comes after the first one's worker has installed and taken control (a user's next
    // visit), not while it still precaches: wait for that before reloading (at once without a worker).
    await page.evaluate(async () => {
      const registration = await navigator.serviceWorker.getRegistration();
      if (!registration || navigator.serviceWorker.controller) return;
      await new Promise((resolve) => navigator.serviceWorker.addEventListener("controllerchange", resolve, { once: true }));
    });
    // A few milliseconds each: the median of several reloads, so one slow task does not decide the round.
    const repeats = [];
    for (let i = 0; i < REPEATS; i++) {
      await page.reload();
      await page.waitForFunction(() => document.body.dataset.ready === "true");
      repeats.push(await ready(page));
    }
    await context.close();
    const repeat = { call: median(repeats.map((x) => x.call)) };
    return { first, repeat };
  };
  const first = [];
  const repeat = [];
  const firstNav = [];
  const floorFirst = [];
  const floorRepeat = [];
  for (let r = 0; r < ROUNDS; r++) {
    let o, b, f;
    if (r % 2) [f, b, o] = [await visits(floorReady), await visits(rawReady), await visits(oursReady)];
    else [o, b, f] = [await visits(oursReady), await visits(rawReady), await visits(floorReady)];
    first.push(o.first.call / b.first.call);
    repeat.push(o.repeat.call / b.repeat.call);
    firstNav.push(o.first.nav / b.first.nav);
    floorFirst.push(f.first.call / b.first.call);
    floorRepeat.push(f.repeat.call / b.repeat.call);
    console.log(
      `round ${r + 1}: first visit: ours ${fmt(o.first.call, 0)} ms, raw ${fmt(b.first.call, 0)} ms, x${fmt(first.at(-1), 2)} ` +
        `(from navigation: ${fmt(o.first.nav, 0)} vs ${fmt(b.first.nav, 0)} ms); repeat: ours ${fmt(o.repeat.call, 0)} ms, raw ${fmt(b.repeat.call, 0)} ms, x${fmt(repeat.at(-1), 2)}; ` +
        `floor worker: first ${fmt(f.first.call, 0)} ms, repeat ${fmt(f.repeat.call, 0)} ms`,
    );
  }
  console.log(`a worker floor / raw (register a raw-IndexedDB worker, one count from it): first visit ${spread(floorFirst)}, repeat ${spread(floorRepeat)}`);
  verdict("first visit, ours / raw (from the call)", first, 2, false);
  console.log(`first visit from navigation start, ours / raw: ${spread(firstNav)}`);
  verdict("repeat visit, ours / raw (from the call)", repeat, 1.2, false);
}

// p50 of single awaited writes to a peer holding 5,000 vs to an empty peer,
// in alternating blocks of 25.
async function depth() {
  const DEPTH = 5000;
  const BLOCK = 25;
  const BLOCKS = 8;
  const context = await env.browser.newContext();
  const page = await storePage(context);
  const ratios = [];
  for (let r = 0; r < ROUNDS; r++) {
    const { deep, empty } = await page.evaluate(
      async ({ depth, block, blocks, round }) => {
        const deepPeer = `deep${round}@localhost`;
        const msg = (to, i) => `<message type='chat' from='alice@localhost/A' to='${to}' id='d${i}'><body>message ${i}, a typical chat line of some length</body></message>`;
        for (let i = 0; i < depth; i += 1000) await window.store.write(Array.from({ length: 1000 }, (_, k) => msg(deepPeer, i + k)));
        const times = { deep: [], empty: [] };
        for (let b = 0; b < blocks; b++) {
          const order = b % 2 ? ["empty", "deep"] : ["deep", "empty"];
          for (const which of order) {
            const to = which === "deep" ? deepPeer : `empty${round}-${b}@localhost`;
            for (let i = 0; i < block; i++) {
              const t0 = performance.now();
              await window.store.write([msg(to, i)]);
              times[which].push(performance.now() - t0);
            }
          }
        }
        await window.store.removeUser(deepPeer);
        return times;
      },
      { depth: DEPTH, block: BLOCK, blocks: BLOCKS, round: r },
    );
    const [d, e] = [quantile(deep, 0.5), quantile(empty, 0.5)];
    ratios.push(d / e);
    console.log(`round ${r + 1}: single-write p50 at depth ${DEPTH}: ${fmt(d, 2)} ms, at depth 0: ${fmt(e, 2)} ms, ratio ${fmt(d / e, 2)}`);
  }
  verdict(`single-write p50, depth ${DEPTH} / depth 0`, ratios, 1.2, false);
  await context.close();
}
