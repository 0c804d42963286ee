// The XMPP relay's in-flight table and its delivery rule (src/relay/xmpp/in-flight.ts), on a fake clock.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { xml, type Element } from "@xmpp/xml";
import { NS } from "../../src/core/namespaces.ts";
import { DeliveryTracker } from "../../src/relay/xmpp/in-flight.ts";
import type { XmppSendOutcome } from "../../src/relay/xmpp/types.ts";

const BOB = "bob@localhost";
const GRACE = 100;
const RECEIPT = 1000;

function tracker() {
  return new DeliveryTracker({
    graceMs: GRACE,
    confirmTimeoutMs: 10_000,
    receiptTimeoutMs: RECEIPT,
    lateBounceWindowMs: 60_000,
    lateBounceMaxEntries: 100,
    onLateBounce: () => undefined,
    ownDomain: () => "localhost",
  });
}

const message = (id: string, receipt = true): Element =>
  xml("message", { to: BOB, id, type: "chat" }, xml("body", {}, id), ...(receipt ? [xml("request", { xmlns: NS.receipts })] : []));

/** Sends one message, has the server ack it, and lets the whole wait (grace + receipt timeout) pass. */
async function ackedWithoutReceipt(t: DeliveryTracker, id: string, receipt = true): Promise<XmppSendOutcome> {
  const kept = message(id, receipt);
  const wire = message(id, receipt);
  const { outcome } = t.track(id, BOB, kept, wire);
  t.acked(wire);
  await vi.advanceTimersByTimeAsync(GRACE + RECEIPT);
  return outcome;
}

describe("XMPP in-flight table", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("a peer that has answered a receipt: a message acked by the server but never receipted is unknown (stays queued)", async () => {
    const t = tracker();
    const { outcome } = t.track("r1", BOB, message("r1"), message("r1"));
    t.receipt("r1", `${BOB}/phone`);
    expect(await outcome).toMatchObject({ status: "delivered", via: "receipt" });
    expect(await ackedWithoutReceipt(t, "r2")).toMatchObject({ status: "unknown", reason: "no receipt from the peer" });
  });

  it("tells the sender 'accepted' on the ack of a message that awaits no receipt (only the grace window left), never for one that awaits a receipt", async () => {
    const t = tracker();
    const seen: string[] = [];
    const plainWire = message("p1", false);
    const asking = message("r1");
    const plain = t.track("p1", BOB, message("p1", false), plainWire, () => seen.push("p1")).outcome;
    const receipted = t.track("r1", BOB, message("r1"), asking, () => seen.push("r1")).outcome;
    expect(seen).toEqual([]); // not before the server's word
    t.acked(plainWire);
    t.acked(asking);
    expect(seen).toEqual(["p1"]);
    t.receipt("r1", BOB);
    await vi.advanceTimersByTimeAsync(GRACE);
    expect(await plain).toMatchObject({ status: "delivered", via: "ack" });
    expect(await receipted).toMatchObject({ status: "delivered", via: "receipt" });
    expect(seen).toEqual(["p1"]);
  });

  it("a peer that never answered a receipt: the server's ack stands once grace and receipt wait have passed", async () => {
    const t = tracker();
    expect(await ackedWithoutReceipt(t, "n1")).toMatchObject({ status: "delivered", via: "ack" });
  });

  it("a message that asked no receipt is delivered on the ack after the grace window, whatever the peer", async () => {
    const t = tracker();
    const { outcome } = t.track("r1", BOB, message("r1"), message("r1"));
    t.receipt("r1", BOB);
    await outcome;
    const kept = message("plain", false);
    const wire = message("plain", false);
    const plain = t.track("plain", BOB, kept, wire).outcome;
    t.acked(wire);
    await vi.advanceTimersByTimeAsync(GRACE);
    expect(await plain).toMatchObject({ status: "delivered", via: "ack" });
  });

  it("a peer that leaves forgets its receipt record: its next session proves receipts anew", async () => {
    const t = tracker();
    const { outcome } = t.track("r1", BOB, message("r1"), message("r1"));
    t.receipt("r1", BOB);
    await outcome;
    t.peerGone(BOB);
    expect(await ackedWithoutReceipt(t, "r3")).toMatchObject({ status: "delivered", via: "ack" });
  });
});

describe("XMPP in-flight table: late bounces and where a bounce may come from", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const error = (id: string, from: string | undefined, text?: string) =>
    xml(
      "message",
      { type: "error", id, ...(from !== undefined && { from }) },
      xml("error", { type: "cancel" }, xml("recipient-unavailable", { xmlns: NS.stanzas }), ...(text ? [xml("text", { xmlns: NS.stanzas }, text)] : [])),
    );

  function lateTracker(o: { window?: number; max?: number } = {}) {
    const late: Array<{ id: string; text?: string; peerOffline: boolean; deliveredVia: string }> = [];
    const t = new DeliveryTracker({
      graceMs: GRACE,
      confirmTimeoutMs: 10_000,
      receiptTimeoutMs: RECEIPT,
      lateBounceWindowMs: o.window ?? 60_000,
      lateBounceMaxEntries: o.max ?? 100,
      onLateBounce: (b) => late.push({ id: b.id, ...(b.text !== undefined && { text: b.text }), peerOffline: b.peerOffline, deliveredVia: b.deliveredVia }),
      ownDomain: () => "example.org",
    });
    return { t, late };
  }

  /** Delivered on the server's ack (no receipt asked), grace window over. */
  async function delivered(t: DeliveryTracker, ...ids: string[]): Promise<void> {
    for (const id of ids) {
      const wire = message(id, false);
      const { outcome } = t.track(id, BOB, message(id, false), wire);
      t.acked(wire);
      await vi.advanceTimersByTimeAsync(GRACE);
      expect(await outcome).toMatchObject({ status: "delivered", via: "ack" });
    }
  }

  it("a bounce after delivery is reported once, with its text, within the window and not after it", async () => {
    const { t, late } = lateTracker({ window: 1000 });
    await delivered(t, "a", "b");
    expect(t.bounce(error("a", BOB, "gone"))).toBe(true);
    expect(t.bounce(error("a", BOB))).toBe(false); // reported once
    expect(late).toEqual([{ id: "a", text: "gone", peerOffline: true, deliveredVia: "ack" }]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(t.bounce(error("b", BOB))).toBe(false); // its window is over
    expect(late).toHaveLength(1);
  });

  it("remembers at most lateBounceMaxEntries, the newest; a window or a bound of 0 remembers none", async () => {
    const bounded = lateTracker({ max: 2 });
    await delivered(bounded.t, "a", "b", "c");
    expect(["a", "b", "c"].map((id) => bounded.t.bounce(error(id, BOB)))).toEqual([false, true, true]);
    for (const off of [{ window: 0 }, { max: 0 }]) {
      const none = lateTracker(off);
      await delivered(none.t, "a");
      expect(none.t.bounce(error("a", BOB))).toBe(false);
      expect(none.late).toEqual([]);
    }
  });

  it("a receipt after an ack-based delivery ends the wait for a late bounce", async () => {
    const { t, late } = lateTracker();
    await delivered(t, "a");
    t.receipt("a", `${BOB}/phone`);
    expect(t.bounce(error("a", BOB))).toBe(false);
    expect(late).toEqual([]);
  });

  it("a bounce counts from the peer (any resource), its domain, our own server, or with no from; not from anyone else", async () => {
    const sources: Array<[string | undefined, boolean]> = [
      [undefined, true], // our own server on our account's behalf
      [`${BOB}/phone`, true],
      ["localhost", true], // the peer's domain
      ["example.org", true], // our own server's domain
      ["mallory@localhost", false],
      ["localhost/resource", false],
      ["other.example", false],
      ["not a jid@@", false],
    ];
    for (const [from, counts] of sources) {
      const { t } = lateTracker();
      const wire = message("m", false);
      const { outcome } = t.track("m", BOB, message("m", false), wire);
      expect(t.bounce(error("m", from))).toBe(counts);
      if (counts) expect(await outcome).toMatchObject({ status: "bounced", condition: "recipient-unavailable" });
      else expect(t.has("m")).toBe(true);
      t.clear();
    }
  });

  it("an error without an id, or for an id never sent, is not ours", () => {
    const { t } = lateTracker();
    expect(t.bounce(xml("message", { type: "error", from: BOB }, xml("error", { type: "cancel" })))).toBe(false);
    expect(t.bounce(error("never", BOB))).toBe(false);
  });

  it("a peer leaving ends only its own messages that await a receipt; graced() lists only its own messages waiting out the grace window", async () => {
    const { t } = lateTracker();
    const carol = "carol@localhost";
    const wires = { bobAsk: message("b1"), bobPlain: message("b2", false), carolAsk: xml("message", { to: carol, id: "c1" }, xml("request", { xmlns: NS.receipts })) };
    const bobAsk = t.track("b1", BOB, message("b1"), wires.bobAsk).outcome;
    t.track("b2", BOB, message("b2", false), wires.bobPlain);
    t.track("c1", carol, xml("message", { to: carol, id: "c1" }, xml("request", { xmlns: NS.receipts })), wires.carolAsk);
    for (const w of Object.values(wires)) t.acked(w);
    expect(t.graced(BOB).map((e) => e.id)).toEqual(["b2"]);
    expect(t.graced(carol)).toEqual([]);
    t.peerGone(BOB);
    expect(await bobAsk).toMatchObject({ status: "unknown", reason: "peer left before its receipt" });
    expect([t.has("b2"), t.has("c1")]).toEqual([true, true]);
  });
});
