// Mutation testing (issue 8): `npm run mutation`. Not part of `npm test` (it takes long on 2 cores).
// Mutates the delivery code (messaging/, relay/, and the core it leans on); driven by the unit
// tests that need no Prosody. Incremental: reruns only test what changed (reports/stryker-incremental.json).
/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  vitest: { configFile: "vitest.mutation.config.ts" },
  plugins: ["@stryker-mutator/vitest-runner"],
  // index.ts files are barrels (re-exports), except the PeerJS signaller's entry module.
  mutate: ["src/messaging/**/*.ts", "src/relay/**/*.ts", "!src/**/*.d.ts", "!src/**/index.ts", "src/relay/webrtc/peerjs/index.ts"],
  coverageAnalysis: "perTest",
  ignoreStatic: true, // static mutants (module-level constants) would rerun every test each
  concurrency: 2,
  incremental: true,
  incrementalFile: "reports/stryker-incremental.json",
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: "reports/mutation/mutation.html" },
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  timeoutMS: 3000, // added to each mutant's own dry-run test time (x1.5): a hung mutant costs seconds, not tens
  tempDirName: ".stryker-tmp",
  cleanTempDir: "always",
};
