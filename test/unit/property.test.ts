// Property-based tests (fast-check): whatever is written, the store either refuses it with a typed
// error and changes nothing, or stores what reads back as the same stanza, judged by saxes, a strict
// XML 1.0 parser we did not write. More cases: `npm run test:fuzz` (FUZZ_RUNS).
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { SaxesParser } from "saxes";
import { OfflineEdgeError } from "../../src/core/errors.ts";
import type { OfflineStore } from "../../src/core/offline-store.ts";
import { ClientStore } from "../../src/client/client-store.ts";
import { StoreHost } from "../../src/protocol/host.ts";
import { MemoryBackend } from "../../src/storage/memory.ts";
import { cloneElement, Element, readMessage, readMessageText, readStored } from "../../src/core/stanza.ts";
import { BACKENDS, makeStore } from "./helpers.ts";

const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
/** Time for one property: fake-indexeddb takes a few ms a case. */
const TIMEOUT = 30_000 + RUNS * 20;
const BOB = "bob@localhost";

/** A strict parse by saxes (namespaces on, as expat in Prosody): the tree as [name, attrs, text] per element. */
function strict(text: string): Array<[string, Record<string, string>, string]> {
  const out: Array<[string, Record<string, string>, string]> = [];
  const open: number[] = [];
  const p = new SaxesParser({ xmlns: true });
  p.on("error", (e) => {
    throw e;
  });
  p.on("opentag", (t) => {
    const attrs: Record<string, string> = {};
    for (const [k, v] of Object.entries(t.attributes)) attrs[k] = typeof v === "string" ? v : v.value;
    open.push(out.push([t.name, attrs, ""]) - 1);
  });
  p.on("text", (t) => open.length && (out[open[open.length - 1]!]![2] += t));
  p.on("cdata", (t) => open.length && (out[open[open.length - 1]!]![2] += t));
  p.on("closetag", () => open.pop());
  p.write(text).close();
  return out;
}

const name = fc.oneof(fc.constantFrom("body", "x", "subject", "thread", "a:b", "q"), fc.string({ minLength: 0, maxLength: 6 }));
const text = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: "binary", maxLength: 12 }), fc.constantFrom("&amp;", "&#x1;", "]]>", "<![CDATA[a<b]]>", "&#13;", "\r\n", "&bogus;"));
const attr = fc.tuple(name, fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom("a&b", "a<b", "&quot;", "x\ty")));
const child = fc.tuple(name, fc.array(attr, { maxLength: 2 }), text).map(([n, as, t]) => `<${n}${as.map(([k, v]) => ` ${k}='${v}'`).join("")}>${t}</${n}>`);
const depth = fc.integer({ min: 0, max: 80 }).map((d) => `${"<n>".repeat(d)}${"</n>".repeat(d)}`);
const stanza = fc
  .tuple(fc.array(fc.oneof(child, depth, text), { maxLength: 4 }), fc.constantFrom("", "<b/>", "junk", "<!-- c -->", "  "))
  .map(([kids, tail]) => `<message xmlns='jabber:client' type='chat' from='alice@localhost/w' to='${BOB}'>${kids.join("")}</message>${tail}`);
// A valid message with one character replaced, inserted or removed anywhere.
const mutated = fc
  .tuple(fc.constant(`<message type='chat' to='${BOB}' id='i'><body>hi &amp; bye</body><x xmlns='urn:x' a='1'/></message>`), fc.nat(), fc.string({ unit: "binary", maxLength: 2 }), fc.nat(3))
  .map(([s, at, ins, del]) => s.slice(0, at % s.length) + ins + s.slice((at % s.length) + del));
const input = fc.oneof(stanza, mutated);

/** Everything stored for bob, and the counters. */
async function snapshot(store: OfflineStore | ClientStore) {
  const [listed, count, queues] = await Promise.all([store.list(BOB), store.count(BOB), store.queues()]);
  return { listed, count, queued: queues.find((q) => q.owner === BOB)?.count ?? 0 };
}

/** Checks one write's outcome against what the store holds before and after it. */
async function checkWrite(store: OfflineStore | ClientStore, batch: unknown[], run: () => Promise<unknown>) {
  const before = await snapshot(store);
  let results: unknown;
  try {
    results = await run();
  } catch (e) {
    expect(e).toBeInstanceOf(OfflineEdgeError);
    expect(await snapshot(store)).toEqual(before);
    return;
  }
  const after = await snapshot(store);
  const mine = (r: { status: string; owner: string }) => r.status === "stored" && r.owner === BOB;
  const stored = (results as Array<{ status: string; owner: string }>).filter(mine).length;
  expect(after.count).toBe(before.count + stored);
  expect(after.count).toBe(after.listed.length);
  expect(after.queued).toBe(after.count);
  // What went in was well-formed; what is stored reads back, strictly, as the same elements.
  const fresh = after.listed.slice(before.listed.length);
  const sent = batch.filter((_, i) => mine((results as Array<{ status: string; owner: string }>)[i]!));
  fresh.forEach((m, i) => {
    const want = strict(sent[i] as string).filter(([n]) => n !== "delay");
    const got = strict(m.stanza).filter(([n]) => n !== "origin-id" && n !== "delay");
    expect(got.map(([n, a, t]) => [n, a.to ?? null, t])).toEqual(
      want.filter(([n]) => n !== "origin-id" || got.some(([g]) => g === "origin-id")).map(([n, a, t]) => [n, a.to ?? null, t.replace(/\r\n?/g, "\n")]),
    );
  });
}

describe.each(BACKENDS)("property: core store (%s)", (_name, backend) => {
  it("any write is refused with a typed error and changes nothing, or stores what a strict parser reads back", async () => {
    const store = makeStore(backend(), { access: { max_user_offline_messages: [{ acl: "all", value: "infinity" }] } });
    await fc.assert(
      fc.asyncProperty(fc.array(input, { minLength: 1, maxLength: 3 }), (batch) => checkWrite(store, batch, () => store.write(batch))),
      { numRuns: RUNS },
    );
  }, TIMEOUT);

  it("pop returns exactly what it deletes, oldest first; counters equal rows", async () => {
    const store = makeStore(backend(), { access: { max_user_offline_messages: [{ acl: "all", value: "infinity" }] } });
    await fc.assert(
      fc.asyncProperty(fc.array(input, { maxLength: 3 }), fc.integer({ min: 1, max: 4 }), async (batch, limit) => {
        await store.write(batch).catch(() => undefined);
        const before = await store.list(BOB);
        const popped = await store.pop(BOB, limit);
        const after = await store.list(BOB);
        expect(popped.map((m) => m.id)).toEqual(before.slice(0, popped.length).map((m) => m.id));
        expect(after.map((m) => m.id)).toEqual(before.slice(popped.length).map((m) => m.id));
        expect(popped.length).toBe(Math.min(limit, before.length));
        for (const m of popped) strict(m.stanza);
        expect(await store.count(BOB)).toBe(after.length);
      }),
      { numRuns: RUNS },
    );
  }, TIMEOUT);
});

// An element read once is read again by the relay that sends it (a drain's messages); that second
// reading may skip the parser when the element still serialises to the text it was read from.
// Whatever is done to the element in between, the outcome is the long way's: the same error, or the same stanza.
const edit = fc.oneof(
  fc.constant((_: Element) => undefined),
  fc.tuple(name, fc.oneof(fc.string({ maxLength: 6 }), fc.string({ unit: "binary", maxLength: 4 }))).map(([k, v]) => (el: Element) => void (el.attrs[k] = v)),
  fc.tuple(name, fc.string({ unit: "binary", maxLength: 4 })).map(([n, t]) => (el: Element) => {
    const child = new Element(n || "x");
    child.append(t);
    el.append(child);
  }),
  fc.string({ unit: "binary", maxLength: 4 }).map((t) => (el: Element) => void el.children.push(t)),
  name.map((n) => (el: Element) => void (el.name = n)),
  fc.tuple(name, fc.oneof(fc.integer(), fc.constant(undefined), fc.constant(null))).map(([k, v]) => (el: Element) => void ((el.attrs as Record<string, unknown>)[k] = v)),
  // Serialises exactly as before: only the values' type changes.
  fc.constant((el: Element) => {
    for (const [k, v] of Object.entries(el.attrs)) (el.attrs as Record<string, unknown>)[k] = new String(v);
  }),
  fc.constant((el: Element) => void (el.children = [])),
);
/** The outcome of reading: its error's code, or the text and the tree read. */
function outcome(read: () => { element: Element; text: string }) {
  try {
    const { element, text } = read();
    return { text, tree: element.toString() };
  } catch (e) {
    expect(e).toBeInstanceOf(OfflineEdgeError);
    return { error: (e as OfflineEdgeError).code };
  }
}

describe("property: reading a message element a second time", () => {
  it("gives what reading a fresh copy gives, whatever was changed in between; never the caller's tree", () => {
    fc.assert(
      fc.property(stanza, fc.array(edit, { maxLength: 3 }), fc.boolean(), (text, edits, onChild) => {
        let el: Element;
        try {
          el = readStored(readMessage(text).toString()); // its own serialisation, read as a drain reads what it stored
        } catch {
          return; // not a message: nothing read to read again
        }
        const target = onChild ? (el.children.find((c): c is Element => typeof c !== "string") ?? el) : el;
        for (const e of edits) e(target);
        const long = outcome(() => readMessageText(cloneElement(el))); // a copy was never read: the parser reads it
        expect(outcome(() => readMessageText(el))).toEqual(long);
        if ("error" in long) return;
        const again = readMessage(el);
        expect(again.attrs).toEqual(readMessage(long.text).attrs); // what a parser reads, attributes included
        for (const v of Object.values(again.attrs)) expect(typeof v).toBe("string");
        expect(again).not.toBe(el);
        const before = el.toString();
        again.attrs.changed = "yes";
        for (const c of again.children) if (typeof c !== "string") c.attrs.changed = "yes";
        expect(el.toString()).toBe(before); // nothing of the caller's tree is shared
        expect(readMessage(again).toString()).toBe(again.toString()); // the copy is itself read again the same way
      }),
      { numRuns: RUNS },
    );
  });
});

describe("property: over the worker protocol", () => {
  it("each call of a tick, whatever its argument, is refused with a typed error or stored; the others are not affected", async () => {
    const host = new StoreHost(new MemoryBackend());
    const client = new ClientStore("page", (req) => host.handle(structuredClone(req)), () => host.close());
    await client.configure({ access: { max_user_offline_messages: [{ acl: "all", value: "infinity" }] } });
    const arg = fc.oneof(fc.array(input, { maxLength: 2 }), fc.anything(), fc.array(fc.anything(), { maxLength: 2 }), fc.func(fc.nat()));
    await fc.assert(
      fc.asyncProperty(fc.array(arg, { minLength: 1, maxLength: 3 }), async (args) => {
        const before = await snapshot(client);
        const settled = await Promise.allSettled(args.map((a) => client.write(a as string[])));
        let stored = 0;
        settled.forEach((s) => {
          if (s.status === "rejected") expect(s.reason).toBeInstanceOf(OfflineEdgeError);
          else stored += s.value.filter((r) => r.status === "stored" && r.owner === BOB).length;
        });
        const after = await snapshot(client);
        expect(after.count).toBe(before.count + stored);
        expect(after.listed.length).toBe(after.count);
        for (const m of after.listed.slice(before.listed.length)) strict(m.stanza);
      }),
      { numRuns: Math.ceil(RUNS / 2) },
    );
    await client.close();
  }, TIMEOUT);
});
