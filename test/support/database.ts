// An isolated PostgreSQL database per test file, cloned from a template migrated once per run
// (CREATE DATABASE … TEMPLATE is much faster than migrating per file).
import pg from "pg";
import { openDatabase, pgConfigFromUrl } from "../../src/db.ts";
import { applyMigrations } from "../../src/migrations.ts";
import { TEMPLATE_DATABASE, databaseUrl, postgresUrl } from "./services.ts";

async function admin(sql: string): Promise<void> {
  const client = new pg.Client(pgConfigFromUrl(postgresUrl));
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function prepareTemplateDatabase(): Promise<void> {
  await admin(`DROP DATABASE IF EXISTS "${TEMPLATE_DATABASE}" WITH (FORCE)`);
  await admin(`CREATE DATABASE "${TEMPLATE_DATABASE}"`);
  const db = await openDatabase({ databaseUrl: databaseUrl(TEMPLATE_DATABASE), dataDir: "" });
  await applyMigrations(db.migrationAdapter());
  await db.close();
}

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `switchboard_test_${crypto.randomUUID().replaceAll("-", "")}`;
  await admin(`CREATE DATABASE "${name}" TEMPLATE "${TEMPLATE_DATABASE}"`);
  return { url: databaseUrl(name), drop: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}
