// Helpers for the relay tests (mesh, drain, outbox, inbox): a store adapter
// that can "die", a fake relay, bounded waits, and message builders.
import "fake-indexeddb/auto";
import type { Element } from "@xmpp/xml";
import type { OfflineStoreApi } from "../../src/core/store-api.ts";
import type { OfflineBackend } from "../../src/core/backend.ts";
import type { StoreEvent } from "../../src/core/events.ts";
import { OfflineStore, type OfflineStoreOptions } from "../../src/core/offline-store.ts";
import { MemoryBackend } from "../../src/storage/memory.ts";
import { Listeners } from "../../src/core/listeners.ts";
import { MeshRelay, type MeshOptions } from "../../src/relay/mesh/relay.ts";
import { HOLDER_LOCK } from "../../src/messaging/receive/claim-engine.ts";
import type { PresenceChange, Relay, SendOutcome, SendProgress } from "../../src/relay/relay.ts";

/** An OfflineStoreApi over an OfflineStore, as page mode does it; `kill()` makes every later call fail (a tab that died). */
export interface TestStore extends OfflineStoreApi {
  readonly store: OfflineStore;
  kill(): void;
  /** How many times each method was called. */
  readonly calls: Record<string, number>;
}

export function storeApi(backend: OfflineBackend = new MemoryBackend(), options: Partial<OfflineStoreOptions> = {}): TestStore {
  const store = new OfflineStore({ backend, ...options });
  const hub = new Listeners<StoreEvent>();
  store.subscribe((e) => hub.emit(e));
  let dead = false;
  const calls: Record<string, number> = {};
  const call = <T>(name: string, f: () => Promise<T>): Promise<T> => {
    calls[name] = (calls[name] ?? 0) + 1;
    return dead ? Promise.reject(new Error("store gone")) : f();
  };
  return {
    mode: "page",
    store,
    calls,
    kill: () => void (dead = true),
    write: (s) => call("write", () => store.write(s)),
    pop: (o, l) => call("pop", () => store.pop(o, l)),
    peek: (o, l, after) => call("peek", () => store.peek(o, l, after)),
    bury: (o, k, e) => call("bury", () => store.bury(o, k, e)),
    deadLetter: (s, e) => call("deadLetter", () => store.deadLetter(s, e)),
    deadLetters: (o) => call("deadLetters", () => store.deadLetters(o)),
    retryDead: (o, k) => call("retryDead", () => store.retryDead(o, k)),
    discardDead: (o, k) => call("discardDead", () => store.discardDead(o, k)),
    ack: (o, k) => call("ack", () => store.ack(o, k)),
    reportRequeued: (o, ids) => call("reportRequeued", async () => store.reportRequeued(o, ids)),
    count: (o) => call("count", () => store.count(o)),
    list: (o, l) => call("list", () => store.list(o, l)),
    queues: () => call("queues", () => store.queues()),
    limitOf: (o) => call("limitOf", async () => store.limitOf(o)),
    removeUser: (o) => call("removeUser", () => store.removeUser(o)),
    removeExpired: () => call("removeExpired", () => store.removeExpired()),
    removeOlderThan: (d) => call("removeOlderThan", () => store.removeOlderThan(d)),
    export: (o) => call("export", () => store.export(o)),
    metrics: () => Promise.reject(new Error("not in tests")),
    quarantined: () => call("quarantined", () => store.quarantined()),
    subscribe: (l) => hub.add(l),
    close: async () => {
      dead = true;
    },
  };
}

/** Waits until `check` holds, polling each tick; fails after `ms`. */
export async function until(check: () => boolean, ms = 3000, what = "condition"): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** A fresh channel name per test, so tests never hear each other. */
export function channelName(): string {
  return `test:${crypto.randomUUID()}`;
}

/**
 * A mesh tab with short timings for tests; roomy enough that a loaded
 * machine does not time out a live peer (tests of timeouts set their own).
 */
export function meshTab(channel: string, self: string, options: Partial<MeshOptions> = {}): MeshRelay {
  return new MeshRelay({ channel, self, heartbeatMs: 250, ackTimeoutMs: 3000, ...options });
}

let n = 0;
/** A chat message to `to` with a body. */
export function chatTo(to: string, body = `m${++n}`, from = "alice@mesh.local"): string {
  return `<message xmlns='jabber:client' type='chat' from='${from}' to='${to}' id='s${++n}'><body>${body}</body></message>`;
}

/** The body text of a stanza. */
export function bodyOf(el: Element | string): string {
  const s = typeof el === "string" ? el : el.toString();
  return /<body>(.*?)<\/body>/.exec(s)?.[1] ?? "";
}

/**
 * A relay whose presence and outcomes the test decides: `outcome` answers
 * each send (default delivered); `sent` records what it was given.
 */
export class FakeRelay implements Relay {
  readonly sent: Element[] = [];
  readonly presence = new Listeners<PresenceChange>();
  readonly messages = new Listeners<Element, unknown>();
  available = new Set<string>();
  outcome: (stanza: Element) => SendOutcome | Promise<SendOutcome> = () => ({ status: "delivered" });

  constructor(readonly self = "alice@mesh.local") {}

  isAvailable(peer: string): boolean {
    return this.available.has(peer);
  }
  setAvailable(peer: string, available: boolean): void {
    if (available) this.available.add(peer);
    else this.available.delete(peer);
    this.presence.emit({ peer, available });
  }
  onPresence(listener: (change: PresenceChange) => void): () => void {
    return this.presence.add(listener);
  }
  onMessage(listener: (stanza: Element) => unknown): () => void {
    return this.messages.add(listener);
  }
  /** The `progress` hooks of each send, in send order. */
  readonly progress: Array<SendProgress | undefined> = [];
  async send(stanza: Element, progress?: SendProgress): Promise<SendOutcome> {
    this.sent.push(stanza);
    this.progress.push(progress);
    return this.outcome(stanza);
  }
  readonly lateBounces = new Listeners<{ peer: string; stanza: Element }>();
  onLateBounce(listener: (late: { peer: string; stanza: Element }) => void): () => void {
    return this.lateBounces.add(listener);
  }
  async close(): Promise<void> {}
}

/** Web Locks within one process: a held lock is listed until its callback settles or its tab is killed. */
export class ProcessLocks {
  readonly held = new Set<string>();
  async request(name: string, callback: () => Promise<unknown>): Promise<unknown> {
    this.held.add(name);
    try {
      return await callback();
    } finally {
      this.held.delete(name);
    }
  }
  async query(): Promise<{ held: Array<{ name: string }> }> {
    return { held: [...this.held].map((name) => ({ name })) };
  }
  /** The holder ids of live seen-sets, oldest first. */
  holders(): string[] {
    return [...this.held].filter((n) => n.startsWith(HOLDER_LOCK)).map((n) => n.slice(HOLDER_LOCK.length));
  }
  /** A tab dies: the browser lets go of its locks. */
  kill(holder: string): void {
    this.held.delete(HOLDER_LOCK + holder);
  }
}
