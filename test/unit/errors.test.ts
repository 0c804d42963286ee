import { describe, expect, it } from "vitest";
import {
  InboxClosedError,
  InvalidJidError,
  MalformedStanzaError,
  NoStoreError,
  OfflineEdgeError,
  OriginRefusedError,
  OversizedStanzaError,
  SaslMechanismError,
  SeenIdsClosedError,
  StorageFailedError,
  TimeoutError,
  reviveError,
} from "../../src/core/errors.ts";
import { BACKENDS, chat, makeStore } from "./helpers.ts";

describe("errors across a channel", () => {
  it("revive to the same typed error", () => {
    const e = reviveError(JSON.parse(JSON.stringify(new InvalidJidError("nope"))));
    expect(e).toBeInstanceOf(InvalidJidError);
    expect(e.code).toBe("invalid-jid");
    expect(reviveError({ code: "bogus" }).code).toBe("invalid-request");
  });

  it("an oversized stanza comes back as OversizedStanzaError, not its base class", () => {
    const e = reviveError(JSON.parse(JSON.stringify(new OversizedStanzaError(300, 200))));
    expect(e).toBeInstanceOf(OversizedStanzaError);
    expect(e).toMatchObject({ name: "OversizedStanzaError", code: "oversized-stanza", message: "Stanza is 300 bytes; the cap is 200 bytes." });
  });

  it.each([
    [new TimeoutError("t"), TimeoutError],
    [new OriginRefusedError("o"), OriginRefusedError],
    [new StorageFailedError("s"), StorageFailedError],
    [new InboxClosedError(), InboxClosedError],
    [new SeenIdsClosedError(), SeenIdsClosedError],
    [new SaslMechanismError("m"), SaslMechanismError],
    [new NoStoreError("n"), NoStoreError],
  ] as const)("%s is an OfflineEdgeError with a code, and revives as its own class", (error, type) => {
    expect(error).toBeInstanceOf(OfflineEdgeError);
    expect(error.name).toBe(type.name);
    const revived = reviveError(JSON.parse(JSON.stringify(error)));
    expect(revived).toBeInstanceOf(type);
    expect(revived.code).toBe(error.code);
  });
});

describe.each(BACKENDS)("bad input leaves the store unchanged (%s)", (_name, backend) => {
  const seeded = async (options = {}) => {
    const store = makeStore(backend(), options);
    await store.write([chat(), chat()]);
    return store;
  };
  const unchanged = async (store: Awaited<ReturnType<typeof seeded>>) => {
    expect(await store.count("bob@localhost")).toBe(2);
    expect((await store.metricsSnapshot()).counters.stored).toBe(2);
  };

  it.each([
    ["truncated XML", "<message to='bob@localhost'><body>hi</body>"],
    ["mismatched tags", "<message to='bob@localhost'><body>hi</bdy></message>"],
    ["not XML", "hello"],
    ["an iq, not a message", "<iq to='bob@localhost' type='get'/>"],
    ["a foreign namespace", "<message xmlns='urn:evil' to='bob@localhost'><body>x</body></message>"],
  ])("malformed stanza: %s", async (_what, stanza) => {
    const store = await seeded();
    await expect(store.write([chat(), stanza])).rejects.toBeInstanceOf(MalformedStanzaError);
    await unchanged(store);
  });

  it("a non-string, non-element stanza", async () => {
    const store = await seeded();
    await expect(store.write([{ to: "bob@localhost" }])).rejects.toBeInstanceOf(MalformedStanzaError);
    await expect(store.write("nope" as never)).rejects.toBeInstanceOf(OfflineEdgeError);
    await unchanged(store);
  });

  it.each([
    ["missing to", "<message type='chat'><body>x</body></message>"],
    ["empty to", "<message type='chat' to=''><body>x</body></message>"],
    ["invalid to", "<message type='chat' to='a@b@c'><body>x</body></message>"],
    ["invalid from", "<message type='chat' to='bob@localhost' from='@x'><body>x</body></message>"],
  ])("%s", async (_what, stanza) => {
    const store = await seeded();
    await expect(store.write([chat(), stanza])).rejects.toBeInstanceOf(InvalidJidError);
    await unchanged(store);
  });

  it("oversized stanza, default cap 256 KiB", async () => {
    const store = await seeded();
    const big = chat("bob@localhost", "x".repeat(256 * 1024));
    const err = await store.write([big]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OversizedStanzaError);
    expect((err as Error).message).toMatch(/cap is 262144 bytes/);
    await unchanged(store);
  });

  it("oversized counts UTF-8 bytes, and the cap is configurable", async () => {
    const store = await seeded({ maxStanzaBytes: 1000 });
    await expect(store.write([chat("bob@localhost", "€".repeat(300))])).rejects.toBeInstanceOf(OversizedStanzaError);
    expect((await store.write([chat("bob@localhost", "e".repeat(400))]))[0]!.status).toBe("stored");
  });

  it("rejects a bad cap at construction", () => {
    expect(() => makeStore(backend(), { maxStanzaBytes: 0 })).toThrow(/maxStanzaBytes/);
  });
});

describe("store configuration from a channel", () => {
  it("refuses inherited or unknown option names", async () => {
    const { parseConfig } = await import("../../src/protocol/config.ts");
    expect(() => parseConfig({ toString: "x" })).toThrow(/Unknown store option/);
    expect(() => parseConfig({ constructor: {} })).toThrow(/Unknown store option/);
    expect(parseConfig({ mode: "stub" })).toEqual({ mode: "stub" });
  });
});
