import type { QueueInfo } from "../core/backend.ts";
import { InvalidRequestError } from "../core/errors.ts";
import { isPlainObject } from "../core/options.ts";
import type { ListedMessage, OfflineStore, PoppedMessage, WriteResult } from "../core/offline-store.ts";
import type { QuarantinedRecord } from "../core/record.ts";
import type { StoreConfig } from "./config.ts";
import type { MetricsReport } from "../core/store-api.ts";
import type { DeadLetter } from "../core/dead-letter.ts";

export type { MetricsReport };

/** Version tag on every request, so a page and a worker of different builds notice. */
export const PROTOCOL = "offline-edge/1";

/** Name of the BroadcastChannel on which store hosts publish their events to every tab. */
export const EVENTS_CHANNEL = "offline-edge:events";

/** Most stanzas one write request may carry, and most keys one ack. */
export const MAX_BATCH = 10_000;

/** The operations a page may ask of the store host, with their arguments. */
export interface Ops {
  /** One or more write calls (coalesced by the client), each stored or refused on its own. */
  write: [calls: unknown[][]];
  pop: [owner: string, limit?: number];
  peek: [owner: string, limit?: number, after?: [string, number, number]];
  ack: [owner: string, keys: Array<[string, number, number]>];
  requeued: [owner: string, ids: string[]];
  bury: [owner: string, key: [string, number, number], error: { type: string; condition: string; text?: string }];
  deadLetter: [stanza: string, error: { type: string; condition: string; text?: string }];
  deadLetters: [owner?: string];
  retryDead: [owner: string, keys: Array<[string, number, number]>];
  discardDead: [owner: string, keys: Array<[string, number, number]>];
  count: [owner: string];
  list: [owner: string, limit?: number];
  queues: [];
  limitOf: [owner: string];
  removeUser: [owner: string];
  removeExpired: [];
  removeOlderThan: [days: number];
  export: [owner: string];
  metrics: [];
  quarantined: [];
  configure: [config: StoreConfig];
}

export type Op = keyof Ops;

/** What each operation answers. */
export interface Results {
  write: Array<Reply<WriteResult[]>>;
  pop: PoppedMessage[];
  peek: PoppedMessage[];
  ack: number;
  requeued: null;
  bury: boolean;
  deadLetter: boolean;
  deadLetters: DeadLetter[];
  retryDead: number;
  discardDead: number;
  count: number;
  list: ListedMessage[];
  queues: QueueInfo[];
  limitOf: number;
  removeUser: number;
  removeExpired: number;
  removeOlderThan: number;
  export: Awaited<ReturnType<OfflineStore["export"]>>;
  metrics: MetricsReport;
  quarantined: QuarantinedRecord[];
  configure: null;
}

/** One request: an operation and its arguments. */
export interface Request<O extends Op = Op> {
  protocol: typeof PROTOCOL;
  op: O;
  args: Ops[O];
}

/** The reply: a value, or a typed error in its plain form. */
export type Reply<T = unknown> = { ok: true; value: T } | { ok: false; error: { code: string; message: string } };

const isString = (v: unknown): v is string => typeof v === "string";
const isLimit = (v: unknown) => v === undefined || (Number.isInteger(v) && (v as number) > 0);
const isKey = (k: unknown) =>
  Array.isArray(k) && k.length === 3 && isString(k[0]) && Number.isFinite(k[1]) && Number.isFinite(k[2]);

const isStanzaError = (e: unknown) =>
  isPlainObject(e) && isString(e.type) && isString(e.condition) && (e.text === undefined || isString(e.text));

function list(v: unknown, item: (x: unknown) => boolean, what: string): boolean {
  if (!Array.isArray(v)) return false;
  if (v.length > MAX_BATCH) throw new InvalidRequestError(`Too many ${what} in one request: ${v.length} > ${MAX_BATCH}.`);
  // By index, not every(): a hole is a missing item, not no item.
  for (let i = 0; i < v.length; i++) if (!item(v[i])) return false;
  return true;
}

/**
 * Checks one write call's stanzas: each call of a coalesced request
 * succeeds or fails on its own, so this runs per call, in the host.
 */
export function checkWriteCall(stanzas: unknown): string[] {
  if (!list(stanzas, isString, "stanzas")) throw new InvalidRequestError("write takes an array of stanza strings.");
  return stanzas as string[];
}

function total(calls: unknown[][]): boolean {
  const n = calls.reduce((sum, c) => sum + c.length, 0);
  if (n > MAX_BATCH) throw new InvalidRequestError(`Too many stanzas in one request: ${n} > ${MAX_BATCH}.`);
  return true;
}

// Argument checks per operation. JIDs and stanzas are checked in depth by the store itself.
const CHECKS: { [O in Op]: (a: unknown[]) => boolean } = {
  // Only the shape here: each call's stanzas are checked on their own (checkWriteCall).
  write: (a) => a.length === 1 && list(a[0], Array.isArray, "calls") && total(a[0] as unknown[][]),
  pop: (a) => a.length <= 2 && isString(a[0]) && isLimit(a[1]),
  peek: (a) => a.length <= 3 && isString(a[0]) && isLimit(a[1]) && (a[2] === undefined || isKey(a[2])),
  ack: (a) => a.length === 2 && isString(a[0]) && list(a[1], isKey, "keys"),
  requeued: (a) => a.length === 2 && isString(a[0]) && list(a[1], isString, "ids"),
  bury: (a) => a.length === 3 && isString(a[0]) && isKey(a[1]) && isStanzaError(a[2]),
  deadLetter: (a) => a.length === 2 && isString(a[0]) && isStanzaError(a[1]),
  deadLetters: (a) => a.length <= 1 && (a[0] === undefined || isString(a[0])),
  retryDead: (a) => a.length === 2 && isString(a[0]) && list(a[1], isKey, "keys"),
  discardDead: (a) => a.length === 2 && isString(a[0]) && list(a[1], isKey, "keys"),
  count: (a) => a.length === 1 && isString(a[0]),
  list: (a) => a.length <= 2 && isString(a[0]) && isLimit(a[1]),
  queues: (a) => a.length === 0,
  limitOf: (a) => a.length === 1 && isString(a[0]),
  removeUser: (a) => a.length === 1 && isString(a[0]),
  removeExpired: (a) => a.length === 0,
  removeOlderThan: (a) => a.length === 1 && typeof a[0] === "number" && a[0] >= 0,
  export: (a) => a.length === 1 && isString(a[0]),
  metrics: (a) => a.length === 0,
  quarantined: (a) => a.length === 0,
  configure: (a) => a.length === 1 && isPlainObject(a[0]),
};

/**
 * Checks that untrusted data is a well-formed request. The store host is a
 * trust boundary: anything else gets a typed error, and nothing runs.
 */
export function parseRequest(data: unknown): Request {
  if (!isPlainObject(data)) throw new InvalidRequestError("A request must be an object.");
  if (data.protocol !== PROTOCOL) throw new InvalidRequestError(`Unknown protocol ${JSON.stringify(data.protocol)}; expected ${PROTOCOL}.`);
  const op = data.op;
  if (!isString(op) || !Object.hasOwn(CHECKS, op)) throw new InvalidRequestError(`Unknown operation ${JSON.stringify(op)}.`);
  const args = data.args;
  if (!Array.isArray(args) || !CHECKS[op as Op](args)) throw new InvalidRequestError(`Bad arguments for ${op}.`);
  return { protocol: PROTOCOL, op: op as Op, args: args as Ops[Op] };
}
