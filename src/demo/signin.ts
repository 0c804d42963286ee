// The sign-in view: pick who you are. On the mesh that is all; over XMPP it
// also asks for the server's WebSocket URL and the password (kept in memory only).
import { DEMO_USERS, toJid, type DemoIdentity, type DemoSettings } from "./config.ts";
import { avatar, h } from "./dom.ts";

export function signIn(root: HTMLElement, settings: DemoSettings): Promise<DemoIdentity> {
  return new Promise((resolve) => {
    const xmpp = settings.relay === "xmpp";
    const service = h("input", { attrs: { id: "signin-service", type: "url", required: "", value: settings.service, placeholder: "ws://127.0.0.1:5280/xmpp-websocket" } });
    const password = h("input", { attrs: { id: "signin-password", type: "password", required: "", value: settings.password, autocomplete: "current-password" } });
    const fields = xmpp
      ? h(
          "div",
          { class: "fields" },
          h("label", { attrs: { for: "signin-service" } }, "XMPP WebSocket URL"),
          service,
          h("label", { attrs: { for: "signin-password" } }, "Password"),
          password,
          h("p", { class: "muted small" }, "`npm run relay` starts a local Prosody and prints its URL; its users have the password \"secret\"."),
        )
      : null;
    const choices = DEMO_USERS.map((u) => {
      const jid = toJid(u, settings.domain);
      const b = h(
        "button",
        { class: "identity", attrs: { type: "submit", value: jid, "aria-label": `Sign in as ${jid}` } },
        avatar(jid),
        h("span", { class: "identity-text" }, h("strong", {}, u), h("span", { class: "muted" }, jid)),
        h("span", { class: "identity-go", attrs: { "aria-hidden": "true" } }, "→"),
      );
      if (settings.self === jid) b.classList.add("identity-last");
      return h("li", {}, b);
    });
    const form = h("form", { class: "signin-form" }, fields, h("ul", { class: "identities" }, ...choices));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const self = ((e as SubmitEvent).submitter as HTMLButtonElement | null)?.value;
      if (!self) return;
      resolve({ relay: settings.relay, self, domain: settings.domain, service: service.value.trim(), password: password.value });
    });
    root.replaceChildren(
      h(
        "main",
        { class: "signin" },
        h(
          "section",
          { class: "card signin-card", attrs: { "aria-labelledby": "signin-title" } },
          h("p", { class: "brand" }, h("span", { class: "brand-mark", attrs: { "aria-hidden": "true" } }), "offline-edge"),
          h("h1", { attrs: { id: "signin-title" } }, "Who are you?"),
          h(
            "p",
            { class: "muted" },
            xmpp
              ? "Chat over a real XMPP server. Messages for a contact who is offline wait in this browser's offline queue and go out when they come online."
              : "Chat between the tabs of this browser, no server needed. Open a second tab as someone else; close it, and messages for them wait in the offline queue until they come back.",
          ),
          form,
          h("p", { class: "muted small" }, xmpp ? "Running on XMPP. " : "Running on the local mesh. ", h("a", { attrs: { href: xmpp ? "/" : "/?relay=xmpp" } }, xmpp ? "Use the local mesh instead" : "Use an XMPP server instead")),
        ),
      ),
    );
    (form.querySelector("input, button") as HTMLElement | null)?.focus();
  });
}
