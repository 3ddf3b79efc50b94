// Overload (issue 13, point 9): a token over RATE_LIMIT_REQUESTS_PER_MINUTE gets 429 + Retry-After +
// RATE_LIMITED (over HTTP; on a WebSocket, the operation's error), counted across instances through
// Redis; an instance with MAX_IN_FLIGHT_REQUESTS requests in flight answers 503 at once, while its
// operations endpoints keep answering; /metrics counts both. Requests are made slow deterministically
// by holding a lock on the ApiToken table, which every authenticated request reads first.
import type http from "node:http";
import type { GraphQLFormattedError } from "graphql";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgConfigFromUrl } from "../src/db.ts";
import { startTestApi, subscribe, type TestApi } from "./support/api.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { seedConversation, seedInbox } from "./support/seed.ts";

const VIEWER = "{ viewer { role } }";

function post(api: TestApi, token: string, query = VIEWER, headers: Record<string, string> = {}) {
  return fetch(`${api.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}`, ...headers },
    body: JSON.stringify({ query }),
  });
}

async function expectAnswered(response: Response) {
  expect(response.status).toBe(200);
  const body = (await response.json()) as { data?: unknown; errors?: unknown };
  expect(body.errors).toBeUndefined();
  expect(body.data).toBeDefined();
}

async function expectRateLimited(response: Response) {
  expect(response.status).toBe(429);
  const retryAfter = Number(response.headers.get("retry-after"));
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
  const body = (await response.json()) as { data?: unknown; errors?: GraphQLFormattedError[] };
  expect(body.data).toBeUndefined();
  expect(body.errors).toEqual([
    {
      message: `Too many requests with this API token: retry in ${retryAfter} s`,
      extensions: { code: "RATE_LIMITED" },
    },
  ]);
}

/** The value of a metric (with its labels as written, e.g. `{transport="http"}`) on /metrics. */
async function metric(api: TestApi, name: string): Promise<number> {
  const text = await (await fetch(`${api.url}/metrics`)).text();
  const escaped = name.replace(/[{}"]/g, (c) => `\\${c}`);
  const match = new RegExp(`^${escaped} (\\S+)$`, "m").exec(text);
  if (!match) throw new Error(`${name} is not on /metrics`);
  return Number(match[1]);
}

describe("rate limit per API token, shared by two instances through Redis", () => {
  let database: TestDatabase;
  let first: TestApi;
  let second: TestApi;
  beforeAll(async () => {
    database = await createTestDatabase();
    const env = { RATE_LIMIT_REQUESTS_PER_MINUTE: "3" };
    first = await startTestApi({ database, env });
    second = await startTestApi({ database, env });
  });
  afterAll(async () => {
    await first?.close();
    await second?.close();
    await database?.drop();
  });

  it("answers 429 with Retry-After and RATE_LIMITED past the limit on either instance; other tokens are unaffected", async () => {
    const busy = await first.createUser("AGENT");
    const other = await first.createUser("AGENT");
    await expectAnswered(await post(first, busy.token));
    await expectAnswered(await post(second, busy.token));
    await expectAnswered(await post(first, busy.token));

    await expectRateLimited(await post(second, busy.token));
    await expectRateLimited(await post(first, busy.token, VIEWER, { accept: "application/graphql-response+json" }));
    await expectAnswered(await post(second, other.token));
    await expectAnswered(await post(first, other.token));

    expect(await metric(first, 'switchboard_rate_limited_requests_total{transport="http"}')).toBe(1);
    expect(await metric(second, 'switchboard_rate_limited_requests_total{transport="http"}')).toBe(1);
  });

  it("refuses a WebSocket operation past the limit with RATE_LIMITED and keeps the socket and its subscriptions", async () => {
    const admin = await first.createUser("ADMIN");
    const inbox = await seedInbox(first.app, "Rate limited");
    const client = first.wsClient(admin.token);
    const events = subscribe(
      client,
      'subscription Events($inboxId: ID!) { conversationEvents(inboxId: $inboxId, after: "0") { type } }',
      { inboxId: inbox.globalId },
    );
    await seedConversation(first.app, { inboxIds: [inbox.id] });
    await events.until(1);
    for (let i = 0; i < 2; i++) {
      const query = subscribe(client, VIEWER);
      await query.finished;
      expect(query.received).toEqual([{ data: { viewer: { role: "ADMIN" } } }]);
    }

    const refused = subscribe(client, VIEWER);
    await refused.finished;
    expect(refused.received).toEqual([]);
    const errors = refused.error as GraphQLFormattedError[];
    expect(errors).toHaveLength(1);
    expect(errors[0]).toEqual({
      message: expect.stringMatching(/^Too many requests with this API token: retry in \d+ s$/),
      extensions: { code: "RATE_LIMITED" },
    });
    // The same allowance over HTTP, on the other instance.
    await expectRateLimited(await post(second, admin.token));

    // The socket is open and its subscription live.
    await seedConversation(first.app, { inboxIds: [inbox.id] });
    const delivered = await events.until(2);
    expect(delivered.map((e) => (e.data as { conversationEvents: { type: string } }).conversationEvents.type)).toEqual([
      "CONVERSATION_CREATED",
      "CONVERSATION_CREATED",
    ]);
    events.unsubscribe();
    expect(await metric(first, 'switchboard_rate_limited_requests_total{transport="websocket"}')).toBe(1);
  });
});

describe("rate limit on the embedded default (no Redis)", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ redis: null, env: { RATE_LIMIT_REQUESTS_PER_MINUTE: "2" } });
  });
  afterAll(() => api?.close());

  it("counts in memory", async () => {
    const agent = await api.createUser("AGENT");
    await expectAnswered(await post(api, agent.token));
    await expectAnswered(await post(api, agent.token));
    await expectRateLimited(await post(api, agent.token));
  });
});

describe("RATE_LIMIT_REQUESTS_PER_MINUTE=0", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ env: { RATE_LIMIT_REQUESTS_PER_MINUTE: "0" } });
  });
  afterAll(() => api?.close());

  it("limits nothing", async () => {
    const agent = await api.createUser("AGENT");
    for (let i = 0; i < 5; i++) await expectAnswered(await post(api, agent.token));
    expect(await metric(api, 'switchboard_rate_limited_requests_total{transport="http"}').catch(() => 0)).toBe(0);
  });
});

/** Each request as the server sees it: resolves `arrived(n)` once n have been admitted (the server's
 * own handler runs first), and `done` per response once its slot is released. */
function watchRequests(server: http.Server) {
  const responses: { path: string; closed: Promise<void> }[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    responses.push({ path: req.url ?? "", closed: new Promise((resolve) => res.on("close", () => resolve())) });
    for (const waiter of waiters.filter((w) => responses.length >= w.count)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  });
  return {
    responses,
    arrived: (count: number) =>
      new Promise<void>((resolve) => {
        if (responses.length >= count) resolve();
        else waiters.push({ count, resolve });
      }),
  };
}

describe("MAX_IN_FLIGHT_REQUESTS", () => {
  let database: TestDatabase;
  let api: TestApi;
  let lock: pg.Client;
  beforeAll(async () => {
    database = await createTestDatabase();
    api = await startTestApi({ database, env: { MAX_IN_FLIGHT_REQUESTS: "2" } });
    lock = new pg.Client(pgConfigFromUrl(database.url));
    await lock.connect();
  });
  afterAll(async () => {
    await lock?.end();
    await api?.close();
    await database?.drop();
  });

  it("answers 503 with Retry-After: 1 at once past the bound; health, readiness and metrics still answer", async () => {
    const agent = await api.createUser("AGENT");
    const watch = watchRequests(api.app.api.server);
    await lock.query("BEGIN");
    await lock.query('LOCK TABLE "ApiToken" IN ACCESS EXCLUSIVE MODE');
    let held: Promise<Response>[] = [];
    try {
      held = [post(api, agent.token), post(api, agent.token)];
      await watch.arrived(2);

      const refused = await post(api, agent.token);
      expect(refused.status).toBe(503);
      expect(refused.headers.get("retry-after")).toBe("1");
      expect(await refused.json()).toEqual({
        errors: [{ message: "The server is busy: retry in a moment", extensions: { code: "OVERLOADED" } }],
      });
      expect((await fetch(`${api.url}/health`)).status).toBe(200);
      expect((await fetch(`${api.url}/ready`)).status).toBe(200);
      expect(await metric(api, "switchboard_in_flight_requests")).toBe(2);
      expect(await metric(api, "switchboard_overload_rejections_total")).toBe(1);
    } finally {
      await lock.query("COMMIT");
    }
    // The held requests were queued, not refused: they finish once the lock is gone.
    for (const response of await Promise.all(held)) await expectAnswered(response);
    await Promise.all(watch.responses.slice(0, 2).map((r) => r.closed));
    await expectAnswered(await post(api, agent.token));
    expect(await metric(api, "switchboard_in_flight_requests")).toBe(0);
    expect(await metric(api, "switchboard_overload_rejections_total")).toBe(1);
  });

  it("does not count a subscription over SSE, which streams until the client leaves", async () => {
    const agent = await api.createUser("AGENT");
    const streams = [0, 1].map(() => new AbortController());
    for (const stream of streams) {
      const response = await fetch(`${api.url}/graphql`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "text/event-stream",
          authorization: `Bearer ${agent.token}`,
        },
        body: JSON.stringify({ query: "subscription { incomingCall { callerNumber } }" }),
        signal: stream.signal,
      });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    }
    await expectAnswered(await post(api, agent.token));
    expect(await metric(api, "switchboard_in_flight_requests")).toBe(0);
    for (const stream of streams) stream.abort();
  });
});
