// The Relay contract (relay-contract.ts) against the WebRTC relay, over in-memory
// channels (rtc-channels.ts); the same relay over Chromium's channels: test/e2e/webrtc.e2e.ts.
import { WebRtcRelay } from "../../src/relay/webrtc/relay.ts";
import { relayContract } from "./relay-contract.ts";
import { asChannel, channelPair } from "./rtc-channels.ts";

/** Every relay opened and not closed: each new one gets a channel to each of them, as a signaller would dial. */
const running = new Set<WebRtcRelay>();

function open(user: string): WebRtcRelay {
  const relay = new WebRtcRelay({ self: user, heartbeatMs: 50 });
  for (const other of running) {
    if (other.self === relay.self) continue;
    const [mine, theirs] = channelPair();
    relay.attach(other.self, asChannel(mine));
    other.attach(relay.self, asChannel(theirs));
    mine.open();
    theirs.open();
  }
  running.add(relay);
  const close = relay.close.bind(relay);
  relay.close = () => (running.delete(relay), close());
  return relay;
}

relayContract("WebRTC (in-memory channels)", () => ({
  alice: "alice@rtc.local",
  bob: "bob@rtc.local",
  nobody: "nobody@rtc.local",
  open: async (user) => open(user),
}));
