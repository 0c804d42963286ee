import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installApp, sh } from "./apps.ts";

describe("consumer (c): plain Node 20 imports the core from the packed tarball", () => {
  let app: Awaited<ReturnType<typeof installApp>>;
  beforeAll(async () => {
    app = await installApp("node-app");
  });
  afterAll(() => app?.remove());

  it("writes and pops with no loader; bad input is a typed error; package.json is exported", async () => {
    const out = JSON.parse(await sh(app.dir, "node", ["main.js"])) as { status: string; popped: string[]; code: string; version: string };
    expect(out.status).toBe("stored");
    expect(out.popped).toHaveLength(1);
    expect(out.popped[0]).toContain("<body>hi</body>");
    expect(out.popped[0]).toContain("Offline Storage");
    expect(out.code).toBe("malformed-stanza");
    expect(out.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("ships only dist/, README, LICENSE, CHANGELOG and package.json", async () => {
    const files = (await sh(app.dir, "find", ["node_modules/offline-edge", "-type", "f"]))
      .trim()
      .split("\n")
      .map((f) => f.replace("node_modules/offline-edge/", ""));
    expect(files.filter((f) => !f.startsWith("dist/")).sort()).toEqual(["CHANGELOG.md", "LICENSE", "README.md", "package.json"]);
    expect(files.some((f) => f.startsWith("dist/") && f.endsWith(".ts") && !f.endsWith(".d.ts"))).toBe(false);
  });
});
