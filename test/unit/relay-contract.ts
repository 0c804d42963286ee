// The Relay port's contract (src/relay/relay.ts), as one suite any relay runs:
// test/unit/relay-contract.test.ts runs it against the mesh and the XMPP relay.
import { afterEach, describe, expect, it } from "vitest";
import { xml, type Element } from "@xmpp/xml";
import { NS } from "../../src/core/namespaces.ts";
import type { PresenceChange, Relay, SendOutcome } from "../../src/relay/relay.ts";

/** How a relay under test is made: two users who see each other's presence, and one who is never online. */
export interface RelayHarness {
  alice: string;
  bob: string;
  nobody: string;
  /** A started relay for `user`, ready to send and receive. */
  open(user: string): Promise<Relay>;
}

/** Resolves on the first presence change for `peer` to `available` (at once if it already is). */
function presence(relay: Relay, peer: string, available: boolean): Promise<void> {
  if (relay.isAvailable(peer) === available) return Promise.resolve();
  return new Promise((resolve) => {
    const off = relay.onPresence((c: PresenceChange) => {
      if (c.peer !== peer || c.available !== available) return;
      off();
      resolve();
    });
  });
}

let n = 0;
/** A chat message asking for a XEP-0184 receipt, with an id and a body. */
function chat(to: string, body: string): Element {
  return xml("message", { to, id: `contract-${++n}`, type: "chat" }, xml("body", {}, body), xml("request", { xmlns: NS.receipts }));
}

const bodyOf = (el: Element) => el.getChildText("body") ?? "";

/** Records each outcome as it settles, so a test can tell "settled" from "not yet" by events. */
function watch(p: Promise<SendOutcome>): { outcome: SendOutcome | null; done: Promise<SendOutcome> } {
  const w: { outcome: SendOutcome | null; done: Promise<SendOutcome> } = { outcome: null, done: p };
  void p.then((o) => (w.outcome = o));
  return w;
}

/** The Relay contract: each `it` one rule. */
export function relayContract(name: string, harness: () => RelayHarness): void {
  describe(`Relay contract: ${name}`, () => {
    const open: Relay[] = [];
    afterEach(async () => {
      await Promise.all(open.splice(0).map((r) => r.close()));
    });
    const start = async (user: string) => {
      const r = await harness().open(user);
      open.push(r);
      return r;
    };
    const pair = async () => {
      const h = harness();
      const bob = await start(h.bob);
      const alice = await start(h.alice);
      await presence(alice, h.bob, true);
      return { h, alice, bob };
    };

    it("presence: a peer is available while its relay runs, and unavailable once it closes", async () => {
      const { h, alice, bob } = await pair();
      expect(alice.isAvailable(h.bob)).toBe(true);
      const gone = presence(alice, h.bob, false);
      await bob.close();
      await gone;
      expect(alice.isAvailable(h.bob)).toBe(false);
    });

    it("delivered: every listener gets the message, and the sender hears so once they all fulfilled", async () => {
      const { h, alice, bob } = await pair();
      const got: string[][] = [[], []];
      bob.onMessage((el) => void got[0]!.push(bodyOf(el)));
      bob.onMessage(async (el) => void got[1]!.push(bodyOf(el)));
      expect((await alice.send(chat(h.bob, "hello"))).status).toBe("delivered");
      expect(got).toEqual([["hello"], ["hello"]]);
    });

    it("no receipt or ack while a listener's promise is pending: a later message is confirmed first", async () => {
      const { h, alice, bob } = await pair();
      let release!: () => void;
      bob.onMessage((el) => (bodyOf(el) === "slow" ? new Promise<void>((r) => (release = r)) : undefined));
      const slow = watch(alice.send(chat(h.bob, "slow")));
      expect((await alice.send(chat(h.bob, "quick"))).status).toBe("delivered");
      expect(slow.outcome).toBeNull(); // its listener has not fulfilled
      release();
      expect((await slow.done).status).toBe("delivered");
    });

    it("no receipt or ack when one listener rejects, even if the others fulfilled", async () => {
      const { h, alice, bob } = await pair();
      bob.onMessage(() => Promise.resolve());
      bob.onMessage((el) => (bodyOf(el) === "refused" ? Promise.reject(new Error("could not take it")) : Promise.resolve()));
      const refused = watch(alice.send(chat(h.bob, "refused")));
      expect((await alice.send(chat(h.bob, "taken"))).status).toBe("delivered");
      expect(refused.outcome).toBeNull(); // the receipt/ack for "refused" would have come first
      await alice.close(); // settles what is in flight, never as delivered
      expect((await refused.done).status).not.toBe("delivered");
    });

    it("bounced: a message to a peer who is not online bounces with service-unavailable", async () => {
      const h = harness();
      const alice = await start(h.alice);
      expect(await alice.send(chat(h.nobody, "anyone?"))).toMatchObject({ status: "bounced", condition: "service-unavailable" });
    });

    it("close: a closed relay sends nothing (unknown) and calls no listener", async () => {
      const { h, alice, bob } = await pair();
      const got: string[] = [];
      bob.onMessage((el) => void got.push(bodyOf(el)));
      await alice.close();
      expect((await alice.send(chat(h.bob, "after close"))).status).toBe("unknown");
      const alice2 = await start(h.alice);
      await presence(alice2, h.bob, true);
      expect((await alice2.send(chat(h.bob, "from a new relay"))).status).toBe("delivered");
      expect(got).toEqual(["from a new relay"]);
    });
  });
}
