// A PeerJS signalling server (npm `peer`) on loopback, for the WebRTC demo,
// tests and benchmarks: it only introduces browsers to each other; messages
// never pass through it. Run: node scripts/peer-server.mjs [port]  (default 9000).
import { spawn } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { PeerServer } from "peer";

/** Starts a PeerJS server on 127.0.0.1 in this process (`port` 0: a free one); resolves with its port. */
export async function startPeerServer({ port = 0, host = "127.0.0.1" } = {}) {
  const server = await new Promise((resolve) => PeerServer({ port, host, path: "/", allow_discovery: false }, resolve));
  return { host, port: server.address().port };
}

/**
 * Starts one in a child process (the `peer` package keeps timers it never
 * clears, which would hold a test runner open); resolves with its port and
 * `close()`, which ends the child.
 */
export function spawnPeerServer() {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), "0"], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`PeerJS server exited (${code})`)));
    child.stdout.setEncoding("utf8").on("data", (text) => {
      const m = /ws:\/\/127\.0\.0\.1:(\d+)\//.exec(text);
      if (!m) return;
      resolve({
        port: Number(m[1]),
        close: () => new Promise((done) => {
          child.removeAllListeners("exit").once("exit", () => done());
          child.kill();
        }),
      });
    });
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const s = await startPeerServer({ port: Number(process.argv[2] ?? 9000) });
  console.log(`PeerJS signalling server on ws://${s.host}:${s.port}/ (WebRTC demo: ?relay=webrtc)`);
}
