import { SeenIdsClosedError } from "../../core/errors.ts";
import { MicroBatcher } from "../../core/micro-batch.ts";
import { randomId } from "../../core/id.ts";
import { option } from "../../core/options.ts";
import type { ClaimKey, ClaimRecord, ClaimRecords, ClaimWrites } from "../../storage/claims/records.ts";
import { decideClaim } from "./decide.ts";
import { HandedJournal, type JournalStorage } from "./handed-journal.ts";

/** Default bound on a claim's wait for an id another inbox holds. */
export const DEFAULT_MAX_WAIT_MS = 5000;

/** The part of the Web Locks API the engine uses to tell live holders from dead ones. */
export type HolderLocks = Pick<LockManager, "request" | "query">;

/** What a {@link ClaimEngine} runs on. */
export interface ClaimEngineOptions {
  records: ClaimRecords;
  /** How long a claim waits on an id a live inbox holds before taking it anyway. Default 5000 ms. */
  maxWaitMs?: number;
  /** null: no Web Locks (no holder can be told dead: a claim of a held id waits out `maxWaitMs`). */
  locks: HolderLocks | null;
  /** null: no journal (a tab closed mid-handover may show a message twice). */
  journal: JournalStorage | null;
}

/** Each live engine holds a Web Lock by this prefix and its holder id, for as long as it runs. */
export const HOLDER_LOCK = "offline-edge:seen-holder:";

/** Pause before asking again about an id someone holds: 20 ms, doubling to 1 s (a local handover or release wakes it at once). */
const pauseMs = (waits: number) => Math.min(20 * 2 ** waits, 1000);

/** One (scope, id) as a string key; JSON, so no scope or id can run into another. */
const keyOf = (scope: string, id: string) => JSON.stringify([scope, id]);

interface ClaimOp {
  kind: "claim";
  scope: string;
  id: string;
  startedAt: number;
  waits: number;
  resolve: (fresh: boolean) => void;
  reject: (e: unknown) => void;
}
interface MarkOp {
  kind: "handed" | "release";
  scope: string;
  ids: string[];
  resolve: () => void;
  reject: (e: unknown) => void;
}
type Op = ClaimOp | MarkOp;

/**
 * The claim engine: the one implementation of the seen-id rules over any
 * {@link ClaimRecords}. Claims, handed marks and releases that arrive
 * while a transaction runs share the next one (group commit: one
 * transaction per batch, marks and claims together); each claim is
 * decided by {@link decideClaim}; a claim told to wait is asked again
 * after a pause, or at once when this engine hands over or releases the
 * id. The state of a claimed id and its transitions: README.md beside
 * this file. This engine's `inHand` set is the only in-memory part of it.
 */
export class ClaimEngine {
  /** This engine's holder id (in records and the journal, and its Web Lock's name). */
  readonly holder = randomId();
  /** Ids this engine claimed and has neither handed nor released (README: "held by me, in hand"). */
  private readonly inHand = new Set<string>();
  private readonly batcher = new MicroBatcher<Op>((batch) => this.flush(batch));
  /** Claims pausing before they ask again, by id key. */
  private readonly paused = new Map<string, Map<ReturnType<typeof setTimeout>, ClaimOp>>();
  private readonly records: ClaimRecords;
  private readonly maxWaitMs: number;
  private readonly locks: HolderLocks | null;
  private readonly storage: JournalStorage | null;
  private readonly journal: HandedJournal | null;
  private releaseHolder: () => void = () => undefined;
  private orphansFolded = false;
  private closed = false;

  constructor(options: ClaimEngineOptions) {
    this.records = options.records;
    this.maxWaitMs = option.duration("maxWaitMs", options.maxWaitMs, DEFAULT_MAX_WAIT_MS);
    this.locks = options.locks;
    this.storage = options.journal;
    this.journal = this.storage && new HandedJournal(this.storage, this.holder);
    if (this.locks) {
      const held = new Promise<void>((resolve) => (this.releaseHolder = resolve));
      void this.locks.request(HOLDER_LOCK + this.holder, () => held).catch(() => undefined);
    }
  }

  /** True when nobody had the id (or its holder died without handing it over); waits while a live inbox holds it. */
  claim(scope: string, id: string): Promise<boolean> {
    if (this.closed) return Promise.reject(new SeenIdsClosedError());
    return new Promise((resolve, reject) => this.batcher.add({ kind: "claim", scope, id, startedAt: Date.now(), waits: 0, resolve, reject }));
  }

  /**
   * The ids reached the app. Call it in the handover's task: the journal
   * is written at once, the records with the next batch.
   */
  handed(scope: string, ids: string[]): Promise<void> {
    const entry = this.journal?.add(scope, ids) ?? null;
    for (const id of ids) this.inHand.delete(keyOf(scope, id));
    this.wake(scope, ids);
    if (this.closed) return Promise.resolve(); // the journal has them: the next engine folds it in
    return this.mark("handed", scope, ids).then(() => this.journal?.committed(entry));
  }

  /** Gives up ids this engine claimed and never handed over, so another inbox may take them now. */
  release(scope: string, ids: string[]): Promise<void> {
    if (this.closed) return Promise.resolve(); // the holder lock goes with it: the ids are free anyway
    return this.mark("release", scope, ids);
  }

  private mark(kind: MarkOp["kind"], scope: string, ids: string[]): Promise<void> {
    return new Promise((resolve, reject) => this.batcher.add({ kind, scope, ids, resolve, reject }));
  }

  /** One batch, one transaction (two when a holder's liveness must be asked first). */
  private async flush(batch: Op[]): Promise<void> {
    const claims = batch.filter((op): op is ClaimOp => op.kind === "claim");
    const marks = batch.filter((op): op is MarkOp => op.kind === "handed");
    const releases = batch.filter((op): op is MarkOp => op.kind === "release");
    if (this.closed) for (const c of claims.splice(0)) c.reject(new SeenIdsClosedError());
    const now = Date.now();
    let before: ClaimRecord[] = marks.flatMap((m) => m.ids.map((id) => ({ scope: m.scope, id, at: now })));
    const orphans = await this.foldOrphans(before);
    let live = orphans?.live;
    const keys: ClaimKey[] = [...releases.flatMap((r) => r.ids.map((id) => [r.scope, id] as const)), ...claims.map((c) => [c.scope, c.id] as const)];
    const answers: Array<boolean | "wait"> = [];
    try {
      for (;;) {
        let unknownHolder = false;
        await this.records.transact(before, keys, (found) => {
          const writes = this.decideBatch(claims, found.slice(keys.length - claims.length), live, now, answers);
          if (!writes) return (unknownHolder = true), null;
          for (const r of found.slice(0, keys.length - claims.length)) if (r?.holder === this.holder) writes.delete.push([r.scope, r.id]);
          return writes;
        });
        if (!unknownHolder) break;
        before = []; // written by the first transaction
        live = await this.liveHolders();
      }
    } catch (e) {
      for (const op of batch) if (op.kind !== "claim" || claims.includes(op)) op.reject(e);
      return;
    }
    orphans?.drop();
    marks.forEach((m) => m.resolve());
    for (const r of releases) {
      for (const id of r.ids) this.inHand.delete(keyOf(r.scope, id)); // only now: until the delete commits, a claim must wait
      this.wake(r.scope, r.ids);
      r.resolve();
    }
    claims.forEach((c, i) => this.answer(c, answers[i]!));
  }

  /**
   * Decides each claim of a batch from its record; null when a record is
   * held by another engine whose liveness has not been asked yet.
   */
  private decideBatch(claims: ClaimOp[], found: Array<ClaimRecord | undefined>, live: Set<string> | null | undefined, now: number, answers: Array<boolean | "wait">): ClaimWrites | null {
    if (live === undefined && found.some((r) => r?.holder !== undefined && r.holder !== this.holder)) return null;
    const writes: ClaimWrites = { put: [], delete: [] };
    const granted = new Set<string>();
    claims.forEach((c, i) => {
      const record = found[i];
      const key = keyOf(c.scope, c.id);
      const other = record?.holder !== undefined && record.holder !== this.holder ? record.holder : null;
      const decision = decideClaim({
        record,
        me: this.holder,
        inHand: this.inHand.has(key),
        holderAlive: other === null || !live ? null : live.has(other),
        journaled: other !== null && this.storage !== null && HandedJournal.has(this.storage, other, c.scope, c.id),
        waitedMs: now - c.startedAt,
        maxWaitMs: this.maxWaitMs,
        grantedInBatch: granted.has(key),
      });
      if (decision.kind === "grant") {
        granted.add(key);
        writes.put.push({ scope: c.scope, id: c.id, at: now, holder: this.holder });
      } else if (decision.kind === "repair-then-repeat") writes.put.push({ scope: c.scope, id: c.id, at: now });
      answers[i] = decision.kind === "grant" ? true : decision.kind === "wait" ? "wait" : false;
    });
    return writes;
  }

  /** Resolves a decided claim (a grant is now in hand); one told to wait pauses, then asks again. */
  private answer(c: ClaimOp, answer: boolean | "wait"): void {
    if (answer === true) this.inHand.add(keyOf(c.scope, c.id));
    if (answer !== "wait") return c.resolve(answer);
    if (this.closed) return c.reject(new SeenIdsClosedError());
    const key = keyOf(c.scope, c.id);
    let timers = this.paused.get(key);
    if (!timers) this.paused.set(key, (timers = new Map()));
    const timer = setTimeout(() => this.resume(key, timer), pauseMs(c.waits));
    timers.set(timer, { ...c, waits: c.waits + 1 });
  }

  private resume(key: string, timer: ReturnType<typeof setTimeout>): void {
    const timers = this.paused.get(key);
    const c = timers?.get(timer);
    timers?.delete(timer);
    if (timers?.size === 0) this.paused.delete(key);
    if (c) this.batcher.add(c);
  }

  /** This engine handed over or released these ids: claims pausing on them ask again now. */
  private wake(scope: string, ids: string[]): void {
    for (const id of ids) {
      const key = keyOf(scope, id);
      for (const timer of [...(this.paused.get(key)?.keys() ?? [])]) {
        clearTimeout(timer);
        this.resume(key, timer);
      }
    }
  }

  /** Holder ids of engines still running (in any tab), or null without Web Locks. */
  private async liveHolders(): Promise<Set<string> | null> {
    if (!this.locks) return null;
    const { held = [] } = await this.locks.query();
    const names = held.map((l) => l.name ?? "").filter((n) => n.startsWith(HOLDER_LOCK));
    return new Set([this.holder, ...names.map((n) => n.slice(HOLDER_LOCK.length))]);
  }

  /**
   * Once, in the first batch: journals left by engines that died
   * mid-handover become handed records (added to `before`); `drop`
   * removes those entries once the batch has committed.
   */
  private async foldOrphans(before: ClaimRecord[]): Promise<{ live: Set<string> | null; drop: () => void } | undefined> {
    if (this.orphansFolded || !this.storage) return undefined;
    this.orphansFolded = true;
    const live = await this.liveHolders();
    if (!live) return { live, drop: () => undefined };
    const { entries, drop } = HandedJournal.orphans(this.storage, live);
    const now = Date.now();
    for (const [scope, ids] of entries) for (const id of ids) before.push({ scope, id, at: now });
    return { live, drop };
  }

  /**
   * Takes no more claims; claims still waiting fail with
   * {@link SeenIdsClosedError} (the inbox refuses their messages, which
   * their senders keep). Lets go of the holder lock once the batches in
   * flight are written, so no id is freed before it is marked handed.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const timers of this.paused.values()) {
      for (const [timer, c] of timers) {
        clearTimeout(timer);
        c.reject(new SeenIdsClosedError());
      }
    }
    this.paused.clear();
    void this.batcher.idle().then(() => {
      this.releaseHolder();
      this.records.close();
    });
  }
}
