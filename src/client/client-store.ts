import { InvalidRequestError, reviveError } from "../core/errors.ts";
import type { WriteResult } from "../core/offline-store.ts";
import type { StoreEvent, StoreListener } from "../core/events.ts";
import type { RecordKey } from "../core/record.ts";
import type { StanzaErrorData } from "../core/dead-letter.ts";
import type { StoreConfig } from "../protocol/config.ts";
import { EVENTS_CHANNEL, MAX_BATCH, PROTOCOL, type Op, type Ops, type Reply, type Request, type Results } from "../protocol/request.ts";
import type { OfflineStoreApi, StoreMode } from "../core/store-api.ts";
import { Listeners } from "../core/listeners.ts";
import { MicroBatcher } from "../core/micro-batch.ts";
import { isPlainObject } from "../core/options.ts";

/** Carries one request to a store host and brings back its reply. */
export type Transport = (request: Request) => Promise<Reply>;

interface PendingWrite {
  stanzas: string[];
  resolve: (r: WriteResult[]) => void;
  reject: (e: unknown) => void;
}

/** Splits coalesced writes into requests of at most MAX_BATCH stanzas (a larger single call goes alone, to be refused). */
function chunkByStanzas(writes: PendingWrite[]): PendingWrite[][] {
  const out: PendingWrite[][] = [];
  let current: PendingWrite[] = [];
  let size = 0;
  for (const w of writes) {
    if (size + w.stanzas.length > MAX_BATCH && current.length) {
      out.push(current);
      current = [];
      size = 0;
    }
    current.push(w);
    size += w.stanzas.length;
  }
  if (current.length) out.push(current);
  return out;
}

/** Why a write call's argument cannot be sent, or null. By index: a hole is a missing stanza. */
function badStanza(stanzas: unknown): string | null {
  if (!Array.isArray(stanzas)) return "write takes an array of stanzas.";
  for (let i = 0; i < stanzas.length; i++) {
    if (typeof stanzas[i] !== "string") return `write: stanza ${i} is ${i in stanzas ? typeof stanzas[i] : "missing"}, not an XML string.`;
  }
  return null;
}

let persistenceAsked = false;

/**
 * Asks the browser once per page, when the first message is stored, to
 * keep this origin's storage under pressure (`navigator.storage.persist()`):
 * from then on there is something to lose. The browser may grant it
 * silently, ask the user, or refuse; the dashboard shows which.
 */
function requestPersistence(): void {
  if (persistenceAsked) return;
  persistenceAsked = true;
  const storage = (globalThis.navigator as Navigator | undefined)?.storage;
  if (storage?.persist) void storage.persist().catch(() => undefined);
}

function isEvent(data: unknown): data is StoreEvent {
  return isPlainObject(data) && typeof data.type === "string";
}

/**
 * The page's handle on an offline store, whichever host serves it (the
 * service worker, or this page in fallback mode): one class, two transports,
 * so both modes behave the same.
 */
export class ClientStore implements OfflineStoreApi {
  private readonly channel = new BroadcastChannel(EVENTS_CHANNEL);
  /** The one listener set of the library: a throwing listener does not stop the others. */
  private readonly listeners = new Listeners<StoreEvent>();
  /** Writes of one tick, sent together; requests overlap (each tick's goes out at once). */
  private readonly pendingWrites = new MicroBatcher<PendingWrite>((writes) => this.flushWrites(writes), { serial: false });

  constructor(
    readonly mode: StoreMode,
    private readonly transport: Transport,
    private readonly onClose: () => Promise<void> = async () => undefined,
  ) {
    // Hosts post events in batches; anything else on the channel is ignored.
    this.channel.onmessage = (m: MessageEvent) => {
      if (!Array.isArray(m.data)) return;
      for (const e of m.data) if (isEvent(e)) this.listeners.emit(e);
    };
  }

  private async call<O extends Op>(op: O, ...args: Ops[O]): Promise<Results[O]> {
    const start = performance.now();
    try {
      const reply = await this.transport({ protocol: PROTOCOL, op, args });
      if (!reply.ok) throw reviveError(reply.error);
      return reply.value as Results[O];
    } finally {
      // A User Timing measure per request ("offline-edge:pop", "offline-edge:write-batch", …) for the Performance panel.
      measure(op === "write" ? "offline-edge:write-batch" : `offline-edge:${op}`, start, this.mode);
    }
  }

  /** Sets the store's options (limits, mode, …) for every tab; a bad option is a typed error. */
  async configure(config: StoreConfig): Promise<void> {
    await this.call("configure", config);
  }

  /**
   * Stores messages for offline recipients. Writes issued in the same tick
   * travel to the host in one request (up to MAX_BATCH stanzas), where they
   * share one transaction; each call still succeeds or fails on its own.
   */
  write(stanzas: string[]): Promise<WriteResult[]> {
    const start = performance.now();
    const written = new Promise<WriteResult[]>((resolve, reject) => {
      // Checked per call before it joins others: a value that cannot cross to the host (a
      // function, a Symbol) or is no string would otherwise fail every call of the tick.
      const bad = badStanza(stanzas);
      if (bad) return reject(new InvalidRequestError(bad));
      this.pendingWrites.add({ stanzas, resolve, reject });
    });
    // One measure per call too: coalesced calls share one request, each shows its own wait.
    const done = () => measure("offline-edge:write", start, this.mode);
    void written.then(done, done);
    return written;
  }

  private flushWrites(pending: PendingWrite[]): void {
    for (const chunk of chunkByStanzas(pending)) void this.sendWrites(chunk);
  }

  private async sendWrites(batch: PendingWrite[]): Promise<void> {
    try {
      const replies = await this.call("write", batch.map((w) => w.stanzas));
      replies.forEach((r, i) => (r.ok ? batch[i]!.resolve(r.value) : batch[i]!.reject(reviveError(r.error))));
      if (replies.some((r) => r.ok && r.value.some((w) => w.status === "stored"))) requestPersistence();
    } catch (e) {
      for (const w of batch) w.reject(e);
    }
  }
  pop(owner: string, limit?: number) {
    return this.call("pop", owner, limit);
  }
  peek(owner: string, limit?: number, after?: RecordKey) {
    return after ? this.call("peek", owner, limit, after) : this.call("peek", owner, limit);
  }
  bury(owner: string, key: RecordKey, error: StanzaErrorData) {
    return this.call("bury", owner, key, error);
  }
  deadLetter(stanza: string, error: StanzaErrorData) {
    return this.call("deadLetter", stanza, error);
  }
  deadLetters(owner?: string) {
    return owner === undefined ? this.call("deadLetters") : this.call("deadLetters", owner);
  }
  retryDead(owner: string, keys: RecordKey[]) {
    return this.call("retryDead", owner, keys);
  }
  discardDead(owner: string, keys: RecordKey[]) {
    return this.call("discardDead", owner, keys);
  }
  ack(owner: string, keys: RecordKey[]) {
    return this.call("ack", owner, keys);
  }
  async reportRequeued(owner: string, ids: string[]): Promise<void> {
    await this.call("requeued", owner, ids); // the wire op keeps its name (protocol unchanged)
  }
  count(owner: string) {
    return this.call("count", owner);
  }
  list(owner: string, limit?: number) {
    return this.call("list", owner, limit);
  }
  queues() {
    return this.call("queues");
  }
  limitOf(owner: string) {
    return this.call("limitOf", owner);
  }
  removeUser(owner: string) {
    return this.call("removeUser", owner);
  }
  removeExpired() {
    return this.call("removeExpired");
  }
  removeOlderThan(days: number) {
    return this.call("removeOlderThan", days);
  }
  export(owner: string) {
    return this.call("export", owner);
  }
  metrics() {
    return this.call("metrics");
  }
  quarantined() {
    return this.call("quarantined");
  }

  subscribe(listener: StoreListener): () => void {
    return this.listeners.add(listener);
  }

  async close(): Promise<void> {
    this.channel.close();
    this.listeners.clear();
    await this.onClose();
  }
}

let measures = 0;
const measureNames = new Set<string>();

/**
 * Leaves a User Timing measure. The browser buffers them until cleared: ours
 * are cleared every 1,000, so a long-lived chat tab does not grow (a
 * Performance panel recording still sees every one as it happens).
 */
function measure(name: string, start: number, mode: StoreMode): void {
  if (++measures % 1000 === 0) for (const n of measureNames) performance.clearMeasures(n);
  measureNames.add(name);
  performance.measure(name, { start, detail: { mode } });
}
