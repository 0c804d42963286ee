import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    tarball: string;
  }
}

const run = promisify(execFile);
const root = resolve(import.meta.dirname, "../..");

/**
 * The packed tarball every consumer app installs, made once per run:
 * `OFFLINE_EDGE_TARBALL` when scripts/test.sh already packed it, else
 * `npm run build:lib` and `npm pack` here.
 */
export default async function setup(project: TestProject): Promise<() => void> {
  let tarball = process.env.OFFLINE_EDGE_TARBALL;
  let dir: string | undefined;
  if (!tarball) {
    dir = mkdtempSync(join(tmpdir(), "offline-edge-pack-"));
    await run("npm", ["run", "build:lib"], { cwd: root, maxBuffer: 1 << 26 });
    await run("npm", ["pack", "--ignore-scripts", "--pack-destination", dir], { cwd: root, maxBuffer: 1 << 26 });
    tarball = join(dir, readdirSync(dir).find((f) => f.endsWith(".tgz"))!);
  }
  project.provide("tarball", tarball);
  return () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  };
}
