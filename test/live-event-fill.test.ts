// Live subscribers see every event once, in order, even what pub/sub lost (issue 13, point 3): a
// publish that never reached Redis, everything published while the instance's subscribing
// connection was away. The socket stays open, so the client could not know to resume: the server
// fills each live subscription from the event log when its pub/sub connection is back and when a
// received sequence skips (a skip that a rolled-back insert left is no loss). On a private
// redis-server (test/drills/support/services.ts), stopped and started again; the real graphql-ws client.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventLog, inTransaction } from "../src/domain/event-log.ts";
import { openConversation } from "../src/domain/conversations.ts";
import type { PubSub } from "../src/pubsub.ts";
import { latestSequence, writeEvents } from "../src/store/event-log.ts";
import { startTestApi, subscribe, type TestApi } from "./support/api.ts";
import { seedConversation, seedInbox } from "./support/seed.ts";
import { startPrivateRedis, type PrivateRedis } from "./drills/support/services.ts";
import { AddCommentDocument, ConversationEventsDocument } from "./generated/graphql.ts";

let redis: PrivateRedis;
let api: TestApi;
let admin: Awaited<ReturnType<TestApi["createUser"]>>;
let agent: Awaited<ReturnType<TestApi["createUser"]>>;

beforeAll(async () => {
  redis = await startPrivateRedis();
  api = await startTestApi({ redis: redis.url });
  admin = await api.createUser("ADMIN", "boss");
  agent = await api.createUser("AGENT", "ana");
});
afterAll(async () => {
  await api?.close();
  await redis?.destroy();
});

/** The pub/sub of a process whose publishes are all lost (e.g. it died right after its commits). */
function losingPubSub(): PubSub {
  return { ...api.app.pubsub, publish: () => {} };
}

/** Commits an event of the inbox that is never published: only the log has it. */
async function commitUnpublished(inboxId: string) {
  await inTransaction({ prisma: api.app.db.prisma, pubsub: losingPubSub() }, (tx, log) =>
    openConversation(tx, log, { inboxIds: [inboxId] }),
  );
}

async function comment(conversationId: string, body: string) {
  const result = await api.request(AddCommentDocument, { conversationId, body }, admin.token);
  expect(result.errors).toBeUndefined();
}

/** The sequences of the inbox's events after `after`, as the log holds them. */
async function loggedSequences(inboxId: string, after: bigint, of: TestApi = api): Promise<string[]> {
  const rows = await of.app.db.prisma.event.findMany({
    where: { inboxIds: { has: inboxId }, sequence: { gt: after } },
    orderBy: { sequence: "asc" },
    select: { sequence: true },
  });
  return rows.map((row) => row.sequence.toString());
}

/**
 * A subscriber of the inbox's events, once it is live: it resumes from the log's last sequence, so
 * its live subscription was active before its (empty) replay; the first comment arriving says the
 * replay is over — everything after it comes live.
 */
async function liveSubscriber(inboxGlobalId: string, conversationId: string) {
  const start = await latestSequence(api.app.db.prisma);
  const client = api.wsClient(agent.token);
  let closed = 0;
  client.on("closed", () => (closed += 1));
  const stream = subscribe(client, ConversationEventsDocument, { inboxId: inboxGlobalId, after: String(start) });
  await comment(conversationId, "are you there?");
  await stream.until(1);
  return {
    stream,
    start,
    cursors: () => stream.received.map((result) => result.data!.conversationEvents.cursor),
    socketClosings: () => closed,
  };
}

describe("filling live subscriptions from the event log", () => {
  it("delivers what was committed while Redis was away, once and in order, to a subscriber that stayed", async () => {
    const inbox = await seedInbox(api.app, "Restarts", [agent.id]);
    const conversation = await seedConversation(api.app, { inboxIds: [inbox.id] });
    const subscriber = await liveSubscriber(inbox.globalId, conversation.globalId);
    const before = subscriber.stream.received.length;
    const lastReceived = BigInt(subscriber.cursors().at(-1)!);

    await redis.stop();
    try {
      // Published by this instance (held and retried) and by a process whose publishes are lost.
      await comment(conversation.globalId, "while Redis is away 1");
      await commitUnpublished(inbox.id);
      await comment(conversation.globalId, "while Redis is away 2");
      await commitUnpublished(inbox.id);
    } finally {
      await redis.start();
    }
    const missed = await loggedSequences(inbox.id, lastReceived);
    expect(missed).toHaveLength(4);
    // Nothing else is committed: the connection coming back is what brings them.
    await subscriber.stream.until(before + missed.length);

    await comment(conversation.globalId, "after the restart");
    await subscriber.stream.until(before + missed.length + 1);
    expect(subscriber.cursors()).toEqual(await loggedSequences(inbox.id, subscriber.start));
    expect(subscriber.socketClosings()).toBe(0);
    expect(subscriber.stream.error).toBeUndefined();
  });

  it("fills a skipped sequence from the log, and takes a skip that a rolled-back insert left for none", async () => {
    const inbox = await seedInbox(api.app, "Skips", [agent.id]);
    const conversation = await seedConversation(api.app, { inboxIds: [inbox.id] });
    const subscriber = await liveSubscriber(inbox.globalId, conversation.globalId);

    await commitUnpublished(inbox.id);
    // An insert that rolls back uses up its sequence numbers: that skip is no lost event.
    const used = await latestSequence(api.app.db.prisma);
    await expect(
      api.app.db.prisma.$transaction(async (tx) => {
        const log = new EventLog();
        await openConversation(tx, log, { inboxIds: [inbox.id] });
        await writeEvents(tx, log.pending);
        throw new Error("rolled back");
      }),
    ).rejects.toThrow("rolled back");
    await comment(conversation.globalId, "after a lost one and a rolled-back one");
    await comment(conversation.globalId, "and one more");

    const logged = await loggedSequences(inbox.id, subscriber.start);
    expect(logged.map(BigInt).some((sequence) => sequence === used + 1n)).toBe(false);
    await subscriber.stream.until(logged.length);
    expect(subscriber.cursors()).toEqual(logged);
    expect(subscriber.socketClosings()).toBe(0);
  });

  it("starts while Redis is down, and follows the log once Redis is up: nothing committed meanwhile is lost", async () => {
    await redis.stop();
    let redisUp = false;
    let late: TestApi | undefined;
    try {
      late = await startTestApi({ redis: redis.url });
      const boss = await late.createUser("ADMIN", "boss");
      const ana = await late.createUser("AGENT", "ana");
      const inbox = await seedInbox(late.app, "Started without Redis", [ana.id]);
      const conversation = await seedConversation(late.app, { inboxIds: [inbox.id] });
      const start = await latestSequence(late.app.db.prisma);
      const stream = subscribe(late.wsClient(ana.token), ConversationEventsDocument, {
        inboxId: inbox.globalId,
        after: String(start),
      });
      const say = async (body: string) => {
        const result = await late!.request(
          AddCommentDocument,
          { conversationId: conversation.globalId, body },
          boss.token,
        );
        expect(result.errors).toBeUndefined();
      };
      await say("while Redis is down");
      await redis.start();
      redisUp = true;
      await say("once Redis is up");
      const logged = await loggedSequences(inbox.id, start, late);
      expect(logged).toHaveLength(2);
      await stream.until(2);
      expect(stream.received.map((result) => result.data!.conversationEvents.cursor)).toEqual(logged);
      expect(stream.error).toBeUndefined();
    } finally {
      if (!redisUp) await redis.start();
      await late?.close();
    }
  });

  it("follows its own event log only, while another database's instances publish on the same Redis", async () => {
    const other = await startTestApi({ redis: redis.url });
    try {
      const inbox = await seedInbox(api.app, "Neighbours", [agent.id]);
      const conversation = await seedConversation(api.app, { inboxIds: [inbox.id] });
      const subscriber = await liveSubscriber(inbox.globalId, conversation.globalId);
      // The other log's sequences overtake this one's: they must not count as delivered here.
      const ours = await latestSequence(api.app.db.prisma);
      const otherInbox = await seedInbox(other.app, "Elsewhere");
      while ((await latestSequence(other.app.db.prisma)) < ours + 5n)
        await seedConversation(other.app, { inboxIds: [otherInbox.id] });
      await comment(conversation.globalId, "still here");
      await comment(conversation.globalId, "and here");

      const logged = await loggedSequences(inbox.id, subscriber.start);
      await subscriber.stream.until(logged.length);
      expect(subscriber.cursors()).toEqual(logged);
    } finally {
      await other.close();
    }
  });
});
