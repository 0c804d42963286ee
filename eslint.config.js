// Lint: typescript-eslint's recommended rules over src, test and bench, and the layering of src/.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";

/**
 * The one direction of dependency in src/ (README "Layout"):
 *   core -> storage -> protocol -> worker | client
 *   core -> relay -> messaging -> dashboard -> demo      (ui: DOM helpers for dashboard and demo)
 * Each folder lists the folders it must not import; the demo, like an embedder, uses public entries only.
 */
const LAYERS = {
  core: ["storage", "protocol", "worker", "client", "relay", "messaging", "dashboard", "demo", "ui"],
  storage: ["protocol", "worker", "client", "relay", "messaging", "dashboard", "demo", "ui"],
  protocol: ["worker", "client", "relay", "messaging", "dashboard", "demo", "ui"],
  worker: ["client", "relay", "messaging", "dashboard", "demo", "ui"],
  client: ["worker", "relay", "messaging", "dashboard", "demo", "ui"],
  relay: ["storage", "protocol", "worker", "client", "messaging", "dashboard", "demo", "ui"],
  messaging: ["protocol", "worker", "client", "dashboard", "demo", "ui"],
  ui: ["storage", "protocol", "worker", "client", "relay", "messaging", "dashboard", "demo"],
  dashboard: ["protocol", "worker", "client", "demo"],
  // The Vite plugin runs in Node beside an app's vite.config: it stands alone.
  vite: ["core", "storage", "protocol", "worker", "client", "relay", "messaging", "dashboard", "demo", "ui"],
};

const layering = Object.entries(LAYERS).map(([folder, banned]) => ({
  files: [`src/${folder}/**/*.ts`],
  rules: {
    "no-restricted-imports": ["error", {
      patterns: [{
        regex: `^(\\.\\./)+(${banned.join("|")})(/|$)`,
        message: `src/${folder} must not import from ${banned.join(", ")} (layers point one way: see eslint.config.js).`,
      }],
    }],
  },
}));

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "test-results/**", "coverage/**", "reports/**", ".stryker-tmp/**", "test/consumer/*-app/**", "docs/api/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  ...layering,
  {
    // The demo is an embedder: the package's public entries (and the shared ui helpers) only.
    files: ["src/demo/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        patterns: [{
          regex: "^\\.\\./(?!ui/)(.+/)?(?!index\\.ts$)[^/]+$",
          message: "The demo imports only public entries (src/index.ts, src/<area>/index.ts, src/relay/<transport>/index.ts) or src/ui.",
        }],
      }],
    },
  },
  {
    // Node scripts; their page.evaluate callbacks run in the browser.
    files: ["**/*.mjs", "**/*.js", "scripts/**"],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
);
