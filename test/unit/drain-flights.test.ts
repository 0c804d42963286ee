// The drain's table of messages in flight (src/messaging/drain/flights.ts): what counts against the window.
import { describe, expect, it } from "vitest";
import { Flights } from "../../src/messaging/drain/flights.ts";
import type { PoppedMessage } from "../../src/core/offline-store.ts";
import type { SendOutcome } from "../../src/relay/relay.ts";

const message = (i: number): PoppedMessage => ({ key: ["bob@x", 1, i], id: `m${i}`, owner: "bob@x", from: "", ts: 1, stanza: "<message/>" });

describe("flights", () => {
  it("a message stops counting once, whether accepted first and then read, or only read", async () => {
    const f = new Flights();
    const accept: Array<() => void> = [];
    const settle: Array<(o: SendOutcome) => void> = [];
    for (let i = 0; i < 3; i++) f.push(message(i), (accepted) => (accept.push(accepted), new Promise((r) => settle.push(r))));
    expect(f.open).toBe(3);
    accept[0]!();
    accept[0]!(); // a relay calling twice changes nothing
    expect(f.open).toBe(2);
    settle[0]!({ status: "delivered" });
    expect(await f.head()).toMatchObject({ m: { id: "m0" }, o: { status: "delivered" } });
    expect(f.open).toBe(2); // read after its accept: not counted off again
    settle[1]!({ status: "delivered" });
    expect(await f.head()).toMatchObject({ m: { id: "m1" } });
    expect(f.open).toBe(1);
    expect(f.drop()).toEqual(["m2"]);
    expect(await f.head()).toBeNull();
  });

  it("head() answers 'room' when a message behind the head is accepted first", async () => {
    const f = new Flights();
    const accept: Array<() => void> = [];
    for (let i = 0; i < 2; i++) f.push(message(i), (accepted) => (accept.push(accepted), new Promise<SendOutcome>(() => undefined)));
    const head = f.head();
    accept[1]!();
    expect(await head).toBe("room");
    expect(f.open).toBe(1);
  });
});
