import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, inject } from "vitest";

/** The flags Debian's Chromium needs on these machines (headless, as root, no network of its own). */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Debian's Chromium, headless, with the flags that work on these machines (and any `extraArgs`). */
export function launch(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
  });
}

/**
 * One browser for the test file, and contexts (separate users: separate
 * storage) that each test opens and that are closed after it. Returns the
 * function that opens one.
 */
export function browserPerFile(): () => Promise<BrowserContext> {
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close()));
  });
  return async () => {
    const c = await newContext(browser!);
    contexts.push(c);
    return c;
  };
}

export const baseUrl = (): string => inject("baseUrl");

/** Opens the harness page in a context and waits until it exposes window.harness. */
export async function openHarness(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  page.on("pageerror", (e) => console.error("[page error]", e.message));
  await page.goto(`${baseUrl()}/test/e2e/harness.html`);
  await page.waitForFunction(() => document.body.dataset.ready === "true");
  return page;
}

export async function newContext(browser: Browser, options: BrowserContextOptions = {}): Promise<BrowserContext> {
  return browser.newContext({ baseURL: baseUrl(), ...options });
}

/** Waits until a Node-side condition holds (e.g. what a page pushed through exposeFunction), bounded. */
export async function until(what: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${String(what)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** What `self`'s app was handed, in order, as it kept it in localStorage (it outlives the tab). */
export function history(page: Page, self: string): Promise<string[]> {
  return page.evaluate((self) => JSON.parse(localStorage.getItem(`history:${self}`) ?? "[]") as string[], self);
}

/** Bodies m0 … m(n-1). */
export const range = (n: number): string[] => Array.from({ length: n }, (_, i) => `m${i}`);

/** Store config with no per-user limit, for tests that queue more than 100. */
export const UNLIMITED = { access: { max_user_offline_messages: [{ acl: "all" as const, value: "infinity" as const }] } };

/** Sends the four kinds of message the store must not keep (headline, error, groupchat, chat state only); their states. */
export function sendUnstorable(page: Page, to: string, chatState = "composing") {
  return page.evaluate(
    ({ to, chatState }) => {
      const raw = (type: string, inner: string) => window.chat.messenger.send(`<message type='${type}' to='${to}'>${inner}</message>`);
      return Promise.all([
        raw("headline", "<body>news</body>"),
        raw("error", "<body>err</body>"),
        raw("groupchat", "<body>room</body>"),
        raw("chat", `<${chatState} xmlns='http://jabber.org/protocol/chatstates'/>`),
      ]);
    },
    { to, chatState },
  );
}
