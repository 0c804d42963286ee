// Types for peer-server.mjs (plain JS so node scripts can import it untranspiled).
/** Starts a PeerJS server on 127.0.0.1 in this process (`port` 0: a free one). */
export function startPeerServer(options?: { port?: number; host?: string }): Promise<{ host: string; port: number }>;
/** Starts one in a child process; `close()` ends it. */
export function spawnPeerServer(): Promise<{ port: number; close(): Promise<void> }>;
