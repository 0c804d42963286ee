// Mesh relay + messenger + dashboard, bundled by esbuild (no Vite, no XMPP).
import { createOfflineStore } from "offline-edge/client";
import { Messenger } from "offline-edge/messaging";
import { MeshRelay } from "offline-edge/relay/mesh";
import { defineOfflineDashboard } from "offline-edge/dashboard";

const params = new URLSearchParams(location.search);
const self = params.get("as") ?? "alice@mesh.local";
const warnings = [];
const warn = console.warn;
console.warn = (...args) => { warnings.push(args.join(" ")); warn(...args); };

const store = await createOfflineStore({ swUrl: params.get("sw") ?? "/sw.js" });
const chat = await Messenger.start({ store, relay: new MeshRelay({ self }) });
const received = [];
const statuses = [];
chat.onMessage((m) => received.push(m.getChildText("body")));
chat.onStatus((s) => statuses.push(s.state));

defineOfflineDashboard();
const dashboard = document.createElement("offline-dashboard");
dashboard.store = store;
document.body.append(dashboard);

window.app = { store, chat, received, statuses, warnings };
document.body.dataset.ready = "true";
