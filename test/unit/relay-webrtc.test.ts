import { describe, expect, it } from "vitest";
import { jidOfPeerId, peerIdOf } from "../../src/relay/webrtc/peerjs/index.ts";
import { readSignal } from "../../src/relay/webrtc/negotiator.ts";
import { randomId } from "../../src/core/id.ts";
import { FrameRefusedError } from "../../src/relay/webrtc/errors.ts";
import { OfflineEdgeError, reviveError } from "../../src/core/errors.ts";

// The browser parts (channels, ICE, signalling) run in test/e2e/webrtc.e2e.ts;
// here, what they rest on that Node can check.
describe("WebRTC relay: ids and signals", () => {
  it("a PeerJS id names one bare JID and reads back to it; other ids name nobody", () => {
    const id = peerIdOf("Alice@Example.org/tab1");
    expect(id).toMatch(/^oe-[0-9a-f]+$/);
    expect(jidOfPeerId(id)).toBe("alice@example.org");
    expect(peerIdOf("bob@example.org")).not.toBe(id);
    expect(jidOfPeerId(peerIdOf("zoë@例え.jp"))).toBe("zoë@例え.jp");
    for (const other of ["alice", "oe-", "oe-zz", "oe-6", "oe-ff"]) expect(jidOfPeerId(other)).toBeNull();
  });

  it("a signal is an offer or answer with a short id and an SDP of bounded size", () => {
    expect(readSignal("abc123", "offer", "v=0")).toEqual({ sid: "abc123", kind: "offer", sdp: "v=0" });
    expect(readSignal("abc123", "answer", "v=0")?.kind).toBe("answer");
    expect(readSignal("abc123", "candidate", "v=0")).toBeNull();
    // Ids are what randomId() makes (A-Z a-z 0-9 _ -): the dialer's own ids must pass.
    const sid = randomId();
    expect(readSignal(sid, "offer", "v=0")?.sid).toBe(sid);
    expect(readSignal("a b", "offer", "v=0")).toBeNull();
    expect(readSignal("a<b", "offer", "v=0")).toBeNull();
    expect(readSignal("a".repeat(65), "offer", "v=0")).toBeNull();
    expect(readSignal("abc", "offer", "")).toBeNull();
    expect(readSignal("abc", "offer", "x".repeat(64 * 1024 + 1))).toBeNull();
  });

  it("a refused frame is a typed error with a code that survives a channel", () => {
    const e = new FrameRefusedError("bob@example.org", "spoofed", "the frame says it is from dave@example.org/x");
    expect(e).toBeInstanceOf(OfflineEdgeError);
    expect([e.code, e.reason, e.peer]).toEqual(["refused-frame", "spoofed", "bob@example.org"]);
    expect([e.name, e.message]).toEqual(["FrameRefusedError", "Frame from bob@example.org refused (spoofed): the frame says it is from dave@example.org/x"]);
    expect(reviveError(JSON.parse(JSON.stringify(e))).code).toBe("refused-frame");
  });
});
