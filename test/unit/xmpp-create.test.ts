// createXmppRelay: which account it logs in with (from `jid`, or `username` and
// `domain`), which resource it asks for, and the typed errors for the rest. The
// logins run against a real Prosody on loopback.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createXmppRelay, type CreateXmppRelayOptions } from "../../src/relay/xmpp/create.ts";
import type { XmppRelay } from "../../src/relay/xmpp/relay.ts";
import { InvalidOptionError, SaslMechanismError } from "../../src/core/errors.ts";
import { startProsody, type ProsodyServer } from "../prosody/prosody.mjs";

let server: ProsodyServer;
const relays: XmppRelay[] = [];
beforeAll(async () => {
  server = await startProsody({ users: [["alice", "secret"]] });
}, 20_000);
afterEach(async () => {
  await Promise.all(relays.splice(0).map((r) => r.close()));
});
afterAll(async () => {
  await server?.stop();
});

async function login(options: Omit<CreateXmppRelayOptions, "service" | "password" | "mechanism">): Promise<XmppRelay> {
  const r = await createXmppRelay({ service: server.tcpUrl, password: "secret", mechanism: "PLAIN", ...options });
  relays.push(r);
  return r;
}

describe("createXmppRelay", () => {
  it("refuses an account it cannot name, before any connection, each with its reason", async () => {
    const service = "xmpp://127.0.0.1:1"; // nothing listens: a refusal here comes before connecting
    const refused = (o: Partial<CreateXmppRelayOptions>) => createXmppRelay({ service, password: "x", ...o });
    await expect(refused({ jid: "a@b@c" })).rejects.toThrow(new InvalidOptionError('jid is not a valid JID: "a@b@c".'));
    await expect(refused({ jid: "localhost" })).rejects.toThrow(new InvalidOptionError("jid must name a user (local@domain)."));
    for (const o of [
      { jid: "alice@localhost", username: "bob" },
      { jid: "alice@localhost", domain: "example.org" },
    ]) {
      await expect(refused(o)).rejects.toThrow(new InvalidOptionError("jid disagrees with username or domain."));
    }
    const needs = /needs the user's JID \(jid, or username and domain\); the domain is never taken from the service URL/;
    for (const o of [{}, { username: "alice" }, { domain: "localhost" }]) {
      const e = await refused(o).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(InvalidOptionError);
      expect((e as Error).message).toMatch(needs);
    }
    await expect(refused({ jid: "alice@localhost", priority: -129 })).rejects.toThrow(/priority/);
  });

  it("logs in as the JID's user, with the JID's resource unless one is given; the same from username and domain", async () => {
    const fromJid = await login({ jid: "alice@localhost/phone" });
    expect(String(fromJid.client.jid)).toBe("alice@localhost/phone");
    expect(fromJid.self).toBe("alice@localhost");
    const given = await login({ jid: "alice@localhost/phone", resource: "tablet" });
    expect(String(given.client.jid)).toBe("alice@localhost/tablet");
    const agreeing = await login({ jid: "alice@localhost", username: "alice", domain: "localhost", resource: "desk" });
    expect(String(agreeing.client.jid)).toBe("alice@localhost/desk");
    const parts = await login({ username: "alice", domain: "localhost" });
    expect(String(parts.client.jid)).toMatch(/^alice@localhost\/.+/); // the server picked the resource
    expect(String(parts.client.jid)).not.toMatch(/\/(phone|tablet|desk)$/);
  });

  it("a mechanism the server does not offer is a typed error naming what it offers", async () => {
    const e = await login({ jid: "alice@localhost", mechanism: "X-NONE" } as never).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SaslMechanismError);
    expect((e as Error).message).toMatch(/^The server does not offer SASL X-NONE \(it offers .*PLAIN.*\)\.$/);
  });
});
