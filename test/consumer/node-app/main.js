// Plain Node 20, no loader: the core from the packed package.
import { OfflineStore, MemoryBackend, OfflineEdgeError } from "offline-edge";
import { createRequire } from "node:module";

const store = new OfflineStore({ backend: new MemoryBackend() });
const [written] = await store.write([`<message type="chat" from="alice@example.org" to="bob@example.org"><body>hi</body></message>`]);
const popped = await store.pop("bob@example.org");
let code = "";
try {
  await store.write(["<message"]);
} catch (e) {
  if (e instanceof OfflineEdgeError) code = e.code;
}
const version = createRequire(import.meta.url)("offline-edge/package.json").version;
console.log(JSON.stringify({ status: written.status, popped: popped.map((m) => m.stanza), code, version }));
