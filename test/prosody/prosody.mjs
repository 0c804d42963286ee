// A real, throw-away Prosody 0.12 for tests, benchmarks and the demo relay.
//
//   import { startProsody } from "./test/prosody/prosody.mjs";
//   const server = await startProsody();            // offline storage disabled
//   ... server.tcpUrl / server.wsUrl ...
//   await server.stop();
//
// Run directly (`node test/prosody/prosody.mjs`) it serves alice/bob/carol
// (password "secret") until SIGINT/SIGTERM. See README.md in this folder.

import { spawn, execFile } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { mkdtemp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve as resolvePath } from "node:path";
import process from "node:process";
import { setTimeout as sleep } from "node:timers/promises";
import { clearTimeout, setTimeout } from "node:timers";
import { fileURLToPath } from "node:url";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const TEMPLATE = join(HERE, "prosody.cfg.lua.template");
const DOMAIN = "localhost";
const INSTALL_HINT = "apt-get install -y prosody";

/**
 * @typedef {object} StartOptions
 * @property {boolean} [offline] Keep Prosody's own mod_offline (XEP-0160) loaded.
 *   Default false: offline storage disabled, messages to offline users bounce
 *   with <service-unavailable/>.
 * @property {Array<[string, string]>} [users] Accounts to register before start.
 * @property {number} [startTimeoutMs] Deadline for the ports to come up (default 15000).
 * @property {"debug"|"info"|"warn"|"error"} [logLevel] Minimum level written to prosody.log (default "info").
 * @property {number} [smacksHibernationSeconds] smacks_hibernation_time (default 60; Prosody's own default is 600).
 */

/**
 * @typedef {object} ProsodyServer
 * @property {number} c2sPort
 * @property {number} httpPort
 * @property {string} wsUrl    ws://127.0.0.1:PORT/xmpp-websocket
 * @property {string} tcpUrl   xmpp://127.0.0.1:PORT
 * @property {string} domain   "localhost"
 * @property {string} dir      temp dir holding config, data, log and pid
 * @property {string} configFile
 * @property {string} logFile
 * @property {number} pid
 * @property {boolean} offline whether mod_offline is loaded
 * @property {(user: string, pass: string) => Promise<void>} register
 * @property {() => Promise<string>} readLog
 * @property {() => Promise<void>} stop  kill Prosody, wait for exit, remove dir (idempotent)
 */

/** @param {string} cmd */
function which(cmd) {
  for (const d of (process.env.PATH || "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
    if (d && existsSync(join(d, cmd))) return join(d, cmd);
  }
  for (const d of ["/usr/bin", "/usr/sbin", "/usr/local/bin"]) {
    if (existsSync(join(d, cmd))) return join(d, cmd);
  }
  return null;
}

/** @returns {Promise<number>} a port that was free on 127.0.0.1 a moment ago */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** @param {number} port @returns {Promise<boolean>} */
function tcpAccepts(port) {
  return new Promise((resolve) => {
    const sock = createConnection({ host: "127.0.0.1", port });
    const done = (/** @type {boolean} */ ok) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1000, () => done(false));
    sock.once("connect", () => done(true));
    sock.once("error", () => done(false));
  });
}

/** @param {number} port @returns {Promise<boolean>} true when GET /xmpp-websocket answers 200 */
function wsEndpointAnswers(port) {
  return new Promise((resolve) => {
    const req = request(
      { host: "127.0.0.1", port, path: "/xmpp-websocket", method: "GET", timeout: 1000 },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.once("timeout", () => req.destroy());
    req.once("error", () => resolve(false));
    req.end();
  });
}

/**
 * @param {string} file
 * @param {string[]} args
 * @param {Record<string, string | undefined>} [env]
 * @returns {Promise<string>}
 */
function run(file, args, env) {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env: env ?? process.env, timeout: 15_000 }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`${file} ${args.join(" ")} failed: ${err.message}\n${stdout}${stderr}`));
      } else {
        resolve(stdout + stderr);
      }
    });
  });
}

/** @param {string} file */
async function readLogSafe(file) {
  try {
    return await readFile(file, "utf8");
  } catch {
    return "(no log written)";
  }
}

/**
 * Start a private Prosody on free loopback ports.
 * @param {StartOptions} [options]
 * @returns {Promise<ProsodyServer>}
 */
export async function startProsody({
  offline = false,
  users = [
    ["alice", "secret"],
    ["bob", "secret"],
  ],
  startTimeoutMs = 15_000,
  logLevel = "info",
  smacksHibernationSeconds = 60,
} = {}) {
  const prosodyBin = which("prosody");
  const prosodyctl = which("prosodyctl");
  if (!prosodyBin || !prosodyctl) {
    throw new Error(`Prosody is not installed (no prosody/prosodyctl on PATH). Install it with: ${INSTALL_HINT}`);
  }
  const template = await readFile(TEMPLATE, "utf8");

  // A port picked by freePort() can be taken by someone else before Prosody
  // binds it; Prosody then logs the failure and keeps running. Retry with new
  // ports in that case.
  let lastError;
  for (let attempt = 1; attempt <= 3; attempt++) {
    const dir = await mkdtemp(join(tmpdir(), "offline-edge-prosody-"));
    try {
      return await startOnce({
        dir,
        template,
        prosodyBin,
        prosodyctl,
        offline,
        users,
        startTimeoutMs,
        logLevel,
        smacksHibernationSeconds,
      });
    } catch (err) {
      lastError = err;
      await rm(dir, { recursive: true, force: true });
      if (!(err instanceof PortInUseError)) throw err;
    }
  }
  throw lastError;
}

class PortInUseError extends Error {}

/**
 * @param {{ dir: string, template: string, prosodyBin: string, prosodyctl: string, offline: boolean,
 *   users: Array<[string, string]>, startTimeoutMs: number, logLevel: string, smacksHibernationSeconds: number }} options
 * @returns {Promise<ProsodyServer>}
 */
async function startOnce({
  dir,
  template,
  prosodyBin,
  prosodyctl,
  offline,
  users,
  startTimeoutMs,
  logLevel,
  smacksHibernationSeconds,
}) {
  const c2sPort = await freePort();
  let httpPort = await freePort();
  while (httpPort === c2sPort) httpPort = await freePort();

  const configFile = join(dir, "prosody.cfg.lua");
  const logFile = join(dir, "prosody.log");
  await mkdir(join(dir, "data"), { recursive: true });
  await mkdir(join(dir, "certs"), { recursive: true }); // empty: certmanager indexes it even without TLS
  const config = template
    .replaceAll("{{DIR}}", dir)
    .replaceAll("{{C2S_PORT}}", String(c2sPort))
    .replaceAll("{{HTTP_PORT}}", String(httpPort))
    .replaceAll("{{LOG_LEVEL}}", logLevel)
    .replaceAll("{{SMACKS_HIBERNATION}}", String(Math.max(0, Math.floor(smacksHibernationSeconds))))
    .replaceAll("{{OFFLINE_DISABLED}}", offline ? "" : '"offline";');
  await writeFile(configFile, config);

  /** @type {Record<string, string | undefined>} */
  const env = { ...process.env, PROSODY_CONFIG: configFile };
  const register = async (/** @type {string} */ user, /** @type {string} */ pass) => {
    await run(prosodyctl, ["--config", configFile, "register", user, DOMAIN, pass], env);
  };
  for (const [user, pass] of users) await register(user, pass);

  const child = spawn(prosodyBin, ["--config", configFile, "-F"], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  /** @type {Promise<void>} */
  const exited = new Promise((resolve) => child.once("exit", () => resolve()));
  let consoleOut = "";
  child.stdout?.on("data", (d) => (consoleOut += d));
  child.stderr?.on("data", (d) => (consoleOut += d));
  // If our process exits without awaiting stop(), do not leave Prosody (or its
  // temp dir) behind. 'exit' listeners must be synchronous.
  const killOnExit = () => {
    child.kill("SIGKILL");
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort
    }
  };
  process.once("exit", killOnExit);
  exited.then(() => process.removeListener("exit", killOnExit));
  let spawnError = /** @type {Error | null} */ (null);
  child.once("error", (err) => (spawnError = err));

  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timedOut = await Promise.race([exited.then(() => false), sleep(5000).then(() => true)]);
      if (timedOut) {
        child.kill("SIGKILL");
        await exited;
      }
    }
  };

  const deadline = Date.now() + startTimeoutMs;
  let c2sUp = false;
  let httpUp = false;
  for (;;) {
    if (spawnError || child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `Prosody exited before it was ready (code ${child.exitCode}, signal ${child.signalCode}` +
          `${spawnError ? `, ${spawnError.message}` : ""}).\n--- console ---\n${consoleOut}\n--- ${logFile} ---\n${await readLogSafe(logFile)}`,
      );
    }
    const log = await readLogSafe(logFile);
    if (/Failed to open server port|Address already in use/i.test(log)) {
      await kill();
      throw new PortInUseError(`Prosody could not bind its ports:\n${log}`);
    }
    c2sUp ||= await tcpAccepts(c2sPort);
    httpUp ||= c2sUp && (await wsEndpointAnswers(httpPort));
    if (c2sUp && httpUp) break;
    if (Date.now() > deadline) {
      await kill();
      throw new Error(
        `Prosody did not come up within ${startTimeoutMs} ms (c2s ${c2sPort} ${c2sUp ? "up" : "down"}, ` +
          `http ${httpPort} ${httpUp ? "up" : "down"}).\n--- console ---\n${consoleOut}\n--- ${logFile} ---\n${log}`,
      );
    }
    await sleep(50);
  }

  let stopped = /** @type {Promise<void> | null} */ (null);
  return {
    c2sPort,
    httpPort,
    wsUrl: `ws://127.0.0.1:${httpPort}/xmpp-websocket`,
    tcpUrl: `xmpp://127.0.0.1:${c2sPort}`,
    domain: DOMAIN,
    dir,
    configFile,
    logFile,
    pid: child.pid ?? -1,
    offline,
    register,
    readLog: () => readLogSafe(logFile),
    stop() {
      stopped ??= (async () => {
        await kill();
        await rm(dir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

/**
 * @typedef {object} ClientOptions
 * @property {string} username
 * @property {string} [password] default "secret"
 * @property {string} [resource] default "r1"
 * @property {"tcp" | "ws"} [transport] default "tcp" (Node 20 has no global WebSocket)
 * @property {"PLAIN" | "auto"} [mechanism] default "PLAIN". On plain TCP @xmpp/client
 *   would pick SCRAM-SHA-1, whose pure-JS PBKDF2 (Prosody uses i=10000) costs
 *   ~0.5 s of CPU per login; PLAIN is allowed here (allow_unencrypted_plain_auth).
 *   "auto" keeps the library's own choice.
 */

/**
 * An @xmpp/client instance (not started) pointed at this Prosody.
 * Loaded lazily so globalSetup files importing this module do not pay for it.
 * @param {{ tcpUrl: string, wsUrl: string, domain: string }} server
 * @param {ClientOptions} options
 */
export async function createClient(
  server,
  { username, password = "secret", resource = "r1", transport = "tcp", mechanism = "PLAIN" },
) {
  const { client } = await import("@xmpp/client");
  /** @type {Record<string, unknown>} */
  const auth =
    mechanism === "auto"
      ? { username, password }
      : {
          username,
          // (authenticate, offeredMechanisms) for classic SASL; Prosody 0.12 has no SASL2.
          credentials: async (
            /** @type {(c: object, m: string) => Promise<void>} */ authenticate,
            /** @type {string[]} */ mechanisms,
          ) => authenticate({ username, password }, mechanisms.includes(mechanism) ? mechanism : mechanisms[0] ?? ""),
        };
  return client({
    service: transport === "ws" ? server.wsUrl : server.tcpUrl,
    domain: server.domain,
    resource,
    ...auth,
  });
}

/**
 * Resolve with the next incoming top-level element (stanza or nonza, e.g.
 * XEP-0198 <enabled/>) matching `predicate`; reject after `timeoutMs`.
 * Attach it *before* the action that triggers the element.
 * @param {import("node:events").EventEmitter} xmpp an @xmpp/client instance
 * @param {(element: any) => boolean} predicate
 * @param {number} [timeoutMs]
 * @param {string} [what] description used in the timeout error
 * @returns {Promise<any>}
 */
export function nextElement(xmpp, predicate, timeoutMs = 5000, what = "element") {
  return waitOn(xmpp, "element", predicate, timeoutMs, what);
}

/**
 * Like nextElement, but only for stanzas (message, presence, iq).
 * @param {import("node:events").EventEmitter} xmpp
 * @param {(stanza: any) => boolean} predicate
 * @param {number} [timeoutMs]
 * @param {string} [what]
 * @returns {Promise<any>}
 */
export function nextStanza(xmpp, predicate, timeoutMs = 5000, what = "stanza") {
  return waitOn(xmpp, "stanza", predicate, timeoutMs, what);
}

/**
 * @param {import("node:events").EventEmitter} xmpp
 * @param {string} event
 * @param {(element: any) => boolean} predicate
 * @param {number} timeoutMs
 * @param {string} what
 * @returns {Promise<any>}
 */
function waitOn(xmpp, event, predicate, timeoutMs, what) {
  return new Promise((resolve, reject) => {
    const onElement = (/** @type {any} */ el) => {
      let hit = false;
      try {
        hit = predicate(el);
      } catch (err) {
        cleanup();
        reject(err);
        return;
      }
      if (hit) {
        cleanup();
        resolve(el);
      }
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    timer.unref(); // never the only thing keeping a script alive
    const cleanup = () => {
      clearTimeout(timer);
      xmpp.removeListener(event, onElement);
    };
    xmpp.on(event, onElement);
  });
}

/**
 * @typedef {ClientOptions & { presence?: boolean, timeoutMs?: number }} ConnectOptions
 */

/**
 * Create, start and settle a client:
 *  - waits for "online" (SASL + resource binding),
 *  - then for XEP-0198 <enabled/> (@xmpp/client emits "online" *before* it
 *    even sends <enable/>, so streamManagement.enabled is still false then),
 *  - with `presence: true`, sends initial presence and waits for Prosody's
 *    echo of it: only then does Prosody route bare-JID messages to this
 *    resource (send() resolves on socket write, not on server processing).
 * @param {{ tcpUrl: string, wsUrl: string, domain: string }} server
 * @param {ConnectOptions} options
 */
export async function connectClient(server, options) {
  const { presence = false, timeoutMs = 5000 } = options;
  const xmpp = await createClient(server, options);
  // Without a listener an "error" event (e.g. <stream:error><system-shutdown/>
  // when Prosody stops first) would crash the process; failures before we
  // return surface as rejections of start()/this function instead.
  xmpp.on("error", () => {});
  try {
    const smEnabled = nextElement(
      xmpp,
      (el) => (el.name === "enabled" || el.name === "failed") && el.attrs.xmlns === "urn:xmpp:sm:3",
      timeoutMs,
      "XEP-0198 <enabled/>",
    );
    smEnabled.catch(() => {}); // observed below; start() may fail first
    const jid = await xmpp.start();
    const sm = await smEnabled;
    if (sm.name !== "enabled") throw new Error(`Stream management failed: ${sm.toString()}`);
    if (presence) {
      const { xml } = await import("@xmpp/client");
      const own = String(jid);
      const echo = nextStanza(
        xmpp,
        (s) => s.name === "presence" && s.attrs.from === own && !s.attrs.type,
        timeoutMs,
        "own presence echo",
      );
      await xmpp.send(xml("presence"));
      await echo;
    }
  } catch (err) {
    xmpp.reconnect?.stop();
    await xmpp.stop().catch(() => {});
    throw err;
  }
  return xmpp;
}

/**
 * The bin entry: `node test/prosody/prosody.mjs [--offline]` (backs `npm run relay`).
 * Starts Prosody with alice/bob/carol (password "secret"), prints the URLs and
 * stays up until SIGINT/SIGTERM.
 */
export async function main() {
  const offline = process.argv.includes("--offline");
  /** @type {Array<[string, string]>} */
  const users = [
    ["alice", "secret"],
    ["bob", "secret"],
    ["carol", "secret"],
  ];
  const server = await startProsody({ offline, users });
  const out = process.stdout;
  out.write(`Prosody is up (pid ${server.pid}, offline storage ${offline ? "enabled" : "disabled"})\n`);
  out.write(`  WebSocket: ${server.wsUrl}\n`);
  out.write(`  TCP:       ${server.tcpUrl}\n`);
  out.write(`  Domain:    ${server.domain}\n`);
  out.write(`  Users:     ${users.map(([u, p]) => `${u}@${server.domain} / ${p}`).join(", ")}\n`);
  out.write(`  Log:       ${server.logFile}\n`);
  out.write("Press Ctrl+C to stop.\n");
  let stopping = false;
  const shutdown = async (/** @type {string} */ signal) => {
    if (stopping) return;
    stopping = true;
    out.write(`\n${signal}: stopping Prosody\n`);
    await server.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolvePath(process.argv[1])) {
  main().catch((err) => {
    process.stderr.write(`${err instanceof Error ? err.stack || err.message : String(err)}\n`);
    process.exit(1);
  });
}
