import { describe, expect, it } from "vitest";
import { DeliveryBook } from "../../src/messaging/send/status-book.ts";

const BOB = "bob@mesh.local";

describe("the status book: a timed-out write and the store's word", () => {
  it("the store's 'stored' before the timed-out answer: the answer is told as queued", () => {
    const book = new DeliveryBook();
    expect(book.stored(["m1"], BOB)).toBe(0);
    expect(book.set({ id: "m1", to: BOB, state: "unknown" }).state).toBe("queued");
  });

  it("the store's 'stored' after the timed-out answer turns it queued, and says so", () => {
    const book = new DeliveryBook();
    const told: string[] = [];
    book.subscribe((s) => told.push(s.state));
    book.set({ id: "m1", to: BOB, state: "unknown" });
    expect(book.stored(["m1"], BOB)).toBe(1);
    expect(told).toEqual(["unknown", "queued"]);
  });

  it("an earlier 'stored' does not vouch for a later write of the same message (reopened after a late bounce)", () => {
    const book = new DeliveryBook();
    book.stored(["m1"], BOB);
    book.set({ id: "m1", to: BOB, state: "delivered" });
    book.reopen("m1", BOB);
    expect(book.set({ id: "m1", to: BOB, state: "unknown" }).state).toBe("unknown");
  });

  it("an earlier 'stored' vouches once", () => {
    const book = new DeliveryBook();
    book.stored(["m1"], BOB);
    expect(book.set({ id: "m1", to: BOB, state: "unknown" }).state).toBe("queued");
    book.set({ id: "m1", to: BOB, state: "sent" });
    expect(book.set({ id: "m1", to: BOB, state: "unknown" }).state).toBe("unknown");
  });
});
