// Minimal typings for @xmpp/client 0.14 (it ships none): what
// src/relay/xmpp/create.ts calls. The instance is typed only as far as
// XmppClientLike (./types.ts) needs; see the package's README for the rest.
declare module "@xmpp/client" {
  import type { Element } from "@xmpp/xml";
  import type { JID } from "@xmpp/jid";

  type Listener = (...args: never[]) => void;

  export interface StreamManagement {
    enabled: boolean;
    id: string;
    outbound_q: Array<{ stanza: Element; stamp: string }>;
    outbound: number;
    inbound: number;
    requestAckDebounce: number;
    requestAckInterval: number;
    timeout: number;
    on(event: string, listener: Listener): this;
    removeListener(event: string, listener: Listener): this;
  }

  export interface Client {
    status: string;
    jid: JID | null;
    socket: unknown;
    start(): Promise<JID>;
    stop(): Promise<unknown>;
    send(element: Element): Promise<void>;
    isSecure(): boolean;
    streamManagement: StreamManagement;
    reconnect: { delay: number; stop(): void };
    iqCaller: { request(stanza: Element, timeout?: number): Promise<Element> };
    on(event: string, listener: Listener): this;
    removeListener(event: string, listener: Listener): this;
  }

  /** `authenticate(credentials, mechanism, userAgent?)`, as @xmpp/sasl calls the `credentials` callback. */
  export type Authenticate = (
    credentials: { username?: string; password?: string },
    mechanism: string,
    userAgent?: Element,
  ) => Promise<void>;

  export interface ClientOptions {
    /** xmpp://host:port, xmpps://…, ws://…/xmpp-websocket, wss://… (the scheme picks the transport). */
    service?: string;
    domain?: string;
    resource?: string;
    username?: string;
    password?: string;
    /** Called instead of the built-in mechanism choice. */
    credentials?: (authenticate: Authenticate, mechanisms: string[]) => Promise<void>;
    /** XEP-0388 user agent; when absent @xmpp/client builds one with crypto.randomUUID(). */
    userAgent?: Element;
    lang?: string;
    timeout?: number;
  }

  export function client(options?: ClientOptions): Client;
  export { xml } from "@xmpp/xml";
  export { jid } from "@xmpp/jid";
}
