// The RingCentral simulator in-process, and a worker wired to it the way production wires it.
import { startSimulator } from "../../src/integrations/ringcentral/simulator/index.ts";
import {
  loggedInConnectionClient,
  startRingCentralWorker,
  type ConnectionClient,
  type RingCentralWorker,
  type WorkerOptions,
} from "../../src/integrations/ringcentral/worker.ts";
import { inProcessLeases } from "../../src/integrations/ringcentral/lease.ts";
import type { App } from "../../src/app.ts";
import { createLogger } from "../../src/logger.ts";

export type Simulator = Awaited<ReturnType<typeof startSimulator>>;

/** Generous rate limits: tests start many sessions and catch-ups in a minute (rate limiting
 * itself is tested on its own). */
const TEST_RATE_LIMITS = {
  Light: { limit: 10_000 },
  Medium: { limit: 10_000 },
  Heavy: { limit: 10_000 },
  Auth: { limit: 10_000 },
};

export async function startTestSimulator(options: Parameters<typeof startSimulator>[0] = {}): Promise<Simulator> {
  return startSimulator({ port: 0, rateLimits: TEST_RATE_LIMITS, ...options });
}

export async function simControl<T = unknown>(
  sim: Simulator,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const response = await fetch(`${sim.url}/__sim/${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`simulator ${method} ${path}: ${response.status} ${await response.text()}`);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/** The production client (rate limiter, retries, JWT re-login) logged in as the simulator's admin. */
export function simulatorClient(sim: Simulator): () => Promise<ConnectionClient> {
  return () => loggedInConnectionClient({ serverUrl: sim.url, ...sim.credentials() });
}

/** A worker for the connections in the database, talking to the simulator. */
export function workerFor(app: App, sim: Simulator, options: Partial<WorkerOptions> = {}) {
  return startRingCentralWorker({
    prisma: app.db.prisma,
    pubsub: app.pubsub,
    log: createLogger(process.env.TEST_LOG_LEVEL ?? "silent"),
    clients: simulatorClient(sim),
    leases: inProcessLeases(),
    ...options,
  });
}

/** Connects the simulator account in the database and starts a worker for it. */
export async function startTestWorker(app: App, sim: Simulator, options: Partial<WorkerOptions> = {}) {
  const account = sim.account() as { id: string };
  const connection = await app.db.prisma.ringCentralConnection.create({
    data: {
      serverUrl: sim.url,
      clientId: sim.credentials().clientId,
      encryptedCredentials: "test",
      accountId: String(account.id),
      ownerExtensionId: "809646016",
    },
  });
  return { worker: workerFor(app, sim, options), connection };
}

/** Routes the simulator account's `phoneNumber` to the inbox as a VOICE channel; the worker subscribes for it. */
export async function connectVoiceChannel(
  app: App,
  worker: RingCentralWorker,
  phoneNumber: string,
  inboxId: string,
): Promise<void> {
  const connection = await app.db.prisma.ringCentralConnection.findFirstOrThrow();
  await app.db.prisma.channel.create({ data: { type: "VOICE", phoneNumber, inboxId, connectionId: connection.id } });
  await worker.reconcile();
}
