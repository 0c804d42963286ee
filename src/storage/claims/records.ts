/**
 * The records port of the claim engine (src/messaging/receive/README.md):
 * what a claim store keeps, and the one transaction it offers. Two
 * implementations: {@link MemoryClaimRecords} and {@link IdbClaimRecords}.
 */

/** One claimed id of one scope. `holder` set: claimed by that engine, not yet handed; absent: handed. */
export interface ClaimRecord {
  scope: string;
  id: string;
  /** When it was last written (ms since the epoch): the oldest are forgotten first. */
  at: number;
  holder?: string;
}

/** A record's key: [scope, id]. */
export type ClaimKey = readonly [scope: string, id: string];

/** What one transaction writes, decided from what it read. */
export interface ClaimWrites {
  put: ClaimRecord[];
  delete: ClaimKey[];
}

/**
 * Where claim records live. Everything happens in {@link transact}: one
 * atomic read-decide-write, so two engines sharing the records (two tabs)
 * never both take one id.
 */
export interface ClaimRecords {
  /**
   * In one transaction: writes `before` (marks that need no read), reads
   * the records of `keys` (in order, undefined where none), hands them to
   * `decide`, writes what it returns, and trims each scope written past its
   * bound (oldest first). `decide` runs synchronously inside the
   * transaction; returning null writes nothing more (the caller asks again
   * later). Resolves once committed.
   */
  transact(before: ClaimRecord[], keys: readonly ClaimKey[], decide: (found: Array<ClaimRecord | undefined>) => ClaimWrites | null): Promise<void>;
  /** Lets go of the storage; later calls reopen it. */
  close(): void;
}

/** Default bound on remembered ids per scope: the oldest are forgotten first. */
export const DEFAULT_MAX_PER_SCOPE = 10_000;
