// R8.2/R8.3: resumable conversation events (no gap, no duplicate), mentions, and delivery between
// two API instances through Redis — observed with the real graphql-ws client.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, subscribe, type TestApi } from "./support/api.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { seedConversation, seedInbox } from "./support/seed.ts";
import { latestSequence } from "../src/store/event-log.ts";
import {
  AddCommentDocument,
  ArchiveConversationDocument,
  AssignConversationDocument,
  ConversationEventsDocument,
  MentionsDocument,
} from "./generated/graphql.ts";

describe("subscriptions", () => {
  let database: TestDatabase;
  let first: TestApi;
  let second: TestApi;
  let admin: Awaited<ReturnType<TestApi["createUser"]>>;
  let agent: Awaited<ReturnType<TestApi["createUser"]>>;
  let inbox: Awaited<ReturnType<typeof seedInbox>>;

  beforeAll(async () => {
    database = await createTestDatabase();
    // Two API instances on one database and one Redis, as in a scaled-out deployment.
    [first, second] = await Promise.all([startTestApi({ database }), startTestApi({ database })]);
    admin = await first.createUser("ADMIN", "boss");
    agent = await first.createUser("AGENT", "ana");
    inbox = await seedInbox(first.app, "Support", [agent.id]);
  });
  afterAll(async () => {
    await Promise.all([first.close(), second.close()]);
    await database.drop();
  });

  async function assign(api: TestApi, conversationId: string, assigneeId: string) {
    const result = await api.request(AssignConversationDocument, { conversationId, assigneeId }, admin.token);
    expect(result.data?.assignConversation.__typename).toBe("ConversationPayload");
  }

  it("replays what a client missed after its cursor, then goes live, with no gap and no duplicate", async () => {
    const conversation = await seedConversation(first.app, { inboxIds: [inbox.id], customerNumber: "+16505550111" });
    // The client saw the creation event, then went away.
    const seen = subscribe(first.wsClient(agent.token), ConversationEventsDocument, {
      inboxId: inbox.globalId,
      after: "0",
    });
    const [created] = await seen.until(1);
    expect(created!.data?.conversationEvents.type).toBe("CONVERSATION_CREATED");
    const cursor = created!.data!.conversationEvents.cursor;
    seen.unsubscribe();

    // While it was away: assigned and a comment.
    await assign(first, conversation.globalId, agent.globalId);
    await first.request(
      AddCommentDocument,
      { conversationId: conversation.globalId, body: "missed this" },
      admin.token,
    );

    // It resumes on the other instance; events keep coming while it replays.
    const resumed = subscribe(second.wsClient(agent.token), ConversationEventsDocument, {
      inboxId: inbox.globalId,
      after: cursor,
    });
    await resumed.until(2);
    await first.request(ArchiveConversationDocument, { conversationId: conversation.globalId }, admin.token);
    const events = await resumed.until(3);

    const types = events.map((e) => e.data?.conversationEvents.type);
    expect(types).toEqual(["CONVERSATION_ASSIGNED", "COMMENT_ADDED", "CONVERSATION_ARCHIVED"]);
    const cursors = events.map((e) => BigInt(e.data!.conversationEvents.cursor));
    expect([...cursors].sort((a, b) => (a < b ? -1 : 1))).toEqual(cursors);
    expect(new Set(cursors).size).toBe(cursors.length);
    expect(cursors[0]! > BigInt(cursor)).toBe(true);
    expect(events[2]!.data?.conversationEvents.conversation).toMatchObject({
      id: conversation.globalId,
      status: "ARCHIVED",
    });
    resumed.unsubscribe();
  });

  it("delivers a live event published by one instance to a subscriber on the other, through Redis", async () => {
    const conversation = await seedConversation(first.app, { inboxIds: [inbox.id] });
    // Resume from the newest cursor: the first event to arrive proves the live subscription is
    // active (it is set up before the log is read), and the log replay is over by then — so the
    // second event, published later by the other instance, can only come through Redis.
    const newest = await latestSequence(first.app.db.prisma);
    const live = subscribe(second.wsClient(agent.token), ConversationEventsDocument, {
      inboxId: inbox.globalId,
      after: newest.toString(),
    });
    await assign(second, conversation.globalId, agent.globalId);
    await live.until(1);
    await first.request(ArchiveConversationDocument, { conversationId: conversation.globalId }, admin.token);
    const events = await live.until(2);
    expect(events.map((e) => e.data?.conversationEvents.type)).toEqual([
      "CONVERSATION_ASSIGNED",
      "CONVERSATION_ARCHIVED",
    ]);
    live.unsubscribe();
  });

  it("resolves the conversation and its relations as they are at each event, for every event of a subscription", async () => {
    // The conversation's query is planned once per subscription (src/schema/shared-loads.ts
    // subscriptionQuery); every later event must still load the row as it is now, with its relations.
    const conversation = await seedConversation(first.app, { inboxIds: [inbox.id] });
    const newest = await latestSequence(first.app.db.prisma);
    type Event = {
      conversationEvents: {
        type: string;
        conversation: { id: string; status: string; assignee: { name: string } | null } | null;
      };
    };
    const live = subscribe<Event, Record<string, unknown>>(
      first.wsClient(agent.token),
      "subscription($inboxId: ID!, $after: String) { conversationEvents(inboxId: $inboxId, after: $after) { " +
        "type conversation { id status assignee { name } } } }",
      { inboxId: inbox.globalId, after: newest.toString() },
    );
    await assign(first, conversation.globalId, agent.globalId);
    await live.until(1);
    await assign(first, conversation.globalId, admin.globalId);
    await live.until(2);
    await first.request(ArchiveConversationDocument, { conversationId: conversation.globalId }, admin.token);
    const events = await live.until(3);
    expect(events.map((e) => e.errors)).toEqual([undefined, undefined, undefined]);
    expect(events.map((e) => [e.data?.conversationEvents.type, e.data?.conversationEvents.conversation])).toEqual([
      ["CONVERSATION_ASSIGNED", { id: conversation.globalId, status: "OPEN", assignee: { name: "ana" } }],
      ["CONVERSATION_ASSIGNED", { id: conversation.globalId, status: "OPEN", assignee: { name: "boss" } }],
      ["CONVERSATION_ARCHIVED", { id: conversation.globalId, status: "ARCHIVED", assignee: { name: "boss" } }],
    ]);
    live.unsubscribe();
  });

  it("tells a mentioned teammate on the mentions subscription, on another instance", async () => {
    const conversation = await seedConversation(first.app, { inboxIds: [inbox.id] });
    const mentions = subscribe(second.wsClient(agent.token), MentionsDocument, { after: "0" });
    const result = await first.request(
      AddCommentDocument,
      { conversationId: conversation.globalId, body: "@ana can you call them back?" },
      admin.token,
    );
    expect(result.data?.addComment.__typename).toBe("CommentPayload");
    const [event] = await mentions.until(1);
    expect(event!.data?.mentions.comment?.body).toBe("@ana can you call them back?");
    mentions.unsubscribe();
  });

  it("refuses a subscription to an inbox the agent is not a member of, as if it did not exist", async () => {
    const other = await seedInbox(first.app, "Sales");
    const denied = subscribe(first.wsClient(agent.token), ConversationEventsDocument, { inboxId: other.globalId });
    await denied.finished;
    expect(JSON.stringify(denied.error ?? denied.received)).toContain("NOT_FOUND");
  });

  it("rejects a subscription without a valid token", async () => {
    const anonymous = subscribe(first.wsClient(), ConversationEventsDocument, { inboxId: inbox.globalId });
    await anonymous.finished;
    expect(JSON.stringify(anonymous.error ?? anonymous.received)).toContain("UNAUTHENTICATED");
  });
});
