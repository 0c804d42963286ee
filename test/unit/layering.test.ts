import { ESLint } from "eslint";
import { beforeAll, describe, expect, it } from "vitest";

/** The layering lint (eslint.config.js) refuses imports against the direction of the layers. */
const eslint = new ESLint({ cwd: process.cwd() });

async function restricted(filePath: string, specifier: string): Promise<boolean> {
  const [result] = await eslint.lintText(`import * as m from "${specifier}";\nexport const x = m;\n`, { filePath });
  return result!.messages.some((m) => m.ruleId === "no-restricted-imports");
}

describe("layering lint", () => {
  // typescript-eslint loads once, slowly on a busy machine: not inside a test's 5 s.
  beforeAll(() => eslint.lintText("", { filePath: "src/core/warm-up.ts" }), 60_000);

  it.each([
    ["src/core/x.ts", "../storage/indexeddb.ts"],
    ["src/core/x.ts", "../client/index.ts"],
    ["src/storage/x.ts", "../protocol/host.ts"],
    ["src/protocol/x.ts", "../client/create.ts"],
    ["src/client/x.ts", "../messaging/index.ts"],
    ["src/relay/x.ts", "../messaging/index.ts"],
    ["src/relay/mesh/x.ts", "../../messaging/receive/inbox.ts"],
    ["src/relay/xmpp/x.ts", "../../storage/index.ts"],
    ["src/messaging/send/x.ts", "../../client/index.ts"],
    ["src/messaging/x.ts", "../dashboard/index.ts"],
    ["src/dashboard/x.ts", "../demo/app.ts"],
    ["src/demo/x.ts", "../client/create.ts"],
    ["src/demo/x.ts", "../relay/mesh/relay.ts"],
  ])("%s may not import %s", async (file, spec) => {
    expect(await restricted(file, spec)).toBe(true);
  });

  it.each([
    ["src/storage/x.ts", "../core/record.ts"],
    ["src/relay/mesh/x.ts", "../../core/jid.ts"],
    ["src/messaging/drain/x.ts", "../../relay/relay.ts"],
    ["src/dashboard/x.ts", "../core/store-api.ts"],
    ["src/demo/x.ts", "../client/index.ts"],
    ["src/demo/x.ts", "../relay/xmpp/index.ts"],
    ["src/demo/x.ts", "../index.ts"],
    ["src/demo/x.ts", "../ui/dom.ts"],
  ])("%s may import %s", async (file, spec) => {
    expect(await restricted(file, spec)).toBe(false);
  });
});
