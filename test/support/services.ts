// Where the test suite finds PostgreSQL and Redis (CI starts both; see .ci/run).
export const postgresUrl = process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/test";
export const redisUrl = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
/** One template per test run (set by the global setup), so concurrent runs cannot collide. */
export function templateDatabase(): string {
  const name = process.env.SWITCHBOARD_TEST_TEMPLATE;
  if (!name)
    throw new Error("SWITCHBOARD_TEST_TEMPLATE is unset: run the tests through vitest (test/support/global-setup.ts)");
  return name;
}

export function databaseUrl(name: string): string {
  const url = new URL(postgresUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
