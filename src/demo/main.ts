// Placeholder demo until the chat UI lands: opens the store and shows its queues.
import { createOfflineStore } from "../client/create.ts";

const app = document.getElementById("app")!;
const store = await createOfflineStore();
async function render(): Promise<void> {
  const queues = await store.queues();
  app.textContent = `offline-edge (${store.mode} mode): ${queues.length} queue(s), ${queues.reduce((n, q) => n + q.count, 0)} message(s)`;
}
store.subscribe(() => void render());
await render();
