// Types for prosody.mjs (plain JS so node scripts can import it untranspiled).
import type { EventEmitter } from "node:events";
import type { Element } from "@xmpp/xml";

export interface StartOptions {
  /** Keep Prosody's own mod_offline (XEP-0160) loaded. Default false: messages to offline users bounce. */
  offline?: boolean;
  /** Accounts registered before start. Default alice/secret and bob/secret. */
  users?: Array<[string, string]>;
  /** Deadline for the c2s and WebSocket ports to come up. Default 15000. */
  startTimeoutMs?: number;
  /** Minimum level written to prosody.log. Default "info". */
  logLevel?: "debug" | "info" | "warn" | "error";
  /** smacks_hibernation_time: how long a session that dropped without </stream> is kept. Default 60 (Prosody: 600). */
  smacksHibernationSeconds?: number;
}

export interface ProsodyServer {
  c2sPort: number;
  httpPort: number;
  /** ws://127.0.0.1:PORT/xmpp-websocket */
  wsUrl: string;
  /** xmpp://127.0.0.1:PORT */
  tcpUrl: string;
  /** "localhost" */
  domain: string;
  /** Temp dir with prosody.cfg.lua, data/, prosody.log, prosody.pid; removed by stop(). */
  dir: string;
  configFile: string;
  logFile: string;
  pid: number;
  /** Whether mod_offline is loaded. */
  offline: boolean;
  /** prosodyctl register USER localhost PASS (works while the server runs). */
  register(user: string, pass: string): Promise<void>;
  readLog(): Promise<string>;
  /** SIGTERM (SIGKILL after 5 s), wait for exit, remove dir. Idempotent. */
  stop(): Promise<void>;
}

export function startProsody(options?: StartOptions): Promise<ProsodyServer>;

/** The `node test/prosody/prosody.mjs [--offline]` entry point. */
export function main(): Promise<void>;

export interface ClientOptions {
  username: string;
  /** Default "secret". */
  password?: string;
  /** Default "r1". */
  resource?: string;
  /** Default "tcp". "ws" needs a global WebSocket (not in Node 20 without --experimental-websocket). */
  transport?: "tcp" | "ws";
  /**
   * Default "PLAIN" (fast; allowed by the harness config). "auto" lets
   * @xmpp/client choose, which is SCRAM-SHA-1 on plain TCP: ~0.5 s of
   * pure-JS PBKDF2 (i=10000) per login.
   */
  mechanism?: "PLAIN" | "auto";
}

/** @xmpp/stream-management 0.14 (XEP-0198), as attached to the client. */
export interface StreamManagement extends EventEmitter {
  /** True once the server answered <enable/> with <enabled/>. */
  enabled: boolean;
  /** Resumption id from <enabled id=…/>. */
  id: string;
  /** Count of our stanzas the server has acked. */
  outbound: number;
  /** Count of stanzas we have received (our h). */
  inbound: number;
  /** Sent but not yet acked. */
  outbound_q: Array<{ stanza: Element; stamp: string }>;
  /** Idle interval between <r/> requests (ms, default 30000). */
  requestAckInterval: number;
  /** Delay after a send before <r/> is sent (ms, default 250). */
  requestAckDebounce: number;
  /** Disconnect if no <a/> within this many ms of an <r/> (default 60000). */
  timeout: number;
  on(event: "ack" | "fail", listener: (stanza: Element) => void): this;
  on(event: "resumed", listener: () => void): this;
}

/** The subset of the @xmpp/client 0.14 instance our tests use. */
export interface XmppClient extends EventEmitter {
  status: string;
  jid: { toString(): string; bare(): { toString(): string } } | null;
  start(): Promise<unknown>;
  stop(): Promise<unknown>;
  send(stanza: Element): Promise<void>;
  iqCaller: { request(stanza: Element, timeout?: number): Promise<Element> };
  streamManagement: StreamManagement;
  /** Transport socket: a node:net Socket for xmpp:// (internal; used by tests to simulate failures). */
  socket: unknown;
  reconnect: EventEmitter & { delay: number; stop(): void };
  on(event: "stanza", listener: (stanza: Element) => void): this;
  on(event: "online", listener: (jid: { toString(): string }) => void): this;
  on(event: "error", listener: (err: Error) => void): this;
  on(event: string, listener: (...args: unknown[]) => void): this;
}

export function createClient(
  server: Pick<ProsodyServer, "tcpUrl" | "wsUrl" | "domain">,
  options: ClientOptions,
): Promise<XmppClient>;

export interface ConnectOptions extends ClientOptions {
  /** Send initial presence and wait for Prosody's echo of it. Default false. */
  presence?: boolean;
  /** Per-step deadline (ms). Default 5000. */
  timeoutMs?: number;
}

/**
 * createClient + start(), then wait for XEP-0198 <enabled/> and (with
 * `presence: true`) for the echo of our initial presence.
 */
export function connectClient(
  server: Pick<ProsodyServer, "tcpUrl" | "wsUrl" | "domain">,
  options: ConnectOptions,
): Promise<XmppClient>;

/** Next incoming top-level element (stanza or nonza) matching predicate. */
export function nextElement(
  xmpp: EventEmitter,
  predicate: (element: Element) => boolean,
  timeoutMs?: number,
  what?: string,
): Promise<Element>;

/** Next incoming stanza (message/presence/iq) matching predicate. */
export function nextStanza(
  xmpp: EventEmitter,
  predicate: (stanza: Element) => boolean,
  timeoutMs?: number,
  what?: string,
): Promise<Element>;
