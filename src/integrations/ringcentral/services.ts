// What the API (and the worker) need to reach RingCentral: the secret box for stored credentials
// and the gateway that makes RingCentralClients. Built once per process from the configuration.
import type { Config } from "../../config.ts";
import type { PrismaClient } from "../../generated/prisma/client.ts";
import { createSecretBox, type SecretBox } from "../../secrets.ts";
import { agentSession } from "../../domain/agent-sessions.ts";
import { requireConnection, savedCredentials, type RingCentralGateway } from "../../domain/connections.ts";
import { RingCentralClient } from "./client.ts";
import { ringCentralGateway, type ClientDefaults } from "./gateway.ts";

export interface RingCentralServices {
  secrets: SecretBox;
  gateway: RingCentralGateway<RingCentralClient>;
  /** Options every client gets (retry policy, log); the worker makes its clients with them. */
  clientDefaults: ClientDefaults;
}

export function createRingCentralServices(
  config: Pick<Config, "encryptionKey" | "databaseUrl" | "dataDir">,
  clientDefaults: ClientDefaults = {},
): RingCentralServices {
  return {
    secrets: createSecretBox({
      encryptionKey: config.encryptionKey,
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
    }),
    gateway: ringCentralGateway(clientDefaults),
    clientDefaults,
  };
}

/** A client of the connected account, logged in with the saved JWT (for the worker). */
export async function connectionClient(
  prisma: PrismaClient,
  services: RingCentralServices,
): Promise<RingCentralClient> {
  const connection = await requireConnection(prisma);
  const credentials = await savedCredentials(services, connection);
  const client = new RingCentralClient({ ...services.clientDefaults, ...credentials });
  await client.login();
  return client;
}

/** The agent's own session as a client (call control); RINGCENTRAL_LOGIN_REQUIRED when there is none. */
export function agentClient(
  prisma: PrismaClient,
  services: RingCentralServices,
  userId: string,
): Promise<RingCentralClient> {
  return agentSession({ prisma, secrets: services.secrets, gateway: services.gateway }, userId);
}

/**
 * One logged-in client of the connected account per process, for the API's own calls (sending
 * SMS, fetching content): made on first use and made again after a failure or a reconnection.
 */
export function sharedConnectionClient(
  prisma: PrismaClient,
  services: RingCentralServices,
): () => Promise<RingCentralClient> {
  let current: { connectionId: string; client: Promise<RingCentralClient> } | null = null;
  return async () => {
    const connection = await requireConnection(prisma);
    if (!current || current.connectionId !== connection.id) {
      const client = connectionClient(prisma, services);
      current = { connectionId: connection.id, client };
      client.catch(() => (current = null));
    }
    return current.client;
  };
}
