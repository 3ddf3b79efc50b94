// An isolated PostgreSQL database per test file, cloned from a template migrated once per run
// (CREATE DATABASE … TEMPLATE is much faster than migrating per file).
import pg from "pg";
import { openDatabase, pgConfigFromUrl, type Database } from "../../src/db.ts";
import { applyMigrations } from "../../src/migrations.ts";
import { databaseUrl, postgresUrl, templateDatabase } from "./services.ts";

/** One statement as the server's admin user (CREATE/DROP DATABASE). */
export async function adminSql(sql: string, serverUrl = postgresUrl): Promise<void> {
  const client = new pg.Client(pgConfigFromUrl(serverUrl));
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Creates this run's migrated template; returns a function that drops it. */
export async function prepareTemplateDatabase(name: string): Promise<() => Promise<void>> {
  await adminSql(`CREATE DATABASE "${name}"`);
  const db = await openDatabase({ databaseUrl: databaseUrl(name), dataDir: "" });
  await applyMigrations(db.migrationAdapter());
  await db.close();
  return () => adminSql(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `switchboard_test_${crypto.randomUUID().replaceAll("-", "")}`;
  await adminSql(`CREATE DATABASE "${name}" TEMPLATE "${templateDatabase()}"`);
  return { url: databaseUrl(name), drop: () => adminSql(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

/** A test database of its own, opened as the app opens it; `close` closes and drops it. */
export async function openTestDatabase(): Promise<{ db: Database; close(): Promise<void> }> {
  const database = await createTestDatabase();
  const db = await openDatabase({ databaseUrl: database.url, dataDir: "" });
  return {
    db,
    async close() {
      await db.close();
      await database.drop();
    },
  };
}
