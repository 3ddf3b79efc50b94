// The RingCentral simulator in-process, and a worker wired to it the way production wires it.
import { SDK } from "@ringcentral/sdk";
import { startSimulator } from "../../src/integrations/ringcentral/simulator/index.ts";
import { startRingCentralWorker, type ConnectionClient, type WorkerOptions } from "../../src/integrations/ringcentral/worker.ts";
import { inProcessLeases } from "../../src/integrations/ringcentral/lease.ts";
import type { App } from "../../src/app.ts";
import { createLogger } from "../../src/logger.ts";

export type Simulator = Awaited<ReturnType<typeof startSimulator>>;

export async function startTestSimulator(options: Parameters<typeof startSimulator>[0] = {}): Promise<Simulator> {
  return startSimulator({ port: 0, ...options });
}

export async function simControl<T = unknown>(sim: Simulator, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${sim.url}/__sim/${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`simulator ${method} ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** A logged-in SDK for the simulator's admin, as a worker connection client. */
export function simulatorClient(sim: Simulator): () => Promise<ConnectionClient> {
  return async () => {
    const { clientId, clientSecret, jwt } = sim.credentials();
    const sdk = new SDK({ server: sim.url, clientId, clientSecret, cachePrefix: `test-${crypto.randomUUID()}` });
    await sdk.platform().login({ jwt });
    return {
      sdk,
      listExtensions: async () => {
        const response = await sdk.platform().get("/restapi/v1.0/account/~/extension", { perPage: 1000 });
        const body = (await response.json()) as { records: { id: number; type: string; contact?: { email?: string } }[] };
        return body.records.map((r) => ({ id: String(r.id), type: r.type, email: r.contact?.email ?? null }));
      },
      close: async () => {
        await sdk.platform().logout().catch(() => {});
      },
    };
  };
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
    data: { serverUrl: sim.url, clientId: sim.credentials().clientId, encryptedCredentials: "test", accountId: String(account.id), ownerExtensionId: "809646016" },
  });
  return { worker: workerFor(app, sim, options), connection };
}
