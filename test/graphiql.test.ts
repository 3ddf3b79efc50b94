// What GraphiQL needs from the server: its page from the installed packages (no CDN, so it works
// air-gapped), and subscriptions authenticated the way it sends headers over graphql-ws — an empty
// connection_init, then each operation's headers in `extensions.headers`.
import { createClient, type Client, type ExecutionResult } from "graphql-ws";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "./support/api.ts";
import { seedInbox } from "./support/seed.ts";

const VIEWER = "{ viewer { email } }";
const STATUS_CHANGES = `subscription($inbox: ID!) {
  agentStatusChanged(inboxId: $inbox, after: "0") { status user { email } }
}`;
const SET_STATUS = `mutation($status: AgentStatus!) { setStatus(status: $status) { __typename } }`;

type Outcome = { result: ExecutionResult } | { error: unknown };

/** The first result of an operation, or the error that ended it. */
async function firstOutcome(client: Client, query: string, extensions?: Record<string, unknown>): Promise<Outcome> {
  const results = client.iterate({ query, ...(extensions ? { extensions } : {}) });
  try {
    const { value } = await results.next();
    return { result: value as ExecutionResult };
  } catch (error) {
    return { error };
  } finally {
    await results.return?.();
  }
}

const codesOf = (outcome: Outcome) =>
  "result" in outcome
    ? outcome.result.errors?.map((e) => e.extensions?.code)
    : (outcome.error as { extensions?: { code?: string } }[]).map((e) => e.extensions?.code);

describe("GraphiQL", () => {
  let api: TestApi;
  let admin: Awaited<ReturnType<TestApi["createUser"]>>;
  const clients: Client[] = [];

  /** A client that, like GraphiQL, sends no connectionParams. */
  function bareClient(): Client {
    const url = `${api.url.replace("http", "ws")}/graphql`;
    const client = createClient({ url, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
    clients.push(client);
    return client;
  }
  const headers = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    api = await startTestApi();
    admin = await api.createUser("ADMIN", "graphiql");
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    await api?.close();
  });

  it("is served with its scripts, styles and editor workers inlined: nothing from a CDN", async () => {
    const response = await fetch(`${api.url}/graphql`, { headers: { accept: "text/html" } });
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toContain("YogaGraphiQL.renderYogaGraphiQL");
    expect(page).not.toMatch(/(src|href)=["']?(https?:)?\/\//);
    expect(page).not.toContain("unpkg.com");
  });

  it("authenticates a WebSocket operation by the Authorization in its extensions.headers", async () => {
    const client = bareClient();
    const viewer = { result: { data: { viewer: { email: admin.email } } } };
    expect(await firstOutcome(client, VIEWER, headers(admin.token))).toEqual(viewer);
    // The header authenticates the operation it came with, not the connection.
    expect(codesOf(await firstOutcome(client, VIEWER))).toEqual(["UNAUTHENTICATED"]);
    // Same token rules as connectionParams and HTTP.
    expect(codesOf(await firstOutcome(client, VIEWER, headers("sb_not-a-token")))).toEqual(["UNAUTHENTICATED"]);
    const withoutBearer = { headers: { Authorization: admin.token } };
    expect(codesOf(await firstOutcome(client, VIEWER, withoutBearer))).toEqual(["UNAUTHENTICATED"]);
  });

  it("delivers a subscription authenticated only by extensions.headers", async () => {
    const inbox = await seedInbox(api.app, "GraphiQL", [admin.id]);
    const away = await api.request(SET_STATUS, { status: "AWAY" }, admin.token);
    expect(away.data).toEqual({ setStatus: { __typename: "UserPayload" } });
    const variables = { inbox: inbox.globalId };
    const events = bareClient().iterate({ query: STATUS_CHANGES, variables, extensions: headers(admin.token) });
    const change = (status: string) => ({ data: { agentStatusChanged: { status, user: { email: admin.email } } } });
    // The replayed change proves the subscription is live; the next one is delivered as it happens.
    expect((await events.next()).value).toEqual(change("AWAY"));
    await api.request(SET_STATUS, { status: "AVAILABLE" }, admin.token);
    expect((await events.next()).value).toEqual(change("AVAILABLE"));
    await events.return?.();
  });

  it("does not take extensions.headers from an HTTP request", async () => {
    const response = await fetch(`${api.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: VIEWER, extensions: headers(admin.token) }),
    });
    const result = (await response.json()) as ExecutionResult;
    expect(result.errors?.map((e) => e.extensions?.code)).toEqual(["UNAUTHENTICATED"]);
  });
});
