// The WebRTC side of the demo, loaded only with ?relay=webrtc (keeps peerjs
// out of the mesh demo's first load).
import { WebRtcRelay } from "../relay/webrtc/index.ts";
import { PeerJsSignalling } from "../relay/webrtc/peerjs/index.ts";
import type { DemoIdentity } from "./config.ts";

/** A WebRTC relay for this tab, registered on the PeerJS server at `identity.service` (ws://host:port/). */
export async function connectWebRtc(identity: DemoIdentity): Promise<{ relay: WebRtcRelay; signalling: PeerJsSignalling }> {
  const url = new URL(identity.service);
  const relay = new WebRtcRelay({ self: identity.self });
  try {
    const signalling = await PeerJsSignalling.start(relay, {
      host: url.hostname,
      port: Number(url.port) || (url.protocol === "wss:" ? 443 : 80),
      path: url.pathname,
      secure: url.protocol === "wss:",
      // Host candidates only: two profiles on one machine, or a LAN.
      config: { iceServers: [] },
    });
    addEventListener("pagehide", () => signalling.close());
    return { relay, signalling };
  } catch (e) {
    await relay.close();
    throw e;
  }
}
