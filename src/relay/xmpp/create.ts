import { client as xmppClient, type Authenticate } from "@xmpp/client";
import { xml, type Element } from "@xmpp/xml";
import { option } from "../../core/options.ts";
import { InvalidOptionError, SaslMechanismError } from "../../core/errors.ts";
import { parseAddress } from "../../core/jid.ts";
import { randomId } from "./ids.ts";
import { XmppRelay } from "./relay.ts";
import type { XmppRelayOptions } from "./types.ts";

/** Options of {@link createXmppRelay}: the account to log in with, and relay options. */
export interface CreateXmppRelayOptions extends XmppRelayOptions {
  /**
   * Where to connect; the scheme picks @xmpp/client's transport:
   * `ws://host:port/xmpp-websocket` or `wss://…` (browsers, RFC 7395),
   * `xmpp://host:port` or `xmpps://…` (Node only: TCP is not bundled for browsers).
   */
  service: string;
  /**
   * The user's JID (`alice@example.org`, or with a resource). Its domain is
   * the XMPP domain: never guessed from `service`, whose host is often
   * another name (a WebSocket proxy, 127.0.0.1). Give either this, or
   * `username` and `domain`.
   */
  jid?: string;
  /** The XMPP domain, when `jid` is not given. */
  domain?: string;
  /** The local part, when `jid` is not given. */
  username?: string;
  password: string;
  /** Resource to ask for; default: the server picks one. */
  resource?: string;
  /**
   * SASL mechanism to use, e.g. "PLAIN"; default: @xmpp/client's choice
   * (SCRAM-SHA-1 on Node, never PLAIN over an insecure transport). Login
   * fails if the server does not offer it.
   */
  mechanism?: string;
  /** Priority of our presence (XEP-0160: peers route bare-JID messages to us only at >= 0). Default 0. */
  priority?: number;
  /** Deadline for login and initial presence. Default 10000 ms. */
  startTimeoutMs?: number;
  /** XEP-0388 user agent; default one with a random id (so no crypto.randomUUID, which needs a secure context). */
  userAgent?: Element;
}

/** Username, domain and resource from `jid` (or `username` and `domain`); a typed error when the domain is missing. */
function account(o: CreateXmppRelayOptions): { username: string; domain: string; resource?: string } {
  let username = o.username;
  let domain = o.domain;
  let resource = o.resource;
  if (o.jid !== undefined) {
    let jid;
    try {
      jid = parseAddress(o.jid);
    } catch {
      throw new InvalidOptionError(`jid is not a valid JID: ${JSON.stringify(o.jid)}.`);
    }
    if (!jid.local) throw new InvalidOptionError("jid must name a user (local@domain).");
    if ((username !== undefined && username !== jid.local) || (domain !== undefined && domain !== jid.domain)) {
      throw new InvalidOptionError("jid disagrees with username or domain.");
    }
    username = jid.local;
    domain = jid.domain;
    resource ??= jid.resource || undefined;
  }
  if (!username || !domain) {
    throw new InvalidOptionError("createXmppRelay needs the user's JID (jid, or username and domain); the domain is never taken from the service URL.");
  }
  return { username, domain, ...(resource !== undefined && { resource }) };
}

/**
 * Creates an `@xmpp/client`, logs in, sends initial presence, and resolves
 * once the server has processed it (so contacts on the same server are
 * already known to `isAvailable`). The relay owns the client: it sends
 * initial presence again after every fresh reconnect, and `close()` sends
 * unavailable presence and stops it. Rejects (with the client stopped) if
 * login or presence fail or take longer than `startTimeoutMs`.
 */
export async function createXmppRelay(options: CreateXmppRelayOptions): Promise<XmppRelay> {
  const { service, password, mechanism } = options;
  const { username, domain, resource } = account(options);
  const priority = option.integerIn("priority", options.priority, 0, -128, 127);
  const startTimeoutMs = option.duration("startTimeoutMs", options.startTimeoutMs, 10_000, 1);
  const userAgent = options.userAgent ?? xml("user-agent", { id: randomId() });
  const credentials = mechanism
    ? async (authenticate: Authenticate, offered: string[]) => {
        if (!offered.includes(mechanism)) throw new SaslMechanismError(`The server does not offer SASL ${mechanism} (it offers ${offered.join(", ")}).`);
        await authenticate({ username, password }, mechanism, userAgent);
      }
    : undefined;
  const client = xmppClient({
    service,
    domain,
    ...(resource !== undefined && { resource }),
    username,
    password,
    ...(credentials && { credentials }),
    userAgent,
  });
  const relay = new XmppRelay(client, options, { priority, startTimeoutMs });
  try {
    await relay.start();
  } catch (e) {
    await relay.close();
    throw e;
  }
  return relay;
}
