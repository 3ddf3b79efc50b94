// Wires the process together: configuration → database (migrated) → pub/sub → API server.
import type { AddressInfo } from "node:net";
import type { Config } from "./config.ts";
import type { Database } from "./db.ts";
import { openDatabaseMigrated } from "./migrations.ts";
import { createPubSub, type PubSub } from "./pubsub.ts";
import { eventLogName } from "./store/event-log.ts";
import { createApiServer, type ApiServer } from "./server.ts";
import type { Logger } from "./logger.ts";
import {
  connectionClient,
  createRingCentralServices,
  sharedConnectionClient,
  type RingCentralServices,
} from "./integrations/ringcentral/services.ts";
import {
  asConnectionClient,
  startRingCentralWorker,
  type RingCentralWorker,
} from "./integrations/ringcentral/worker.ts";
import { inProcessLeases, postgresLeases } from "./integrations/ringcentral/lease.ts";
import { WEBHOOK_PATH, webhookReceiver } from "./integrations/ringcentral/webhooks.ts";
import { createSmsSender } from "./integrations/ringcentral/sms.ts";
import { handleDownload } from "./downloads.ts";
import { handleAnalyticsCsv } from "./analytics-export.ts";
import { catchUpCallLog, catchUpOpenCalls, type CatchUpProgress } from "./integrations/ringcentral/catchup.ts";
import { syncAllMessages } from "./integrations/ringcentral/messaging.ts";
import { restApiOf } from "./integrations/ringcentral/rest.ts";
import { agentCallControl } from "./integrations/ringcentral/call-control.ts";
import { pgConfigFromUrl } from "./database-url.ts";
import { useInstallationRegion } from "./domain/phone-numbers.ts";
import { startLiveAccess } from "./live-access.ts";
import { startLiveEvents, type LiveEvents } from "./live-events.ts";
import { createRequestRateLimiter } from "./overload.ts";
import { startRuleRunner } from "./rules/runner.ts";
import { startAnalyticsConsumer } from "./analytics/consumer.ts";

export interface App {
  db: Database;
  pubsub: PubSub;
  /** This instance's live events for subscriptions (src/live-events.ts). */
  liveEvents: LiveEvents;
  api: ApiServer;
  /** The RingCentral worker, when this process runs it (`switchboard start`). */
  worker: RingCentralWorker | null;
  url: string;
  close(): Promise<void>;
}

export interface AppOptions {
  onQuery?: (sql: string) => void;
  /** Run the RingCentral worker in this process too. */
  worker?: boolean;
  /** The API's wall clock (default: the system's): tests move it to an inbox's midnight. */
  clock?: () => Date;
}

/** The worker, wired to the saved connection, and the rule runner and analytics consumer beside it;
 * exactly one process runs each (a lease). */
export function startWorker(
  config: Config,
  log: Logger,
  db: Database,
  pubsub: PubSub,
  ringCentral: RingCentralServices,
): RingCentralWorker {
  const leases = config.databaseUrl ? postgresLeases(pgConfigFromUrl(config.databaseUrl)) : inProcessLeases();
  const worker = startRingCentralWorker({
    prisma: db.prisma,
    pubsub,
    log: log.child({ component: "worker" }),
    clients: async () => asConnectionClient(await connectionClient(db.prisma, ringCentral)),
    leases,
    ingest: config.ingest,
    webhook:
      config.ringCentralEvents === "webhook" && config.publicUrl
        ? { address: new URL(WEBHOOK_PATH, config.publicUrl).toString() }
        : undefined,
  });
  const accountClient = sharedConnectionClient(db.prisma, ringCentral);
  const rules = startRuleRunner({
    prisma: db.prisma,
    pubsub,
    log: log.child({ component: "rules" }),
    leases,
    smsSender: async () => {
      const client = await accountClient();
      return createSmsSender({ post: (path: string, body: unknown) => client.request("POST", path, body) });
    },
  });
  const analytics = startAnalyticsConsumer({
    prisma: db.prisma,
    pubsub,
    log: log.child({ component: "analytics" }),
    leases,
  });
  return {
    ...worker,
    close: async () => {
      await analytics.close();
      await rules.close();
      await worker.close();
      await leases.close();
    },
  };
}

/** `switchboard worker`: the worker without the API. */
export async function startWorkerProcess(config: Config, log: Logger): Promise<{ close(): Promise<void> }> {
  useInstallationRegion(config.defaultRegion);
  const db = await openDatabaseMigrated(config, log);
  const pubsub = createPubSub(config.redisUrl, log, { eventLog: await eventLogName(db.prisma) });
  const worker = startWorker(config, log, db, pubsub, createRingCentralServices(config, { log }));
  return {
    close: async () => {
      await worker.close();
      await pubsub.close();
      await db.close();
    },
  };
}

/** `switchboard sync`: one catch-up of the saved connection, reporting progress. */
export async function catchUpNow(
  config: Config,
  log: Logger,
  db: Database,
  onProgress: (progress: CatchUpProgress) => void,
) {
  useInstallationRegion(config.defaultRegion);
  const pubsub = createPubSub(config.redisUrl, log, { eventLog: await eventLogName(db.prisma) });
  const client = await connectionClient(db.prisma, createRingCentralServices(config, { log }));
  try {
    const connection = await db.prisma.ringCentralConnection.findFirstOrThrow();
    const extensions = await client.listExtensions();
    const directory = { extension: (id: string) => extensions.find((e) => e.id === id) };
    const rest = restApiOf(client);
    const options = {
      prisma: db.prisma,
      pubsub,
      log,
      directory,
      platform: rest,
      connectionId: connection.id,
      onProgress,
    };
    const openCalls = await catchUpOpenCalls(options);
    const calls = await catchUpCallLog(options);
    const messages = await syncAllMessages({ prisma: db.prisma, pubsub }, log, { rest }, connection.id, onProgress);
    return { openCalls, calls, messages };
  } finally {
    await client.close();
    await pubsub.close();
  }
}

export async function startApp(config: Config, log: Logger, options: AppOptions = {}): Promise<App> {
  useInstallationRegion(config.defaultRegion);
  const db = await openDatabaseMigrated(config, log, options.onQuery);
  const pubsub = createPubSub(config.redisUrl, log, { eventLog: await eventLogName(db.prisma) });
  const ringCentral = createRingCentralServices(config, { log });
  const accountClient = sharedConnectionClient(db.prisma, ringCentral);
  // Through the client (not the bare SDK): rate limits, retries and re-login apply.
  const fetchContent = async (contentUri: string, range?: string) =>
    (await accountClient()).requestRaw("GET", contentUri, {
      headers: range ? { range } : undefined,
      answerStatuses: [416],
    });
  const webhooks = webhookReceiver({ prisma: db.prisma, pubsub, log, ingest: config.ingest });
  // Listening before the server is: no access change can reach a live operation unheard.
  const access = await startLiveAccess({ prisma: db.prisma, pubsub, log }, { recheckMs: config.accessRecheckMs });
  const liveEvents = await startLiveEvents({ prisma: db.prisma, pubsub, log });
  const rateLimiter = await createRequestRateLimiter({
    requestsPerMinute: config.overload.requestsPerMinutePerToken,
    redisUrl: config.redisUrl,
    log,
  });
  const api = createApiServer({
    config,
    services: {
      prisma: db.prisma,
      pubsub,
      liveEvents,
      log,
      readiness: { database: () => db.ping(), pubsub: () => pubsub.ping() },
      ringCentral,
      smsSender: async () => {
        const client = await accountClient();
        return createSmsSender({ post: (path: string, body: unknown) => client.request("POST", path, body) });
      },
      callControl: agentCallControl(db.prisma, ringCentral),
      access,
      ...(options.clock ? { clock: options.clock } : {}),
    },
    routes: [
      webhooks.handle,
      (req, res) => handleDownload(req, res, { prisma: db.prisma, log, fetchContent }),
      (req, res) => handleAnalyticsCsv(req, res, db.prisma),
    ],
    rateLimiter,
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
    access.close();
    liveEvents.close();
    await rateLimiter?.close();
    await pubsub.close();
    await db.close();
    throw error;
  }
  const { port } = api.server.address() as AddressInfo;
  const url = `http://${config.host === "0.0.0.0" ? "localhost" : config.host}:${port}`;
  log.info(
    { url: `${url}/graphql`, database: db.kind, pubsub: config.redisUrl ? "redis" : "memory" },
    "switchboard is listening",
  );
  const worker = options.worker ? startWorker(config, log, db, pubsub, ringCentral) : null;
  return {
    db,
    pubsub,
    liveEvents,
    api,
    worker,
    url,
    close: async () => {
      await worker?.close();
      await api.close();
      access.close();
      liveEvents.close();
      await rateLimiter?.close();
      await pubsub.close();
      await db.close();
    },
  };
}
