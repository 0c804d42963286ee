/** The synchronous key-value storage a journal writes to: `localStorage` in a page. */
export type JournalStorage = Pick<Storage, "getItem" | "setItem" | "removeItem" | "key" | "length">;

const PREFIX = "offline-edge:handed:";

/** One journal entry: JSON, so any scope or id string round-trips. */
const entry = (scope: string, id: string) => JSON.stringify([scope, id]);

/** The page's `localStorage`, or null where there is none (workers) or it refuses access. */
export function defaultJournalStorage(): JournalStorage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null; // SecurityError: storage blocked for this origin
  }
}

/**
 * One seen-set instance's record of ids it handed to its app whose
 * IndexedDB "handed" mark has not committed yet.
 *
 * Why: an app keeps what it shows synchronously (in the same task as the
 * handover), but IndexedDB commits later. A tab closed in between would
 * leave the id "held by a dead inbox", which the next tab takes as never
 * shown, and shows again. The journal is written synchronously in the
 * handover's task, so it survives whatever the app's own write survives,
 * and the next claimant reads it before deciding.
 */
export class HandedJournal {
  private readonly pending = new Set<string>();

  constructor(
    private readonly storage: JournalStorage,
    private readonly holder: string,
  ) {}

  /** Records ids as handed, synchronously. */
  add(scope: string, ids: readonly string[]): void {
    for (const id of ids) this.pending.add(entry(scope, id));
    this.write();
  }

  /** The ids' IndexedDB marks have committed: they no longer need the journal. */
  committed(scope: string, ids: readonly string[]): void {
    for (const id of ids) this.pending.delete(entry(scope, id));
    this.write();
  }

  private write(): void {
    try {
      if (this.pending.size) this.storage.setItem(PREFIX + this.holder, JSON.stringify([...this.pending]));
      else this.storage.removeItem(PREFIX + this.holder);
    } catch {
      // Quota or access: the IndexedDB mark still follows; only a tab dying first would show a repeat.
    }
  }

  /** Whether `holder`'s journal says it handed (scope, id) to its app. */
  static has(storage: JournalStorage, holder: string, scope: string, id: string): boolean {
    return HandedJournal.read(storage, holder).includes(entry(scope, id));
  }

  /** Every (scope, id) in the journals of holders not in `live`, with a function that removes those journals. */
  static orphans(storage: JournalStorage, live: ReadonlySet<string>): { entries: Array<[string, string]>; drop: () => void } {
    const holders: string[] = [];
    for (let i = 0; i < storage.length; i++) {
      const key = storage.key(i);
      if (key?.startsWith(PREFIX) && !live.has(key.slice(PREFIX.length))) holders.push(key.slice(PREFIX.length));
    }
    const entries = holders.flatMap((h) => HandedJournal.read(storage, h)).flatMap(split);
    return { entries, drop: () => holders.forEach((h) => storage.removeItem(PREFIX + h)) };
  }

  private static read(storage: JournalStorage, holder: string): string[] {
    try {
      const parsed: unknown = JSON.parse(storage.getItem(PREFIX + holder) ?? "[]");
      return Array.isArray(parsed) ? parsed.filter((e): e is string => typeof e === "string") : [];
    } catch {
      return [];
    }
  }
}

/** An entry back as [scope, id]; none for one that is not ours (another script wrote the key). */
function split(e: string): Array<[string, string]> {
  try {
    const v: unknown = JSON.parse(e);
    return Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === "string") ? [v as [string, string]] : [];
  } catch {
    return [];
  }
}
