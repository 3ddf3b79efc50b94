// The drills (test/drills/): Switchboard's processes on their own PostgreSQL and Redis, with
// faults injected while calls flow. Slow and run one file at a time, so apart from `npm test`:
// `npm run test:drills`, which CI runs after it.
import { createRequire } from "node:module";
import { defineConfig } from "vitest/config";

const require = createRequire(import.meta.url);

export default defineConfig({
  root: new URL("../..", import.meta.url).pathname,
  resolve: {
    // As in vitest.config.ts: one graphql instance, the one the libraries load.
    alias: [{ find: /^graphql$/, replacement: require.resolve("graphql") }],
  },
  test: {
    include: ["test/drills/**/*.test.ts"],
    // Gathers the figures of every drill file and prints them as one table at the end of the run.
    globalSetup: ["test/drills/global-setup.ts"],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: "forks",
    // Each file runs a whole deployment: one at a time on a small machine.
    fileParallelism: false,
  },
});
