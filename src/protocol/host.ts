import type { OfflineBackend } from "../core/backend.ts";
import { OfflineEdgeError } from "../core/errors.ts";
import type { StoreEvent } from "../core/events.ts";
import { MicroBatcher } from "../core/micro-batch.ts";
import { OfflineStore, type WriteResult } from "../core/offline-store.ts";
import { toOpenMetrics } from "../core/openmetrics.ts";
import { parseConfig, type StoreConfig } from "./config.ts";
import { checkWriteCall, EVENTS_CHANNEL, parseRequest, type MetricsReport, type Ops, type Reply, type Results } from "./request.ts";

async function metricsReport(store: OfflineStore): Promise<MetricsReport> {
  const [snapshot, queues, aside] = await Promise.all([store.metricsSnapshot(), store.queues(), store.quarantined()]);
  const limits: Record<string, number | null> = {};
  for (const q of queues) {
    const l = store.limitOf(q.owner);
    limits[q.owner] = Number.isFinite(l) ? l : null;
  }
  const queued = queues.reduce((n, q) => n + q.count, 0);
  return { snapshot, queues, limits, quarantined: aside.length, openMetrics: toOpenMetrics(snapshot, { queued_messages: queued }) };
}

/** One call of a coalesced write: checked and stored on its own, so its failure is its own. */
function writeCall(s: OfflineStore, stanzas: unknown): Promise<Reply<WriteResult[]>> {
  try {
    return s.write(checkWriteCall(stanzas)).then((value) => ({ ok: true as const, value }), errorReply);
  } catch (e) {
    return Promise.resolve(errorReply(e));
  }
}

type Runner = { [O in keyof Ops]: (s: OfflineStore, ...a: Ops[O]) => Results[O] | Promise<Results[O]> };

const RUN: Omit<Runner, "configure"> = {
  // Every call enters the store in the same tick, so they share one group commit.
  write: (s, calls) => Promise.all(calls.map((c) => writeCall(s, c))),
  pop: (s, owner, limit) => s.pop(owner, limit),
  peek: (s, owner, limit, after) => s.peek(owner, limit, after),
  bury: (s, owner, key, error) => s.bury(owner, key, error),
  deadLetter: (s, stanza, error) => s.deadLetter(stanza, error),
  deadLetters: (s, owner) => s.deadLetters(owner),
  retryDead: (s, owner, keys) => s.retryDead(owner, keys),
  discardDead: (s, owner, keys) => s.discardDead(owner, keys),
  ack: (s, owner, keys) => s.ack(owner, keys),
  requeued: (s, owner, ids) => (s.reportRequeued(owner, ids), null),
  count: (s, owner) => s.count(owner),
  list: (s, owner, limit) => s.list(owner, limit),
  queues: (s) => s.queues(),
  limitOf: (s, owner) => s.limitOf(owner),
  removeUser: (s, owner) => s.removeUser(owner),
  removeExpired: (s) => s.removeExpired(),
  removeOlderThan: (s, days) => s.removeOlderThan(days),
  export: (s, owner) => s.export(owner),
  metrics: (s) => metricsReport(s),
  quarantined: (s) => s.quarantined(),
};

/**
 * The plain form of any error, for a reply. Unexpected ones become
 * `storage-failed`, keeping the exception's name and message (an aborted
 * IndexedDB transaction often has only a name, e.g. `QuotaExceededError`).
 */
export function errorReply(e: unknown): Reply<never> {
  if (e instanceof OfflineEdgeError) return { ok: false, error: e.toJSON() };
  const { name, message } = (typeof e === "object" && e !== null ? e : {}) as { name?: unknown; message?: unknown };
  const text = [name, message].filter((x) => typeof x === "string" && x).join(": ") || String(e);
  return { ok: false, error: { code: "storage-failed", message: text } };
}

/**
 * Hosts one offline store behind the request protocol: the service worker
 * runs one for every tab, and a page in fallback mode runs its own. Store
 * events go to every tab on the `EVENTS_CHANNEL` BroadcastChannel. Its
 * configuration lives in the backend, so a host rebuilt after the browser
 * stopped the worker comes back the same.
 */
export class StoreHost {
  private store!: OfflineStore;
  private unsubscribe: () => void = () => undefined;
  private readonly ready: Promise<void>;
  private readonly channel = new BroadcastChannel(EVENTS_CHANNEL);
  private closed = false;
  /** Store events waiting for this task's end, then posted to every tab in one channel message (none once closed). */
  private readonly eventBuffer = new MicroBatcher<StoreEvent>((batch) => void (this.closed || this.channel.postMessage(batch)), { tick: "task", serial: false });

  constructor(private readonly backend: OfflineBackend) {
    // Saved settings that cannot be read or no longer pass: run on defaults rather than refuse every request.
    this.ready = backend
      .loadSettings()
      .then((saved) => this.build((saved as StoreConfig | null) ?? {}))
      .catch(() => this.build({}))
      .then((store) => this.adopt(store));
  }

  private build(config: StoreConfig): OfflineStore {
    return new OfflineStore({ ...config, backend: this.backend });
  }

  private adopt(next: OfflineStore): void {
    this.unsubscribe();
    this.unsubscribe = next.subscribe((e) => this.publish(e));
    // The old store's writes in flight still finish: both share the backend.
    void this.store?.flushMetrics().catch(() => undefined);
    this.store = next;
  }

  /**
   * Publishes events to every tab, batched per task: a burst of writes
   * becomes one channel message instead of one per call.
   */
  private publish(e: StoreEvent): void {
    this.eventBuffer.add(e);
  }

  /** Answers one untrusted request; never throws. */
  async handle(data: unknown): Promise<Reply> {
    try {
      const req = parseRequest(data);
      await this.ready;
      if (req.op === "configure") return { ok: true, value: await this.configure(req.args[0] as StoreConfig) };
      const run = RUN[req.op] as (s: OfflineStore, ...a: unknown[]) => unknown;
      return { ok: true, value: await run(this.store, ...req.args) };
    } catch (e) {
      return errorReply(e);
    }
  }

  private async configure(raw: StoreConfig): Promise<null> {
    const config = parseConfig(raw as Record<string, unknown>);
    const next = this.build(config); // throws on a bad rule before anything is saved
    await this.backend.saveSettings(config);
    this.adopt(next);
    return null;
  }

  async close(): Promise<void> {
    await this.ready.catch(() => undefined);
    this.unsubscribe();
    await this.store?.close();
    this.closed = true; // events batched for a later task are dropped with the channel
    this.channel.close();
  }
}
