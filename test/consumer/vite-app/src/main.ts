// A fresh create-vite vanilla-ts app using the packed offline-edge as a user would.
import { createOfflineStore } from "offline-edge/client";
import { defineOfflineDashboard } from "offline-edge/dashboard";
import { OfflineEdgeError } from "offline-edge";

const store = await createOfflineStore();
const [result] = await store.write([`<message type="chat" from="alice@example.org" to="bob@example.org"><body>hi</body></message>`]);
const count = await store.count("bob@example.org");

defineOfflineDashboard();
const dashboard = document.createElement("offline-dashboard");
dashboard.store = store;
document.querySelector<HTMLDivElement>("#app")!.append(dashboard);

let typedError = "";
try {
  await store.write(["<message"]);
} catch (e) {
  if (e instanceof OfflineEdgeError) typedError = e.code;
}
document.body.dataset.result = JSON.stringify({ mode: store.mode, status: result?.status, count, typedError });
