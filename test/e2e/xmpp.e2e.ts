import { describe, expect, it } from "vitest";
import { inject } from "vitest";
import type { BrowserContext, Page } from "playwright-core";
import { UNLIMITED, history, browserPerFile, openHarness, range, sendUnstorable, until } from "./browser.ts";
import type { LeaveAfter, Received } from "./chat-harness.ts";

// alice and bob in separate browser contexts (each with its own service
// worker store), talking through a real Prosody that keeps nothing offline.
const ALICE = "alice@localhost";
const BOB = "bob@localhost";

const context = browserPerFile();

/** Logs `self` in over WebSocket in a tab of `ctx`; what its app gets is pushed to `sink`. */
async function login(ctx: BrowserContext, self: string, sink?: Received[], config?: object, leaveAfter?: LeaveAfter): Promise<Page> {
  const page = await openHarness(ctx);
  if (sink) await page.exposeFunction("onReceived", (r: Received) => void sink.push(r));
  await page.evaluate(
    ({ self, service, config, leaveAfter }) =>
      window.harness.startChat({ self, relay: "xmpp", service, store: { config }, history: true, leaveAfter }).then((c) => void (window.chat = c)),
    { self, service: inject("xmppWsUrl"), config, leaveAfter },
  );
  return page;
}

const send = (page: Page, bodies: string[], extra = "", type = "chat") =>
  page.evaluate(({ bodies, extra, type, to }) => Promise.all(bodies.map((b) => window.chat.send(to, b, extra, type))), { bodies, extra, type, to: BOB });
const count = (page: Page) => page.evaluate((to) => window.chat.store.count(to), BOB);
describe("XMPP on a real Prosody (offline storage off): our store is the only storage", () => {
  it("the server bounces a message for offline bob without its body; the relay matches it by id and keeps the copy", async () => {
    const alice = await login(await context(), ALICE);
    const outcome = await alice.evaluate(async (to) => {
      const stanza = window.harness.readMessage(`<message type='chat' to='${to}' id='probe-1'><body>kept here</body></message>`);
      const o = (await window.chat.relay.send(stanza)) as { status: string; condition?: string; stanza?: { toString(): string } };
      return { status: o.status, condition: o.condition, copy: o.stanza?.toString() ?? "" };
    }, BOB);
    expect(outcome.status).toBe("bounced");
    expect(outcome.condition).toBe("service-unavailable");
    expect(outcome.copy).toContain("<body>kept here</body>");
  });

  it("1. alice sends to offline bob: queued, nothing delivered; bob logs in: every message oldest first with Offline Storage delay; alice's queue empties", async () => {
    const alice = await login(await context(), ALICE);
    const states = await send(alice, range(5));
    expect(states.map((s) => s.state)).toEqual(Array(5).fill("queued"));
    expect(await count(alice)).toBe(5);
    const got: Received[] = [];
    const bob = await login(await context(), BOB, got);
    await until(() => got.length >= 5);
    expect(got.map((r) => r.body)).toEqual(range(5));
    expect(got.every((r) => r.delay === "Offline Storage" && r.stamp && r.from.startsWith(ALICE))).toBe(true);
    await expect.poll(() => count(alice), { timeout: 30_000 }).toBe(0);
    await expect.poll(() => alice.evaluate(() => window.chat.statuses.filter((s) => s.state === "delivered").length)).toBe(5);
    expect(await history(bob, BOB)).toEqual(range(5));
  });

  it("2. with `all` at 100, the 101st gives alice's app the resource-constraint error; bob later gets exactly the 100", async () => {
    const alice = await login(await context(), ALICE);
    expect((await send(alice, range(100))).every((s) => s.state === "queued")).toBe(true);
    const [over] = await send(alice, ["m100"]);
    expect(over).toMatchObject({ state: "bounced", reason: "resource-constraint" });
    expect(over!.error).toContain("Your contact offline message queue is full. The message has been discarded.");
    const got: Received[] = [];
    await login(await context(), BOB, got);
    await expect.poll(() => count(alice), { timeout: 60_000 }).toBe(0);
    await until(() => got.length >= 100);
    expect(got.map((r) => r.body)).toEqual(range(100));
  });

  it("3. a 1-second expiry sent while bob is offline is not delivered 2 seconds later; a long one is", async () => {
    const alice = await login(await context(), ALICE);
    await send(alice, ["short"], "<x xmlns='jabber:x:expire' seconds='1'/>");
    await send(alice, ["long"], "<x xmlns='jabber:x:expire' seconds='3600'/>");
    await alice.waitForTimeout(2000); // expiry is time passing: there is no event to wait on
    const got: Received[] = [];
    await login(await context(), BOB, got);
    await expect.poll(() => count(alice), { timeout: 30_000 }).toBe(0);
    await until(() => got.length >= 1);
    expect(got.map((r) => r.body)).toEqual(["long"]);
  });

  it("4. headline, error, groupchat (option off) and chat-state-only messages are not stored", async () => {
    const alice = await login(await context(), ALICE);
    const states = await sendUnstorable(alice, BOB, "active");
    expect(states.map((s) => s.state)).toEqual(["dropped", "dropped", "dropped", "dropped"]);
    expect(await count(alice)).toBe(0);
  });

  it("5. bob drops off in the middle of a 500-message drain and comes back: every message exactly once, in order", async () => {
    const alice = await login(await context(), ALICE, undefined, UNLIMITED);
    await send(alice, range(500));
    const bobContext = await context();
    const got: Received[] = [];
    let bob = await login(bobContext, BOB, got, undefined, { received: 100 });
    await bob.waitForFunction(() => window.chat.left); // pagehide at the 100th: his relay says unavailable, closes its stream
    expect((await history(bob, BOB)).length).toBeLessThan(500);
    await bob.close();
    await expect.poll(() => alice.evaluate((to) => window.chat.relay.isAvailable(to), BOB)).toBe(false);
    bob = await login(bobContext, BOB, got);
    await expect.poll(() => count(alice), { timeout: 60_000 }).toBe(0);
    await expect.poll(() => history(bob, BOB).then((h) => h.length), { timeout: 30_000 }).toBeGreaterThanOrEqual(500);
    expect(await history(bob, BOB)).toEqual(range(500));
  });

  it("6. alice's tab is closed in the middle of a drain and reopened: nothing lost, nothing doubled", async () => {
    const aliceContext = await context();
    let alice = await login(aliceContext, ALICE, undefined, UNLIMITED, { delivered: 100 });
    await send(alice, range(500));
    const got: Received[] = [];
    const bob = await login(await context(), BOB, got);
    await alice.waitForFunction(() => window.chat.left, null, { timeout: 60_000 }); // pagehide at the 100th delivered
    expect(await count(alice)).toBeGreaterThan(0); // the drain stopped with messages still queued
    await alice.close();
    alice = await login(aliceContext, ALICE);
    await expect.poll(() => count(alice), { timeout: 60_000 }).toBe(0);
    await expect.poll(() => history(bob, BOB).then((h) => h.length), { timeout: 30_000 }).toBeGreaterThanOrEqual(500);
    expect(await history(bob, BOB)).toEqual(range(500));
  });
});
