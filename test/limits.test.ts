// Bad input: over-deep, too costly and alias-heavy operations are refused by graphql-armor with a
// coded GraphQL error (never a stack trace), over HTTP and over graphql-ws; a socket may hold only
// MAX_SUBSCRIPTIONS_PER_SOCKET operations at once.
import type { GraphQLFormattedError } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, subscribe, type TestApi } from "./support/api.ts";
import { seedConversation, seedInbox } from "./support/seed.ts";

const LIMITS = { MAX_QUERY_DEPTH: "4", MAX_ALIASES: "3", MAX_QUERY_COST: "30", MAX_SUBSCRIPTIONS_PER_SOCKET: "2" };

// Each breaks exactly one limit (the others were measured to stay within theirs).
const TOO_DEEP = "{ viewer { inboxes { members { inboxes { members { id } } } } } }";
const TOO_MANY_ALIASES = "{ a: viewer { id } b: viewer { id } c: viewer { id } d: viewer { id } }";
const USER_FIELDS = "id name email role status createdAt muteIncomingCallBanner";
const TOO_COSTLY = `{
  viewer { ${USER_FIELDS} inboxes { id name createdAt members { ${USER_FIELDS} } } }
  inboxes { id name createdAt members { ${USER_FIELDS} } }
}`;
const SUBSCRIPTION_TOO_DEEP = "subscription { mentions { comment { author { inboxes { members { id } } } } } }";
const SUBSCRIPTION_TOO_MANY_ALIASES = "subscription { mentions { a: cursor b: cursor c: cursor d: cursor } }";
const SUBSCRIPTION_TOO_COSTLY =
  `subscription {
  mentions { cursor createdAt comment { id body createdAt author { ${USER_FIELDS} } mentions { ${USER_FIELDS} } ` +
  `conversation { id status createdAt } } }
}`;
const WITHIN_LIMITS = "{ viewer { id inboxes { members { id } } } a: tags { id } b: channels { id } }";

const CONVERSATION_EVENTS = `subscription Events($inboxId: ID!, $after: String) {
  conversationEvents(inboxId: $inboxId, after: $after) { cursor type }
}`;

function expectCodedWithoutStack(errors: readonly GraphQLFormattedError[] | undefined, message: RegExp) {
  expect(errors).toBeDefined();
  expect(errors!.length).toBeGreaterThan(0);
  for (const error of errors!) {
    expect(error.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
    expect(Object.keys(error.extensions ?? {})).toEqual(["code"]);
    expect(error.message).not.toMatch(/\n\s+at /);
    expect(error.message).not.toMatch(/^Syntax Error/);
  }
  expect(errors!.map((e) => e.message).join("\n")).toMatch(message);
}

describe("graphql-armor limits", () => {
  let api: TestApi;
  let token: string;
  beforeAll(async () => {
    api = await startTestApi({ env: LIMITS });
    token = (await api.createUser("ADMIN")).token;
  });
  afterAll(() => api.close());

  it("accepts an operation within every limit", async () => {
    const result = await api.request(WITHIN_LIMITS, undefined, token);
    expect(result.errors).toBeUndefined();
    expect(result.data).toMatchObject({ viewer: { inboxes: [] }, a: [], b: [] });
  });

  for (const [name, query, message] of [
    ["depth", TOO_DEEP, /depth limit of 4/i],
    ["alias", TOO_MANY_ALIASES, /aliases limit of 3/i],
    ["cost", TOO_COSTLY, /cost limit of 30/i],
  ] as const) {
    it(`refuses a query over the ${name} limit over HTTP with a code and no stack trace`, async () => {
      const response = await fetch(`${api.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ query }),
      });
      const result = (await response.json()) as { data?: unknown; errors?: GraphQLFormattedError[] };
      expect(result.data).toBeUndefined();
      expectCodedWithoutStack(result.errors, message);
    });

    it(`refuses a query over the ${name} limit over graphql-ws, and the socket stays usable`, async () => {
      const client = api.wsClient(token);
      const refused = subscribe(client, query);
      await refused.finished;
      expect(refused.received).toEqual([]);
      expectCodedWithoutStack(refused.error as GraphQLFormattedError[], message);

      const fine = subscribe(client, "{ viewer { role } }");
      await fine.finished;
      expect(fine.error).toBeUndefined();
      expect(fine.received).toEqual([{ data: { viewer: { role: "ADMIN" } } }]);
    });
  }

  for (const [name, query, message] of [
    ["depth", SUBSCRIPTION_TOO_DEEP, /depth limit of 4/i],
    ["alias", SUBSCRIPTION_TOO_MANY_ALIASES, /aliases limit of 3/i],
    ["cost", SUBSCRIPTION_TOO_COSTLY, /cost limit of 30/i],
  ] as const) {
    it(`refuses a subscription over the ${name} limit over graphql-ws`, async () => {
      const refused = subscribe(api.wsClient(token), query);
      await refused.finished;
      expect(refused.received).toEqual([]);
      expectCodedWithoutStack(refused.error as GraphQLFormattedError[], message);
    });
  }
});

describe("subscriptions per socket", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ env: LIMITS });
  });
  afterAll(() => api.close());

  it("refuses the subscription over MAX_SUBSCRIPTIONS_PER_SOCKET with TOO_MANY_SUBSCRIPTIONS; the others keep working", async () => {
    const admin = await api.createUser("ADMIN");
    const inbox = await seedInbox(api.app, "Limits");
    await seedConversation(api.app, { inboxIds: [inbox.id] });
    const client = api.wsClient(admin.token);

    // Both replay the creation event, so the server holds both.
    const first = subscribe(client, CONVERSATION_EVENTS, { inboxId: inbox.globalId, after: "0" });
    const second = subscribe(client, CONVERSATION_EVENTS, { inboxId: inbox.globalId, after: "0" });
    await Promise.all([first.until(1), second.until(1)]);

    const third = subscribe(client, CONVERSATION_EVENTS, { inboxId: inbox.globalId, after: "0" });
    await third.finished;
    expect(third.received).toEqual([]);
    const errors = third.error as GraphQLFormattedError[];
    expect(errors).toEqual([
      { message: "At most 2 subscriptions per connection", extensions: { code: "TOO_MANY_SUBSCRIPTIONS" } },
    ]);

    // The first two are still live.
    await seedConversation(api.app, { inboxIds: [inbox.id] });
    const [firstEvents, secondEvents] = await Promise.all([first.until(2), second.until(2)]);
    for (const events of [firstEvents, secondEvents]) {
      expect(events.map((e) => (e.data as { conversationEvents: { type: string } }).conversationEvents.type)).toEqual([
        "CONVERSATION_CREATED",
        "CONVERSATION_CREATED",
      ]);
    }

    // A finished subscription frees its slot on the socket.
    first.unsubscribe();
    await first.finished;
    const fourth = subscribe(client, CONVERSATION_EVENTS, { inboxId: inbox.globalId, after: "0" });
    const replayed = await fourth.until(2);
    expect(fourth.error).toBeUndefined();
    expect(replayed).toHaveLength(2);
    second.unsubscribe();
    fourth.unsubscribe();
  });

  it("counts per socket: another connection has its own allowance", async () => {
    const admin = await api.createUser("ADMIN");
    const inbox = await seedInbox(api.app, "Other socket");
    await seedConversation(api.app, { inboxIds: [inbox.id] });
    const busy = api.wsClient(admin.token);
    const held = [0, 1].map(() => subscribe(busy, CONVERSATION_EVENTS, { inboxId: inbox.globalId, after: "0" }));
    await Promise.all(held.map((s) => s.until(1)));

    const other = subscribe(api.wsClient(admin.token), CONVERSATION_EVENTS, { inboxId: inbox.globalId, after: "0" });
    await other.until(1);
    expect(other.error).toBeUndefined();
    for (const s of [...held, other]) s.unsubscribe();
  });
});
