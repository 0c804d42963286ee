import { xml, type Element } from "@xmpp/xml";
import { parseAddress } from "../../core/jid.ts";
import { NS } from "../../core/namespaces.ts";
import type { CapsCache } from "./caps-cache.ts";
import { capsVer } from "./caps-ver.ts";

// Knowing the peer: XEP-0030 service discovery and XEP-0115 entity capabilities.

/** XEP-0030 disco#info namespace. */
export const NS_DISCO_INFO = "http://jabber.org/protocol/disco#info";
/** XEP-0115 entity capabilities namespace. */
export const NS_CAPS = "http://jabber.org/protocol/caps";

/** Sends a disco#info query to a full JID; resolves with the answer (result or error), or null on timeout/disconnect. */
export type DiscoQuery = (to: string, node: string | undefined) => Promise<Element | null>;

interface Resource {
  ver: string | null;
  features: Promise<ReadonlySet<string>>;
}

const NONE: ReadonlySet<string> = new Set();

/** The features in a disco#info result; none for an error (a client without disco) or no answer. */
export function featuresOf(answer: Element | null): ReadonlySet<string> {
  const query = answer?.attrs.type === "result" ? answer.getChild("query", NS_DISCO_INFO) : undefined;
  if (!query) return NONE;
  return new Set(query.getChildren("feature").map((f) => f.attrs.var as string).filter(Boolean));
}

/**
 * What each of the peers' resources supports (for the relay: XEP-0184
 * receipts), learned once per full JID when its available presence comes,
 * and again when its XEP-0115 caps `ver` changes. Answers are cached per
 * `ver` too, so resources running the same client are asked once. (Within
 * a session the caps hash is not verified: a peer that lies about its
 * features only changes how messages to it and to its claimed client
 * version are confirmed.) An answer that does hash to its SHA-1 `ver` is
 * also put in the `cache`, and a later session takes it from there without
 * asking.
 */
export class PeerFeatures {
  private readonly resources = new Map<string, Resource>();
  private readonly byVer = new Map<string, Promise<ReadonlySet<string>>>();
  /** `supports()` answers per bare JID and feature, kept until one of its resources comes, changes or goes: a drain asks once per message. */
  private readonly answers = new Map<string, Promise<boolean>>();

  constructor(
    private readonly query: DiscoQuery,
    private readonly cache: CapsCache | null = null,
  ) {}

  /** An available presence from a full JID: learn its features unless known for its caps. */
  seen(presence: Element): void {
    const from = presence.attrs.from as string | undefined;
    if (!from || !parseAddress(from).resource) return;
    const c = presence.getChild("c", NS_CAPS);
    const ver = c?.attrs.ver ? `${c.attrs.node ?? ""}#${c.attrs.ver}` : null;
    const known = this.resources.get(from);
    if (known && known.ver === ver) return;
    // Only a SHA-1 ver can be checked against its answer, and so kept across sessions.
    const checkable = ver !== null && c?.attrs.hash === "sha-1" ? (c.attrs.ver as string) : null;
    let features = ver ? this.byVer.get(ver) : undefined;
    const kept = !features && checkable ? this.cache?.get(ver!) : undefined;
    if (kept) this.byVer.set(ver!, (features = Promise.resolve(new Set(kept))));
    if (!features) {
      const answer = this.query(from, ver ?? undefined);
      features = answer.then(featuresOf);
      // Only a real answer is worth sharing under its ver.
      if (ver) this.byVer.set(ver, features);
      if (checkable) this.keep(ver!, checkable, answer).catch(() => undefined);
    }
    this.resources.set(from, { ver, features });
    this.forget(from);
  }

  /** A resource (full JID) or, for a bare JID, every resource went away. */
  gone(jid: string): void {
    if (parseAddress(jid).resource) this.resources.delete(jid);
    else for (const full of [...this.resources.keys()]) if (full.startsWith(`${jid}/`)) this.resources.delete(full);
    this.forget(jid);
  }

  /** Forgets every resource (a fresh session); the per-ver cache stays. */
  reset(): void {
    this.resources.clear();
    this.answers.clear();
  }

  /**
   * Whether some resource of `bare` supports `feature`, as soon as every
   * resource has answered, or `waitMs` passed (then: what is known so far).
   */
  supports(bare: string, feature: string, waitMs: number): Promise<boolean> {
    const key = `${bare}\n${feature}`;
    let answer = this.answers.get(key);
    if (!answer) {
      answer = this.ask(bare, feature, waitMs, () => this.answers.get(key) === answer && this.answers.delete(key));
      this.answers.set(key, answer);
    }
    return answer;
  }

  /** Puts an answer in the cache if it hashes to the `ver` it was asked for. */
  private async keep(nodeVer: string, ver: string, answer: Promise<Element | null>): Promise<void> {
    if (!this.cache) return;
    const result = await answer;
    const query = result?.attrs.type === "result" ? result.getChild("query", NS_DISCO_INFO) : undefined;
    if (query && (await capsVer(query)) === ver) this.cache.set(nodeVer, [...featuresOf(result)]);
  }

  /** Every answer about the bare JID of `jid` (one of its resources came, changed or went). */
  private forget(jid: string): void {
    const bare = `${parseAddress(jid).bare().toString()}\n`;
    for (const key of [...this.answers.keys()]) if (key.startsWith(bare)) this.answers.delete(key);
  }

  /** `partial` is called when the wait ended before every resource answered: that answer is not kept. */
  private async ask(bare: string, feature: string, waitMs: number, partial: () => void): Promise<boolean> {
    const pending = [...this.resources].filter(([full]) => full.startsWith(`${bare}/`)).map(([, r]) => r.features);
    if (pending.length === 0) return false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const known: Array<ReadonlySet<string>> = [];
    const all = Promise.all(pending.map((p) => p.then((f) => void known.push(f))));
    await Promise.race([all, new Promise<void>((r) => (timer = setTimeout(r, waitMs)))]);
    clearTimeout(timer);
    if (known.length < pending.length) partial();
    return known.some((f) => f.has(feature));
  }
}

/** Our own disco#info answer: what an offline-edge relay supports. */
export function ownDiscoInfo(receipts: boolean): Element {
  return xml(
    "query",
    { xmlns: NS_DISCO_INFO },
    xml("identity", { category: "client", type: "web", name: "offline-edge" }),
    xml("feature", { var: NS_DISCO_INFO }),
    receipts ? xml("feature", { var: NS.receipts }) : null,
  );
}
