import { defineConfig } from "vitest/config";

// The unit tests that drive mutation testing (stryker.config.mjs): those that need no Prosody.
export default defineConfig({
  test: {
    include: ["test/unit/**/*.test.ts"],
    exclude: ["test/unit/relay-xmpp.test.ts", "test/unit/prosody.test.ts", "test/unit/relay-contract-xmpp.test.ts", "test/unit/layering.test.ts"],
    environment: "node",
    testTimeout: 30_000, // mutants and a loaded machine slow the drain tests; Stryker has its own timeout per mutant
  },
});
