/** Whether an error is the browser refusing a write for lack of space (IndexedDB's `QuotaExceededError`). */
export function isQuotaError(e: unknown): boolean {
  return typeof e === "object" && e !== null && (e as { name?: unknown }).name === "QuotaExceededError";
}
