import { describe, expect, it } from "vitest";
import { randomId } from "../../src/core/id.ts";

describe("randomId", () => {
  it("is URL-safe, of the asked length, and never repeats in 10,000 draws", () => {
    const ids = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const id = randomId();
      expect(id).toMatch(/^[\w-]{21}$/);
      ids.add(id);
    }
    expect(ids.size).toBe(10_000);
    expect(randomId(8)).toHaveLength(8);
    expect(randomId(5000)).toMatch(/^[\w-]{5000}$/); // longer than the pool of random bytes
  });

  it("draws every symbol with equal odds (no modulo bias)", () => {
    // 640,000 symbols over 64: 10,000 expected each; a biased draw (byte % 36 style) is far off.
    const counts = new Map<string, number>();
    for (let i = 0; i < 10_000; i++) for (const c of randomId(64)) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(64);
    for (const n of counts.values()) expect(Math.abs(n - 10_000)).toBeLessThan(600); // > 6 sigma
  });

  it("needs no secure context: only crypto.getRandomValues", () => {
    const uuid = Object.getOwnPropertyDescriptor(globalThis.crypto, "randomUUID");
    const proto = Object.getPrototypeOf(globalThis.crypto) as object;
    const protoUuid = Object.getOwnPropertyDescriptor(proto, "randomUUID");
    Object.defineProperty(proto, "randomUUID", { value: undefined, configurable: true });
    if (uuid) Object.defineProperty(globalThis.crypto, "randomUUID", { value: undefined, configurable: true });
    try {
      expect(randomId()).toHaveLength(21);
    } finally {
      if (protoUuid) Object.defineProperty(proto, "randomUUID", protoUuid);
      if (uuid) Object.defineProperty(globalThis.crypto, "randomUUID", uuid);
    }
  });
});
