import { describe, expect, it } from "vitest";
import { BACKENDS, bodies, chat, makeStore } from "./helpers.ts";

const msg = (type: string, inner: string, attrs = "") =>
  `<message type='${type}' from='alice@localhost/web' to='bob@localhost' ${attrs}>${inner}</message>`;

describe.each(BACKENDS)("storage policy (%s)", (_name, backend) => {
  it("stores chat and normal messages, a missing type counting as normal", async () => {
    const store = makeStore(backend());
    const r = await store.write([msg("chat", "<body>a</body>"), msg("normal", "<body>b</body>"), chat().replace("type='chat' ", "")]);
    expect(r.map((x) => x.status)).toEqual(["stored", "stored", "stored"]);
    expect(await store.count("bob@localhost")).toBe(3);
  });

  it("never stores error or headline messages", async () => {
    const store = makeStore(backend());
    const r = await store.write([msg("error", "<body>a</body>"), msg("headline", "<body>b</body>")]);
    expect(r).toEqual([
      { status: "dropped", owner: "bob@localhost", reason: "type" },
      { status: "dropped", owner: "bob@localhost", reason: "type" },
    ]);
    expect(await store.count("bob@localhost")).toBe(0);
  });

  it("stores groupchat only when storeGroupchatMessages is on", async () => {
    const off = makeStore(backend());
    expect((await off.write([msg("groupchat", "<body>g</body>")]))[0]).toMatchObject({ status: "dropped", reason: "groupchat" });
    const on = makeStore(backend(), { storeGroupchatMessages: true });
    expect((await on.write([msg("groupchat", "<body>g</body>")]))[0]).toMatchObject({ status: "stored" });
  });

  it("does not store a chat-state-only message, but stores a chat state with a body", async () => {
    const store = makeStore(backend());
    const cs = "<composing xmlns='http://jabber.org/protocol/chatstates'/>";
    const r = await store.write([msg("chat", cs), msg("chat", `<body>hi</body>${cs}`)]);
    expect(r.map((x) => x.status)).toEqual(["dropped", "stored"]);
    expect(r[0]).toMatchObject({ reason: "chat-state-only" });
  });

  it("stores a chat state together with a thread (the thread is content, as in mod_offline)", async () => {
    const store = makeStore(backend());
    const cs = "<active xmlns='http://jabber.org/protocol/chatstates'/>";
    const r = await store.write([msg("chat", `${cs}<thread>t1</thread>`), msg("chat", `<thread>t2</thread>`)]);
    expect(r.map((x) => x.status)).toEqual(["stored", "dropped"]);
    expect(r[1]).toMatchObject({ reason: "empty" });
  });

  it("does not store an XEP-0022 event notification (x:event with <id/>), but stores an event request", async () => {
    const store = makeStore(backend());
    const r = await store.write([
      msg("chat", "<x xmlns='jabber:x:event'><offline/><id>m1</id></x>"),
      msg("chat", "<body>hi</body><x xmlns='jabber:x:event'><id/></x>"),
      msg("chat", "<body>hi</body><x xmlns='jabber:x:event'><offline/><delivered/></x>"),
    ]);
    expect(r.map((x) => x.status)).toEqual(["dropped", "dropped", "stored"]);
    expect(r[0]).toMatchObject({ reason: "event-notification" });
    expect(await store.count("bob@localhost")).toBe(1);
  });

  it("obeys XEP-0334 hints: no-store and no-permanent-store prevent, store forces", async () => {
    const store = makeStore(backend());
    const r = await store.write([
      msg("chat", "<body>a</body><no-store xmlns='urn:xmpp:hints'/>"),
      msg("chat", "<body>b</body><no-permanent-store xmlns='urn:xmpp:hints'/>"),
      msg("chat", "<store xmlns='urn:xmpp:hints'/>"),
    ]);
    expect(r.map((x) => x.status)).toEqual(["dropped", "dropped", "stored"]);
    expect(r[0]).toMatchObject({ reason: "no-store-hint" });
  });

  it("does not store a message with nothing worth keeping", async () => {
    const store = makeStore(backend());
    const r = await store.write([msg("chat", "<body>  </body><thread>t</thread>"), msg("chat", "")]);
    expect(r.map((x) => x.status)).toEqual(["dropped", "dropped"]);
    expect(r[0]).toMatchObject({ reason: "empty" });
  });

  it("keeps only the latest chat marker per peer, thread and type", async () => {
    const store = makeStore(backend());
    const marker = (type: string, id: string, thread = "") =>
      msg("chat", `<${type} xmlns='urn:xmpp:chat-markers:0' id='${id}'/>${thread ? `<thread>${thread}</thread>` : ""}`);
    await store.write([marker("received", "123")]);
    await store.write([marker("received", "321")]);
    await store.write([marker("received", "a", "t1"), marker("received", "b", "t2"), marker("displayed", "321")]);
    await store.write([marker("received", "c", "t1"), marker("received", "d", "t1")]);
    const popped = (await store.pop("bob@localhost")).map((p) => /markers:0" id="([^"]+)"\/>/.exec(p.stanza)?.[1]);
    expect(popped.sort()).toEqual(["321", "321", "b", "d"]);
    expect(await store.count("bob@localhost")).toBe(0);
  });

  it("keeps markers from different peers apart", async () => {
    const store = makeStore(backend());
    const from = (who: string, id: string) =>
      `<message type='chat' from='${who}@localhost/x' to='bob@localhost'><received xmlns='urn:xmpp:chat-markers:0' id='${id}'/></message>`;
    await store.write([from("alice", "1"), from("carol", "2")]);
    expect(await store.count("bob@localhost")).toBe(2);
  });

  it("pops oldest first, and an incoming delay stamp gives the message its time", async () => {
    const store = makeStore(backend());
    const old = "<delay xmlns='urn:xmpp:delay' stamp='2020-01-01T00:00:00Z'/>";
    await store.write([chat("bob@localhost", "new")]);
    await store.write([chat("bob@localhost", "old", old)]);
    const popped = await store.pop("bob@localhost");
    expect(bodies(popped)).toEqual(["old", "new"]);
    expect(popped[0]!.stanza).toContain('stamp="2020-01-01T00:00:00.000Z"');
    expect(popped[0]!.stanza.match(/urn:xmpp:delay/g)).toHaveLength(1);
  });
});

describe.each(BACKENDS)("delivery (%s)", (_name, backend) => {
  it("adds the Offline Storage delay stamp from the recipient's domain on pop, and pops once", async () => {
    const t = Date.parse("2026-11-25T10:00:00Z");
    const store = makeStore(backend(), { now: () => t });
    await store.write([chat("bob@example.org")]);
    const [p] = await store.pop("bob@example.org");
    expect(p!.stanza).toContain("<delay xmlns=\"urn:xmpp:delay\" from=\"example.org\" stamp=\"2026-11-25T10:00:00.000Z\">Offline Storage</delay>");
    expect(await store.pop("bob@example.org")).toEqual([]);
  });

  it("adds a stable XEP-0359 origin-id, and keeps one already there", async () => {
    const store = makeStore(backend());
    const [a, b] = await store.write([chat(), chat("bob@localhost", "x", "<origin-id xmlns='urn:xmpp:sid:0' id='fixed-1'/>")]);
    const popped = await store.pop("bob@localhost");
    expect(popped.map((p) => p.id)).toEqual([(a as { id: string }).id, "fixed-1"]);
    expect(b).toMatchObject({ status: "stored", id: "fixed-1" });
    expect(popped[0]!.stanza).toContain(`<origin-id xmlns="urn:xmpp:sid:0" id="${popped[0]!.id}"/>`);
  });

  it("never delivers an expired message and purges it", async () => {
    let now = 1_000_000;
    const store = makeStore(backend(), { now: () => now });
    await store.write([
      chat("bob@localhost", "short", "<x xmlns='jabber:x:expire' seconds='1'/>"),
      chat("bob@localhost", "long", "<x xmlns='jabber:x:expire' seconds='3600'/>"),
      chat("bob@localhost", "zero", "<x xmlns='jabber:x:expire' seconds='0'/>"),
    ]);
    now += 2000;
    const popped = await store.pop("bob@localhost");
    expect(bodies(popped)).toEqual(["long", "zero"]);
    expect(popped[0]!.stanza).toContain("seconds=\"3598\"");
    expect(await store.count("bob@localhost")).toBe(0);
    expect((await store.metricsSnapshot()).counters.expired).toBe(1);
  });

  it("removeExpired purges expired messages of every user", async () => {
    let now = 1_000_000;
    const store = makeStore(backend(), { now: () => now });
    const exp = "<x xmlns='jabber:x:expire' seconds='5'/>";
    await store.write([chat("bob@localhost", "a", exp), chat("carol@localhost", "b", exp), chat("carol@localhost", "c")]);
    now += 5000;
    expect(await store.removeExpired()).toBe(2);
    expect(await store.count("bob@localhost")).toBe(0);
    expect(await store.count("carol@localhost")).toBe(1);
  });

  it("peek does not remove; ack removes and counts as popped", async () => {
    const store = makeStore(backend());
    await store.write([chat(), chat()]);
    const peeked = await store.peek("bob@localhost", 1);
    expect(peeked).toHaveLength(1);
    expect(await store.count("bob@localhost")).toBe(2);
    expect(await store.ack("bob@localhost", peeked.map((p) => p.key))).toBe(1);
    expect(await store.ack("bob@localhost", peeked.map((p) => p.key))).toBe(0);
    expect(await store.count("bob@localhost")).toBe(1);
    expect((await store.metricsSnapshot()).counters.popped).toBe(1);
  });

  it("pop with a limit takes only the oldest ones", async () => {
    const store = makeStore(backend(), { access: { max_user_offline_messages: [{ acl: "all", value: "infinity" }] } });
    await store.write(Array.from({ length: 450 }, (_, i) => chat("bob@localhost", `b${i}`)));
    const first = await store.pop("bob@localhost", 250);
    expect(bodies(first)).toEqual(Array.from({ length: 250 }, (_, i) => `b${i}`));
    expect(await store.count("bob@localhost")).toBe(200);
    expect(bodies(await store.pop("bob@localhost"))[0]).toBe("b250");
  });
});

describe.each(BACKENDS)("expiry on peek (%s)", (_name, backend) => {
  it("a peek skips expired messages and purges them", async () => {
    let now = 1_000_000;
    const store = makeStore(backend(), { now: () => now });
    const expired = new Promise<void>((resolve) => store.subscribe((e) => e.type === "expired" && resolve()));
    await store.write([chat("bob@localhost", "short", "<x xmlns='jabber:x:expire' seconds='1'/>"), chat("bob@localhost", "kept")]);
    now += 2000;
    expect(bodies(await store.peek("bob@localhost"))).toEqual(["kept"]);
    await expired;
    expect(bodies(await store.list("bob@localhost"))).toEqual(["kept"]);
  });
});
