// The demo chat app that `npm start` serves: sign in (or ?as=bob), then chat
// on the local mesh or, with ?relay=xmpp&service=…, over a real XMPP server.
// See config.ts for the URL parameters.
import "./demo.css";
import { runApp } from "./app.ts";
import { readSettings, rememberIdentity, type DemoIdentity } from "./config.ts";
import { signIn } from "./signin.ts";

// index.html's placeholder is a <main>; the app brings its own header and <main>, so it mounts on a plain div.
const root = document.createElement("div");
root.id = "app";
document.getElementById("app")!.replaceWith(root);
const settings = readSettings();

let identity: DemoIdentity;
if (settings.self && (settings.relay !== "xmpp" || (settings.service && settings.password))) {
  identity = { relay: settings.relay, self: settings.self, domain: settings.domain, service: settings.service, password: settings.password };
} else {
  identity = await signIn(root, settings);
  rememberIdentity(identity.relay, identity.self); // a choice made here sticks to the tab
}
if (identity.relay === "xmpp") {
  // Keep the server in the URL for reloads; the password stays out of it unless it came in it.
  const url = new URL(location.href);
  url.searchParams.set("service", identity.service);
  history.replaceState(null, "", url);
}
await runApp(root, identity);
