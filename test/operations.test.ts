// R9.2 operating it: configuration validated at start, /health, /ready, /metrics, JSON logs without
// secrets, graceful shutdown (in process and as the `switchboard serve` process on SIGTERM).
import { spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import { once } from "node:events";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import pg from "pg";
import { ConfigError, loadConfig } from "../src/config.ts";
import { createLogger } from "../src/logger.ts";
import { startTestApi, subscribe, type TestApi } from "./support/api.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { seedConversation, seedInbox } from "./support/seed.ts";
import { postgresUrl, redisUrl } from "./support/services.ts";
import { pgConfigFromUrl } from "../src/db.ts";

const CLI = new URL("../bin/switchboard.js", import.meta.url).pathname;
const CONVERSATION_EVENTS = `subscription Events($inboxId: ID!, $after: String) {
  conversationEvents(inboxId: $inboxId, after: $after) { cursor type }
}`;

function configError(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("expected loadConfig to reject the environment");
}

/** A pino destination that keeps every line, parsed. */
function captureLogs() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split("\n").filter(Boolean));
      done();
    },
  });
  return { lines, logger: createLogger("trace", stream) };
}

/** Runs `node bin/switchboard.js …` with only the given environment (plus PATH and HOME). */
function runCli(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

async function finished(
  child: ChildProcess,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk) => (stdout += chunk));
  child.stderr!.on("data", (chunk) => (stderr += chunk));
  const [code, signal] = (await once(child, "close")) as [number | null, NodeJS.Signals | null];
  return { code, signal, stdout, stderr };
}

describe("configuration", () => {
  it("rejects each bad variable by name, all at once", () => {
    const message = configError({
      PORT: "abc",
      DATABASE_URL: "mysql://x",
      ENCRYPTION_KEY: "tooshort",
      LOG_LEVEL: "loud",
    });
    expect(message).toMatch(/^Invalid configuration/);
    for (const name of ["PORT", "DATABASE_URL", "ENCRYPTION_KEY", "LOG_LEVEL"]) expect(message).toContain(`${name}:`);
    expect(message).not.toContain("abc");
    expect(message).not.toContain("tooshort");
    expect(message).not.toContain("loud");
  });

  it("never echoes a secret value back", () => {
    const secretUrl = "mysql://admin:hunter2-very-secret@db.internal:3306/prod";
    const key = "c2hvcnQtYnV0LXNlY3JldA=="; // base64, but 17 bytes
    const message = configError({
      DATABASE_URL: secretUrl,
      ENCRYPTION_KEY: key,
      REDIS_URL: "http://:redis-pass@cache:6379",
    });
    expect(message).toContain("DATABASE_URL:");
    expect(message).toContain("ENCRYPTION_KEY:");
    expect(message).toContain("REDIS_URL:");
    for (const secret of ["hunter2-very-secret", "db.internal", key, "redis-pass"])
      expect(message).not.toContain(secret);
  });

  it("rejects out-of-range and fractional numbers, and accepts what is documented", () => {
    expect(configError({ PORT: "70000" })).toContain("PORT:");
    expect(configError({ PORT: "80.5" })).toContain("PORT:");
    expect(configError({ MAX_QUERY_DEPTH: "0" })).toContain("MAX_QUERY_DEPTH:");
    expect(configError({ MAX_SUBSCRIPTIONS_PER_SOCKET: "-1" })).toContain("MAX_SUBSCRIPTIONS_PER_SOCKET:");
    expect(configError({ DATABASE_PREPARED_STATEMENTS: "-1" })).toContain("DATABASE_PREPARED_STATEMENTS:");
    expect(loadConfig({ DATABASE_PREPARED_STATEMENTS: "0" }).preparedStatements).toBe(0);

    const key = "ab".repeat(32);
    const config = loadConfig({
      PORT: "8080",
      DATABASE_URL: "postgresql://u:p@h/db",
      REDIS_URL: "redis://h:6379",
      ENCRYPTION_KEY: key,
      LOG_LEVEL: "warn",
      MAX_QUERY_DEPTH: "7",
    });
    expect(config).toMatchObject({
      port: 8080,
      databaseUrl: "postgresql://u:p@h/db",
      redisUrl: "redis://h:6379",
      logLevel: "warn",
    });
    expect(config.encryptionKey?.toString("hex")).toBe(key);
    expect(config.limits.maxDepth).toBe(7);
    expect(loadConfig({ ENCRYPTION_KEY: Buffer.alloc(32, 7).toString("base64") }).encryptionKey).toEqual(
      Buffer.alloc(32, 7),
    );
  });

  it("falls back to the defaults when a variable is unset or empty", () => {
    for (const env of [{}, { PORT: "", DATABASE_URL: "", REDIS_URL: " ", MAX_QUERY_DEPTH: "" }]) {
      const config = loadConfig(env);
      expect(config).toMatchObject({
        port: 4000,
        dataDir: "./data",
        databaseUrl: undefined,
        redisUrl: undefined,
        logLevel: "info",
      });
      expect(config.limits.maxDepth).toBe(12);
      expect(config.preparedStatements).toBe(200);
    }
  });

  it("stops `switchboard serve` with a non-zero exit and the message when the environment is bad", async () => {
    const result = await finished(runCli(["serve"], { PORT: "abc", DATABASE_URL: "mysql://root:s3cr3t-pw@x/db" }));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("Invalid configuration");
    expect(result.stderr).toContain("PORT:");
    expect(result.stderr).toContain("DATABASE_URL:");
    expect(result.stderr).not.toContain("s3cr3t-pw");
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});

describe("health, readiness, metrics and logs (PostgreSQL + Redis)", () => {
  let api: TestApi;
  const logs = captureLogs();
  beforeAll(async () => {
    api = await startTestApi({ logger: logs.logger });
  });
  afterAll(() => api.close());

  it("/health answers 200", async () => {
    const response = await fetch(`${api.url}/health`);
    expect(response.status).toBe(200);
  });

  it("accepts WebSocket upgrades on /graphql only", async () => {
    const socket = new WebSocket(`${api.url.replace("http", "ws")}/elsewhere`);
    const [error] = (await once(socket, "error")) as [Error];
    expect(error.message).toContain("400");
  });

  it("/ready answers 200 when the database and Redis answer", async () => {
    const response = await fetch(`${api.url}/ready`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ready", checks: { database: "ok", pubsub: "ok" } });
  });

  it("/metrics serves Prometheus text with GraphQL operation metrics", async () => {
    const admin = await api.createUser("ADMIN");
    await api.request("query MetricsProbe { viewer { id } }", undefined, admin.token);
    await api.request("query MetricsBroken { viewer { nope } }", undefined, admin.token);
    const response = await fetch(`${api.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toMatch(/^# HELP /m);
    expect(text).toMatch(/^graphql_envelop_request_duration_count\{[^}]*operationName="MetricsProbe"[^}]*\} [1-9]/m);
    expect(text).toMatch(/^graphql_yoga_http_duration_count\{[^}]*operationName="MetricsProbe"[^}]*\} [1-9]/m);
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
  });

  it("writes JSON log lines that never contain a bearer token, even at trace level", async () => {
    const user = await api.createUser("AGENT");
    const unknownToken = "sb_unknown-token-value-that-must-not-be-logged";
    await api.request("{ viewer { id name } }", undefined, user.token);
    await api.request("{ viewer { id } }", undefined, unknownToken);
    await api.request("{ viewer { nope } }", undefined, user.token); // fails validation
    await api.request('{ node(id: "not-a-global-id") { id } }', undefined, user.token); // fails in a resolver
    await api.request("query ($x: Int!) { viewer { id } }", { x: "not an int" } as never, user.token);
    await fetch(`${api.url}/graphql`, {
      method: "POST",
      headers: { authorization: `Bearer ${user.token}`, "content-type": "application/json" },
      body: "{ not json",
    });

    const client = api.wsClient(user.token);
    const events = subscribe(client, "{ viewer { id } }");
    await events.finished;
    expect(events.received[0]?.data).toEqual({ viewer: { id: user.globalId } });

    // Careless logging of whole objects is redacted by path, too.
    logs.logger.info(
      {
        req: { headers: { authorization: `Bearer ${user.token}` } },
        connectionParams: { authorization: `Bearer ${user.token}` },
      },
      "careless",
    );
    logs.logger.info(
      { token: user.token, nested: { password: "hunter2", clientSecret: "cs-secret", jwt: "eyJ.secret" } },
      "careless too",
    );
    logs.logger.warn(
      { err: { response: { headers: { Authorization: `Bearer ${user.token}` } } } },
      "an SDK error with its request",
    );
    logs.logger.info(
      { session: { access_token: "rc-access-secret", refresh_token: "rc-refresh-secret" } },
      "a token response",
    );
    logs.logger.info(
      {
        config: {
          databaseUrl: "postgresql://u:db-pass@h/db",
          redisUrl: "redis://:redis-pass@h",
          encryptionKey: "key-bytes",
        },
      },
      "config",
    );

    expect(logs.lines.length).toBeGreaterThan(0);
    for (const line of logs.lines) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      expect(entry).toMatchObject({ service: "switchboard" });
      expect(typeof entry.level).toBe("number");
      expect(typeof entry.time).toBe("number");
    }
    const all = logs.lines.join("\n");
    for (const secret of [
      user.token,
      unknownToken,
      "hunter2",
      "cs-secret",
      "eyJ.secret",
      "rc-access-secret",
      "rc-refresh-secret",
      "db-pass",
      "redis-pass",
      "key-bytes",
    ])
      expect(all).not.toContain(secret);
    expect(all).toContain("[redacted]");
  });
});

describe("start-up failures", () => {
  it("rejects (instead of crashing the process) when the port is taken, and releases the database", async () => {
    const first = await startTestApi();
    const database = await createTestDatabase();
    try {
      const port = new URL(first.url).port;
      await expect(startTestApi({ database, env: { PORT: port } })).rejects.toThrow(/EADDRINUSE/);
      const client = new pg.Client(pgConfigFromUrl(postgresUrl));
      await client.connect();
      try {
        const { rows } = await client.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1", [
          new URL(database.url).pathname.slice(1),
        ]);
        expect(rows[0].n).toBe(0);
      } finally {
        await client.end();
      }
    } finally {
      await first.close();
      await database.drop();
    }
  });
});

describe("readiness when Redis is unreachable", () => {
  let api: TestApi;
  beforeAll(async () => {
    // Nothing listens on port 1: ioredis keeps retrying in the background.
    api = await startTestApi({ redis: "redis://127.0.0.1:1", env: { READY_TIMEOUT_MS: "1000" } });
  });
  afterAll(() => api.close());

  it("still starts and serves, /health says 200 and /ready says 503 naming the check", async () => {
    expect((await fetch(`${api.url}/health`)).status).toBe(200);
    const ready = await fetch(`${api.url}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: "unavailable", checks: { database: "ok", pubsub: "unavailable" } });
    const admin = await api.createUser("ADMIN");
    const result = await api.request("{ viewer { id } }", undefined, admin.token);
    expect(result).toEqual({ data: { viewer: { id: admin.globalId } } });
  });
});

describe("graceful shutdown in process", () => {
  it("closes open subscriptions with 1001, lets in-flight requests finish, then disconnects", async () => {
    const api = await startTestApi();
    try {
      const admin = await api.createUser("ADMIN");
      const inbox = await seedInbox(api.app, "Shutdown");
      await seedConversation(api.app, { inboxIds: [inbox.id] });

      // A live subscription: it has replayed the log, so the server holds it.
      const events = subscribe(api.wsClient(admin.token), CONVERSATION_EVENTS, { inboxId: inbox.globalId, after: "0" });
      await events.until(1);
      // The same over HTTP (server-sent events): it never finishes by itself.
      const sse = await fetch(`${api.url}/graphql`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "text/event-stream",
          authorization: `Bearer ${admin.token}`,
        },
        body: JSON.stringify({ query: CONVERSATION_EVENTS, variables: { inboxId: inbox.globalId, after: "0" } }),
      });
      expect(sse.headers.get("content-type")).toMatch(/^text\/event-stream/);
      const sseReader = sse.body!.getReader();
      let sseText = "";
      while (!sseText.includes("CONVERSATION_CREATED"))
        sseText += new TextDecoder().decode((await sseReader.read()).value);
      const sseEnded = (async () => {
        try {
          while (!(await sseReader.read()).done);
        } catch {
          // a destroyed connection ends the stream too
        }
      })();

      // An HTTP request in flight: headers are in, the body is not finished yet.
      const { server } = api.app.api;
      const arrived = once(server, "request");
      const body = JSON.stringify({ query: "{ viewer { email } }" });
      const request = http.request(`${api.url}/graphql`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
          authorization: `Bearer ${admin.token}`,
        },
      });
      const response = once(request, "response") as Promise<[http.IncomingMessage]>;
      request.write(body.slice(0, 5));
      await arrived;

      let closed = false;
      const closing = api.app.close().then(() => (closed = true));
      await events.finished;
      expect((events.error as { code?: number }).code).toBe(1001);
      expect(closed).toBe(false); // still waiting for the request in flight

      request.end(body.slice(5));
      const [res] = await response;
      let text = "";
      for await (const chunk of res) text += chunk;
      expect(res.statusCode).toBe(200);
      expect(JSON.parse(text)).toEqual({ data: { viewer: { email: admin.email } } });

      await closing;
      await sseEnded;
      expect(server.listening).toBe(false);
      await expect(fetch(`${api.url}/health`)).rejects.toThrow();
    } finally {
      await api.close().catch(() => {});
    }
  });
});

describe("`switchboard serve` as a process", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.drop());

  it("logs JSON, serves on PORT=0, and on SIGTERM closes sockets with 1001 and exits 0", async () => {
    const child = runCli(["serve"], { DATABASE_URL: database.url, REDIS_URL: redisUrl, PORT: "0", HOST: "127.0.0.1" });
    const result = finished(child);
    const lines: Record<string, unknown>[] = [];
    const listening = new Promise<string>((resolve, reject) => {
      let pending = "";
      child.stdout!.on("data", (chunk) => {
        pending += chunk;
        const complete = pending.split("\n");
        pending = complete.pop()!;
        for (const line of complete) {
          const entry = JSON.parse(line) as Record<string, unknown>;
          lines.push(entry);
          if (entry.msg === "switchboard is listening") resolve(String(entry.url));
        }
      });
      child.on("close", () => reject(new Error("switchboard serve ended before listening")));
    });
    const url = await listening;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/);
    expect(lines.at(-1)).toMatchObject({ level: 30, service: "switchboard", database: "postgres", pubsub: "redis" });

    expect((await fetch(url!.replace("/graphql", "/ready"))).status).toBe(200);
    const client = createClient({
      url: url!.replace("http", "ws"),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: false,
      onNonLazyError: () => {},
    });
    const closeCode = new Promise<number>((resolve) =>
      client.on("closed", (event) => resolve((event as { code: number }).code)),
    );
    await new Promise<void>((resolve) => client.on("connected", () => resolve()));

    child.kill("SIGTERM");
    expect(await closeCode).toBe(1001);
    const { code, signal, stdout } = await result;
    await client.dispose();
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(stdout).toContain('"msg":"shutting down"');
    expect(stdout).toContain('"signal":"SIGTERM"');
  });
});
