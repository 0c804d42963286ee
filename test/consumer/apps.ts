import { execFile, spawn, type ChildProcess } from "node:child_process";
import { cpSync, createReadStream, existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { extname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { inject } from "vitest";

const exec = promisify(execFile);

/** Runs a command in an app's folder; its output is in the error when it fails. */
export async function sh(cwd: string, cmd: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await exec(cmd, args, { cwd, maxBuffer: 1 << 26, env: { ...process.env, NODE_ENV: "" } });
    return stdout;
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(" ")} failed in ${cwd}:\n${err.stdout ?? ""}\n${err.stderr ?? err.message}`);
  }
}

/**
 * A fresh copy of the consumer app `name` (test/consumer/<name>) in a temp
 * folder, its own dependencies installed from its vendored lockfile
 * (`npm ci --prefer-offline`), then the packed offline-edge tarball, as an
 * app installs a package from the registry. Once per app per run.
 */
export async function installApp(name: string): Promise<{ dir: string; remove: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), `offline-edge-${name}-`));
  cpSync(resolve(import.meta.dirname, name), dir, { recursive: true, filter: (src) => !src.includes("node_modules") });
  const quiet = ["--no-audit", "--no-fund", "--prefer-offline"];
  if (existsSync(join(dir, "package-lock.json"))) await sh(dir, "npm", ["ci", ...quiet]);
  await sh(dir, "npm", ["install", "--no-save", ...quiet, inject("tarball")]);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

const TYPES: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".json": "application/json" };

/** A static file server for a folder, on 127.0.0.1 and a free port. */
export async function serveStatic(folder: string): Promise<{ port: number; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const file = join(folder, path === "/" ? "index.html" : path);
    if (!file.startsWith(folder) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "Content-Type": TYPES[extname(file)] ?? "application/octet-stream" });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { port: (server.address() as AddressInfo).port, close: () => new Promise((r) => server.close(() => r())) };
}

/** A long-running command (a dev or preview server) until it prints `ready` (a regexp over its output). */
export async function startServer(cwd: string, cmd: string, args: string[], ready: RegExp): Promise<{ output: string; stop: () => Promise<void> }> {
  // Its own process group, so stopping it stops what it started too.
  const child: ChildProcess = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" }, detached: true });
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  let output = "";
  await new Promise<void>((resolveReady, reject) => {
    const onData = (d: Buffer) => {
      output += d.toString();
      if (ready.test(output)) resolveReady();
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`${cmd} ${args.join(" ")} exited (${code}) before ready:\n${output}`)));
  });
  const stop = async () => {
    if (child.exitCode === null) process.kill(-child.pid!, "SIGTERM");
    await exited;
  };
  return { output, stop };
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}
