import { defineConfig } from "vitest/config";

// The unit tests that drive mutation testing (stryker.config.mjs): all of them but the layering lint
// (it runs ESLint over src, not the code). The XMPP relay tests start their own Prosody per file (a
// second or so per mutant they cover): without them the XMPP relay's mutants would all go uncovered.
export default defineConfig({
  test: {
    include: ["test/unit/**/*.test.ts"],
    exclude: ["test/unit/layering.test.ts"],
    environment: "node",
    testTimeout: 30_000, // mutants and a loaded machine slow the drain tests; Stryker has its own timeout per mutant
  },
});
