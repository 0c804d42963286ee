/**
 * What the demo runs as, from the URL and this tab's sessionStorage:
 *
 * - `/` — the local mesh (tabs of this browser, no server); a sign-in view asks who you are.
 * - `/?as=bob` — skips the choice (`bob@mesh.local`; a full JID is taken as is).
 * - `/?relay=xmpp&service=ws://127.0.0.1:PORT/xmpp-websocket&jid=alice@localhost&password=secret`
 *   — a real XMPP server (`npm run relay` prints the ws URL). Without `jid`/`password` the
 *   sign-in view asks for them; the password is never stored.
 * - `/?relay=webrtc` — peer to peer between browser profiles (or machines) over WebRTC data
 *   channels, introduced by the PeerJS server `npm start` runs on 127.0.0.1:9000 (`service=`
 *   another `ws://host:port/`); users are `name@mesh.local` as on the mesh.
 */

export type RelayKind = "mesh" | "xmpp" | "webrtc";

/** The demo users; `npm run relay` registers them with password "secret". */
export const DEMO_USERS = ["alice", "bob", "carol"] as const;
export const MESH_DOMAIN = "mesh.local";
export const XMPP_DEFAULT_DOMAIN = "localhost";
/** The PeerJS server `npm start` runs for `?relay=webrtc`. */
export const PEERJS_DEFAULT_SERVICE = "ws://127.0.0.1:9000/";

export interface DemoSettings {
  relay: RelayKind;
  /** The domain demo users live on. */
  domain: string;
  /** XMPP WebSocket URL (xmpp only). */
  service: string;
  /** XMPP password from the URL (xmpp only); never stored. */
  password: string;
  /** Who we are (bare JID), when known from the URL or this tab's earlier choice. */
  self: string | null;
}

/** Everything needed to start a session. */
export interface DemoIdentity {
  relay: RelayKind;
  self: string;
  domain: string;
  service: string;
  password: string;
}

const KEY = (relay: RelayKind) => `offline-edge-demo:identity:${relay}`;

/** `bob` → `bob@domain`; a full JID stays (lowercased, as JIDs compare). */
export function toJid(name: string, domain: string): string {
  const n = name.trim().toLowerCase();
  return n.includes("@") ? n : `${n}@${domain}`;
}

export function readSettings(url: URL = new URL(location.href)): DemoSettings {
  const p = url.searchParams;
  const relay: RelayKind = p.get("relay") === "xmpp" ? "xmpp" : p.get("relay") === "webrtc" ? "webrtc" : "mesh";
  const jid = p.get("jid") ?? "";
  const as = p.get("as") ?? "";
  const domain = relay !== "xmpp" ? MESH_DOMAIN : (jid.split("@")[1] ?? p.get("domain") ?? XMPP_DEFAULT_DOMAIN) || XMPP_DEFAULT_DOMAIN;
  const fromUrl = jid || as ? toJid(jid || as, domain) : null;
  let remembered: string | null = null;
  try {
    remembered = sessionStorage.getItem(KEY(relay));
  } catch {
    // storage blocked: ask every time
  }
  return { relay, domain, service: p.get("service") ?? (relay === "webrtc" ? PEERJS_DEFAULT_SERVICE : ""), password: p.get("password") ?? "", self: fromUrl ?? remembered };
}

/** Remembers who this tab is (per relay kind), so a reload skips the sign-in view. */
export function rememberIdentity(relay: RelayKind, self: string): void {
  try {
    sessionStorage.setItem(KEY(relay), self);
  } catch {
    // not fatal: the tab asks again after a reload
  }
}

/** Forgets this tab's choice and returns the URL to go to for a fresh sign-in (same relay settings). */
export function signOutUrl(relay: RelayKind): string {
  try {
    sessionStorage.removeItem(KEY(relay));
  } catch {
    // nothing to forget
  }
  const url = new URL(location.href);
  for (const p of ["as", "jid", "password"]) url.searchParams.delete(p);
  return url.toString();
}

/** The other demo users, as contacts. */
export function demoContacts(self: string, domain: string): string[] {
  return DEMO_USERS.map((u) => `${u}@${domain}`).filter((j) => j !== self);
}
