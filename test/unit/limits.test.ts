import { describe, expect, it } from "vitest";
import { AccessPolicy } from "../../src/core/access.ts";
import { BACKENDS, chat, makeStore } from "./helpers.ts";

const FULL =
  "<error type=\"wait\"><resource-constraint xmlns=\"urn:ietf:params:xml:ns:xmpp-stanzas\"/>" +
  "<text xmlns=\"urn:ietf:params:xml:ns:xmpp-stanzas\">Your contact offline message queue is full. The message has been discarded.</text></error>";
const admins = { admin: [{ user: "boss", server: "localhost" }] };
const many = (n: number, to = "bob@localhost") => Array.from({ length: n }, () => chat(to));

describe("access rules", () => {
  it("first match wins; no match means infinity", () => {
    const p = new AccessPolicy(
      { admin: [{ user: "boss", server: "localhost" }], eu: [{ server: "eu.example" }], bots: [{ user_glob: "bot-*" }], re: [{ user_regexp: "^z" }] },
      { r: [{ acl: "admin", value: 7 }, { acl: "bots", value: 1 }, { acl: "re", value: "infinity" }, { acl: "eu", value: 3 }] },
    );
    expect(p.limit("r", "boss@localhost")).toBe(7);
    expect(p.limit("r", "bot-9@eu.example")).toBe(1);
    expect(p.limit("r", "zed@eu.example")).toBe(Infinity);
    expect(p.limit("r", "ann@eu.example")).toBe(3);
    expect(p.limit("r", "ann@localhost")).toBe(Infinity);
    expect(p.limit("missing-rule", "ann@localhost")).toBe(Infinity);
  });

  it("refuses a bad rule value or pattern at configuration time", () => {
    expect(() => new AccessPolicy({}, { r: [{ acl: "all", value: -1 }] })).toThrow(/whole number/);
    expect(() => new AccessPolicy({ a: [{ user_regexp: "(" }] }, {})).toThrow();
  });
});

describe.each(BACKENDS)("per-user limits (%s)", (_name, backend) => {
  it("stores exactly 100 for `all`; the 101st is refused with mod_offline's error", async () => {
    const store = makeStore(backend());
    const first = await store.write(many(100));
    expect(first.every((r) => r.status === "stored")).toBe(true);
    const stanza = chat();
    const [r] = await store.write([stanza]);
    expect(r).toMatchObject({ status: "bounced", reason: "resource-constraint", owner: "bob@localhost" });
    const error = (r as { error: string }).error;
    expect(error).toContain(FULL);
    expect(error).toMatch(/^<message xmlns="jabber:client" type="error" from="bob@localhost" to="alice@localhost\/web" id="m\d+">/);
    expect(error).toContain("<body>");
    expect(await store.count("bob@localhost")).toBe(100);
    expect((await store.metricsSnapshot()).counters.bounced["resource-constraint"]).toBe(1);
  });

  it("gives `admin` 5000", async () => {
    const store = makeStore(backend(), { acl: admins });
    for (let i = 0; i < 5; i++) await store.write(many(1000, "boss@localhost"));
    expect(await store.count("boss@localhost")).toBe(5000);
    expect((await store.write(many(1, "boss@localhost")))[0]!.status).toBe("bounced");
    expect(await store.count("boss@localhost")).toBe(5000);
  });

  it("has no limit for `infinity`, and accessMaxUserMessages names the rule", async () => {
    const store = makeStore(backend(), {
      access: { mine: [{ acl: "all", value: "infinity" }] },
      accessMaxUserMessages: "mine",
    });
    await store.write(many(300));
    expect(await store.count("bob@localhost")).toBe(300);
  });

  it("refuses a batch larger than the room left, whole; other recipients in it are unaffected", async () => {
    const store = makeStore(backend());
    await store.write(many(95));
    const results = await store.write([...many(6), ...many(2, "carol@localhost")]);
    expect(results.slice(0, 6).every((r) => r.status === "bounced")).toBe(true);
    expect(results.slice(6).every((r) => r.status === "stored")).toBe(true);
    expect(await store.count("bob@localhost")).toBe(95);
    expect((await store.write(many(5)))[4]!.status).toBe("stored");
    expect(await store.count("bob@localhost")).toBe(100);
  });

  it("two writers racing for the last slot: exactly one wins", async () => {
    const store = makeStore(backend());
    await store.write(many(99));
    const [a, b] = await Promise.all([store.write(many(1)), store.write(many(1))]);
    expect([a[0]!.status, b[0]!.status].sort()).toEqual(["bounced", "stored"]);
    expect(await store.count("bob@localhost")).toBe(100);
  });

  it("two store instances on one database racing for the last slot: exactly one wins", async () => {
    const shared = backend();
    const one = makeStore(shared);
    const two = makeStore(shared);
    await one.write(many(99));
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? one : two).write(many(1))));
    expect(results.filter((r) => r[0]!.status === "stored")).toHaveLength(1);
    expect(await one.count("bob@localhost")).toBe(100);
  });

  it("a limit of 0 refuses everything", async () => {
    const store = makeStore(backend(), { access: { max_user_offline_messages: [{ acl: "all", value: 0 }] } });
    expect((await store.write(many(1)))[0]!.status).toBe("bounced");
  });
});

describe("bad access configuration fails at configuration time", () => {
  it.each([
    ["a bad pattern after a good field", { acl: { boss: [{ user: "boss", server_regexp: "(" }] } }],
    ["an unknown ACL field", { acl: { boss: [{ nick: "boss" }] } }],
    ["a non-string field", { acl: { boss: [{ user: 7 }] } }],
    ["an entry with no acl name", { access: { max_user_offline_messages: [{ value: 5 }] } }],
    ["a rule name that is not a rule", { accessMaxUserMessages: "constructor" }],
  ])("%s", (_what, options) => {
    expect(() => makeStore(BACKENDS[0]![1](), options as never)).toThrow(/ACL|access|rule/i);
  });
});

describe.each(BACKENDS)("queue bookkeeping (%s)", (_name, backend) => {
  it("a refused write to a new address leaves no empty queue behind", async () => {
    const store = makeStore(backend(), { access: { max_user_offline_messages: [{ acl: "all", value: 0 }] } });
    await store.write(many(1, "zed@localhost"));
    expect(await store.queues()).toEqual([]);
  });

  it("acking one key several times removes and counts it once", async () => {
    const store = makeStore(backend());
    await store.write(many(3));
    const [first] = await store.peek("bob@localhost", 1);
    expect(await store.ack("bob@localhost", [first!.key, first!.key, first!.key])).toBe(1);
    expect(await store.count("bob@localhost")).toBe(2);
    expect((await store.list("bob@localhost")).length).toBe(2);
  });
});
