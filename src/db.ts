// One PrismaClient over either PostgreSQL (DATABASE_URL, through @prisma/adapter-pg) or the
// embedded default, a PGlite data directory. Same generated client, same migrations.
import fs from "node:fs";
import pg from "pg";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { PrismaPg } from "@prisma/adapter-pg";
import type { SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import { PrismaClient } from "./generated/prisma/client.ts";
import { pgConfigFromUrl } from "./database-url.ts";
import { lockDataDirectory } from "./data-directory-lock.ts";

export type { PrismaClient };
/** Also here for the callers that open databases (tests, benchmarks). */
export { pgConfigFromUrl };

export interface DatabaseOptions {
  databaseUrl?: string;
  dataDir: string;
  /** Called with every SQL statement (statement counting in tests and benchmarks). */
  onQuery?: (sql: string) => void;
  poolSize?: number;
  /** How many distinct statements each PostgreSQL connection may keep prepared (0: none). */
  preparedStatements?: number;
}

export interface Database {
  kind: "postgres" | "pglite";
  prisma: PrismaClient;
  /** A factory the schema engine can migrate through (also opens shadow databases). */
  migrationAdapter(): SqlMigrationAwareDriverAdapterFactory;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  return options.databaseUrl ? openPostgres(options.databaseUrl, options) : openPglite(options.dataDir, options);
}

function withQueryLog(client: PrismaClient, onQuery?: (sql: string) => void): PrismaClient {
  if (onQuery)
    (client as unknown as { $on: (e: "query", f: (q: { query: string }) => void) => void }).$on("query", (q) =>
      onQuery(q.query),
    );
  return client;
}

/**
 * Names for the statements sent to PostgreSQL, so that each connection parses and plans a statement
 * that keeps coming back once instead of at every execution: for the nested statements Prisma's
 * relation joins produce, planning costs about as much as running (the inbox page's figures are in
 * BENCHMARKS.md). A statement gets a name the second time its text is sent (one-off texts,
 * such as IN lists of a rare length, stay unnamed), and at most `limit` texts get one: each costs
 * memory in every connection that ran it (the inbox page's most; most statements far less).
 */
export class PreparedStatementNames {
  private readonly names = new Map<string, string>();
  private readonly sentOnce = new Set<string>();

  constructor(private readonly limit: number) {}

  /** The statement's name, or "" (pg's unnamed statement: parsed and planned each time). */
  nameOf(sql: string): string {
    const name = this.names.get(sql);
    if (name !== undefined) return name;
    if (this.names.size >= this.limit) return "";
    if (!this.sentOnce.has(sql)) {
      if (this.sentOnce.size >= 10 * this.limit) this.sentOnce.clear(); // texts that never came back
      this.sentOnce.add(sql);
      return "";
    }
    this.sentOnce.delete(sql);
    const named = `switchboard_${this.names.size + 1}`;
    this.names.set(sql, named);
    return named;
  }
}

function openPostgres(url: string, options: DatabaseOptions): Database {
  const config = pgConfigFromUrl(url);
  const statements = options.preparedStatements ? new PreparedStatementNames(options.preparedStatements) : null;
  const adapter = new PrismaPg(
    { ...config, max: options.poolSize ?? 10 },
    statements ? { statementNameGenerator: ({ sql }) => statements.nameOf(sql) } : {},
  );
  const prisma = withQueryLog(
    new PrismaClient({ adapter, log: options.onQuery ? [{ emit: "event", level: "query" }] : [] }),
    options.onQuery,
  );
  return {
    kind: "postgres",
    prisma,
    migrationAdapter: () => postgresMigrationAdapter(config),
    ping: async () => {
      await prisma.$queryRaw`SELECT 1`;
    },
    close: () => prisma.$disconnect(),
  };
}

async function openPglite(dataDir: string, options: DatabaseOptions): Promise<Database> {
  fs.mkdirSync(dataDir, { recursive: true });
  const lock = lockDataDirectory(dataDir);
  const client = new PGlite(dataDir);
  try {
    await client.waitReady;
  } catch (error) {
    lock.release();
    throw error;
  }
  const adapter = new PrismaPGlite(client);
  const prisma = withQueryLog(
    new PrismaClient({ adapter, log: options.onQuery ? [{ emit: "event", level: "query" }] : [] }),
    options.onQuery,
  );
  return {
    kind: "pglite",
    prisma,
    migrationAdapter: () => adapter,
    ping: async () => {
      await client.query("SELECT 1");
    },
    close: async () => {
      try {
        await prisma.$disconnect();
        await client.close();
      } finally {
        lock.release();
      }
    },
  };
}

// The schema engine's catalog queries return PostgreSQL's internal "char" type, which
// @prisma/adapter-pg rejects; the migration connection reports it as text.
const CHAR_OID = 18;
const CHAR_ARRAY_OID = 1002;
const TEXT_OID = 25;
const TEXT_ARRAY_OID = 1009;

function reportCharAsText<T>(result: T): T {
  for (const part of Array.isArray(result) ? result : [result]) {
    for (const field of (part as pg.QueryResult | undefined)?.fields ?? []) {
      if (field.dataTypeID === CHAR_OID) field.dataTypeID = TEXT_OID;
      else if (field.dataTypeID === CHAR_ARRAY_OID) field.dataTypeID = TEXT_ARRAY_OID;
    }
  }
  return result;
}

class CharAsTextClient extends pg.Client {
  // pg's overloads are many; the schema engine calls the promise form and the pool the callback form.
  override query(config: unknown, values?: unknown, callback?: unknown): never {
    const query = super.query.bind(this) as (...args: unknown[]) => unknown;
    if (typeof values === "function") [callback, values] = [values, undefined];
    if (typeof callback === "function") {
      const done = callback as (error: unknown, result: unknown) => void;
      return query(config, values, (error: unknown, result: unknown) =>
        done(error, error ? result : reportCharAsText(result)),
      ) as never;
    }
    const result = query(config, values) as { then?: unknown } | undefined;
    return (typeof result?.then === "function" ? (result as Promise<unknown>).then(reportCharAsText) : result) as never;
  }
}

/** PrismaPg keeps its pool options private; the migration connection needs its own pg.Client class. */
function usePgClient(factory: PrismaPg, client: typeof pg.Client): void {
  (factory as unknown as { config: pg.PoolConfig }).config.Client = client;
}

function postgresMigrationAdapter(config: pg.ClientConfig): SqlMigrationAwareDriverAdapterFactory {
  const main = new PrismaPg(config);
  usePgClient(main, CharAsTextClient);
  return {
    provider: main.provider,
    adapterName: main.adapterName,
    connect: async () => wholeScripts(await main.connect()),
    // PrismaPg drops its shadow database before closing the pool ("being accessed by other users"):
    // end the pool first, then drop.
    connectToShadowDb: async () => {
      const name = `prisma_migrate_shadow_db_${crypto.randomUUID().replaceAll("-", "")}`;
      await runAdminStatement(config, `CREATE DATABASE "${name}"`);
      const shadow = new PrismaPg({ ...config, database: name });
      usePgClient(shadow, CharAsTextClient);
      const inner = await shadow.connect();
      const wrapped = wholeScripts(inner);
      wrapped.dispose = async () => {
        await inner.dispose();
        await runAdminStatement(config, `DROP DATABASE IF EXISTS "${name}"`);
      };
      return wrapped;
    },
  };
}

/** What PrismaPg's adapter keeps private and a whole script needs. */
interface PgAdapterInternals {
  client: pg.Pool;
  onError(error: unknown): never;
}

/**
 * The adapter, sending a migration script as one simple query (one implicit transaction), as
 * `prisma migrate deploy` does. PrismaPg's own executeScript splits it at every semicolon, which
 * cuts apart the bodies of functions (the search document's triggers) and comments.
 */
function wholeScripts<T extends object>(adapter: T): T {
  const internals = adapter as unknown as PgAdapterInternals;
  const wrapped = Object.create(adapter) as T & { executeScript(script: string): Promise<void> };
  wrapped.executeScript = async (script: string) => {
    try {
      await internals.client.query(script);
    } catch (error) {
      internals.onError(error);
    }
  };
  return wrapped;
}

async function runAdminStatement(config: pg.ClientConfig, sql: string): Promise<void> {
  const client = new pg.Client(config);
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
