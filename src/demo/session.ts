// One signed-in user's session: the shared offline store, a relay (local
// mesh or XMPP), and the Messenger that sends, queues, drains and receives.
import type { Element } from "@xmpp/xml";
import { createOfflineStore, type ClientStore } from "../client/index.ts";
import { Messenger } from "../messaging/index.ts";
import { MeshRelay } from "../relay/mesh/index.ts";
import type { Relay } from "../relay/index.ts";
import type { DemoIdentity } from "./config.ts";

export interface Session {
  readonly identity: DemoIdentity;
  readonly store: ClientStore;
  readonly relay: Relay;
  readonly messenger: Messenger;
  /** "mesh" or "xmpp", with where it runs, for the status line. */
  readonly relayLabel: string;
  /** Peers the relay sees online besides our contacts (mesh: any tab on the channel). */
  onlinePeers(): string[];
  /** Sets up presence for these contacts where the relay needs it (XMPP subscriptions); a note for the UI, or null. */
  prepareContacts(contacts: string[]): Promise<string | null>;
  /** Closes the relay (peers see us leave at once) and the messenger. The store stays open. */
  close(): void;
}

export function openStore(): Promise<ClientStore> {
  return createOfflineStore({ timeoutMs: 30_000 });
}

/** Connects and starts the messenger (its inbox holds what arrives until `onMessage` listens). */
export async function openSession(identity: DemoIdentity, store: ClientStore, onMessage: (el: Element) => void): Promise<Session> {
  if (identity.relay === "mesh") {
    const mesh = new MeshRelay({ self: identity.self });
    return start(identity, store, mesh, onMessage, {
      label: "mesh (BroadcastChannel)",
      peers: () => mesh.peers(),
      prepare: async () => null,
    });
  }
  if (identity.relay === "webrtc") {
    const w = await import("./webrtc-session.ts");
    const { relay, signalling } = await w.connectWebRtc(identity);
    return start(identity, store, relay, onMessage, {
      label: `webrtc (PeerJS ${identity.service})`,
      peers: () => relay.peers(),
      prepare: async (contacts) => {
        for (const c of contacts) signalling.connect(c);
        return null;
      },
    });
  }
  const x = await import("./xmpp-session.ts");
  const xmpp = await x.connectXmpp(identity);
  return start(identity, store, xmpp, onMessage, {
    label: `xmpp ${identity.service}`,
    peers: () => xmpp.availablePeers(),
    prepare: (contacts) => x.subscribeContacts(xmpp, contacts),
  });
}

interface RelayExtras {
  label: string;
  peers(): string[];
  prepare(contacts: string[]): Promise<string | null>;
}

async function start(identity: DemoIdentity, store: ClientStore, raw: Relay, onMessage: (el: Element) => void, extras: RelayExtras): Promise<Session> {
  let messenger: Messenger;
  try {
    messenger = await Messenger.start({ store, relay: raw });
  } catch (e) {
    await raw.close();
    throw e;
  }
  messenger.onMessage(onMessage);
  return {
    identity,
    store,
    relay: raw,
    messenger,
    relayLabel: extras.label,
    onlinePeers: () => extras.peers().filter((p) => p !== identity.self),
    prepareContacts: (contacts) => extras.prepare(contacts),
    close() {
      // Relay first and synchronously: the mesh says "gone" before the page dies.
      void raw.close();
      void messenger.close();
    },
  };
}
