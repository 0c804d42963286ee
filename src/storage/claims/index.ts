/** Claim records (the seen-id set's storage): the port and its two implementations. */
export { DEFAULT_MAX_PER_SCOPE, type ClaimKey, type ClaimRecord, type ClaimRecords, type ClaimWrites } from "./records.ts";
export { MemoryClaimRecords } from "./memory.ts";
export { IdbClaimRecords } from "./indexeddb.ts";
