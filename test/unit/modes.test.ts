import { describe, expect, it } from "vitest";
import { BACKENDS, chat, makeStore } from "./helpers.ts";

describe.each(BACKENDS)("storage modes (%s)", (_name, backend) => {
  it("disabled: bounces with 503 'Bounce offline message' and stores nothing", async () => {
    const store = makeStore(backend(), { mode: "disabled" });
    const [r] = await store.write([chat()]);
    expect(r).toMatchObject({ status: "bounced", reason: "service-unavailable" });
    expect((r as { error: string }).error).toContain(
      "<error type=\"cancel\"><service-unavailable xmlns=\"urn:ietf:params:xml:ns:xmpp-stanzas\"/><text xmlns=\"urn:ietf:params:xml:ns:xmpp-stanzas\">Bounce offline message</text></error>",
    );
    expect(await store.count("bob@localhost")).toBe(0);
    expect((await store.metricsSnapshot()).counters.bounced["service-unavailable"]).toBe(1);
  });

  it("disabled: still drops what policy would not store, without an error", async () => {
    const store = makeStore(backend(), { mode: "disabled" });
    const [r] = await store.write(["<message type='headline' to='bob@localhost'><body>x</body></message>"]);
    expect(r).toMatchObject({ status: "dropped", reason: "type" });
  });

  it("stub: drops silently", async () => {
    const store = makeStore(backend(), { mode: "stub" });
    const [r] = await store.write([chat()]);
    expect(r).toEqual({ status: "dropped", owner: "bob@localhost", reason: "stub" });
    expect(await store.count("bob@localhost")).toBe(0);
  });

  it("refuses an unknown mode", () => {
    expect(() => makeStore(backend(), { mode: "sometimes" as never })).toThrow(/mode must be one of/);
  });
});
