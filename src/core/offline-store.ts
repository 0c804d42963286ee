import { AccessPolicy, type AccessRules, type AclTable } from "./access.ts";
import { latestMarkersOnly, type OfflineBackend, type QueueInfo, type WriteGroup } from "./backend.ts";
import { bounce, type BounceReason } from "./bounce.ts";
import { withOfflineDelay } from "./delay.ts";
import { isQuotaError } from "./quota.ts";
import type { DeadLetter, StanzaErrorData } from "./dead-letter.ts";
import { InvalidOptionError, InvalidRequestError } from "./errors.ts";
import type { StoreEvent, StoreListener } from "./events.ts";
import { Listeners } from "./listeners.ts";
import { option } from "./options.ts";
import { GroupCommit } from "./group-commit.ts";
import { bareJid } from "./jid.ts";
import { Metrics, mergeSnapshot, type MetricsSnapshot } from "./metrics.ts";
import type { DropReason, PolicyOptions } from "./policy.ts";
import { prepare, type Prepared } from "./prepare.ts";
import { keyOf, type OfflineRecord, type QuarantinedRecord, type RecordKey } from "./record.ts";
import { DEFAULT_MAX_STANZA_BYTES, readMessage } from "./stanza.ts";
import { addOfflineDelay, refreshExpiry } from "./time.ts";

/** `enabled` stores; `disabled` bounces with 503; `stub` drops silently (mod_offline_stub). */
export type StorageMode = "enabled" | "disabled" | "stub";
const STORAGE_MODES: readonly StorageMode[] = ["enabled", "disabled", "stub"];

export interface OfflineStoreOptions extends PolicyOptions {
  backend: OfflineBackend;
  mode?: StorageMode;
  /** Named ACLs for the access rules (MongooseIM's `acl`). */
  acl?: AclTable;
  /** Access rules (MongooseIM's `access`); default `max_user_offline_messages`: admin 5000, all 100. */
  access?: AccessRules;
  /** Which access rule gives the per-user limit. Default `max_user_offline_messages`. */
  accessMaxUserMessages?: string;
  /** Cap on one stanza's serialised size. Default 256 KiB. */
  maxStanzaBytes?: number;
  /** Clock, for tests. Default `Date.now`. */
  now?: () => number;
}

/** The outcome of writing one message. `error` is the reply for its sender, as XML. */
export type WriteResult =
  | { status: "stored"; owner: string; id: string }
  | { status: "bounced"; owner: string; reason: BounceReason; error: string }
  | { status: "dropped"; owner: string; reason: DropReason | "expired" | "stub" };

/** A message taken from a queue, ready to deliver: it carries its offline `<delay/>`. */
export interface PoppedMessage {
  key: RecordKey;
  id: string;
  owner: string;
  from: string;
  ts: number;
  stanza: string;
}

/** A stored message as it sits in the queue (no delay added), for display and export. */
export interface ListedMessage {
  key: RecordKey;
  id: string;
  from: string;
  ts: number;
  expireAt: number | null;
  stanza: string;
}

const DAY_MS = 86_400_000;

function listed(r: OfflineRecord): ListedMessage {
  return { key: keyOf(r), id: r.id, from: r.from, ts: r.ts, expireAt: r.expireAt, stanza: r.packet };
}

/**
 * The offline message store of XEP-0160 over any backend: policy, per-user
 * limits by access rules, group-committed writes, pop-once delivery with a
 * delay stamp, expiry and metrics. Knows nothing of DOM or IndexedDB.
 */
export class OfflineStore {
  readonly metrics = new Metrics();
  private readonly events = new Listeners<StoreEvent>();
  private readonly access: AccessPolicy;
  private readonly commits: GroupCommit;
  private readonly now: () => number;
  private metricsFlush: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly options: OfflineStoreOptions) {
    option.positiveInteger("maxStanzaBytes", options.maxStanzaBytes, DEFAULT_MAX_STANZA_BYTES);
    option.oneOf("mode", options.mode, "enabled", STORAGE_MODES);
    this.access = new AccessPolicy(options.acl, options.access);
    const rule = options.accessMaxUserMessages;
    if (rule !== undefined && (typeof rule !== "string" || !this.access.has(rule))) {
      throw new InvalidOptionError(`accessMaxUserMessages names no access rule: ${JSON.stringify(rule)}.`);
    }
    this.commits = new GroupCommit(options.backend, this.metrics);
    this.now = options.now ?? Date.now;
  }

  get mode(): StorageMode {
    return this.options.mode ?? "enabled";
  }

  get backendKind(): string {
    return this.options.backend.kind;
  }

  /** The per-user limit of a recipient (Infinity when no rule matches). */
  limitOf(owner: string): number {
    return this.access.limit(this.options.accessMaxUserMessages ?? "max_user_offline_messages", bareJid(owner));
  }

  /** Listens to store events; returns the unsubscribe function. */
  subscribe(listener: StoreListener): () => void {
    return this.events.add(listener);
  }

  /**
   * Stores messages for offline recipients. Every stanza is checked before
   * anything is written: one bad stanza fails the whole call with a typed
   * error and the store is unchanged. Each recipient's share of the batch
   * is stored whole or refused whole against its limit.
   */
  async write(stanzas: unknown[]): Promise<WriteResult[]> {
    if (!Array.isArray(stanzas)) throw new InvalidRequestError("write takes an array of stanzas.");
    const cap = this.options.maxStanzaBytes ?? DEFAULT_MAX_STANZA_BYTES;
    const now = this.now();
    // Array.from visits holes too: `new Array(3)` is three missing stanzas, not none.
    const prepared = Array.from(stanzas, (s) => prepare(s, now, cap, this.options));
    const results: Array<WriteResult | null> = prepared.map((p) => this.settleWithoutStoring(p));
    const groups = this.groupsOf(prepared, results);
    if (groups.length > 0) {
      let ok: boolean[];
      try {
        ok = await this.commits.commit(groups.map((g) => g.group));
      } catch (e) {
        if (!isQuotaError(e)) throw e;
        // The disk is full: each message goes back to its sender with that reason, nothing is stored.
        for (const g of groups) this.refuseGroup(g, "storage-full", prepared, results);
        return results as WriteResult[];
      }
      groups.forEach((g, i) => (ok[i] === true ? this.settleGroup(g, prepared, results) : this.refuseGroup(g, "resource-constraint", prepared, results)));
      this.scheduleMetricsFlush();
    }
    return results as WriteResult[];
  }

  /** Answers a message that is not to be stored (policy, mode), or null to store it. */
  private settleWithoutStoring(p: Prepared): WriteResult | null {
    const owner = p.kind === "store" ? p.record.owner : bareJid(p.element.attrs.to);
    if (p.kind === "drop") {
      this.metrics.drop(p.reason);
      this.events.emit({ type: "dropped", owner, reason: p.reason });
      return { status: "dropped", owner, reason: p.reason };
    }
    if (this.mode === "stub") {
      this.metrics.drop("stub");
      return { status: "dropped", owner, reason: "stub" };
    }
    if (this.mode === "disabled") {
      this.events.emit({ type: "bounced", owner, reason: "service-unavailable", count: 1 });
      return this.bounced(p, owner, "service-unavailable", true);
    }
    return null;
  }

  private bounced(p: Prepared, owner: string, reason: BounceReason, count: boolean): WriteResult {
    if (count) this.metrics.bounce(reason);
    return { status: "bounced", owner, reason, error: bounce(p.element, reason).toString() };
  }

  private groupsOf(prepared: Prepared[], results: Array<WriteResult | null>) {
    const byOwner = new Map<string, { group: WriteGroup; indexes: number[] }>();
    prepared.forEach((p, i) => {
      if (results[i] !== null || p.kind !== "store") return;
      const owner = p.record.owner;
      let g = byOwner.get(owner);
      if (!g) byOwner.set(owner, (g = { group: { owner, max: this.limitOf(owner), records: [] }, indexes: [] }));
      g.group.records.push(p.record);
      g.indexes.push(i);
    });
    const out = [...byOwner.values()];
    for (const g of out) g.group.records = latestMarkersOnly(g.group.records);
    return out;
  }

  private settleGroup(g: { group: WriteGroup; indexes: number[] }, prepared: Prepared[], results: Array<WriteResult | null>): void {
    const owner = g.group.owner;
    for (const i of g.indexes) {
      const p = prepared[i]!;
      if (p.kind === "store") results[i] = { status: "stored", owner, id: p.record.id };
    }
    // One event per recipient and call, not per message: events cross to every tab.
    this.events.emit({ type: "stored", owner, ids: g.group.records.map((r) => r.id) });
  }

  private refuseGroup(
    g: { group: WriteGroup; indexes: number[] },
    reason: BounceReason,
    prepared: Prepared[],
    results: Array<WriteResult | null>,
  ): void {
    const owner = g.group.owner;
    // Group commit counted queue-full refusals; a full disk allowed no commit, so those are counted here.
    for (const i of g.indexes) results[i] = this.bounced(prepared[i]!, owner, reason, reason === "storage-full");
    this.events.emit({ type: "bounced", owner, reason, count: g.indexes.length });
  }

  /**
   * Pop-once delivery (mod_offline's `pop_messages`): reads and deletes a
   * user's queue in one transaction, oldest first, skipping and purging
   * expired messages; each message gets its offline `<delay/>`.
   */
  async pop(owner: string, limit?: number): Promise<PoppedMessage[]> {
    return this.read(bareJid(owner), limit, true);
  }

  /**
   * Like pop, without deleting: for at-least-once drains that `ack` after
   * delivery. `after` starts past that key (what a windowed drain has in flight).
   */
  async peek(owner: string, limit?: number, after?: RecordKey): Promise<PoppedMessage[]> {
    return this.read(bareJid(owner), limit, false, after);
  }

  private async read(owner: string, limit: number | undefined, remove: boolean, after?: RecordKey): Promise<PoppedMessage[]> {
    const now = this.now();
    const started = performance.now();
    if (!remove) return this.peekReadable(owner, limit, now, after);
    // Each record is made deliverable inside the pop's transaction: one that cannot be is moved
    // aside there, so the pop deletes exactly the records it returns.
    // The backend may ask more than once (a pass retried at quota): the answer is cached, and only
    // what the backend reports it moved is told as quarantined.
    const ready = new Map<OfflineRecord, PoppedMessage>();
    const unreadable = (r: OfflineRecord): string | null => {
      const out = this.tryDeliverable(r, now);
      if (typeof out === "string") return out;
      ready.set(r, out);
      return null;
    };
    const result = await this.withDelta((delta) => this.options.backend.read(owner, { now, limit, remove, unreadable }, delta));
    this.afterPop(owner, result.records.map((r) => r.id), result.expired, performance.now() - started);
    if (result.quarantined?.length) this.events.emit({ type: "quarantined", owner, ids: result.quarantined });
    return result.records.map((r) => ready.get(r) ?? this.deliverable(r, now));
  }

  /**
   * A peek that never stops at a record it cannot read: such records are
   * moved to the quarantine (or, if even that fails, skipped) and the
   * queue behind them is read on.
   */
  private async peekReadable(owner: string, limit: number | undefined, now: number, after?: RecordKey): Promise<PoppedMessage[]> {
    for (;;) {
      const result = await this.options.backend.read(owner, { now, limit, ...(after && { after }) });
      // A peek skips expired messages; purge them so they do not sit in the queue and its count.
      if (result.expired > 0) void this.removeExpired().catch(() => undefined);
      const out: PoppedMessage[] = [];
      const bad: Array<{ key: RecordKey; reason: string; id: string }> = [];
      for (const r of result.records) {
        const d = this.tryDeliverable(r, now);
        if (typeof d === "string") bad.push({ key: keyOf(r), reason: d, id: r.id });
        else out.push(d);
      }
      if (!bad.length) return out;
      const moved = await this.options.backend.quarantine(owner, bad, now).catch(() => 0);
      if (moved) this.events.emit({ type: "quarantined", owner, ids: bad.map((b) => b.id) });
      // Nothing readable in this page and the bad ones gone: read on; else hand out what we have.
      if (out.length || !moved) return out;
    }
  }

  private tryDeliverable(r: OfflineRecord, now: number): PoppedMessage | string {
    try {
      return this.deliverable(r, now);
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
  }

  /** Records that could not be read back, moved out of their queues, oldest first. */
  quarantined(): Promise<QuarantinedRecord[]> {
    return this.options.backend.quarantined();
  }

  private afterPop(owner: string, ids: string[], expired: number, ms: number): void {
    this.metrics.observe("pop_messages", ms);
    if (ids.length) this.events.emit({ type: "popped", owner, ids });
    if (expired) this.events.emit({ type: "expired", owner, count: expired });
    this.scheduleMetricsFlush();
  }

  /**
   * The stanza to hand out: offline delay stamp added, expiry seconds
   * brought up to date. A record proven well-formed when it was written,
   * without an expiry (the common case), gets the delay on its stored text,
   * with no parse; any other is parsed, and throws if it cannot be read.
   */
  private deliverable(r: OfflineRecord, now: number): PoppedMessage {
    const domain = r.owner.slice(r.owner.indexOf("@") + 1);
    let stanza = r.verified === true && r.expireAt === null ? withOfflineDelay(r.packet, domain, r.ts) : null;
    if (stanza === null) {
      const el = readMessage(r.packet, Infinity);
      refreshExpiry(el, r.expireAt, now);
      addOfflineDelay(el, domain, r.ts);
      stanza = el.toString();
    }
    return { key: keyOf(r), id: r.id, owner: r.owner, from: r.from, ts: r.ts, stanza };
  }

  /**
   * Confirms delivery of peeked messages: deletes them, counts them as
   * popped and tells every tab which ids left the queue.
   */
  async ack(owner: string, keys: RecordKey[]): Promise<number> {
    const bare = bareJid(owner);
    const started = performance.now();
    const ids = await this.withDelta((delta) => this.options.backend.remove(bare, keys, delta));
    this.afterPop(bare, ids, 0, performance.now() - started);
    return ids.length;
  }

  /**
   * Notes that messages a drain sent came back (bounced or unconfirmed) and
   * stay queued in their place: counted as `requeued`, and told to every tab.
   */
  reportRequeued(owner: string, ids: string[]): void {
    if (!ids.length) return;
    const bare = bareJid(owner);
    this.metrics.count("requeued", ids.length);
    this.events.emit({ type: "requeued", owner: bare, ids });
    this.scheduleMetricsFlush();
  }

  /**
   * Sets a message the relay refused for good aside: out of its queue (so
   * it no longer blocks what is behind it) into the dead letters, and tells
   * every tab (`failed`, with the error). Resolves with whether it was there.
   */
  async bury(owner: string, key: RecordKey, error: StanzaErrorData): Promise<boolean> {
    const bare = bareJid(owner);
    if (key[0] !== bare) throw new InvalidRequestError("The key is not in that queue.");
    const id = await this.options.backend.bury(key, error, this.now());
    if (id === null) return false;
    this.events.emit({ type: "failed", owner: bare, ids: [id], error });
    return true;
  }

  /**
   * Keeps a message the relay refused for good on a straight send (it was
   * never queued) as a dead letter, with the error, as a drain sets aside a
   * queued one: listed, retried (into its queue) or discarded the same way,
   * and every tab is told (`failed`). Resolves with whether it was kept: a
   * message the store would not queue (its policy or mode) is not.
   */
  async deadLetter(stanza: unknown, error: StanzaErrorData): Promise<boolean> {
    const now = this.now();
    const p = prepare(stanza, now, this.options.maxStanzaBytes ?? DEFAULT_MAX_STANZA_BYTES, this.options);
    if (p.kind !== "store" || this.mode !== "enabled") return false;
    await this.options.backend.entomb(p.record, error, now);
    this.events.emit({ type: "failed", owner: p.record.owner, ids: [p.record.id], error });
    return true;
  }

  /** Dead letters, oldest first: one recipient's, or everyone's. */
  deadLetters(owner?: string): Promise<DeadLetter[]> {
    return this.options.backend.deadLetters(owner === undefined ? undefined : bareJid(owner));
  }

  /** Puts dead letters back into their places in the queue (to be drained again); resolves with how many. */
  async retryDead(owner: string, keys: RecordKey[]): Promise<number> {
    const bare = bareJid(owner);
    const ids = await this.options.backend.revive(keys.filter((k) => k[0] === bare));
    if (ids.length) this.events.emit({ type: "revived", owner: bare, ids });
    return ids.length;
  }

  /** Deletes dead letters for good; resolves with how many. */
  async discardDead(owner: string, keys: RecordKey[]): Promise<number> {
    const bare = bareJid(owner);
    const ids = await this.options.backend.discard(keys.filter((k) => k[0] === bare));
    if (ids.length) this.events.emit({ type: "discarded", owner: bare, ids });
    return ids.length;
  }

  count(owner: string): Promise<number> {
    return this.options.backend.count(bareJid(owner));
  }

  /** A queue without removing anything, oldest first, expired included. */
  async list(owner: string, limit?: number): Promise<ListedMessage[]> {
    const { records } = await this.options.backend.read(bareJid(owner), { now: -Infinity, limit });
    return records.map(listed);
  }

  queues(): Promise<QueueInfo[]> {
    return this.options.backend.queues();
  }

  async removeUser(owner: string): Promise<number> {
    const bare = bareJid(owner);
    const n = await this.options.backend.removeUser(bare);
    this.events.emit({ type: "removed", owner: bare, count: n });
    return n;
  }

  async removeExpired(): Promise<number> {
    const n = await this.withDelta((delta) => this.options.backend.removeExpired(this.now(), delta));
    if (n) this.events.emit({ type: "expired", owner: null, count: n });
    return n;
  }

  /**
   * Deletes messages older than `days` days. Like MongooseIM's admin API,
   * a day count below 1 is refused (0 would delete every message).
   */
  async removeOlderThan(days: number): Promise<number> {
    if (typeof days !== "number" || !(days >= 1) || !Number.isFinite(days)) {
      throw new InvalidRequestError(`removeOlderThan takes a number of days >= 1 (got ${String(days)}).`);
    }
    const n = await this.options.backend.removeOlderThan(this.now() - days * DAY_MS);
    if (n) this.events.emit({ type: "removed", owner: null, count: n });
    return n;
  }

  /** Everything stored for a user, as plain JSON-ready data (XEP-0160 has no export; this is ours). */
  async export(owner: string): Promise<{ owner: string; exported: string; messages: ListedMessage[] }> {
    const bare = bareJid(owner);
    return { owner: bare, exported: new Date(this.now()).toISOString(), messages: await this.list(bare) };
  }

  /** Runs a backend call that persists the pending metrics; puts them back if it fails. */
  private async withDelta<T>(run: (delta: MetricsSnapshot) => Promise<T>): Promise<T> {
    const delta = this.metrics.takeDelta();
    try {
      return await run(delta);
    } catch (e) {
      this.metrics.restore(delta);
      throw e;
    }
  }

  /** Persisted totals plus what this instance has not persisted yet. */
  async metricsSnapshot(): Promise<MetricsSnapshot> {
    const saved = await this.options.backend.loadMetrics();
    return mergeSnapshot(saved, structuredClone(this.metrics.peek()));
  }

  /** Persists pending metric deltas now. */
  async flushMetrics(): Promise<void> {
    await this.withDelta((delta) => this.options.backend.saveMetrics(delta));
  }

  // Latencies are only known after a transaction: persist them soon after.
  private scheduleMetricsFlush(): void {
    if (this.metricsFlush !== null) return;
    this.metricsFlush = setTimeout(() => {
      this.metricsFlush = null;
      this.flushMetrics().catch(() => undefined);
    }, 50);
  }

  /** Persists pending metrics, then closes the backend. */
  async close(): Promise<void> {
    if (this.metricsFlush !== null) clearTimeout(this.metricsFlush);
    this.metricsFlush = null;
    await this.flushMetrics().catch(() => undefined);
    this.options.backend.close();
  }
}
