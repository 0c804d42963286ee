import { describe, expect, it } from "vitest";
import { InvalidJidError } from "../../src/core/errors.ts";
import { bareJid } from "../../src/core/jid.ts";

describe("JIDs", () => {
  it("normalises to the bare JID", () => {
    expect(bareJid("Bob@LocalHost/Phone")).toBe("bob@localhost");
    expect(bareJid("localhost")).toBe("localhost");
  });
  it.each(["", "@localhost", "bob@", "a@b@c", "bob@local host", "bob@localhost/", "b<b@localhost", "bob@-x.org", "x".repeat(1024) + "@h"])(
    "rejects %j",
    (raw) => {
      expect(() => bareJid(raw)).toThrow(InvalidJidError);
    },
  );
  it("rejects non-strings", () => {
    expect(() => bareJid(undefined)).toThrow(/missing/);
    expect(() => bareJid(42)).toThrow(InvalidJidError);
  });
});
