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
