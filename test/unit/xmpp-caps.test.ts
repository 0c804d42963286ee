// Knowing the peer (src/relay/xmpp/caps.ts): disco#info per full JID, shared per XEP-0115 caps ver.
import { describe, expect, it } from "vitest";
import { xml, type Element } from "@xmpp/xml";
import { NS_CAPS, NS_DISCO_INFO, PeerFeatures, featuresOf } from "../../src/relay/xmpp/caps.ts";
import { CAPS_CACHE_KEY, CAPS_CACHE_MAX, localCapsCache, type CapsCache } from "../../src/relay/xmpp/caps-cache.ts";
import { capsVer } from "../../src/relay/xmpp/caps-ver.ts";

const RECEIPTS = "urn:xmpp:receipts";
const result = (...features: string[]) => xml("iq", { type: "result" }, xml("query", { xmlns: NS_DISCO_INFO }, ...features.map((f) => xml("feature", { var: f }))));
const presence = (from: string, ver?: string, node = "https://client.example") =>
  xml("presence", { from }, ...(ver ? [xml("c", { xmlns: NS_CAPS, hash: "sha-1", node, ver })] : []));

/** PeerFeatures whose disco queries the test answers: `asked` lists [to, node]; `answer(i, el)` settles the i-th. */
function features(cache: CapsCache | null = null) {
  const asked: Array<[string, string | undefined]> = [];
  const answers: Array<(el: Element | null) => void> = [];
  const peers = new PeerFeatures((to, node) => {
    asked.push([to, node]);
    return new Promise((r) => answers.push(r));
  }, cache);
  return { peers, asked, answer: (i: number, el: Element | null) => answers[i]!(el) };
}

/** A Storage in memory (Node has no localStorage). */
function memoryStorage(): Storage & { map: Map<string, string> } {
  const map = new Map<string, string>();
  return {
    map,
    get length() {
      return map.size;
    },
    clear: () => map.clear(),
    getItem: (k) => map.get(k) ?? null,
    key: (i) => [...map.keys()][i] ?? null,
    removeItem: (k) => void map.delete(k),
    setItem: (k, v) => void map.set(k, String(v)),
  };
}

/** Resolves once `check` holds, checking after each macrotask (the cache is written after an async hash). */
async function eventually(check: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 0));
  expect(check()).toBe(true);
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

  describe("kept across sessions (XEP-0115 caps with a SHA-1 ver)", () => {
    const NODE = "https://client.example";
    const answerWith = (...f: string[]) => result(...f);
    const capsPresence = (from: string, ver: string, hash: string | null = "sha-1") =>
      xml("presence", { from }, xml("c", { xmlns: NS_CAPS, node: NODE, ver, ...(hash && { hash }) }));

    it("an answer that hashes to its ver is kept; the next session asks nobody and knows at once", async () => {
      const storage = memoryStorage();
      const answer = answerWith(RECEIPTS, NS_DISCO_INFO);
      const ver = (await capsVer(answer.getChild("query")!))!;
      const first = features(localCapsCache(storage));
      first.peers.seen(capsPresence("bob@x/phone", ver));
      first.answer(0, answer);
      await eventually(() => storage.map.has(CAPS_CACHE_KEY));
      expect(JSON.parse(storage.map.get(CAPS_CACHE_KEY)!)).toEqual({ [`${NODE}#${ver}`]: [RECEIPTS, NS_DISCO_INFO] });
      const next = features(localCapsCache(storage)); // a new page: nothing in memory
      next.peers.seen(capsPresence("carol@y/laptop", ver));
      expect(next.asked).toEqual([]);
      expect(await next.peers.supports("carol@y", RECEIPTS, 60_000)).toBe(true);
    });

    it("keeps nothing from an answer that does not hash to the ver, nor for legacy caps without a hash", async () => {
      const storage = memoryStorage();
      const s = features(localCapsCache(storage));
      const honest = (await capsVer(answerWith(NS_DISCO_INFO).getChild("query")!))!;
      s.peers.seen(capsPresence("mallory@x/a", honest)); // claims another client's ver, answers with receipts
      s.answer(0, answerWith(RECEIPTS, NS_DISCO_INFO));
      const legacy = (await capsVer(answerWith(RECEIPTS).getChild("query")!))!;
      s.peers.seen(capsPresence("old@x/a", legacy, null)); // pre-1.4 caps: no hash attribute
      s.answer(1, answerWith(RECEIPTS));
      expect(await s.peers.supports("mallory@x", RECEIPTS, 60_000)).toBe(true); // this session still uses what it was told
      expect(await s.peers.supports("old@x", RECEIPTS, 60_000)).toBe(true);
      await new Promise((r) => setTimeout(r, 10));
      expect(storage.map.has(CAPS_CACHE_KEY)).toBe(false);
      const next = features(localCapsCache(storage));
      next.peers.seen(capsPresence("bob@x/a", honest));
      expect(next.asked).toEqual([["bob@x/a", `${NODE}#${honest}`]]);
    });

    it("localCapsCache keeps the newest versions only, ignores what is not its own shape, and survives a refusing storage", () => {
      const storage = memoryStorage();
      const cache = localCapsCache(storage)!;
      for (let i = 0; i <= CAPS_CACHE_MAX; i++) cache.set(`n#v${i}`, [`f${i}`]);
      expect(cache.get("n#v0")).toBeUndefined();
      expect(cache.get("n#v1")).toEqual(["f1"]);
      expect(cache.get(`n#v${CAPS_CACHE_MAX}`)).toEqual([`f${CAPS_CACHE_MAX}`]);
      storage.setItem(CAPS_CACHE_KEY, JSON.stringify({ good: ["a"], bad: "not a list", worse: [1, 2], mixed: ["a", 1] }));
      expect([cache.get("good"), cache.get("bad"), cache.get("worse"), cache.get("mixed")]).toEqual([["a"], undefined, undefined, undefined]);
      for (const other of ["[[\"a\"]]", "null", "\"text\"", "7"]) {
        storage.setItem(CAPS_CACHE_KEY, other); // not the record this cache writes: read as empty, replaced on the next set
        expect(cache.get("0")).toBeUndefined();
        cache.set("n#w", ["g"]);
        expect(JSON.parse(storage.getItem(CAPS_CACHE_KEY)!)).toEqual({ "n#w": ["g"] });
      }
      storage.setItem(CAPS_CACHE_KEY, "{not json");
      expect(cache.get("good")).toBeUndefined();
      cache.set("n#v", ["f"]); // rewrites the record
      expect(cache.get("n#v")).toEqual(["f"]);
      const full = { ...memoryStorage(), setItem: () => { throw new DOMException("full", "QuotaExceededError"); } };
      expect(() => localCapsCache(full)!.set("n#v", ["f"])).not.toThrow();
      expect(localCapsCache(undefined)).toBeNull(); // Node: no localStorage
    });
  });
});
