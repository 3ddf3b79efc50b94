// Fresh PostgreSQL databases for benchmark runs: one migrated template per bench process, cloned
// per run (CREATE DATABASE … TEMPLATE), dropped afterwards. Same server the tests use.
import { openDatabase } from "../src/db.ts";
import { applyMigrations } from "../src/migrations.ts";
import { adminSql } from "../test/support/database.ts";

export const postgresUrl =
  process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/test";
export const redisUrl = process.env.BENCH_REDIS_URL ?? process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

export function databaseUrl(name: string): string {
  const url = new URL(postgresUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export interface BenchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

let template: Promise<string> | null = null;

/** This process's migrated template (created once, dropped at exit by dropTemplate). */
function templateName(): Promise<string> {
  template ??= (async () => {
    const name = `switchboard_bench_template_${process.pid}_${Date.now()}`;
    await adminSql(`CREATE DATABASE "${name}"`, postgresUrl);
    const db = await openDatabase({ databaseUrl: databaseUrl(name), dataDir: "" });
    await applyMigrations(db.migrationAdapter());
    await db.close();
    return name;
  })();
  return template;
}

export async function dropTemplate(): Promise<void> {
  if (!template) return;
  const name = await template;
  template = null;
  await adminSql(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`, postgresUrl);
}

/** A fresh, migrated, empty database. */
export async function createBenchDatabase(label: string): Promise<BenchDatabase> {
  const source = await templateName();
  const name = `switchboard_bench_${label}_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  await adminSql(`CREATE DATABASE "${name}" TEMPLATE "${source}"`, postgresUrl);
  return {
    name,
    url: databaseUrl(name),
    drop: () => adminSql(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`, postgresUrl),
  };
}
