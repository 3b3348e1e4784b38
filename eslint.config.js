// Type-aware lint for the TypeScript code: only the promise rules, so that no database call (or any other promise)
// is left un-awaited by mistake. Solidity is linted by solhint (see the `lint` script).
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

export default defineConfig(
  { ignores: ["typechain-types/**", "artifacts/**", "build/**", "cache/**", "node_modules/**", "types/**"] },
  {
    files: [
      "relayer/**/*.ts",
      "scripts/**/*.ts",
      "bench/**/*.ts",
      "audit/**/*.ts",
      "test/relayer/**/*.ts",
      "test/audit/**/*.ts",
      "test/browser/**/*.ts",
    ],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { "@typescript-eslint": tseslint.plugin },
    // The code carries directives for rules this config does not run (no-namespace): do not report them as unused.
    linterOptions: { reportUnusedDisableDirectives: "off" },
    rules: {
      "@typescript-eslint/no-floating-promises": [
        "error",
        // node:test's describe/it return promises that the runner itself awaits.
        { allowForKnownSafeCalls: [{ from: "package", package: "node:test", name: ["describe", "it", "test", "suite"] }] },
      ],
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/await-thenable": "error",
      "@typescript-eslint/require-await": "off",
    },
  },
);
