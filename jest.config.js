/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["@swc/jest", { jsc: { target: "es2022", parser: { syntax: "typescript" } }, module: { type: "commonjs" } }] },
  moduleFileExtensions: ["ts", "js", "json"],
  // Not under the temp folder, which \`npm test\` gives each run afresh (scripts/test.js).
  cacheDirectory: "<rootDir>/node_modules/.cache/jest",
  // What the launcher's bundles leave out of start-up, left out of each test file's module loading too.
  moduleNameMapper: {
    "^archiver$": "<rootDir>/__tests__/support/unused-at-startup/archiver.js",
    "^\\.\\./locales/index\\.c?js$": "<rootDir>/__tests__/support/unused-at-startup/zod-locales.js",
  },
  globalSetup: "<rootDir>/__tests__/support/global-setup.ts",
  setupFiles: ["<rootDir>/__tests__/support/quiet.ts", "<rootDir>/__tests__/support/token-traces.ts"],
  // Synth-heavy suites share two cores; more workers only add memory.
  maxWorkers: 2,
  // Synthesizing whole deployments takes seconds on a busy 2-core machine, past jest's 5 s default,
  // and a timed-out async test leaks its run into the next one. A hung test still fails.
  testTimeout: 120000,
};
