// Issue 9: nothing lost under bad input, full disks and timeouts. Each block guards one defect.
import { describe, expect, it } from "vitest";
import { xml } from "@xmpp/xml";
import { OfflineEdgeError } from "../../src/core/errors.ts";
import { AccessPolicy } from "../../src/core/access.ts";
import type { OfflineBackend, ReadOptions } from "../../src/core/backend.ts";
import { IndexedDBBackend } from "../../src/storage/indexeddb.ts";
import { bareJid } from "../../src/core/jid.ts";
import { readMessage } from "../../src/core/stanza.ts";
import { ClientStore } from "../../src/client/client-store.ts";
import { describeEvent } from "../../src/dashboard/event-log.ts";
import { StoreHost, errorReply } from "../../src/protocol/host.ts";
import { PROTOCOL } from "../../src/protocol/request.ts";
import type { StoreEvent } from "../../src/core/events.ts";
import { MemoryBackend } from "../../src/storage/memory.ts";
import { ContextLocks } from "../../src/messaging/drain/locks.ts";
import { DrainEngine } from "../../src/messaging/drain/engine.ts";
import { Outbox } from "../../src/messaging/send/outbox.ts";
import type { DeliveryStatus } from "../../src/messaging/send/status-book.ts";
import { BACKENDS, bodies, chat, makeStore } from "./helpers.ts";
import { FakeRelay, chatTo, storeApi, until } from "./relay-helpers.ts";

const BOB = "bob@localhost";

/** A row as an older version could have stored it: a packet that does not parse again. */
async function injectRow(backend: OfflineBackend, packet: string, id = "bad-1", ts = 1): Promise<void> {
  await backend.write([{ owner: BOB, max: Infinity, records: [{ owner: BOB, ts, id, from: "", expireAt: null, marker: null, packet }] }]);
}

const NOT_WELL_FORMED: Array<[string, string]> = [
  ["an empty element name", `<message to='${BOB}'><body>hi</body><></></message>`],
  ["a raw U+0001", `<message to='${BOB}'><body>a\u0001b</body></message>`],
  ["a lone surrogate", `<message to='${BOB}'><body>a\ud800b</body></message>`],
  ["a quote in an element name", `<message to='${BOB}'><bo"dy>x</bo"dy></message>`],
  ["a > in an attribute name", `<message to='${BOB}' a>b='1'><body>x</body></message>`],
  ["a second root", `<message to='${BOB}'><body>ok</body></message><body>smuggled</body>`],
  ["trailing text", `<message to='${BOB}'><body>ok</body></message>junk`],
  ["an unbound prefix", `<message to='${BOB}'><x:body>hi</x:body></message>`],
  ["a duplicate attribute", `<message to='${BOB}' to='${BOB}'><body>hi</body></message>`],
  ["a < in an attribute value", `<message to='${BOB}' id='a<b'><body>hi</body></message>`],
  ["a bare &", `<message to='${BOB}'><body>a & b</body></message>`],
  ["a comment", `<message to='${BOB}'><!-- c --><body>hi</body></message>`],
  ["an unknown entity", `<message to='${BOB}'><body>&nbsp;</body></message>`],
];

describe.each(BACKENDS)("well-formed in, well-formed out (%s)", (_name, backend) => {
  it.each(NOT_WELL_FORMED)("refuses %s with malformed-stanza, store unchanged", async (_what, stanza) => {
    const store = makeStore(backend());
    await expect(store.write([chat(), stanza])).rejects.toMatchObject({ code: "malformed-stanza" });
    expect(await store.count(BOB)).toBe(0);
  });

  it("refuses deep nesting with malformed-stanza, as text and as an element, at any depth", async () => {
    const store = makeStore(backend());
    for (const depth of [65, 2000, 20_000]) {
      const text = `<message to='${BOB}'>${"<a>".repeat(depth)}${"</a>".repeat(depth)}</message>`;
      await expect(store.write([text])).rejects.toMatchObject({ code: "malformed-stanza" });
      let el = xml("a");
      for (let i = 0; i < depth; i++) el = xml("a", {}, el);
      await expect(store.write([xml("message", { to: BOB }, el)])).rejects.toMatchObject({ code: "malformed-stanza" });
    }
    expect(await store.count(BOB)).toBe(0);
  });

  it("refuses an element built in code that would not read back (bad names, bad characters)", async () => {
    const store = makeStore(backend());
    await expect(store.write([xml("message", { to: BOB }, xml('bo"dy', {}, "x"))])).rejects.toMatchObject({ code: "malformed-stanza" });
    await expect(store.write([xml("message", { to: BOB, 'a"b': "1" })])).rejects.toMatchObject({ code: "malformed-stanza" });
    await expect(store.write([xml("message", { to: BOB }, xml("body", {}, "\u0001"))])).rejects.toMatchObject({ code: "malformed-stanza" });
    expect(await store.count(BOB)).toBe(0);
  });

  it("a stored row that cannot be read back is quarantined by peek; the good ones behind it are handed out", async () => {
    const b = backend();
    const store = makeStore(b);
    await store.write([chat(BOB, "good 1")]);
    await injectRow(b, `<message type='chat' to='${BOB}'><body>hi</body></></message>`, "bad-1", Date.now() + 1);
    await store.write([chat(BOB, "good 2")].map((s) => s.replace("<message", `<message`)));
    // The bad row sits first for a peek of one: the peek reads on past it.
    await injectRow(b, `<message to='${BOB}'>${"<a>".repeat(3000)}</message>`, "bad-0", 0);
    const first = await store.peek(BOB, 1);
    expect(bodies(first)).toEqual(["good 1"]);
    const all = await store.peek(BOB);
    expect(bodies(all)).toEqual(["good 1", "good 2"]);
    const aside = await store.quarantined();
    expect(aside.map((r) => r.id).sort()).toEqual(["bad-0", "bad-1"]);
    expect(aside.every((r) => r.reason.startsWith("Malformed XML"))).toBe(true);
    expect(await store.count(BOB)).toBe(2);
  });

  it("pop deletes exactly what it hands out: an unreadable row is moved aside, never lost with the others", async () => {
    const b = backend();
    const store = makeStore(b);
    const events: StoreEvent[] = [];
    store.subscribe((e) => events.push(e));
    await store.write([chat(BOB, "good 1")]);
    await injectRow(b, `<message to='${BOB}'><body>x</body><></></message>`, "bad-1", Date.now() + 1);
    await new Promise((r) => setTimeout(r, 2));
    await store.write([chat(BOB, "good 2")]);
    const popped = await store.pop(BOB);
    expect(bodies(popped)).toEqual(["good 1", "good 2"]);
    expect(await store.count(BOB)).toBe(0);
    expect((await store.quarantined()).map((r) => r.id)).toEqual(["bad-1"]);
    expect(events).toContainEqual({ type: "quarantined", owner: BOB, ids: ["bad-1"] });
    expect((await store.metricsSnapshot()).counters.popped).toBe(2);
  });
});

describe("quarantine at quota (IndexedDB)", () => {
  it("a pop retried as a delete-only pass tells only what it moved: a row it must leave in place is not named, and nothing twice", async () => {
    const b = new IndexedDBBackend({ name: `quota-${Math.random()}` });
    const store = makeStore(b);
    const events: StoreEvent[] = [];
    store.subscribe((e) => events.push(e));
    await store.write([chat(BOB, "good 1")]);
    await injectRow(b, `<message to='${BOB}'><body>x</body><></></message>`, "bad-1", Date.now() + 1);
    // The first pass reads (asking about every row), then hits the quota as it commits; the retry deletes only.
    type Pop = (pass: unknown, owner: string, o: ReadOptions, metrics?: unknown) => Promise<unknown>;
    const inner = b as unknown as { pop: Pop };
    const pop = inner.pop.bind(b);
    let calls = 0;
    inner.pop = async (pass, owner, o, metrics) => {
      if (calls++ > 0) return pop(pass, owner, o, metrics);
      await b.read(owner, { now: o.now }).then((r) => r.records.forEach((rec) => o.unreadable?.(rec)));
      throw new DOMException("The quota has been exceeded.", "QuotaExceededError");
    };
    expect(bodies(await store.pop(BOB))).toEqual(["good 1"]);
    expect(calls).toBe(2);
    expect(events.filter((e) => e.type === "quarantined")).toEqual([]);
    expect(await store.quarantined()).toEqual([]);
    expect(await store.count(BOB)).toBe(1); // the unreadable row stays where it was, to be moved once there is room
    expect(bodies(await store.pop(BOB))).toEqual([]); // room again: now it is moved, and told once
    expect(events.filter((e) => e.type === "quarantined")).toEqual([{ type: "quarantined", owner: BOB, ids: ["bad-1"] }]);
  });
});

describe("a full disk", () => {
  class FullDisk extends MemoryBackend {
    full = true;
    override async write(...a: Parameters<MemoryBackend["write"]>) {
      if (this.full) throw new DOMException("The quota has been exceeded.", "QuotaExceededError");
      return super.write(...a);
    }
  }

  it("bounces each message with storage-full and an XMPP error the sender understands", async () => {
    const b = new FullDisk();
    const store = makeStore(b);
    const results = await store.write([chat(BOB, "a"), chat("carol@localhost", "b")]);
    expect(results.map((r) => r.status)).toEqual(["bounced", "bounced"]);
    for (const r of results) {
      if (r.status !== "bounced") throw new Error("not bounced");
      expect(r.reason).toBe("storage-full");
      const err = readMessage(r.error.replace("type='error'", "type='error'"), Infinity).getChild("error")!;
      expect(err.attrs.type).toBe("wait");
      expect(err.getChild("resource-constraint", "urn:ietf:params:xml:ns:xmpp-stanzas")).toBeTruthy();
      expect(err.getChildText("text", "urn:ietf:params:xml:ns:xmpp-stanzas")).toMatch(/storage is full/);
    }
    expect((await store.metricsSnapshot()).counters.bounced["storage-full"]).toBe(2);
    b.full = false;
    expect((await store.write([chat(BOB, "c")]))[0]!.status).toBe("stored");
  });

  it("the host keeps an exception's name when it has no message", () => {
    const reply = errorReply(new DOMException("", "QuotaExceededError"));
    expect(reply).toEqual({ ok: false, error: { code: "storage-failed", message: "QuotaExceededError" } });
  });
});

describe("caller isolation over the worker protocol", () => {
  function client() {
    const host = new StoreHost(new MemoryBackend());
    return new ClientStore("page", (req) => host.handle(structuredClone(req)), () => host.close());
  }

  it("each write call of a tick succeeds or fails on its own; a function or Symbol is a typed error", async () => {
    const store = client();
    for (const bad of [42, () => 1, Symbol("s")]) {
      const [a, b, c] = await Promise.allSettled([store.write([chat()]), store.write([bad as never]), store.write([chat()])]);
      expect(a.status).toBe("fulfilled");
      expect(c.status).toBe("fulfilled");
      expect(b.status).toBe("rejected");
      const e = (b as PromiseRejectedResult).reason;
      expect(e).toBeInstanceOf(OfflineEdgeError);
      expect(e.code).toBe("invalid-request");
    }
    expect(await store.count(BOB)).toBe(6);
    await store.close();
  });

  it("a raw request with one bad call fails only that call", async () => {
    const host = new StoreHost(new MemoryBackend());
    const reply = await host.handle({ protocol: PROTOCOL, op: "write", args: [[[chat()], [42], [chat()], new Array(2)]] });
    expect(reply.ok).toBe(true);
    const calls = (reply as { value: Array<{ ok: boolean; error?: { code: string } }> }).value;
    expect(calls.map((c) => c.ok)).toEqual([true, false, true, false]);
    expect(calls[1]!.error!.code).toBe("invalid-request");
    await host.close();
  });

  it("write(new Array(3)) is refused, not answered with holes", async () => {
    const store = client();
    await expect(store.write(new Array(3))).rejects.toMatchObject({ code: "invalid-request" });
    await expect(makeStore(new MemoryBackend()).write(new Array(3))).rejects.toMatchObject({ code: "malformed-stanza" });
    await store.close();
  });
});

describe("validation gaps", () => {
  it("an IP literal must be IPv6 or IPvFuture", () => {
    for (const bad of ["a@[<img src=x onerror=alert(1)>]", "b@[]", "c@[1.2.3.4]", "d@[:::]", "e@[1:2:3:4:5:6:7:8:9]", "f@[v1.]"]) {
      expect(() => bareJid(bad), bad).toThrow(expect.objectContaining({ code: "invalid-jid" }));
    }
    for (const ok of ["a@[::1]", "a@[2001:db8::7]", "a@[::ffff:192.0.2.1]", "a@[v7.x:y]", "a@[1:2:3:4:5:6:7:8]"]) expect(bareJid(ok)).toBe(ok);
  });

  it("the event log labels an event of any type, inherited names included", () => {
    for (const type of ["constructor", "toString", "__proto__", "hasOwnProperty"]) {
      expect(describeEvent({ type, owner: BOB } as unknown as StoreEvent).label).toBe(type);
    }
    expect(describeEvent({ type: "quarantined", owner: BOB, ids: ["x"] }).label).toBe("Quarantined");
  });
});

describe("ACL patterns are bounded", () => {
  it.each(["(a+)+$", "(a*)*b", "(a|a)*$", "(a|aa)+$", "^(\\w+\\s?)*$", "(a)\\1", "(?<x>a)\\k<x>", "(?=a)", ".*.*.*x"])(
    "refuses %s at config time with invalid-option",
    (p) => {
      expect(() => new AccessPolicy({ x: [{ user_regexp: p }] }, {})).toThrow(expect.objectContaining({ code: "invalid-option" }));
    },
  );

  it.each(["^z", "^bot-[0-9]+$", "^(alice|bob)$", "^.*admin.*$", "a{1,3}b", "^[a-z]+\\.[a-z]+$"])("accepts %s", (p) => {
    expect(() => new AccessPolicy({ x: [{ user_regexp: p }] }, {})).not.toThrow();
  });

  it("a glob with many stars matches a long localpart quickly and correctly", () => {
    const policy = new AccessPolicy({ g: [{ user_glob: "*a*a*a*a*a*a*a*a*b" }, { user_glob: "bot-?" }] }, { r: [{ acl: "g", value: 1 }] });
    expect(policy.limit("r", `${"a".repeat(1000)}@x`)).toBe(Infinity);
    expect(policy.limit("r", "aaaaaaaab@x")).toBe(1);
    expect(policy.limit("r", "bot-1@x")).toBe(1);
    expect(policy.limit("r", "bot-12@x")).toBe(Infinity);
  });

  it("the worker refuses such a config and keeps its settings", async () => {
    const host = new StoreHost(new MemoryBackend());
    const reply = await host.handle({ protocol: PROTOCOL, op: "configure", args: [{ acl: { x: [{ user_regexp: "(a+)+$" }] } }] });
    expect(reply).toMatchObject({ ok: false, error: { code: "invalid-option" } });
    await host.close();
  });
});

describe("a timeout is not a final bounced", () => {
  function setup(storeFirst: boolean) {
    const store = storeApi(new MemoryBackend());
    const relay = new FakeRelay();
    const drain = new DrainEngine({ store, relay, locks: new ContextLocks(), retryMs: 0 });
    const late: string[][] = [];
    // The store's answer is lost: the caller sees a timeout; the write happens before, or after it.
    const write = store.write;
    store.write = async (s) => {
      if (storeFirst) await write(s);
      else late.push(s);
      throw new OfflineEdgeError("timeout", "The service worker did not answer within 10000 ms.");
    };
    const outbox = new Outbox({ store, relay, drain });
    const states: DeliveryStatus[] = [];
    outbox.subscribe((s) => states.push(s));
    return { store, outbox, states, finish: () => write(late.flat()) };
  }

  it("gives state unknown, then queued when the store tells it has the message", async () => {
    const { store, outbox, states, finish } = setup(false);
    const status = await outbox.send(chatTo(BOB, "hi"));
    expect(status.state).toBe("unknown");
    await finish();
    await until(() => states.some((s) => s.state === "queued"));
    expect(states.map((s) => s.state)).toEqual(["unknown", "queued"]);
    expect(await store.count(BOB)).toBe(1);
    outbox.close();
  });

  it("is queued at once when the store told before its answer timed out", async () => {
    const { outbox, states } = setup(true);
    const status = await outbox.send(chatTo(BOB, "hi"));
    expect(status.state).toBe("queued");
    expect(states.map((s) => s.state)).toEqual(["queued"]);
    outbox.close();
  });
});
