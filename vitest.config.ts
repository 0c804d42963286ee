import { defineConfig } from "vitest/config";

// Unit tests run in Node (fake-indexeddb stands in for IndexedDB there only);
// browser tests under test/e2e run in Debian's Chromium through playwright-core;
// consumer apps under test/consumer install the packed tarball.
export default defineConfig({
  test: {
    projects: [
      {
        test: { name: "unit", include: ["src/**/*.test.ts", "test/unit/**/*.test.ts"], environment: "node" },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.e2e.ts"],
          globalSetup: ["test/e2e/global-setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        // Fresh apps install the packed tarball (built and packed once per run) as users do.
        test: {
          name: "consumer",
          include: ["test/consumer/**/*.consumer.ts"],
          globalSetup: ["test/consumer/global-setup.ts"],
          // After the unit and browser tests (group 0): installs and builds would only slow their timings.
          sequence: { groupOrder: 1 },
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
