// Knowing the peer (src/relay/xmpp/caps.ts): disco#info per full JID, shared per XEP-0115 caps ver.
import { describe, expect, it } from "vitest";
import { xml, type Element } from "@xmpp/xml";
import { NS_CAPS, NS_DISCO_INFO, PeerFeatures, featuresOf } from "../../src/relay/xmpp/caps.ts";

const RECEIPTS = "urn:xmpp:receipts";
const result = (...features: string[]) => xml("iq", { type: "result" }, xml("query", { xmlns: NS_DISCO_INFO }, ...features.map((f) => xml("feature", { var: f }))));
const presence = (from: string, ver?: string, node = "https://client.example") =>
  xml("presence", { from }, ...(ver ? [xml("c", { xmlns: NS_CAPS, hash: "sha-1", node, ver })] : []));

/** PeerFeatures whose disco queries the test answers: `asked` lists [to, node]; `answer(i, el)` settles the i-th. */
function features() {
  const asked: Array<[string, string | undefined]> = [];
  const answers: Array<(el: Element | null) => void> = [];
  const peers = new PeerFeatures((to, node) => {
    asked.push([to, node]);
    return new Promise((r) => answers.push(r));
  });
  return { peers, asked, answer: (i: number, el: Element | null) => answers[i]!(el) };
}

describe("peer features", () => {
  it("reads features from a disco#info result only (an error or no answer: none)", () => {
    expect([...featuresOf(result(RECEIPTS, NS_DISCO_INFO))]).toEqual([RECEIPTS, NS_DISCO_INFO]);
    expect(featuresOf(xml("iq", { type: "error" }, xml("query", { xmlns: NS_DISCO_INFO }, xml("feature", { var: RECEIPTS })))).size).toBe(0);
    expect(featuresOf(null).size).toBe(0);
    expect(featuresOf(xml("iq", { type: "result" })).size).toBe(0);
  });

  it("asks each full JID once; resources with the same caps ver share one answer; a new ver is asked again", async () => {
    const { peers, asked, answer } = features();
    peers.seen(presence("bob@x")); // a bare JID is not a resource: nothing to ask
    peers.seen(presence("bob@x/phone", "v1"));
    peers.seen(presence("bob@x/phone", "v1")); // the same presence again
    peers.seen(presence("bob@x/laptop", "v1")); // the same client: its answer is shared
    expect(asked).toEqual([["bob@x/phone", "https://client.example#v1"]]);
    answer(0, result(RECEIPTS));
    expect(await peers.supports("bob@x", RECEIPTS, 1000)).toBe(true);
    peers.seen(presence("bob@x/phone", "v2"));
    expect(asked.at(-1)).toEqual(["bob@x/phone", "https://client.example#v2"]);
    peers.seen(presence("carol@x/web")); // no caps: asked by full JID, no node
    expect(asked.at(-1)).toEqual(["carol@x/web", undefined]);
  });

  it("supports(): true if some resource says so, once all answered or the wait is over; none for a peer with no resource", async () => {
    const { peers, answer } = features();
    expect(await peers.supports("bob@x", RECEIPTS, 1000)).toBe(false);
    peers.seen(presence("bob@x/a"));
    peers.seen(presence("bob@x/b"));
    peers.seen(presence("bobby@x/c")); // another user whose JID starts alike
    const both = peers.supports("bob@x", RECEIPTS, 60_000);
    answer(0, result());
    answer(1, result(RECEIPTS));
    expect(await both).toBe(true);
    answer(2, result(RECEIPTS));
    peers.seen(presence("dave@x/slow"));
    expect(await peers.supports("dave@x", RECEIPTS, 10)).toBe(false); // not answered within the wait
  });

  it("forgets a resource that left, every resource of a bare JID, or all on reset; the per-ver cache stays", async () => {
    const { peers, asked, answer } = features();
    peers.seen(presence("bob@x/a", "v1"));
    answer(0, result(RECEIPTS));
    peers.seen(presence("bob@x/b"));
    answer(1, result());
    peers.gone("bob@x/a");
    expect(await peers.supports("bob@x", RECEIPTS, 1000)).toBe(false);
    peers.seen(presence("bob@x/a", "v1"));
    expect(asked).toHaveLength(2); // v1 known: not asked again
    expect(await peers.supports("bob@x", RECEIPTS, 1000)).toBe(true);
    peers.seen(presence("bobby@x/z", "v1"));
    peers.gone("bob@x");
    expect(await peers.supports("bob@x", RECEIPTS, 1000)).toBe(false);
    expect(await peers.supports("bobby@x", RECEIPTS, 1000)).toBe(true);
    peers.reset();
    expect(await peers.supports("bobby@x", RECEIPTS, 1000)).toBe(false);
  });

  it("answers supports() once per peer until one of its resources comes, changes or goes; an answer cut short by the wait is not kept", async () => {
    const { peers, answer } = features();
    peers.seen(presence("bob@x/a", "v1"));
    const first = peers.supports("bob@x", RECEIPTS, 60_000);
    expect(peers.supports("bob@x", RECEIPTS, 60_000)).toBe(first); // one answer shared by every message of a drain
    expect(peers.supports("bob@x", "urn:xmpp:chat-markers:0", 60_000)).not.toBe(first); // per feature
    answer(0, result());
    expect(await first).toBe(false);
    expect(peers.supports("bob@x", RECEIPTS, 60_000)).toBe(first);
    peers.seen(presence("bobby@x/z")); // another user: bob's answer stays
    expect(peers.supports("bob@x", RECEIPTS, 60_000)).toBe(first);
    peers.seen(presence("bob@x/b")); // a new resource of bob: asked anew
    answer(2, result(RECEIPTS));
    expect(await peers.supports("bob@x", RECEIPTS, 60_000)).toBe(true);
    peers.gone("bob@x/b");
    expect(await peers.supports("bob@x", RECEIPTS, 60_000)).toBe(false);
    peers.seen(presence("bob@x/a", "v2")); // new caps
    const cut = peers.supports("bob@x", RECEIPTS, 1); // bob@x/a's v2 query is not answered within 1 ms
    expect(await cut).toBe(false);
    answer(3, result(RECEIPTS));
    const later = peers.supports("bob@x", RECEIPTS, 60_000);
    expect(later).not.toBe(cut);
    expect(await later).toBe(true);
  });
});
