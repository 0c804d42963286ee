import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { UNLIMITED, history, launch, newContext, openHarness, range, sendUnstorable, until } from "./browser.ts";
import type { LeaveAfter, Received } from "./chat-harness.ts";

const ALICE = "alice@mesh.local";
const BOB = "bob@mesh.local";

let browser: Browser;
let context: BrowserContext;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});
// Each test gets a fresh profile: a store and a mesh of its own.
beforeEach(async () => {
  context = await newContext(browser);
});
afterEach(async () => {
  await context?.close();
});

/** Opens a tab as `self` on the mesh; what its app receives is pushed to `sink`. */
async function join(self: string, sink?: Received[], unlimited = false, leaveAfter?: LeaveAfter): Promise<Page> {
  const page = await openHarness(context);
  if (sink) await page.exposeFunction("onReceived", (r: Received) => void sink.push(r));
  const config = unlimited ? UNLIMITED : undefined;
  await page.evaluate(
    ({ self, config, leaveAfter }) =>
      window.harness.startChat({ self, relay: "mesh", store: { config }, history: true, leaveAfter }).then((c) => void (window.chat = c)),
    { self, config, leaveAfter },
  );
  return page;
}

const send = (page: Page, bodies: string[], extra = "", type = "chat") =>
  page.evaluate(
    ({ bodies, extra, type, to }) => Promise.all(bodies.map((b) => window.chat.send(to, b, extra, type))),
    { bodies, extra, type, to: BOB },
  );

const count = (page: Page) => page.evaluate((to) => window.chat.store.count(to), BOB);

describe("local mesh: queue while offline, drain on presence", () => {
  it("queues for offline bob; bob joins and gets every message oldest first, with Offline Storage delay", async () => {
    const alice = await join(ALICE);
    const states = await send(alice, range(5));
    expect(states.map((s) => s.state)).toEqual(["queued", "queued", "queued", "queued", "queued"]);
    expect(await count(alice)).toBe(5);
    const got: Received[] = [];
    await join(BOB, got);
    await until(() => got.length === 5);
    expect(got.map((r) => r.body)).toEqual(range(5));
    expect(got.every((r) => r.delay === "Offline Storage" && r.stamp)).toBe(true);
    expect(got.every((r) => r.from.startsWith(ALICE))).toBe(true);
    await expect.poll(() => count(alice), { timeout: 30_000 }).toBe(0);
    // Each sender-side state turned to delivered.
    await alice.waitForFunction(() => window.chat.statuses.filter((s) => s.state === "delivered").length === 5);
    // Messages sent now that bob is online go straight through, not via the queue.
    const [live] = await send(alice, ["live"]);
    expect(live!.state).toBe("sent");
    await until(() => got.length === 6);
    expect(got[5]).toMatchObject({ body: "live", delay: null });
  });

  it("the 101st message gives alice's app the resource-constraint error; bob later gets exactly the 100", async () => {
    const alice = await join(ALICE);
    const first = await send(alice, range(100));
    expect(first.every((s) => s.state === "queued")).toBe(true);
    const [over] = await send(alice, ["one too many"]);
    expect(over!.state).toBe("bounced");
    expect(over!.error).toContain("Your contact offline message queue is full. The message has been discarded.");
    expect(over!.error).toContain("<resource-constraint");
    const got: Received[] = [];
    await join(BOB, got);
    await until(() => got.length === 100);
    expect(got.map((r) => r.body)).toEqual(range(100));
  });

  it("a 1-second expiry is not delivered 2 seconds later; a long one is", async () => {
    const alice = await join(ALICE);
    await send(alice, ["short"], "<x xmlns='jabber:x:expire' seconds='1'/>");
    await send(alice, ["long"], "<x xmlns='jabber:x:expire' seconds='3600'/>");
    await alice.waitForTimeout(2000); // the expiry is about time passing: there is no event to wait on
    const got: Received[] = [];
    await join(BOB, got);
    await until(() => got.length === 1);
    await expect.poll(() => count(alice), { timeout: 30_000 }).toBe(0);
    expect(got.map((r) => r.body)).toEqual(["long"]);
  });

  it("headline, error, groupchat (option off) and chat-state-only messages are not stored", async () => {
    const alice = await join(ALICE);
    const states = await sendUnstorable(alice, BOB, "composing");
    expect(states.map((s) => [s.state, s.reason])).toEqual([
      ["dropped", "type"],
      ["dropped", "type"],
      ["dropped", "groupchat"],
      ["dropped", "chat-state-only"],
    ]);
    expect(await count(alice)).toBe(0);
  });

  it("two tabs of alice see bob appear: one drain at a time across tabs (Web Locks), each message sent once", async () => {
    const [a1, a2] = [await join(ALICE, undefined, true), await join(ALICE, undefined, true)];
    await send(a1, range(150));
    await send(a2, range(150).map((m) => `x${m}`));
    const got: Received[] = [];
    const bob = await join(BOB, got);
    await expect.poll(() => count(a1), { timeout: 30_000 }).toBe(0);
    await until(() => got.length >= 300);
    const stats = await bob.evaluate(() => ({
      frames: (window.chat.relay as unknown as { stats: { received: number } }).stats.received,
      duplicates: window.chat.messenger.inbox.stats.duplicates,
    }));
    expect(stats).toEqual({ frames: 300, duplicates: 0 });
    expect(got.map((r) => r.body)).toEqual([...range(150), ...range(150).map((m) => `x${m}`)]);
  });

  it("bob drops off in the middle of a 500-message drain and comes back: every message once, in order", async () => {
    const alice = await join(ALICE, undefined, true);
    await send(alice, range(500));
    const got: Received[] = [];
    let bob = await join(BOB, got, false, { received: 100 });
    await bob.waitForFunction(() => window.chat.left); // pagehide at the 100th: bob leaves the mesh mid-drain
    // The page hid at its 100th: its inbox hands nothing more over (what it had received waits for the next tab).
    expect(await history(bob, BOB)).toEqual(range(100));
    await bob.close();
    await alice.waitForFunction((to) => !window.chat.relay.isAvailable(to), BOB);
    bob = await join(BOB, got);
    await expect.poll(() => count(alice), { timeout: 30_000 }).toBe(0);
    expect(await history(bob, BOB)).toEqual(range(500));
  });

  it("alice's tab is closed in the middle of a drain and reopened: nothing lost, nothing doubled", async () => {
    let alice = await join(ALICE, undefined, true, { delivered: 100 });
    await send(alice, range(500));
    const got: Received[] = [];
    const bob = await join(BOB, got);
    await alice.waitForFunction(() => window.chat.left, null, { timeout: 60_000 }); // pagehide at the 100th delivered
    expect(await count(alice)).toBeGreaterThan(0); // the drain stopped with messages still queued
    await alice.close();
    alice = await join(ALICE);
    await expect.poll(() => count(alice), { timeout: 30_000 }).toBe(0);
    await until(() => got.length >= 500);
    expect(await history(bob, BOB)).toEqual(range(500));
  });
});
