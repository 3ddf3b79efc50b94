// Switchboard in its production shape for the drills: `switchboard serve` and `switchboard worker` as
// separate processes (started the way an operator starts them) on a private PostgreSQL and Redis,
// the RingCentral simulator, an admin who connected the simulated account and routed its main number
// to an inbox. Everything is observed from outside: GraphQL over HTTP and graphql-ws, process exits,
// log lines.
import fs from "node:fs";
import path from "node:path";
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import { subscribe } from "../../support/api.ts";
import { simControl, startTestSimulator, type Simulator } from "../../support/simulator.ts";
import {
  graphql,
  runSwitchboard,
  spawnSwitchboard,
  startSwitchboardServer,
  type SwitchboardProcess,
} from "../../support/switchboard-process.ts";
import { startPrivatePostgres, startPrivateRedis, type PrivatePostgres, type PrivateRedis } from "./services.ts";

export const MAIN_NUMBER = "+18003151571";
const ENCRYPTION_KEY = "d".repeat(64);

/** What a played call must end as, by the scenario that plays it. */
export const OUTCOME = { ivr: "ENDED", missed: "MISSED" } as const;
export type CallKind = keyof typeof OUTCOME;

export interface PlayedCall {
  kind: CallKind;
  from: string;
}

export interface Deployment {
  postgres: PrivatePostgres;
  redis: PrivateRedis;
  simulator: Simulator;
  serve: SwitchboardProcess & { url: string };
  worker: SwitchboardProcess;
  adminToken: string;
  inboxId: string;
  /** Runs a GraphQL operation on the API instance as the admin; request-level errors throw. */
  query<T = any>(query: string, variables?: object): Promise<T>;
  /** A graphql-ws client of the API instance, as the admin, that does not reconnect by itself. */
  wsClient(): Client;
  /** Plays a call through the simulator, from a caller number no other call used. */
  playCall(kind: CallKind): Promise<PlayedCall>;
  /** Every call the API shows, by caller number: its statuses (one per stored call). */
  storedCalls(): Promise<Map<string, string[]>>;
  /** Product processes that exited, with how. */
  exits(): string[];
  close(): Promise<void>;
}

let callers = 0;
/** A caller number no other call of the run used (the drills tell calls apart by it). */
function nextCaller(): string {
  callers += 1;
  return `+1415555${String(callers).padStart(4, "0")}`;
}

export async function startDeployment(): Promise<Deployment> {
  const postgres = await startPrivatePostgres();
  const redis = await startPrivateRedis();
  const simulator = await startTestSimulator();
  const env = { DATABASE_URL: postgres.url, REDIS_URL: redis.url, ENCRYPTION_KEY, LOG_LEVEL: "info" };
  const migrated = await runSwitchboard(["migrate"], env);
  if (migrated.code !== 0) throw new Error(`switchboard migrate failed:\n${migrated.output}`);
  const created = await runSwitchboard(
    ["user", "create", "--email", "admin@drill.test", "--name", "Drill admin", "--role", "ADMIN"],
    env,
  );
  if (created.code !== 0) throw new Error(`switchboard user create failed:\n${created.output}`);
  const adminToken = created.lastLine;

  const serve = await startSwitchboardServer("serve", env);
  const worker = spawnSwitchboard(["worker"], env);
  await worker.waitFor(/"msg":"RingCentral worker started"/);
  const processes = { serve, worker };
  let closing = false;
  const exits: string[] = [];
  for (const [name, child] of Object.entries(processes)) {
    void child.exited.then(({ code, signal }) => {
      const lastLines = child.output.trimEnd().split("\n").slice(-5).join("\n");
      if (!closing) exits.push(`${name} exited with ${signal ?? code}; its last lines:\n${lastLines}`);
    });
  }
  const clients: Client[] = [];

  const query = async <T>(text: string, variables?: object): Promise<T> => {
    const result = await graphql<T>(serve.url, text, adminToken, variables);
    if (result.errors || !result.data) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
    return result.data;
  };

  const { clientId, clientSecret, jwt } = simulator.credentials();
  const verified = await query<any>(
    `mutation($server: String!, $clientId: String!, $secret: String!, $jwt: String!) {
      verifyRingCentralCredentials(serverUrl: $server, clientId: $clientId, clientSecret: $secret, jwt: $jwt) {
        __typename ... on Error { code message }
      }
    }`,
    { server: simulator.url, clientId, secret: clientSecret, jwt },
  );
  expectTypename(verified.verifyRingCentralCredentials, "VerifyRingCentralCredentialsPayload");
  const inbox = await query<any>(
    `mutation { createInbox(name: "Drills") { __typename ... on InboxPayload { inbox { id } } } }`,
  );
  const inboxId: string = inbox.createInbox.inbox.id;
  const connected = await query<any>(
    `mutation($inbox: ID!) {
      connectChannel(number: "${MAIN_NUMBER}", type: VOICE, inboxId: $inbox) { __typename ... on Error { code message } }
    }`,
    { inbox: inboxId },
  );
  expectTypename(connected.connectChannel, "ChannelPayload");
  // The API announces the new channel; the worker subscribes at once.
  await worker.waitFor(/"msg":"RingCentral subscription active"/);

  return {
    postgres,
    redis,
    simulator,
    serve,
    worker,
    adminToken,
    inboxId,
    query,
    wsClient() {
      const client = createClient({
        url: `${serve.url.replace("http", "ws")}/graphql`,
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${adminToken}` },
        retryAttempts: 0,
        lazy: true,
      });
      clients.push(client);
      return client;
    },
    async playCall(kind) {
      const from = nextCaller();
      const options = kind === "ivr" ? {} : { extensionId: "62264425016" };
      await simControl(simulator, "POST", "scenarios", { type: kind, from, to: MAIN_NUMBER, ...options });
      return { kind, from };
    },
    async storedCalls() {
      const data = await query<any>(
        `{
          conversations(first: 100) {
            edges { node { calls(first: 20) { edges { node { fromNumber status } } } } }
            pageInfo { hasNextPage endCursor }
          }
        }`,
      );
      const calls = new Map<string, string[]>();
      for (const conversation of data.conversations.edges) {
        for (const { node } of conversation.node.calls.edges) {
          calls.set(node.fromNumber, [...(calls.get(node.fromNumber) ?? []), node.status]);
        }
      }
      if (data.conversations.pageInfo.hasNextPage) throw new Error("more than 100 conversations: page through them");
      return calls;
    },
    exits: () => [...exits],
    async close() {
      closing = true;
      await Promise.all(clients.map((client) => client.dispose()));
      for (const child of [serve, worker]) if (child.child.exitCode === null) child.child.kill("SIGTERM");
      await Promise.all([serve.exited, worker.exited]);
      // DRILL_LOG_DIR=dir keeps the processes' logs for a look afterwards.
      const logDir = process.env.DRILL_LOG_DIR;
      if (logDir) {
        fs.mkdirSync(logDir, { recursive: true });
        fs.writeFileSync(path.join(logDir, "serve.log"), serve.output);
        fs.writeFileSync(path.join(logDir, "worker.log"), worker.output);
      }
      await simulator.close();
      await redis.destroy();
      await postgres.destroy();
    },
  };
}

function expectTypename(payload: { __typename: string }, wanted: string): void {
  if (payload.__typename !== wanted) throw new Error(`expected ${wanted}, got ${JSON.stringify(payload)}`);
}

/** Polls `check` until it returns true; throws with `describe()` once `deadlineMs` passed, or at once
 * when a product process of `deployment` exited (nothing would change any more). */
export async function waitUntil(
  check: () => Promise<boolean>,
  deadlineMs: number,
  describe: () => Promise<string> | string,
  deployment?: Pick<Deployment, "exits">,
): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const exits = deployment?.exits() ?? [];
    if (exits.length > 0) throw new Error(`a product process exited:\n${exits.join("\n")}`);
    // A dependency coming back may refuse a request or two: that is a "not yet", not a failure.
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`not consistent after ${deadlineMs} ms: ${await describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The calls whose stored state is not exactly one call with the played outcome. */
export function discrepancies(played: PlayedCall[], stored: Map<string, string[]>): string[] {
  return played.flatMap(({ kind, from }) => {
    const statuses = stored.get(from) ?? [];
    return statuses.length === 1 && statuses[0] === OUTCOME[kind]
      ? []
      : [`${kind} call from ${from}: stored ${JSON.stringify(statuses)}, expected ["${OUTCOME[kind]}"]`];
  });
}

export { subscribe };
