import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { build, preview } from "vite";
import { startProsody } from "../prosody/prosody.mjs";
import { createXmppRelay } from "../../src/relay/xmpp/index.ts";
import { spawnPeerServer } from "../../scripts/peer-server.mjs";

declare module "vitest" {
  export interface ProvidedContext {
    baseUrl: string;
    xmppWsUrl: string;
    xmppTcpUrl: string;
    /** Port of the PeerJS signalling server on 127.0.0.1 (WebRTC tests). */
    peerPort: number;
  }
}

const USERS = ["alice", "bob", "carol", "dave"];

/** Mutual presence subscriptions between every two test users, as a chat app's roster has them. */
async function subscribeEveryone(service: string): Promise<void> {
  const relays = await Promise.all(
    USERS.map((username) => createXmppRelay({ service, jid: `${username}@localhost`, password: "secret", mechanism: "PLAIN" })),
  );
  for (const a of relays) for (const b of relays) if (a !== b) await a.subscribe(b.self);
  await Promise.all(relays.map((r) => r.sync()));
  await Promise.all(relays.map((r) => r.close()));
}

/**
 * Browser tests run against the production build served by `vite preview`
 * on 127.0.0.1 (the real service worker), and a real Prosody on loopback
 * with offline storage off, so the server bounces and our store is the
 * only storage.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // A build of its own, so that runs side by side never serve each other's half-written files.
  const outDir = mkdtempSync(join(tmpdir(), "offline-edge-e2e-"));
  await build({ logLevel: "warn", build: { outDir, emptyOutDir: true } });
  const server = await preview({ build: { outDir }, preview: { host: "127.0.0.1", port: 0, strictPort: false }, logLevel: "warn" });
  const address = server.httpServer.address();
  if (!address || typeof address === "string") throw new Error("vite preview has no port");
  const prosody = await startProsody({
    users: USERS.map((u): [string, string] => [u, "secret"]),
    smacksHibernationSeconds: 2,
  });
  await subscribeEveryone(prosody.tcpUrl);
  const peerServer = await spawnPeerServer();
  project.provide("baseUrl", `http://127.0.0.1:${address.port}`);
  project.provide("xmppWsUrl", prosody.wsUrl);
  project.provide("xmppTcpUrl", prosody.tcpUrl);
  project.provide("peerPort", peerServer.port);
  return async () => {
    await peerServer.close();
    await prosody.stop();
    await new Promise<void>((r) => server.httpServer.close(() => r()));
    rmSync(outDir, { recursive: true, force: true });
  };
}
