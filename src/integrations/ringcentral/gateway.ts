// The domain's gateway to RingCentral (RingCentralGateway of src/domain/connections.ts), made of
// RingCentralClients.
import crypto from "node:crypto";
import { LRUCache } from "lru-cache";
import type { AgentLogin, ConnectionCredentials, RingCentralGateway } from "../../domain/connections.ts";
import { RingCentralClient, type RingCentralClientOptions } from "./client.ts";

/** Options every client of the app gets (retry policy, log). */
export type ClientDefaults = Pick<
  RingCentralClientOptions,
  "retry" | "sleep" | "log" | "accessTokenTtlSeconds" | "refreshTokenTtlSeconds"
>;

/** How many logged-in connection clients a gateway keeps (one per distinct set of credentials). */
const CACHED_DIRECTORIES = 8;

function credentialsKey(credentials: ConnectionCredentials): string {
  const { serverUrl, clientId, clientSecret, jwt } = credentials;
  return crypto
    .createHash("sha256")
    .update(JSON.stringify([serverUrl, clientId, clientSecret, jwt]))
    .digest("hex");
}

export function ringCentralGateway(defaults: ClientDefaults = {}): RingCentralGateway<RingCentralClient> {
  // Connection clients are kept and reused: a JWT login per request would spend RingCentral's Auth
  // group (5 a minute per user) and open a new session each time (about 5 may be open per user).
  const directories = new LRUCache<string, RingCentralClient>({
    max: CACHED_DIRECTORIES,
    // Only a client pushed out ends its session; one still cached stays logged in.
    dispose: (client, _key, reason) => {
      if (reason === "evict") void client.close();
    },
  });
  const directory = (credentials: ConnectionCredentials): RingCentralClient => {
    const key = credentialsKey(credentials);
    const cached = directories.get(key);
    if (cached) return cached;
    const client = new RingCentralClient({ ...defaults, ...credentials });
    directories.set(key, client);
    return client;
  };
  return {
    directory,
    async agentLogin(app, jwt): Promise<AgentLogin> {
      const client = new RingCentralClient({ ...defaults, ...app, jwt });
      await client.login();
      const identity = await client.verify();
      return { identity, session: await client.session() };
    },
    async resumeSession(app, session, hooks) {
      const client = new RingCentralClient({ ...defaults, ...app, session, hooks });
      await client.restore(session);
      // Refresh now if due, so a dead session is found (and marked) before the caller acts.
      await client.ensureSession();
      return client;
    },
    async endSession(app, session) {
      const client = new RingCentralClient({ ...defaults, ...app, session });
      await client.restore(session);
      await client.logout();
    },
  };
}
