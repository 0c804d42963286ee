// Shared set-up for browser benchmarks: the production build served by
// `vite preview` on 127.0.0.1, and Debian's Chromium through playwright-core.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build, preview } from "vite";
import { chromium } from "playwright-core";
import { launchPlainChromium } from "./plain-chromium.mjs";

export const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

/**
 * Builds, serves and launches; returns { baseUrl, browser, close() }. `args`: extra Chromium flags.
 * `plain`: Chromium without Playwright's DevTools instrumentation (see plain-chromium.mjs).
 */
export async function startBench({ workbox = false, args = [], plain = false } = {}) {
  const outDir = mkdtempSync(join(tmpdir(), "offline-edge-bench-"));
  // MINIFY=0 keeps function names, for readable CPU profiles.
  await build({ logLevel: "warn", build: { outDir, emptyOutDir: true, ...(process.env.MINIFY === "0" && { minify: false }) } });
  // Workbox's Queue as a module the page can import (/bench/workbox-queue.js), for write baselines.
  if (workbox) {
    await build({
      configFile: false,
      logLevel: "warn",
      define: { "process.env.NODE_ENV": JSON.stringify("production") },
      build: { outDir: join(outDir, "bench"), emptyOutDir: false, lib: { entry: "bench/pages/workbox-queue.js", formats: ["es"], fileName: () => "workbox-queue.js" } },
    });
  }
  // A service worker with raw IndexedDB only (/bench/floor-sw.js): the floor of any worker-hosted store.
  mkdirSync(join(outDir, "bench"), { recursive: true });
  copyFileSync("bench/pages/floor-sw.js", join(outDir, "bench", "floor-sw.js"));
  const server = await preview({ build: { outDir }, preview: { host: "127.0.0.1", port: 0 }, logLevel: "warn" });
  const { port } = server.httpServer.address();
  const executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
  const browser = plain ? await launchPlainChromium(executablePath, [...CHROMIUM_ARGS, ...args]) : await chromium.launch({ executablePath, args: [...CHROMIUM_ARGS, ...args] });
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    browser,
    async close() {
      await browser.close();
      await new Promise((r) => server.httpServer.close(r));
      rmSync(outDir, { recursive: true, force: true });
    },
  };
}

/** Opens the harness page in a context; resolves once window.harness is there. */
export async function openHarness(context, baseUrl) {
  const page = await context.newPage();
  await page.goto(`${baseUrl}/test/e2e/harness.html`);
  await page.waitForFunction(() => document.body.dataset.ready === "true");
  return page;
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export const fmt = (n, d = 1) => Number(n).toFixed(d);

/** "median (min-max)" of a list, to `d` decimals. */
export const spread = (xs, d = 2) => `${fmt(median(xs), d)} (${fmt(Math.min(...xs), d)}-${fmt(Math.max(...xs), d)})`;

/** The p-quantile (0..1) of a list. */
export const quantile = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

/**
 * Opens the store in a page, with no per-user limit (benchmarks write more than 100 per peer). In
 * worker mode, waits until the worker is active: on a first visit the store answers while the worker
 * still precaches the app shell, and a figure taken then would time the precache too (startup has
 * its own figure).
 */
export function openUnlimitedStore(page, prefer = "worker") {
  return page.evaluate(async (prefer) => {
    window.store = await window.harness.createOfflineStore({
      prefer,
      timeoutMs: 120_000,
      config: { access: { max_user_offline_messages: [{ acl: "all", value: "infinity" }] } },
    });
    if (window.store.mode === "worker") await navigator.serviceWorker.ready;
  }, prefer);
}

/** In one tab: fires `n` single-message writes at once, round-robin over `peers` peers; resolves with the ms they took. */
export function fireWrites(page, tab, n, peers) {
  return page.evaluate(
    async ({ tab, n, peers }) => {
      const msg = (i) =>
        `<message type='chat' from='alice@localhost/${tab}' to='peer${i % peers}@localhost' id='${tab}${i}'><body>message ${i} from ${tab}, a typical chat line of some length</body></message>`;
      const t0 = performance.now();
      const results = await Promise.all(Array.from({ length: n }, (_, i) => window.store.write([msg(i)])));
      const ms = performance.now() - t0;
      if (results.some(([r]) => r.status !== "stored")) throw new Error("a write was not stored");
      return ms;
    },
    { tab, n, peers },
  );
}

/** Empties the peers' queues between rounds. */
export function clearPeers(page, peers) {
  return page.evaluate(async (peers) => {
    for (let i = 0; i < peers; i++) await window.store.removeUser(`peer${i}@localhost`);
  }, peers);
}

/** A CPU profile's self time by function (name, file, line), largest first; idle apart, program and GC as rows of their own. */
export function selfTimes(profile, baseUrl = "") {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
  const rows = new Map();
  let total = 0;
  let idle = 0;
  for (const [id, ms] of self) {
    const { functionName, url, lineNumber } = byNode.get(id).callFrame;
    if (functionName === "(idle)") {
      idle += ms;
      continue;
    }
    total += ms;
    const file = url ? url.replace(baseUrl, "").replace(/^.*\/node_modules\//, "") : "";
    const key = `${functionName || "(anonymous)"} ${file}${file ? `:${lineNumber + 1}` : ""}`;
    rows.set(key, (rows.get(key) ?? 0) + ms);
  }
  return { total, idle, top: [...rows].sort((a, b) => b[1] - a[1]) };
}

/**
 * A DevTools session on the service worker of `env` (from startBench): attached from the browser
 * session (playwright gives page sessions only), commands and replies
 * carried by Target.sendMessageToTarget / receivedMessageFromTarget.
 */
export async function workerSession(env) {
  const isOurWorker = (t) => t.type === "service_worker" && t.url === `${env.baseUrl}/sw.js`;
  if (env.browser.attach) {
    const session = await env.browser.attach(isOurWorker);
    if (!session) throw new Error("no service worker target");
    return session;
  }
  const browserSession = await env.browser.newBrowserCDPSession();
  const { targetInfos } = await browserSession.send("Target.getTargets");
  const sw = targetInfos.find(isOurWorker);
  if (!sw) throw new Error("no service worker target");
  const { sessionId } = await browserSession.send("Target.attachToTarget", { targetId: sw.targetId, flatten: false });
  let nextId = 1;
  const waiting = new Map();
  browserSession.on("Target.receivedMessageFromTarget", (e) => {
    if (e.sessionId !== sessionId) return;
    const msg = JSON.parse(e.message);
    const w = waiting.get(msg.id);
    if (!w) return;
    waiting.delete(msg.id);
    if (msg.error) w.reject(new Error(msg.error.message));
    else w.resolve(msg.result);
  });
  return {
    send(method, params = {}) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        void browserSession.send("Target.sendMessageToTarget", { sessionId, message: JSON.stringify({ id, method, params }) }).catch(reject);
      });
    },
  };
}

/** CPU time every process on the machine has used (busy jiffies of /proc/stat's "cpu" line), in ms: what the drain demands of the 2 cores. */
export function machineCpuMs() {
  const [user, nice, system, , , irq, softirq, steal] = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  return (user + nice + system + irq + softirq + steal) * 10;
}

/** CPU time (user + system) a process has used, in ms (Linux /proc; clock ticks of 10 ms). */
export function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10; // utime, stime (fields 14 and 15 of stat)
}

/** CPU ms used so far by each kind of process on the machine (Chromium's by --type and sub-type; `names`: pid -> name), from /proc. */
export function cpuByProcess(names = {}) {
  const byKind = new Map();
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      // Chromium rewrites its argv into one string: read the flags out of it.
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
      const name = /chrom/.test(cmd) ? "chromium" : cmd.split(" ")[0].split("/").pop();
      const type = name === "chromium" ? (/--type=(\S+)/.exec(cmd)?.[1] ?? "browser") : undefined;
      const sub = /--utility-sub-type=(\S+)/.exec(cmd)?.[1];
      const kind = names[pid] ?? (pid === String(process.pid) ? "node (this bench)" : [name, type, sub].filter(Boolean).join(" "));
      byKind.set(kind, (byKind.get(kind) ?? 0) + cpuMs(pid));
    } catch {
      // the process ended meanwhile
    }
  }
  return byKind;
}

/** CPU ms each kind of process used since `before` (a cpuByProcess() reading), most first. */
export function cpuSince(before, names = {}) {
  return [...cpuByProcess(names)].map(([kind, ms]) => [kind, ms - (before.get(kind) ?? 0)]).filter(([, ms]) => ms > 0).sort((a, b) => b[1] - a[1]);
}

/**
 * In the page: registers the floor worker (bench/pages/floor-sw.js) under its own scope; `window.floor(request)`
 * then sends it one request on a fresh reply port, as messageSW does, and resolves with the answer. Resolves
 * with the ms from the call until the worker's first answer (from a worker still installing, as ours answers).
 */
export function openFloorWorker(page) {
  return page.evaluate(async () => {
    const t0 = performance.now();
    const registration = await navigator.serviceWorker.register("/bench/floor-sw.js", { scope: "/bench/floor/" });
    const worker = () => registration.active ?? registration.waiting ?? registration.installing;
    window.floor = (request) =>
      new Promise((resolve, reject) => {
        const c = new MessageChannel();
        c.port1.onmessage = (e) => (e.data.ok ? resolve(e.data.value) : reject(new Error(e.data.error)));
        worker().postMessage(request, [c.port2]);
      });
    await window.floor({ op: "count" });
    return performance.now() - t0;
  });
}

/** Starts the CPU profiler on each [name, CDP session] pair (sampling every 200 µs). */
export async function startProfiles(sessions) {
  for (const [, session] of sessions) {
    await session.send("Profiler.enable");
    await session.send("Profiler.setSamplingInterval", { interval: 200 });
    await session.send("Profiler.start");
  }
}

/** Stops them, writes bench/profiles/<prefix>-<name>.cpuprofile and prints each one's busy and idle time and top self times. */
export async function stopProfiles(sessions, prefix, baseUrl) {
  for (const [who, session] of sessions) {
    const { profile } = await session.send("Profiler.stop");
    mkdirSync("bench/profiles", { recursive: true });
    const file = `bench/profiles/${prefix}-${who}.cpuprofile`;
    writeFileSync(file, JSON.stringify(profile));
    const { total, idle, top } = selfTimes(profile, baseUrl);
    console.log(`${who}: busy ${fmt(total, 0)} ms, idle ${fmt(idle, 0)} ms (${file}); top self time:`);
    for (const [fn, t] of top.slice(0, 12)) console.log(`  ${fmt(t, 1).padStart(8)} ms  ${fn}`);
  }
}
