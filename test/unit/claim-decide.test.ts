// decideClaim, row by row of the state table in src/messaging/receive/README.md.
import { describe, expect, it } from "vitest";
import { decideClaim, type ClaimFacts } from "../../src/messaging/receive/decide.ts";

const ME = "me";
const facts = (f: Partial<ClaimFacts>): ClaimFacts => ({
  record: undefined,
  me: ME,
  inHand: false,
  holderAlive: null,
  journaled: false,
  waitedMs: 0,
  maxWaitMs: 5000,
  grantedInBatch: false,
  ...f,
});
const rec = (holder?: string) => ({ scope: "s", id: "x", at: 1, ...(holder !== undefined && { holder }) });
const kind = (f: Partial<ClaimFacts>) => decideClaim(facts(f)).kind;

describe("decideClaim (README: States of a claimed id)", () => {
  it("absent: grant", () => {
    expect(kind({})).toBe("grant");
  });

  it("handed: repeat, whoever asks and however long it waited", () => {
    expect(kind({ record: rec() })).toBe("repeat");
    expect(kind({ record: rec(), waitedMs: 10_000 })).toBe("repeat");
  });

  it("held by me, in hand: wait, then grant once waited maxWaitMs", () => {
    expect(kind({ record: rec(ME), inHand: true, waitedMs: 4999 })).toBe("wait");
    expect(kind({ record: rec(ME), inHand: true, waitedMs: 5000 })).toBe("grant");
  });

  it("held by me, handed (mark on its way): repeat", () => {
    expect(kind({ record: rec(ME), inHand: false })).toBe("repeat");
    expect(kind({ record: rec(ME), inHand: false, waitedMs: 10_000 })).toBe("repeat");
  });

  it("held by a live other: wait, then grant once waited maxWaitMs", () => {
    expect(kind({ record: rec("x"), holderAlive: true, waitedMs: 4999 })).toBe("wait");
    expect(kind({ record: rec("x"), holderAlive: true, waitedMs: 5000 })).toBe("grant");
  });

  it("held by another whose liveness cannot be told (no Web Locks): wait, like a live one", () => {
    expect(kind({ record: rec("x"), holderAlive: null })).toBe("wait");
    expect(kind({ record: rec("x"), holderAlive: null, waitedMs: 5000 })).toBe("grant");
  });

  it("held by a dead other without journal entry: grant at once", () => {
    expect(kind({ record: rec("x"), holderAlive: false })).toBe("grant");
  });

  it("held by another whose journal lists it, dead or alive: repair-then-repeat", () => {
    expect(kind({ record: rec("x"), holderAlive: false, journaled: true })).toBe("repair-then-repeat");
    expect(kind({ record: rec("x"), holderAlive: true, journaled: true })).toBe("repair-then-repeat");
  });

  it("an earlier claim of the id in this batch was granted: wait, never a repeat, even past maxWaitMs", () => {
    expect(kind({ grantedInBatch: true })).toBe("wait");
    expect(kind({ grantedInBatch: true, waitedMs: 10_000 })).toBe("wait");
  });
});
