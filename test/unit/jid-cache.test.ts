import { describe, expect, it } from "vitest";
import { address, bareJid } from "../../src/core/jid.ts";
import { InvalidJidError } from "../../src/core/errors.ts";

describe("parsed addresses are cached (issue 11)", () => {
  it("one parse per distinct string: the same frozen address comes back", () => {
    const a = address("Alice@Mesh.Local/tab1");
    expect(a).toEqual({ full: "alice@mesh.local/tab1", bare: "alice@mesh.local", resource: "tab1" });
    expect(address("Alice@Mesh.Local/tab1")).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    expect(bareJid("Alice@Mesh.Local/tab1")).toBe("alice@mesh.local");
    expect(address("bob@mesh.local").resource).toBe("");
  });

  it("bad input still fails every time, and is not remembered", () => {
    expect(() => address("a b@x")).toThrow(InvalidJidError);
    expect(() => address("a b@x")).toThrow(InvalidJidError);
    expect(() => address(42)).toThrow(InvalidJidError);
  });
});
