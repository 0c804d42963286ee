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

describe("the status book: what it tells and what it remembers", () => {
  it("tells a state once; looks a message up by id, or by id and peer; a final state is told once and then forgotten", () => {
    const book = new DeliveryBook();
    const told: string[] = [];
    book.subscribe((s) => told.push(`${s.id}>${s.to}:${s.state}`));
    book.set({ id: "m1", to: BOB, state: "queued" });
    book.set({ id: "m1", to: BOB, state: "queued" });
    book.set({ id: "m1", to: "carol@mesh.local", state: "sent" });
    expect(book.get("m1", "carol@mesh.local")?.state).toBe("sent");
    expect(book.get("m1", BOB)?.state).toBe("queued");
    expect(book.get("m2")).toBeUndefined();
    book.set({ id: "m1", to: BOB, state: "delivered" });
    book.set({ id: "m1", to: BOB, state: "delivered" }); // a second report (drain and store) is not told again
    book.set({ id: "m1", to: BOB, state: "queued" }); // nor does a final state change
    expect(book.get("m1", BOB)).toBeUndefined();
    expect(told).toEqual([`m1>${BOB}:queued`, "m1>carol@mesh.local:sent", `m1>${BOB}:delivered`]);
  });

  it("remembers the last 10,000 final states: the oldest beyond that may be told again", () => {
    const book = new DeliveryBook();
    const told: string[] = [];
    book.subscribe((s) => told.push(s.id));
    for (let i = 0; i <= 10_000; i++) book.set({ id: `m${i}`, to: BOB, state: "delivered" });
    told.length = 0;
    book.set({ id: "m1", to: BOB, state: "delivered" }); // still remembered
    book.set({ id: "m0", to: BOB, state: "delivered" }); // the oldest, forgotten
    expect(told).toEqual(["m0"]);
  });

  it("watchers of one id hear its states until they unsubscribe", () => {
    const book = new DeliveryBook();
    const a: string[] = [];
    const b: string[] = [];
    const offA = book.watch("m1", (s) => a.push(s.state));
    book.watch("m1", (s) => b.push(s.state));
    book.set({ id: "m1", to: BOB, state: "sent" });
    offA();
    book.set({ id: "m1", to: BOB, state: "queued" });
    book.set({ id: "m2", to: BOB, state: "queued" });
    expect([a, b]).toEqual([["sent"], ["sent", "queued"]]);
  });
});
