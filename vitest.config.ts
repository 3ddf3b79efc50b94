import { createRequire } from "node:module";
import { configDefaults, defineConfig } from "vitest/config";

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql 16 has no "exports": Node loads index.js while Vite would pick index.mjs through
    // "module", leaving two graphql instances. Tests must use the one the libraries use.
    alias: [{ find: /^graphql$/, replacement: require.resolve("graphql") }],
  },
  test: {
    include: ["test/**/*.test.ts"],
    // The drills run apart: `npm run test:drills` (test/drills/vitest.config.ts).
    exclude: [...configDefaults.exclude, "test/drills/**"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // The suite mostly waits (databases, the simulator, spawned processes): a third fork on two cores
    // takes it from about 590 s to about 460 s.
    maxWorkers: 3,
    globalSetup: ["test/support/global-setup.ts"],
    setupFiles: ["test/support/event-contract.ts"],
  },
});
