// Starts Switchboard in-process on a free port (real PostgreSQL + Redis unless told otherwise) and
// talks to it the way clients do: GraphQL over HTTP with fetch, subscriptions with graphql-ws.
import { print, type ExecutionResult } from "graphql";
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import { loadConfig } from "../../src/config.ts";
import { createLogger, type Logger } from "../../src/logger.ts";
import { startApp, type App } from "../../src/app.ts";
import { createUser } from "../../src/domain/users.ts";
import { createApiToken } from "../../src/domain/tokens.ts";
import { createTestDatabase, type TestDatabase } from "./database.ts";
import { redisUrl } from "./services.ts";

export interface TestApi {
  app: App;
  url: string;
  /** Runs a GraphQL operation over HTTP as the holder of `token`. */
  request<R, V>(document: TypedDocumentNode<R, V> | string, variables?: V, token?: string): Promise<ExecutionResult<R>>;
  /** A GraphQL multipart request (uploads): `files` maps a variable path like `attachments.0` to a file. */
  upload<R>(
    query: string,
    variables: Record<string, unknown>,
    files: Record<string, File>,
    token: string,
  ): Promise<ExecutionResult<R>>;
  /** A graphql-ws client authenticated with `token`. */
  wsClient(token?: string): Client;
  /** Creates a user with a token, straight through the domain (the CLI's path). */
  createUser(
    role: "ADMIN" | "AGENT",
    name?: string,
  ): Promise<{ id: string; globalId: string; token: string; email: string }>;
  close(): Promise<void>;
}

export interface TestApiOptions {
  /** Default: a fresh PostgreSQL database. `null`: the embedded PGlite default in `dataDir`. */
  database?: TestDatabase | null;
  dataDir?: string;
  /** Default: the test Redis. `null`: in-memory pub/sub. */
  redis?: string | null;
  env?: Record<string, string>;
  onQuery?: (sql: string) => void;
  /** Default: a logger at the configured LOG_LEVEL (silent) on stdout. */
  logger?: Logger;
  /** Run the RingCentral worker in the app, as `switchboard start` does. */
  worker?: boolean;
  /** The API's wall clock (src/app.ts), for tests that move time. */
  clock?: () => Date;
}

export function globalId(type: string, id: string): string {
  return Buffer.from(`${type}:${id}`).toString("base64");
}

/** What `nodes(ids:)` resolves each global id to for the holder of `token`: its type and id, or null. */
export async function resolveNodes(api: TestApi, token: string, ids: string[]) {
  const result = await api.request<{ nodes: ({ __typename: string; id: string } | null)[] }, { ids: string[] }>(
    "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }",
    { ids },
    token,
  );
  if (result.errors) throw new Error(`nodes(ids: ${JSON.stringify(ids)}) failed: ${JSON.stringify(result.errors)}`);
  return result.data!.nodes;
}

export async function startTestApi(options: TestApiOptions = {}): Promise<TestApi> {
  const ownDatabase = options.database === undefined ? await createTestDatabase() : null;
  const database = options.database === undefined ? ownDatabase : options.database;
  const redis = options.redis === undefined ? redisUrl : options.redis;
  const config = loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    ...(database ? { DATABASE_URL: database.url } : { DATA_DIR: options.dataDir ?? "" }),
    ...(redis ? { REDIS_URL: redis } : {}),
    ...options.env,
  });
  const app = await startApp(config, options.logger ?? createLogger(config.logLevel), {
    onQuery: options.onQuery,
    worker: options.worker,
    clock: options.clock,
  });
  const clients: Client[] = [];
  let users = 0;

  return {
    app,
    url: app.url,
    async request(document, variables, token) {
      const response = await fetch(`${app.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query: typeof document === "string" ? document : print(document), variables }),
      });
      return (await response.json()) as ExecutionResult<never>;
    },
    async upload(query, variables, files, token) {
      const form = new FormData();
      form.append("operations", JSON.stringify({ query, variables }));
      const paths = Object.keys(files);
      form.append(
        "map",
        JSON.stringify(Object.fromEntries(paths.map((path, i) => [String(i), [`variables.${path}`]]))),
      );
      for (const [i, path] of paths.entries()) form.append(String(i), files[path]!);
      const response = await fetch(`${app.url}/graphql`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}` },
        body: form,
      });
      return (await response.json()) as ExecutionResult<never>;
    },
    wsClient(token) {
      const client = createClient({
        url: `${app.url.replace("http", "ws")}/graphql`,
        webSocketImpl: WebSocket,
        connectionParams: token ? { authorization: `Bearer ${token}` } : {},
        retryAttempts: 0,
        lazy: true,
      });
      clients.push(client);
      return client;
    },
    async createUser(role, name) {
      users += 1;
      const label = name ?? `${role.toLowerCase()}${users}`;
      const user = await createUser(app.db.prisma, { email: `${label}@example.com`, name: label, role });
      const { token } = await createApiToken(app.db.prisma, user.id, "test");
      return { id: user.id, globalId: globalId("User", user.id), token, email: user.email };
    },
    async close() {
      await Promise.all(clients.map((c) => c.dispose()));
      await app.close();
      await ownDatabase?.drop();
    },
  };
}

/** Collects a subscription's events; `until(n)` resolves once n have arrived in total, and rejects
 * if the subscription ends (or fails) before that. */
export function subscribe<R, V>(client: Client, document: TypedDocumentNode<R, V> | string, variables?: V) {
  const received: ExecutionResult<R>[] = [];
  const waiters: { count: number; resolve: (value: ExecutionResult<R>[]) => void; reject: (error: unknown) => void }[] =
    [];
  let error: unknown;
  let completed = false;
  let settle: () => void = () => {};
  const finished = new Promise<void>((resolve) => (settle = resolve));
  const notify = () => {
    for (const waiter of [...waiters]) {
      if (received.length >= waiter.count) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(received);
      } else if (error || completed) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.reject(
          new Error(
            `subscription ended after ${received.length} of ${waiter.count} events: ` +
              `${JSON.stringify(error ?? received.at(-1))}`,
          ),
        );
      }
    }
  };
  const unsubscribe = client.subscribe<R>(
    {
      query: typeof document === "string" ? document : print(document),
      variables: variables as Record<string, unknown>,
    },
    {
      next: (value) => {
        received.push(value as ExecutionResult<R>);
        notify();
      },
      error: (e) => {
        error = e;
        settle();
        notify();
      },
      complete: () => {
        completed = true;
        settle();
        notify();
      },
    },
  );
  return {
    received,
    get error() {
      return error;
    },
    /** Resolves when the subscription ends (completes or fails). */
    finished,
    until(count: number): Promise<ExecutionResult<R>[]> {
      return new Promise((resolve, reject) => {
        waiters.push({ count, resolve, reject });
        notify();
      });
    },
    unsubscribe,
  };
}
