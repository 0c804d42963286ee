import { OfflineEdgeError, reviveError } from "../core/errors.ts";
import type { StoreEvent, StoreListener } from "../core/events.ts";
import type { RecordKey } from "../core/record.ts";
import type { StoreConfig } from "../protocol/config.ts";
import { EVENTS_CHANNEL, PROTOCOL, type Op, type Ops, type Reply, type Request, type Results } from "../protocol/request.ts";
import type { OfflineStoreApi, StoreMode } from "./api.ts";

/** Carries one request to a store host and brings back its reply. */
export type Transport = (request: Request) => Promise<Reply>;

function isEvent(data: unknown): data is StoreEvent {
  return typeof data === "object" && data !== null && typeof (data as { type?: unknown }).type === "string";
}

/**
 * The page's handle on an offline store, whichever host serves it (the
 * service worker, or this page in fallback mode): one class, two transports,
 * so both modes behave the same.
 */
export class ClientStore implements OfflineStoreApi {
  private readonly channel = new BroadcastChannel(EVENTS_CHANNEL);
  private readonly listeners = new Set<StoreListener>();

  constructor(
    readonly mode: StoreMode,
    private readonly transport: Transport,
    private readonly onClose: () => Promise<void> = async () => undefined,
  ) {
    this.channel.onmessage = (m: MessageEvent) => {
      if (!isEvent(m.data)) return;
      for (const l of this.listeners) l(m.data);
    };
  }

  private async call<O extends Op>(op: O, ...args: Ops[O]): Promise<Results[O]> {
    const reply = await this.transport({ protocol: PROTOCOL, op, args });
    if (!reply.ok) throw reviveError(reply.error);
    return reply.value as Results[O];
  }

  /** Sets the store's options (limits, mode, …) for every tab; a bad option is a typed error. */
  async configure(config: StoreConfig): Promise<void> {
    await this.call("configure", config);
  }

  write(stanzas: string[]) {
    return this.call("write", stanzas);
  }
  pop(owner: string, limit?: number) {
    return this.call("pop", owner, limit);
  }
  peek(owner: string, limit?: number) {
    return this.call("peek", owner, limit);
  }
  ack(owner: string, keys: RecordKey[]) {
    return this.call("ack", owner, keys);
  }
  count(owner: string) {
    return this.call("count", owner);
  }
  list(owner: string, limit?: number) {
    return this.call("list", owner, limit);
  }
  queues() {
    return this.call("queues");
  }
  limitOf(owner: string) {
    return this.call("limitOf", owner);
  }
  removeUser(owner: string) {
    return this.call("removeUser", owner);
  }
  removeExpired() {
    return this.call("removeExpired");
  }
  removeOlderThan(days: number) {
    return this.call("removeOlderThan", days);
  }
  export(owner: string) {
    return this.call("export", owner);
  }
  metrics() {
    return this.call("metrics");
  }

  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.channel.close();
    this.listeners.clear();
    await this.onClose();
  }
}

/** Rejects with a typed `timeout` error when a promise takes longer than `ms`. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new OfflineEdgeError("timeout", `${what} did not answer within ${ms} ms.`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
