import { option } from "../../core/options.ts";
import { DEFAULT_MAX_PER_SCOPE, type ClaimKey, type ClaimRecord, type ClaimRecords, type ClaimWrites } from "./records.ts";

/**
 * Claim records in memory, for as long as this JS context lives. A Map
 * iterates in insertion order, and a write re-inserts, so the first record
 * of a scope is the oldest; each scope is trimmed to its bound at once.
 */
export class MemoryClaimRecords implements ClaimRecords {
  private readonly scopes = new Map<string, Map<string, ClaimRecord>>();
  private readonly max: number;

  constructor(options: { maxPerScope?: number } = {}) {
    this.max = option.positiveInteger("maxPerScope", options.maxPerScope, DEFAULT_MAX_PER_SCOPE);
  }

  async transact(before: ClaimRecord[], keys: readonly ClaimKey[], decide: (found: Array<ClaimRecord | undefined>) => ClaimWrites | null): Promise<void> {
    this.transactNow(before, keys, decide);
  }

  /** {@link transact}, synchronously; returns what it wrote, in order (for a log of the writes). */
  transactNow(before: ClaimRecord[], keys: readonly ClaimKey[], decide: (found: Array<ClaimRecord | undefined>) => ClaimWrites | null): ClaimWrites[] {
    const written: ClaimWrites[] = [];
    if (before.length) written.push(this.write({ put: before, delete: [] }));
    const writes = decide(keys.map(([scope, id]) => this.scopes.get(scope)?.get(id)));
    if (writes && (writes.put.length || writes.delete.length)) written.push(this.write(writes));
    return written;
  }

  /** How many records there are, over every scope. */
  get size(): number {
    let n = 0;
    for (const ids of this.scopes.values()) n += ids.size;
    return n;
  }

  /** Every record, each scope oldest first: what {@link write} needs to rebuild this state. */
  records(): ClaimRecord[] {
    return [...this.scopes.values()].flatMap((ids) => [...ids.values()]);
  }

  /** Applies writes: deletes, then puts (a put makes its record the newest of its scope); trims each scope grown. */
  write(writes: ClaimWrites): ClaimWrites {
    for (const [scope, id] of writes.delete) this.scopes.get(scope)?.delete(id);
    const grown = new Set<Map<string, ClaimRecord>>();
    for (const r of writes.put) {
      let ids = this.scopes.get(r.scope);
      if (!ids) this.scopes.set(r.scope, (ids = new Map()));
      ids.delete(r.id);
      ids.set(r.id, { ...r });
      grown.add(ids);
    }
    for (const ids of grown) for (const old of ids.keys()) {
      if (ids.size <= this.max) break;
      ids.delete(old);
    }
    return writes;
  }

  close(): void {
    this.scopes.clear();
  }
}
