// The chat for one signed-in user: state (contacts, presence, queue depths,
// history) and the wiring between the messenger, the store and the views.
import type { Element } from "@xmpp/xml";
import type { ClientStore } from "../client/index.ts";
import { exposeDebugHandle } from "../dashboard/index.ts";
import { demoContacts, rememberIdentity, signOutUrl, type DemoIdentity } from "./config.ts";
import { Composer } from "./composer.ts";
import { ContactList, type ContactInfo } from "./contacts.ts";
import { ConversationView } from "./conversation.ts";
import { DashboardPanel } from "./dashboard-panel.ts";
import { h, type Child } from "./dom.ts";
import { History } from "./history.ts";
import { openSession, openStore, type Session } from "./session.ts";
import { Shell } from "./shell.ts";
import { readIncoming } from "./stanza.ts";
import { DeliverySync } from "./sync.ts";

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

export async function runApp(root: HTMLElement, identity: DemoIdentity): Promise<void> {
  const { self } = identity;
  // Signing out navigates away, but this page's code runs on until it unloads: it must not remember the identity again.
  let signingOut = false;
  const signOut = () => {
    signingOut = true;
    location.assign(signOutUrl(identity.relay));
  };
  const shell = new Shell(self, signOut);
  root.replaceChildren(shell.element);
  document.title = `${self} · offline-edge chat`;

  let store: ClientStore;
  try {
    store = await openStore();
  } catch (e) {
    shell.showError("The offline store could not open", message(e), [["IndexedDB may be blocked (private mode, storage settings)."]], [reloadButton()]);
    return;
  }
  // Devtools: `offlineEdge.help()`, `await offlineEdge.table()` (queues with limits and ages),
  // `await offlineEdge.list("bob@mesh.local")`, `offlineEdge.store` for anything else.
  exposeDebugHandle(store);

  const chat = new Chat(identity, store, shell);
  let session: Session;
  try {
    session = await openSession(identity, store, (el) => chat.receive(el));
  } catch (e) {
    shell.setStatus([`store: ${store.mode}`, `relay: ${identity.relay}`, "not connected"]);
    const where =
      identity.relay === "xmpp" ? `the XMPP server at ${identity.service || "(no service given)"}` : identity.relay === "webrtc" ? `the PeerJS server at ${identity.service} (npm start runs it)` : "the local mesh";
    const other = h("button", { class: "btn", attrs: { type: "button" } }, "Sign in as someone else");
    other.addEventListener("click", signOut);
    const mesh = identity.relay !== "mesh" ? h("a", { class: "btn", attrs: { href: "/" } }, "Use the local mesh") : null;
    shell.showError(`Could not connect to ${where}`, message(e), xmppHints(identity), [reloadButton(), other, ...(mesh ? [mesh] : [])]);
    return;
  }
  // Remembered only once it worked, so a bad identity never sticks to the tab.
  if (!signingOut) rememberIdentity(identity.relay, identity.self);
  chat.attach(session);
}

function reloadButton(): HTMLButtonElement {
  const b = h("button", { class: "btn btn-primary", attrs: { type: "button" } }, "Try again");
  b.addEventListener("click", () => location.reload());
  return b;
}

function xmppHints(id: DemoIdentity): Child[][] {
  if (id.relay !== "xmpp") return [];
  return [
    ["Start the demo server with ", h("code", {}, "npm run relay"), "; it prints the ws:// URL to put in ", h("code", {}, "service="), "."],
    ["The demo users are alice, bob and carol, with the password ", h("code", {}, "secret"), "."],
  ];
}

class Chat {
  private readonly history: History;
  private readonly sync: DeliverySync;
  private readonly contacts: string[];
  private readonly online = new Set<string>();
  private readonly unread = new Map<string, number>();
  private readonly limits = new Map<string, number | null>();
  private readonly list: ContactList;
  private readonly composer: Composer;
  private readonly conversation: ConversationView;
  private session: Session | null = null;
  private selected: string | null;
  private renderTimer: ReturnType<typeof setTimeout> | undefined;
  private note = "";

  constructor(
    private readonly identity: DemoIdentity,
    private readonly store: ClientStore,
    private readonly shell: Shell,
  ) {
    this.history = new History(identity.self);
    this.sync = new DeliverySync(this.history, store, () => this.render());
    this.contacts = [...new Set([...demoContacts(identity.self, identity.domain), ...this.history.peers()])].filter((p) => p !== identity.self);
    const remembered = sessionStorage.getItem(this.selectedKey);
    this.selected = remembered && this.contacts.includes(remembered) ? remembered : (this.contacts[0] ?? null);
    this.list = new ContactList((jid) => this.select(jid));
    this.composer = new Composer((body) => this.selected && void this.sync.send(this.selected, body));
    this.conversation = new ConversationView(this.composer.element);
    this.history.subscribe(() => this.render());
  }

  private get selectedKey(): string {
    return `offline-edge-demo:selected:${this.identity.self}`;
  }

  /** The relay is up: show the chat and follow presence, message states and the store. */
  attach(session: Session): void {
    this.session = session;
    const { messenger, relay, store } = session;
    for (const p of session.onlinePeers()) this.addContact(p);
    for (const c of this.contacts) if (relay.isAvailable(c)) this.online.add(c);
    relay.onPresence(({ peer, available }) => {
      if (peer === this.identity.self) return;
      this.addContact(peer);
      if (available) this.online.add(peer);
      else this.online.delete(peer);
      this.render();
    });
    this.sync.attach(session);
    window.addEventListener("pagehide", () => session.close());
    // Back from the back/forward cache the relay is closed: start again.
    window.addEventListener("pageshow", (e) => e.persisted && location.reload());

    const panel = new DashboardPanel(store, messenger.drain);
    this.shell.addAction(panel.toggle);
    this.shell.main.replaceChildren(this.list.element, this.conversation.element, panel.element);
    this.composer.setPeer(this.selected);
    this.conversation.show(this.selected, this.selected ? this.history.entries(this.selected) : []);
    this.render();
    void session.prepareContacts(this.contacts).then(
      (note) => note && this.setNote(note),
      (e) => this.setNote(`Presence subscriptions failed: ${message(e)}`),
    );
  }

  /** An incoming stanza (may come before attach, while the session starts). */
  receive(el: Element): void {
    const m = readIncoming(el);
    if (!m || m.from === this.identity.self) return;
    this.addContact(m.from);
    if (this.history.addIncoming(m) && m.from !== this.selected) this.unread.set(m.from, (this.unread.get(m.from) ?? 0) + 1);
    this.render();
  }

  private addContact(jid: string): void {
    if (jid === this.identity.self || this.contacts.includes(jid)) return;
    this.contacts.push(jid);
    this.render();
  }

  private select(jid: string): void {
    this.selected = jid;
    this.unread.delete(jid);
    sessionStorage.setItem(this.selectedKey, jid);
    this.composer.setPeer(jid);
    this.conversation.show(jid, this.history.entries(jid));
    this.render();
    this.composer.focus();
  }

  private setNote(note: string): void {
    this.note = note;
    this.render();
  }

  /** Coalesces renders: many changes (a drain of 100) make one DOM update. */
  private render(): void {
    if (this.renderTimer !== undefined) return;
    this.renderTimer = setTimeout(() => {
      this.renderTimer = undefined;
      this.paint();
    }, 16);
  }

  private paint(): void {
    const queued = this.sync.queued;
    const infos: ContactInfo[] = this.contacts.map((jid) => ({
      jid,
      online: this.online.has(jid),
      queued: queued.get(jid) ?? 0,
      unread: this.unread.get(jid) ?? 0,
      preview: this.history.last(jid)?.body.split("\n")[0]?.slice(0, 60) ?? "",
    }));
    this.list.render(infos, this.selected);
    this.list.setNote(this.note);
    const peer = this.selected;
    if (peer) {
      this.conversation.update(this.history.entries(peer));
      this.conversation.setPresence(this.online.has(peer), queued.get(peer) ?? 0, this.limitOf(peer));
    }
    const online = this.contacts.filter((c) => this.online.has(c)).length;
    this.shell.setStatus([
      `store: ${this.store.mode}`,
      `relay: ${this.session?.relayLabel ?? this.identity.relay}`,
      this.session ? `${online} of ${this.contacts.length} contacts online` : "connecting…",
    ]);
  }

  /** The per-user limit for the offline hint; asked once per peer. */
  private limitOf(peer: string): number | null {
    if (this.limits.has(peer)) return this.limits.get(peer) ?? null;
    this.limits.set(peer, null);
    void this.store.limitOf(peer).then(
      (l) => {
        this.limits.set(peer, Number.isFinite(l) ? l : null);
        this.render();
      },
      () => undefined,
    );
    return null;
  }
}
