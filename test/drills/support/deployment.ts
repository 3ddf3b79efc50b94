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
/** The admin extension's direct number: it may send and receive SMS, so the drills connect it as a text channel. */
export const SMS_NUMBER = "+19043014558";
const ENCRYPTION_KEY = "d".repeat(64);

/** What a played call must end as, by the scenario that plays it. */
export const OUTCOME = { ivr: "ENDED", missed: "MISSED" } as const;
export type CallKind = keyof typeof OUTCOME;

export interface PlayedCall {
  kind: CallKind;
  from: string;
}

export interface SentText {
  from: string;
  text: string;
}

export interface DeploymentOptions {
  /** Names the folder of the processes' logs under DRILL_LOG_DIR. */
  name?: string;
  /** `switchboard serve` instances (default 1). */
  serves?: number;
  /** `switchboard worker` processes (default 1): the first runs the connection, the others stand by. */
  workers?: number;
  /** Options of the simulator (a short recovery window, say). */
  simulator?: Parameters<typeof startTestSimulator>[0];
  /** Connect SMS_NUMBER as a text channel of the inbox too (default false). */
  texts?: boolean;
}

/** What the API shows, by customer number: the statuses of its calls, the texts of its messages. */
export interface StoredState {
  calls: Map<string, string[]>;
  texts: Map<string, string[]>;
}

export interface Deployment {
  postgres: PrivatePostgres;
  redis: PrivateRedis;
  simulator: Simulator;
  /** The first API instance. */
  serve: SwitchboardProcess & { url: string };
  serves: (SwitchboardProcess & { url: string })[];
  /** The first worker started. */
  worker: SwitchboardProcess;
  /** The workers started so far, in order (killed ones included: see `running`). */
  workers: SwitchboardProcess[];
  adminToken: string;
  inboxId: string;
  /** Runs a GraphQL operation on an API instance (default the first) as the admin; request-level errors throw. */
  query<T = any>(query: string, variables?: object, serveIndex?: number): Promise<T>;
  /** A graphql-ws client of an API instance (default the first), as the admin, that does not reconnect by itself. */
  wsClient(serveIndex?: number): Client;
  /** Plays a call through the simulator, from a caller number no other call used. */
  playCall(kind: CallKind): Promise<PlayedCall>;
  /** Sends an SMS to SMS_NUMBER through the simulator, from a number no other text used. */
  sendText(): Promise<SentText>;
  /** Every call the API shows, by caller number: its statuses (one per stored call). */
  storedCalls(): Promise<Map<string, string[]>>;
  /** Every call and text an API instance (default the first) shows, by customer number. */
  storedState(serveIndex?: number): Promise<StoredState>;
  /** Starts one more `switchboard worker`; resolves once it has looked at the connections. */
  startWorker(): Promise<SwitchboardProcess>;
  /** Stops a product process on purpose (its exit is not a failure); resolves once it exited. */
  stopProcess(child: SwitchboardProcess, signal: NodeJS.Signals): Promise<void>;
  /** The workers not stopped on purpose. */
  running(): SwitchboardProcess[];
  /** Product processes that exited without being told to, with how. */
  exits(): string[];
  close(): Promise<void>;
}

let callers = 0;
/** A caller number no other call of the run used (the drills tell calls apart by it). */
function nextCaller(): string {
  callers += 1;
  return `+1415555${String(callers).padStart(4, "0")}`;
}
let texters = 0;
function nextTexter(): string {
  texters += 1;
  return `+1628555${String(texters).padStart(4, "0")}`;
}

export async function startDeployment(options: DeploymentOptions = {}): Promise<Deployment> {
  const postgres = await startPrivatePostgres();
  const redis = await startPrivateRedis();
  const simulator = await startTestSimulator(options.simulator);
  const env = { DATABASE_URL: postgres.url, REDIS_URL: redis.url, ENCRYPTION_KEY, LOG_LEVEL: "info" };
  const migrated = await runSwitchboard(["migrate"], env);
  if (migrated.code !== 0) throw new Error(`switchboard migrate failed:\n${migrated.output}`);
  const created = await runSwitchboard(
    ["user", "create", "--email", "admin@drill.test", "--name", "Drill admin", "--role", "ADMIN"],
    env,
  );
  if (created.code !== 0) throw new Error(`switchboard user create failed:\n${created.output}`);
  const adminToken = created.lastLine;

  let closing = false;
  const exits: string[] = [];
  const stoppedOnPurpose = new Set<SwitchboardProcess>();
  const watch = (name: string, child: SwitchboardProcess) => {
    void child.exited.then(({ code, signal }) => {
      const lastLines = child.output.trimEnd().split("\n").slice(-5).join("\n");
      if (!closing && !stoppedOnPurpose.has(child))
        exits.push(`${name} exited with ${signal ?? code}; its last lines:\n${lastLines}`);
    });
  };
  const serves = await Promise.all(
    Array.from({ length: options.serves ?? 1 }, () => startSwitchboardServer("serve", env)),
  );
  for (const [i, serve] of serves.entries()) watch(`serve ${i + 1}`, serve);
  const workers: SwitchboardProcess[] = [];
  const startWorker = async () => {
    const worker = spawnSwitchboard(["worker"], env);
    workers.push(worker);
    watch(`worker ${workers.length}`, worker);
    await worker.waitFor(/"msg":"RingCentral worker started"/);
    return worker;
  };
  // The first worker alone at first, so it is the one that takes the connection's lease.
  await startWorker();
  const clients: Client[] = [];

  const query = async <T>(text: string, variables?: object, serveIndex = 0): Promise<T> => {
    const result = await graphql<T>(serves[serveIndex]!.url, text, adminToken, variables);
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
  const connect = async (number: string, type: "VOICE" | "SMS") => {
    const connected = await query<any>(
      `mutation($inbox: ID!, $number: String!, $type: ChannelType!) {
        connectChannel(number: $number, type: $type, inboxId: $inbox) { __typename ... on Error { code message } }
      }`,
      { inbox: inboxId, number, type },
    );
    expectTypename(connected.connectChannel, "ChannelPayload");
  };
  await connect(MAIN_NUMBER, "VOICE");
  if (options.texts) await connect(SMS_NUMBER, "SMS");
  // The API announces the new channels; the worker subscribes at once (again for the SMS channel:
  // its extension's filters join the subscription).
  await waitUntil(
    async () => {
      const { records } = await simControl<{ records: { eventFilters: string[] }[] }>(
        simulator,
        "GET",
        "subscriptions",
      );
      const filters = records.flatMap((r) => r.eventFilters);
      return (
        filters.some((f) => f.includes("telephony/sessions")) &&
        (!options.texts || filters.some((f) => f.includes("message-store")))
      );
    },
    60_000,
    () => "the worker did not subscribe to the channels' events",
    { exits: () => [...exits] },
  );
  await workers[0]!.waitFor(/"msg":"RingCentral subscription active"/);
  for (let i = 1; i < (options.workers ?? 1); i++) await startWorker();

  const storedState = async (serveIndex = 0): Promise<StoredState> => {
    const state: StoredState = { calls: new Map(), texts: new Map() };
    let after: string | null = null;
    for (;;) {
      const data: any = await query<any>(
        `query($after: String) {
          conversations(first: 100, after: $after) {
            edges { node {
              calls(first: 20) { edges { node { fromNumber status } } }
              messages(first: 20) { edges { node { fromNumber text } } }
            } }
            pageInfo { hasNextPage endCursor }
          }
        }`,
        { after },
        serveIndex,
      );
      for (const conversation of data.conversations.edges) {
        for (const { node } of conversation.node.calls.edges) {
          state.calls.set(node.fromNumber, [...(state.calls.get(node.fromNumber) ?? []), node.status]);
        }
        for (const { node } of conversation.node.messages.edges) {
          state.texts.set(node.fromNumber, [...(state.texts.get(node.fromNumber) ?? []), node.text]);
        }
      }
      if (!data.conversations.pageInfo.hasNextPage) return state;
      after = data.conversations.pageInfo.endCursor;
    }
  };

  return {
    postgres,
    redis,
    simulator,
    serve: serves[0]!,
    serves,
    get worker() {
      return workers[0]!;
    },
    workers,
    adminToken,
    inboxId,
    query,
    wsClient(serveIndex = 0) {
      const client = createClient({
        url: `${serves[serveIndex]!.url.replace("http", "ws")}/graphql`,
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
    async sendText() {
      const from = nextTexter();
      const text = `Drill text from ${from}`;
      await simControl(simulator, "POST", "sms/inbound", { from, to: SMS_NUMBER, text });
      return { from, text };
    },
    storedCalls: async () => (await storedState()).calls,
    storedState,
    startWorker,
    async stopProcess(child, signal) {
      stoppedOnPurpose.add(child);
      if (child.child.exitCode === null && child.child.signalCode === null) child.child.kill(signal);
      await child.exited;
    },
    running: () => workers.filter((w) => !stoppedOnPurpose.has(w) && w.child.exitCode === null),
    exits: () => [...exits],
    async close() {
      closing = true;
      await Promise.all(clients.map((client) => client.dispose()));
      const processes = [...serves, ...workers];
      for (const child of processes) if (child.child.exitCode === null) child.child.kill("SIGTERM");
      await Promise.all(processes.map((child) => child.exited));
      // DRILL_LOG_DIR=dir keeps the processes' logs for a look afterwards, in a folder per drill file.
      const logDir = process.env.DRILL_LOG_DIR && path.join(process.env.DRILL_LOG_DIR, options.name ?? "drill");
      if (logDir) {
        fs.mkdirSync(logDir, { recursive: true });
        for (const [i, serve] of serves.entries()) {
          fs.writeFileSync(path.join(logDir, `serve-${i + 1}.log`), serve.output);
        }
        for (const [i, worker] of workers.entries()) {
          fs.writeFileSync(path.join(logDir, `worker-${i + 1}.log`), worker.output);
        }
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

/** The texts whose stored state is not exactly one message with the text sent. */
export function textDiscrepancies(sent: SentText[], stored: Map<string, string[]>): string[] {
  return sent.flatMap(({ from, text }) => {
    const texts = stored.get(from) ?? [];
    return texts.length === 1 && texts[0] === text
      ? []
      : [`text from ${from}: stored ${JSON.stringify(texts)}, expected ${JSON.stringify([text])}`];
  });
}
