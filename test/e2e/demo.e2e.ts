import { mkdir } from "node:fs/promises";
import { resolve } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { inject } from "vitest";
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import type { OfflineEdgeDebugHandle } from "../../src/dashboard/index.ts";
import { baseUrl, launch, newContext } from "./browser.ts";

// The demo chat app (index.html → src/demo/main.ts), driven as a person would:
// controls found by role and name, what is asserted is the text on screen.

declare global {
  interface Window {
    offlineEdge: OfflineEdgeDebugHandle;
    __xss?: unknown;
  }
}

const ARTIFACTS = resolve(import.meta.dirname, "../../test-results");
const ALICE = "alice@mesh.local";
const BOB = "bob@mesh.local";
const POLL = { timeout: 20_000, interval: 50 };
const QUEUE_FULL = "Your contact offline message queue is full. The message has been discarded.";

let browser: Browser;
let context: BrowserContext;
beforeAll(async () => {
  browser = await launch();
  await mkdir(ARTIFACTS, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
});
// A fresh profile per test: its own store, mesh and history.
beforeEach(async () => {
  context = await newContext(browser, { viewport: { width: 1280, height: 800 } });
});
afterEach(async () => {
  await context?.close();
});

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Opens the demo (`query` like "?as=alice") and waits until the chat is up. */
async function openDemo(query: string): Promise<Page> {
  const page = await context.newPage();
  page.on("pageerror", (e) => console.error("[page error]", e.message));
  await page.goto(`${baseUrl()}/${query}`);
  await page.getByRole("navigation", { name: "Contacts" }).waitFor({ timeout: POLL.timeout });
  return page;
}

/** A contact button, named like "bob@mesh.local online" (then ", 3 queued" and so on). */
const contact = (page: Page, jid: string, presence: "online" | "offline" | "" = "") =>
  page.getByRole("button", { name: new RegExp(`^${esc(jid)} ${presence || "(online|offline)"}`) });

const bubbles = (page: Page) => page.getByRole("log").getByRole("listitem");
const bubble = (page: Page, body: string) => bubbles(page).filter({ has: page.getByText(body, { exact: true }) });
const badgeOf = (page: Page, body: string) => bubble(page, body).locator(".badge").textContent();

async function send(page: Page, body: string, via: "enter" | "button" = "enter"): Promise<void> {
  const box = page.getByRole("textbox", { name: "Message" });
  await box.fill(body);
  if (via === "enter") await box.press("Enter");
  else await page.getByRole("button", { name: "Send", exact: true }).click();
  await bubble(page, body).waitFor({ timeout: POLL.timeout });
}

const dashboard = (page: Page) => page.locator("offline-dashboard");
/** The depth cell text ("3 / 100") of a peer's row in the dashboard's queue table (open shadow DOM). */
const depthRow = (page: Page, peer: string): Locator =>
  dashboard(page).getByRole("row", { name: new RegExp(esc(peer)) }).first();

const shot = (page: Page, name: string) => page.screenshot({ path: resolve(ARTIFACTS, `demo-${name}.png`) });

describe("demo chat on the local mesh", () => {
  it("queues for bob while his tab is closed and delivers late, in order, when he is back", async () => {
    const alice = await openDemo("?as=alice");
    await expect(alice.getByRole("heading", { level: 1 }).textContent()).resolves.toBe(`Signed in as ${ALICE}`);
    await expect(alice.locator(".status-line").textContent()).resolves.toMatch(/store: (worker|page) · relay: mesh/);
    let bob = await openDemo("?as=bob");
    await contact(alice, BOB, "online").waitFor({ timeout: POLL.timeout });

    await bob.close(); // pagehide: bob's tab leaves the mesh
    await contact(alice, BOB, "offline").waitFor({ timeout: POLL.timeout });
    await contact(alice, BOB).click();
    await expect.poll(() => alice.getByRole("status").filter({ hasText: "is offline" }).textContent(), POLL).toContain(`${BOB} is offline`);

    const bodies = ["Are you there?", "I'll leave this in the queue.", "Third one, in order"];
    await send(alice, bodies[0]!);
    await send(alice, bodies[1]!, "button");
    await send(alice, bodies[2]!);
    for (const b of bodies) await expect.poll(() => badgeOf(alice, b), POLL).toBe("queued");
    await depthRow(alice, BOB).getByText("3 / 100", { exact: true }).waitFor({ timeout: POLL.timeout });
    await contact(alice, BOB, "offline").and(alice.getByRole("button", { name: /3 queued/ })).waitFor();
    await shot(alice, "alice-queued");

    bob = await openDemo("?as=bob");
    await contact(bob, ALICE).click();
    await expect.poll(() => bubbles(bob).locator(".body").allTextContents(), POLL).toEqual(bodies);
    const late = await bubbles(bob).locator(".late").allTextContents();
    expect(late).toHaveLength(3);
    for (const l of late) expect(l).toMatch(/^delivered late · \S/);

    for (const b of bodies) await expect.poll(() => badgeOf(alice, b), POLL).toBe("delivered");
    await depthRow(alice, BOB).getByText("0 / 100", { exact: true }).waitFor({ timeout: POLL.timeout });
    await contact(alice, BOB, "online").waitFor();

    // A reply while both are online goes straight through.
    await send(bob, "Back now, got all three!");
    await expect.poll(() => badgeOf(bob, "Back now, got all three!"), POLL).toBe("delivered");
    await bubble(alice, "Back now, got all three!").waitFor({ timeout: POLL.timeout });
    expect(await bubble(alice, "Back now, got all three!").locator(".late").count()).toBe(0);

    await shot(alice, "alice");
    await shot(bob, "bob");

    // The history survives a reload (kept per identity in localStorage).
    await bob.reload();
    await contact(bob, ALICE).click();
    await expect.poll(() => bubbles(bob).locator(".body").allTextContents(), POLL).toEqual([...bodies, "Back now, got all three!"]);
  });

  it("renders a hostile body as text on both sides", async () => {
    const alice = await openDemo("?as=alice");
    const bob = await openDemo("?as=bob");
    await contact(alice, BOB, "online").waitFor({ timeout: POLL.timeout });
    const evil = `<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>`;
    await send(alice, evil);
    await expect.poll(() => badgeOf(alice, evil), POLL).toBe("delivered");
    await contact(bob, ALICE).click();
    await bubble(bob, evil).waitFor({ timeout: POLL.timeout });
    for (const page of [alice, bob]) {
      expect(await bubble(page, evil).locator(".body").textContent()).toBe(evil);
      expect(await page.locator("img").count()).toBe(0);
      expect(await page.locator(".messages script").count()).toBe(0);
      expect(await page.evaluate(() => window.__xss)).toBeUndefined();
    }
  });

  it("renders a hostile identity from the URL as text, with the error it causes", async () => {
    const evil = `<img src=x onerror="window.__xss=1">`;
    const page = await context.newPage();
    await page.goto(`${baseUrl()}/?as=${encodeURIComponent(evil)}`);
    await page.getByRole("alert").waitFor({ timeout: POLL.timeout });
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe(`Signed in as ${evil}@mesh.local`);
    expect(await page.getByRole("alert").textContent()).toMatch(/Invalid localpart/);
    expect(await page.locator("img").count()).toBe(0);
    expect(await page.evaluate(() => window.__xss)).toBeUndefined();
  });

  it("the 101st message for an offline contact bounces with the queue-full text", async () => {
    const alice = await openDemo("?as=alice");
    await contact(alice, BOB, "offline").waitFor({ timeout: POLL.timeout });
    // 99 queued fast through the debug handle, then the 100th and 101st through the UI.
    await alice.evaluate(
      ({ to, from }) =>
        window.offlineEdge.store.write(Array.from({ length: 99 }, (_, i) => `<message type='chat' from='${from}' to='${to}'><body>filler ${i}</body></message>`)),
      { to: BOB, from: ALICE },
    );
    await send(alice, "Number 100 still fits");
    await expect.poll(() => badgeOf(alice, "Number 100 still fits"), POLL).toBe("queued");
    await send(alice, "Number 101 does not");
    await expect.poll(() => badgeOf(alice, "Number 101 does not"), POLL).toBe("bounced");
    expect(await bubble(alice, "Number 101 does not").textContent()).toContain(QUEUE_FULL);
    await depthRow(alice, BOB).getByText("100 / 100", { exact: true }).waitFor({ timeout: POLL.timeout });
    await alice.getByRole("button", { name: /^bob@mesh\.local offline, 100 queued/ }).waitFor({ timeout: POLL.timeout });
    await shot(alice, "alice-bounced");
    // The dashboard's "Drain now" is answered by the messenger's drain engine (bob is offline: nothing goes).
    await depthRow(alice, BOB).getByRole("button", { name: `Drain ${BOB} now` }).click();
    await dashboard(alice).getByText(`Drain of ${BOB} requested.`).waitFor({ timeout: POLL.timeout });
  });

  it("asks who you are, remembers it per tab, and lets you switch", async () => {
    const page = await context.newPage();
    await page.goto(`${baseUrl()}/`);
    await page.getByRole("heading", { name: "Who are you?" }).waitFor({ timeout: POLL.timeout });
    await shot(page, "signin");
    await page.getByRole("button", { name: "Sign in as carol@mesh.local" }).click();
    await page.getByRole("heading", { name: "Signed in as carol@mesh.local" }).waitFor({ timeout: POLL.timeout });
    await page.reload();
    await page.getByRole("heading", { name: "Signed in as carol@mesh.local" }).waitFor({ timeout: POLL.timeout });
    await page.getByRole("button", { name: "Switch user" }).click();
    await page.getByRole("heading", { name: "Who are you?" }).waitFor({ timeout: POLL.timeout });
  });

  it("works at a narrow width, and the dashboard can be hidden", async () => {
    const page = await openDemo("?as=alice");
    await page.setViewportSize({ width: 420, height: 860 });
    await page.getByRole("textbox", { name: "Message" }).waitFor();
    const toggle = page.getByRole("button", { name: "Dashboard" });
    expect(await toggle.getAttribute("aria-expanded")).toBe("true");
    await shot(page, "narrow");
    await toggle.click();
    expect(await toggle.getAttribute("aria-expanded")).toBe("false");
    expect(await dashboard(page).isVisible()).toBe(false);
  });
});

describe("demo chat over XMPP (real Prosody)", () => {
  const service = () => inject("xmppWsUrl");
  const xmppQuery = (user: string, svc = service()) =>
    `?relay=xmpp&service=${encodeURIComponent(svc)}&jid=${user}@localhost&password=secret`;

  it("shows the connection error clearly when the server is not there", async () => {
    const page = await context.newPage();
    await page.goto(`${baseUrl()}/${xmppQuery("alice", "ws://127.0.0.1:9/xmpp-websocket")}`);
    const alert = page.getByRole("alert");
    await alert.waitFor({ timeout: 30_000 });
    expect(await alert.getByRole("heading").textContent()).toBe("Could not connect to the XMPP server at ws://127.0.0.1:9/xmpp-websocket");
    expect((await alert.locator(".error-detail").textContent())?.length).toBeGreaterThan(0);
    await shot(page, "xmpp-error");
  });

  it("sees bob online, queues while his tab is closed, delivers when he signs in again", async () => {
    const alice = await openDemo(xmppQuery("alice"));
    await expect(alice.locator(".status-line").textContent()).resolves.toMatch(/relay: xmpp ws:\/\//);
    let bob = await openDemo(xmppQuery("bob"));
    await contact(alice, "bob@localhost", "online").waitFor({ timeout: POLL.timeout });
    await contact(bob, "alice@localhost", "online").waitFor({ timeout: POLL.timeout });
    await bob.close();
    await contact(alice, "bob@localhost", "offline").waitFor({ timeout: POLL.timeout });
    await send(alice, "Over XMPP, while you were away");
    await expect.poll(() => badgeOf(alice, "Over XMPP, while you were away"), POLL).toBe("queued");
    bob = await openDemo(xmppQuery("bob"));
    await contact(bob, "alice@localhost").click();
    await bubble(bob, "Over XMPP, while you were away").locator(".late").waitFor({ timeout: POLL.timeout });
    await expect.poll(() => badgeOf(alice, "Over XMPP, while you were away"), POLL).toBe("delivered");
    await alice.getByRole("button", { name: /^bob@localhost online$/ }).waitFor({ timeout: POLL.timeout }); // nothing queued
    await shot(alice, "xmpp-alice");
    await shot(bob, "xmpp-bob");
  });
});
