// Issue 13, point 6: access changes reach live subscriptions on every API instance at once. A revoked
// token's WebSocket closes with 4403 (whether revoked by the mutation or by `switchboard token
// revoke`); an agent removed from an inbox has its subscription to that inbox ended with NOT_FOUND
// and receives none of its events on any other stream. Two instances share one database and Redis;
// every "not delivered" is proven by a later event that a control subscriber (or the same stream)
// does receive, so nothing waits on a timer.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "graphql-ws";
import { print } from "graphql";
import { startTestApi, subscribe, type TestApi } from "./support/api.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { redisUrl } from "./support/services.ts";
import { seedConversation, seedInbox } from "./support/seed.ts";
import { latestSequence } from "../src/store/event-log.ts";
import { createApiToken } from "../src/domain/tokens.ts";
import { ConversationEventsDocument, MentionsDocument } from "./generated/graphql.ts";

type User = Awaited<ReturnType<TestApi["createUser"]>>;

const CLI = new URL("../bin/switchboard.js", import.meta.url).pathname;
const RESULT = "{ __typename ... on Error { code } }";

/** A graphql-ws client and the close code of its socket, once the server closes it. */
function watchedClient(api: TestApi, token: string): { client: Client; closed: Promise<number> } {
  const client = api.wsClient(token);
  const closed = new Promise<number>((resolve) => client.on("closed", (event) => resolve((event as CloseEvent).code)));
  return { client, closed };
}

describe("access changes reach live subscriptions on every instance", { timeout: 60_000 }, () => {
  let database: TestDatabase;
  let first: TestApi;
  let second: TestApi;
  /** Rechecks live access every 100 ms: it must notice changes whose notice was lost. */
  let rechecking: TestApi;
  let admin: User;
  let ana: User;
  let bob: User;
  let support: Awaited<ReturnType<typeof seedInbox>>;
  let sales: Awaited<ReturnType<typeof seedInbox>>;

  beforeAll(async () => {
    database = await createTestDatabase();
    [first, second, rechecking] = await Promise.all([
      startTestApi({ database }),
      startTestApi({ database }),
      startTestApi({ database, env: { ACCESS_RECHECK_MS: "100" } }),
    ]);
    admin = await first.createUser("ADMIN", "boss");
    ana = await first.createUser("AGENT", "ana");
    bob = await first.createUser("AGENT", "bob");
    support = await seedInbox(first.app, "Support", [ana.id, bob.id]);
    sales = await seedInbox(first.app, "Sales", [ana.id]);
  });
  afterAll(async () => {
    await Promise.all([first.close(), second.close(), rechecking.close()]);
    await database.drop();
  });

  /** The admin comments through `api`: one event of the conversation's inbox (and of those it @mentions). */
  async function comment(conversationId: string, body: string, api = first) {
    const result = await api.request<any, any>(
      `mutation($id: ID!, $body: String!) { addComment(conversationId: $id, body: $body) ${RESULT} }`,
      { id: conversationId, body },
      admin.token,
    );
    expect(result.data.addComment.__typename).toBe("CommentPayload");
  }

  async function membership(change: "addInboxMember" | "removeInboxMember", inboxId: string, userId: string) {
    const result = await first.request<any, any>(
      `mutation($inbox: ID!, $user: ID!) { ${change}(inboxId: $inbox, userId: $user) ${RESULT} }`,
      { inbox: inboxId, user: userId },
      admin.token,
    );
    expect(result.data[change].__typename).toBe("InboxPayload");
  }

  /** Subscribes ana (with `token`) and bob (the control) to Support on the second instance, live only. */
  async function supportSubscribers(token: string) {
    const conversation = await seedConversation(first.app, { inboxIds: [support.id] });
    const after = String(await latestSequence(first.app.db.prisma));
    const watched = watchedClient(second, token);
    const revoked = subscribe(watched.client, ConversationEventsDocument, { inboxId: support.globalId, after });
    const control = subscribe(second.wsClient(bob.token), ConversationEventsDocument, {
      inboxId: support.globalId,
      after,
    });
    // Both are live once the first event published after them arrives.
    await comment(conversation.globalId, "note");
    await Promise.all([revoked.until(1), control.until(1)]);
    return { conversation, watched, revoked, control };
  }

  it("closes the socket of a token revoked on another instance with 4403, and delivers nothing more", async () => {
    const { token, record } = await createApiToken(first.app.db.prisma, ana.id, "laptop");
    const { conversation, watched, revoked, control } = await supportSubscribers(token);

    const result = await first.request<any, any>(
      `mutation($id: ID!) { revokeApiToken(id: $id) ${RESULT} }`,
      { id: record.id },
      admin.token,
    );
    expect(result.data.revokeApiToken.__typename).toBe("ApiTokenPayload");
    expect(await watched.closed).toBe(4403);

    await comment(conversation.globalId, "note");
    await control.until(2);
    expect(revoked.received).toHaveLength(1);
  });

  it("closes the socket of a token revoked with `switchboard token revoke`", async () => {
    const { token } = await createApiToken(first.app.db.prisma, ana.id, "phone");
    const { conversation, watched, revoked, control } = await supportSubscribers(token);

    const child = spawn(process.execPath, [CLI, "token", "revoke", token], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: database.url, REDIS_URL: redisUrl },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    const [code] = (await once(child, "close")) as [number | null];
    expect({ code, output: output.trim().split("\n").at(-1) }).toEqual({ code: 0, output: "revoked" });
    expect(await watched.closed).toBe(4403);

    await comment(conversation.globalId, "note", second);
    await control.until(2);
    expect(revoked.received).toHaveLength(1);
  });

  it("ends a subscription over HTTP (server-sent events) with UNAUTHENTICATED when its token is revoked", async () => {
    const { token, record } = await createApiToken(first.app.db.prisma, ana.id, "dashboard");
    const conversation = await seedConversation(first.app, { inboxIds: [support.id] });
    const after = String(await latestSequence(first.app.db.prisma));
    const response = await fetch(`${second.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream", authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: print(ConversationEventsDocument),
        variables: { inboxId: support.globalId, after },
      }),
    });
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const reader = response.body!.getReader();
    let text = "";
    const readUntil = async (done: () => boolean) => {
      while (!done()) {
        const chunk = await reader.read();
        if (chunk.done) return;
        text += new TextDecoder().decode(chunk.value);
      }
    };
    await comment(conversation.globalId, "note");
    await readUntil(() => text.includes("COMMENT_ADDED"));

    await first.request<any, any>(
      `mutation($id: ID!) { revokeApiToken(id: $id) ${RESULT} }`,
      { id: record.id },
      ana.token,
    );
    await readUntil(() => false); // to the end of the stream
    const messages = text.split("\n\n").filter((m) => m.startsWith("event:"));
    expect(messages.map((m) => m.split("\n")[0])).toEqual(["event: next", "event: next", "event: complete"]);
    expect(messages[1]).toContain('"code":"UNAUTHENTICATED"');
  });

  it("ends an agent's subscription to an inbox they are removed from, and hides its events everywhere", async () => {
    const salesConversation = await seedConversation(first.app, { inboxIds: [sales.id] });
    const supportConversation = await seedConversation(first.app, { inboxIds: [support.id] });
    const after = String(await latestSequence(first.app.db.prisma));
    const anaSales = subscribe(second.wsClient(ana.token), ConversationEventsDocument, {
      inboxId: sales.globalId,
      after,
    });
    const anaMentions = subscribe(second.wsClient(ana.token), MentionsDocument, { after });
    const control = subscribe(second.wsClient(admin.token), ConversationEventsDocument, {
      inboxId: sales.globalId,
      after,
    });
    await comment(salesConversation.globalId, "note");
    await Promise.all([anaSales.until(1), control.until(1)]);
    await comment(salesConversation.globalId, "@ana before"); // an event of the inbox too
    await Promise.all([anaSales.until(2), control.until(2), anaMentions.until(1)]);

    await membership("removeInboxMember", sales.globalId, ana.globalId);
    await anaSales.finished;
    expect(anaSales.error).toEqual([expect.objectContaining({ extensions: { code: "NOT_FOUND" } })]);

    await comment(salesConversation.globalId, "note");
    await control.until(3);
    expect(anaSales.received).toHaveLength(2);
    // A mention in the inbox she left is refused (she could not read it); one in an inbox she is in
    // is delivered.
    const refused = await first.request<any, any>(
      `mutation($id: ID!) { addComment(conversationId: $id, body: "@ana after removal") ${RESULT} }`,
      { id: salesConversation.globalId },
      admin.token,
    );
    expect(refused.data.addComment).toMatchObject({ __typename: "InvalidInputError", code: "BAD_USER_INPUT" });
    await comment(supportConversation.globalId, "@ana still here");
    const mentions = await anaMentions.until(2);
    expect(mentions.map((m) => m.data?.mentions.comment?.body)).toEqual(["@ana before", "@ana still here"]);
    // The mention made while she was a member is no longer delivered: a stream resuming from before
    // it skips it.
    const resumed = subscribe(second.wsClient(ana.token), MentionsDocument, { after });
    const replayed = await resumed.until(1);
    expect(replayed.map((m) => m.data?.mentions.comment?.body)).toEqual(["@ana still here"]);
    resumed.unsubscribe();

    // Added back: her streams see the inbox's mentions again, with no new subscription.
    await membership("addInboxMember", sales.globalId, ana.globalId);
    await comment(salesConversation.globalId, "@ana welcome back");
    const again = await anaMentions.until(3);
    expect(again.at(-1)?.data?.mentions.comment?.body).toBe("@ana welcome back");
    anaMentions.unsubscribe();
    control.unsubscribe();
  });

  it("applies a revocation and a membership change whose notice was lost, at the next recheck", async () => {
    const { token, record } = await createApiToken(first.app.db.prisma, ana.id, "tablet");
    const conversation = await seedConversation(first.app, { inboxIds: [sales.id] });
    const supportConversation = await seedConversation(first.app, { inboxIds: [support.id] });
    const after = String(await latestSequence(first.app.db.prisma));
    const watched = watchedClient(rechecking, token);
    const revoked = subscribe(watched.client, ConversationEventsDocument, { inboxId: support.globalId, after });
    const anaSales = subscribe(rechecking.wsClient(ana.token), ConversationEventsDocument, {
      inboxId: sales.globalId,
      after,
    });
    await comment(conversation.globalId, "note");
    await comment(supportConversation.globalId, "note");
    await Promise.all([anaSales.until(1), revoked.until(1)]);
    // Changed in the database only, as if the notices had been published while Redis was away.
    const prisma = first.app.db.prisma;
    await prisma.apiToken.update({ where: { id: record.id }, data: { revokedAt: new Date() } });
    await prisma.inboxMember.deleteMany({ where: { inboxId: sales.id, userId: ana.id } });
    expect(await watched.closed).toBe(4403);
    await anaSales.finished;
    expect(anaSales.error).toEqual([expect.objectContaining({ extensions: { code: "NOT_FOUND" } })]);
    expect(revoked.received).toHaveLength(1);
    await prisma.inboxMember.create({ data: { inboxId: sales.id, userId: ana.id } });
  });
});
