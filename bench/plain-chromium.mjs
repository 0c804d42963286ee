// Chromium as a user runs it: started without Playwright, driven through a
// bare DevTools connection that only evaluates scripts in its pages. Playwright
// switches on DevTools domains in every page and worker it sees (Network among
// them: each WebSocket frame becomes an event that the browser serialises and
// the Node side parses), which a user's browser never pays for. Benchmarks of
// work that crosses many WebSocket frames use this; the others keep Playwright.
//
// The subset of Playwright's API the benchmarks use: browser.newContext(),
// context.newPage() / close(), page.goto() / evaluate() / waitForFunction() /
// reload() / close(); for profiles, page.cdp() and browser.attach(match).
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";

const pause = (ms) => new Promise((r) => setTimeout(r, ms));

/** Launches Chromium with `args`; resolves once its DevTools endpoint answers. */
export async function launchPlainChromium(executablePath, args) {
  const profile = mkdtempSync(join(tmpdir(), "offline-edge-plain-chromium-"));
  const proc = spawn(executablePath, [...args, `--user-data-dir=${profile}`, "--remote-debugging-port=0", "about:blank"], { stdio: "ignore" });
  // A bench that dies before close() must not leave this Chromium running (and loading the next bench's machine).
  const killOnExit = () => proc.kill();
  process.on("exit", killOnExit);
  const portFile = join(profile, "DevToolsActivePort");
  // Chromium writes "<port>\n<browser path>" once it listens (polled: there is no event for it).
  for (let waited = 0; !existsSync(portFile) || !readFileSync(portFile, "utf8").includes("\n"); waited += 20) {
    if (waited > 30_000 || proc.exitCode !== null) throw new Error("Chromium did not open its DevTools endpoint");
    await pause(20);
  }
  const [port, path] = readFileSync(portFile, "utf8").trim().split("\n");
  const socket = new WebSocket(`ws://127.0.0.1:${port}${path}`, { perMessageDeflate: false, maxPayload: 256 * 1024 * 1024 });
  await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
  socket.on("error", () => {}); // the connection resets when Chromium exits: nothing left to answer
  let lastId = 0;
  const waiting = new Map();
  socket.on("message", (data) => {
    const message = JSON.parse(String(data));
    const w = message.id !== undefined && waiting.get(message.id);
    if (!w) return; // events: none asked for
    waiting.delete(message.id);
    if (message.error) w.reject(new Error(`${w.method}: ${message.error.message}`));
    else w.resolve(message.result);
  });
  const send = (method, params = {}, sessionId) =>
    new Promise((resolve, reject) => {
      const id = ++lastId;
      waiting.set(id, { resolve, reject, method });
      socket.send(JSON.stringify({ id, method, params, ...(sessionId && { sessionId }) }));
    });

  const newPage = async (browserContextId) => {
    const { targetId } = await send("Target.createTarget", { url: "about:blank", browserContextId });
    const { sessionId } = await send("Target.attachToTarget", { targetId, flatten: true });
    const page = {
      async evaluate(fn, arg) {
        const expression = `(${fn})(${arg === undefined ? "" : JSON.stringify(arg)})`;
        const r = await send("Runtime.evaluate", { expression, awaitPromise: true, returnByValue: true }, sessionId);
        if (r.exceptionDetails) throw new Error(r.exceptionDetails.exception?.description ?? r.exceptionDetails.text);
        return r.result.value;
      },
      async goto(url) {
        await send("Page.navigate", { url }, sessionId);
      },
      async reload() {
        await send("Page.reload", {}, sessionId);
      },
      /** Polls `fn` in the page until it returns a truthy value (a navigation in between is retried). */
      async waitForFunction(fn, arg, { timeout = 60_000 } = {}) {
        const end = Date.now() + timeout;
        for (;;) {
          const value = await page.evaluate(fn, arg).catch(() => undefined);
          if (value) return value;
          if (Date.now() > end) throw new Error(`waitForFunction timed out: ${fn}`);
          await pause(10);
        }
      },
      close: () => send("Target.closeTarget", { targetId }),
      /** A DevTools session on this page, for the CPU profiler (Playwright's `newCDPSession`). */
      cdp: () => ({ send: (method, params) => send(method, params, sessionId) }),
    };
    return page;
  };

  return {
    /** A DevTools session on the first target `match`es (e.g. a service worker), or null. */
    async attach(match) {
      const { targetInfos } = await send("Target.getTargets");
      const target = targetInfos.find(match);
      if (!target) return null;
      const { sessionId } = await send("Target.attachToTarget", { targetId: target.targetId, flatten: true });
      return { send: (method, params) => send(method, params, sessionId) };
    },
    async newContext() {
      const { browserContextId } = await send("Target.createBrowserContext", { disposeOnDetach: true });
      return { newPage: () => newPage(browserContextId), close: () => send("Target.disposeBrowserContext", { browserContextId }) };
    },
    async close() {
      process.off("exit", killOnExit);
      socket.close();
      proc.kill();
      await new Promise((r) => (proc.exitCode !== null ? r() : proc.once("exit", r)));
      // Its helper processes may still be writing there for a moment after the browser exits.
      try {
        rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
      } catch {
        // a leftover temporary profile is harmless
      }
    },
  };
}
