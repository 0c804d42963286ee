/** The synchronous key-value storage a journal writes to: `localStorage` in a page. */
export type JournalStorage = Pick<Storage, "getItem" | "setItem" | "removeItem" | "key" | "length">;

/** Key of one journal entry: this prefix, the holder id, `:`, a sequence number. */
const PREFIX = "offline-edge:handed:";

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
 *
 * One small key per handover batch, removed once its IndexedDB write has
 * committed: a drain costs two short writes per batch, whatever the backlog.
 */
export class HandedJournal {
  private seq = 0;

  constructor(
    private readonly storage: JournalStorage,
    private readonly holder: string,
  ) {}

  /** Records ids as handed, synchronously; returns the entry's key for {@link committed}, or null if storage refused. */
  add(scope: string, ids: readonly string[]): string | null {
    const key = `${PREFIX}${this.holder}:${++this.seq}`;
    try {
      this.storage.setItem(key, JSON.stringify([scope, ids]));
      return key;
    } catch {
      return null; // quota or access: the IndexedDB mark still follows; only a tab dying first would show a repeat
    }
  }

  /** The entry's IndexedDB marks have committed: it is no longer needed. */
  committed(key: string | null): void {
    if (key !== null) removeQuietly(this.storage, key);
  }

  /** Whether `holder`'s journal says it handed (scope, id) to its app. */
  static has(storage: JournalStorage, holder: string, scope: string, id: string): boolean {
    return entries(storage, (h) => h === holder).some(([, s, ids]) => s === scope && ids.includes(id));
  }

  /** Every (scope, ids) in the journals of holders not in `live`, with a function that removes those entries. */
  static orphans(storage: JournalStorage, live: ReadonlySet<string>): { entries: Array<[string, string[]]>; drop: () => void } {
    const found = entries(storage, (h) => !live.has(h));
    return { entries: found.map(([, scope, ids]) => [scope, ids]), drop: () => found.forEach(([key]) => removeQuietly(storage, key)) };
  }
}

/**
 * The journal entries of holders that match, as [key, scope, ids]; entries
 * that are not ours are skipped. Storage that cannot be read reads as empty:
 * at worst, a message is shown again.
 */
function entries(storage: JournalStorage, holderMatches: (holder: string) => boolean): Array<[string, string, string[]]> {
  const out: Array<[string, string, string[]]> = [];
  try {
    for (let i = 0; i < storage.length; i++) {
      const key = storage.key(i);
      if (!key?.startsWith(PREFIX) || !holderMatches(key.slice(PREFIX.length, key.lastIndexOf(":")))) continue;
      const entry = parse(storage.getItem(key));
      if (entry) out.push([key, ...entry]);
    }
  } catch {
    return [];
  }
  return out;
}

function removeQuietly(storage: JournalStorage, key: string): void {
  try {
    storage.removeItem(key);
  } catch {
    // Left behind: a later tab folds it in and tries again.
  }
}

function parse(text: string | null): [string, string[]] | null {
  try {
    const v: unknown = JSON.parse(text ?? "null");
    if (!Array.isArray(v) || typeof v[0] !== "string" || !Array.isArray(v[1])) return null;
    return v[1].every((id) => typeof id === "string") ? [v[0], v[1] as string[]] : null;
  } catch {
    return null;
  }
}
