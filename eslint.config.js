// Lint: the recommended JavaScript and type-aware TypeScript rules, on sources and tests.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "data/", ".ci-work/", "test-output/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // node:test's describe/it return promises that the runner awaits itself.
      "@typescript-eslint/no-floating-promises": [
        "error",
        { allowForKnownSafeCalls: [{ from: "package", package: "node:test", name: ["describe", "it", "test", "suite"] }] },
      ],
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // What `phantom serve` loads must not pull in test support (`src/test-support/`, `*.test-support.ts`).
    files: ["src/**/*.ts"],
    ignores: ["src/**/*.test.ts", "src/**/*.test-support.ts", "src/test-support/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: ["**/test-support/**", "**/*.test-support.js"], message: "test support is for tests only" }] },
      ],
    },
  },
  {
    files: ["**/*.mjs", "**/*.js"],
    ignores: ["ui/**"],
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly" } },
  },
  {
    // The dashboard: plain JavaScript modules run by the browser.
    files: ["ui/**/*.js"],
    languageOptions: {
      sourceType: "module",
      globals: Object.fromEntries(
        ["window", "document", "location", "sessionStorage", "fetch", "crypto", "TextEncoder", "DOMParser", "FormData", "Node", "setInterval", "clearInterval", "console"].map(
          (name) => [name, "readonly"],
        ),
      ),
    },
  },
);
