// Wires the process together: configuration → database (migrated) → pub/sub → API server.
import type { AddressInfo } from "node:net";
import type { Config } from "./config.ts";
import { openDatabase, type Database } from "./db.ts";
import { applyMigrations } from "./migrations.ts";
import { createPubSub, type PubSub } from "./pubsub.ts";
import { createApiServer, type ApiServer } from "./server.ts";
import type { Logger } from "./logger.ts";
import { createRingCentralServices } from "./integrations/ringcentral/services.ts";

export interface App {
  db: Database;
  pubsub: PubSub;
  api: ApiServer;
  url: string;
  close(): Promise<void>;
}

export async function openDatabaseMigrated(config: Config, log: Logger, onQuery?: (sql: string) => void): Promise<Database> {
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, onQuery });
  const applied = await applyMigrations(db.migrationAdapter());
  if (applied.length > 0) log.info({ applied }, "applied database migrations");
  return db;
}

export async function startApp(config: Config, log: Logger, options: { onQuery?: (sql: string) => void } = {}): Promise<App> {
  const db = await openDatabaseMigrated(config, log, options.onQuery);
  const pubsub = createPubSub(config.redisUrl);
  const api = createApiServer({
    config,
    services: {
      prisma: db.prisma,
      pubsub,
      log,
      readiness: { database: () => db.ping(), pubsub: () => pubsub.ping() },
      ringCentral: createRingCentralServices(config, { log }),
    },
  });
  try {
    await new Promise<void>((resolve, reject) => {
      api.server.once("error", reject);
      api.server.listen(config.port, config.host, () => {
        api.server.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    // e.g. EADDRINUSE: report it to the caller instead of crashing, and release what was opened.
    await pubsub.close();
    await db.close();
    throw error;
  }
  const { port } = api.server.address() as AddressInfo;
  const url = `http://${config.host === "0.0.0.0" ? "localhost" : config.host}:${port}`;
  log.info({ url: `${url}/graphql`, database: db.kind, pubsub: config.redisUrl ? "redis" : "memory" }, "switchboard is listening");
  return {
    db,
    pubsub,
    api,
    url,
    close: async () => {
      await api.close();
      await pubsub.close();
      await db.close();
    },
  };
}
