// The Relay contract (relay-contract.ts) against the XMPP relay on a real Prosody.
import { afterAll, beforeAll } from "vitest";
import { createXmppRelay } from "../../src/relay/xmpp/index.ts";
import { startProsody, type ProsodyServer } from "../prosody/prosody.mjs";
import { relayContract } from "./relay-contract.ts";

let server: ProsodyServer;
let resources = 0;
beforeAll(async () => {
  server = await startProsody({ users: [["alice", "secret"], ["bob", "secret"], ["carol", "secret"]] });
  // Mutual presence subscription, as an embedder must have it.
  const [alice, bob] = await Promise.all(["alice", "bob"].map((u) => openXmpp(u)));
  await alice!.subscribe("bob@localhost");
  await bob!.subscribe("alice@localhost");
  await Promise.all([alice!.close(), bob!.close()]);
}, 30_000);
afterAll(async () => {
  await server?.stop();
});

function openXmpp(username: string) {
  const user = username.split("@")[0]!;
  return createXmppRelay({
    service: server.tcpUrl,
    domain: server.domain,
    username: user,
    password: "secret",
    resource: `${user}-${++resources}`,
    mechanism: "PLAIN",
    graceMs: 10_000, // the ack path cannot confirm within a test: receipts decide
  });
}

relayContract("XMPP (Prosody)", () => ({
  alice: "alice@localhost",
  bob: "bob@localhost",
  nobody: "carol@localhost",
  open: (user) => openXmpp(user),
}));
