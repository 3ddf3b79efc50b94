// Subscription events are executed by graphql-jit (src/compiled-execution.ts): for every document
// and event, the result must be the one graphql-js gives, relations must come from the planned
// query (no reload per subscriber), and unsubscribing must stop the source at once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, subscribe as graphqlSubscribe, type ExecutionArgs, type ExecutionResult } from "graphql";
import { compiledSubscription } from "../src/compiled-execution.ts";
import { buildContext } from "../src/context.ts";
import { createLogger } from "../src/logger.ts";
import { inTransaction } from "../src/domain/event-log.ts";
import type { NewEvent } from "../src/domain/events.ts";
import { checkEventsBeforeWrite, latestSequence } from "../src/store/event-log.ts";
import { schema } from "../src/schema/index.ts";
import { startTestApi, type TestApi } from "./support/api.ts";
import { seedConversationWithActivity, seedInbox } from "./support/seed.ts";

type Stream = AsyncGenerator<ExecutionResult>;

// Compiled from the first event on (the server waits for a document's tenth).
const compiledSubscribe = compiledSubscription({ compileAfter: 0 });
type Subscribe = (args: ExecutionArgs) => Promise<Stream | ExecutionResult> | Stream | ExecutionResult;

const CONVERSATION_SELECTION =
  `
  id status subject createdAt __typename
  who: assignee { name email }
  contact { name phoneNumbers { number } }
  tags { name }
  inboxes { name }
  lastCall { direction status talkSeconds parties { status } recordings { state durationSeconds } }
  lastMessage { text direction attachments { fileName } }
  calls(first: 2) { edges { cursor node { id status answeredBy { name } } } pageInfo { hasNextPage } }
  timeline(first: 10) { edges { node { __typename ... on Comment { body author { name } } ... on Activity { type ` +
  `data } } } }
  ... on Conversation { messages(first: 5) { texts: edges { node { text } } } }
`;

const DOCUMENTS = {
  conversationEvents: `subscription($inbox: ID!, $after: String, $withAssignee: Boolean!) {
    conversationEvents(inboxId: $inbox, after: $after) {
      cursor type createdAt payload
      conversation { ${CONVERSATION_SELECTION} assignee @include(if: $withAssignee) { id } }
      again: conversation { id ...Status }
    }
  }
  fragment Status on Conversation { status archivedAt }`,
  callUpdated:
    `subscription CallUpdates($inbox: ID!, $after: String) {
    callUpdated(inboxId: $inbox, after: $after) { cursor createdAt call { id direction status fromNumber ` +
    `conversation { id tags { name } } parties { partyId status } } }
  }`,
  messageAdded:
    `subscription($inbox: ID!, $after: String) {
    messageAdded(inboxId: $inbox, after: $after) { type status message { id text sentBy { name } conversation { ` +
    `id } attachments { fileName } } conversation { id lastMessage { text } } }
  }`,
  agentStatusChanged: `subscription($inbox: ID!, $after: String) {
    agentStatusChanged(inboxId: $inbox, after: $after) { cursor automatic status previousStatus user { name } }
  }`,
};

/** Events as the domain writes them; only the ids the documents read matter here. */
const commentAdded = (commentId: string) => ({ commentId, authorId: crypto.randomUUID(), mentionedUserIds: [] });
const callUpdated = (callId: string) =>
  ({ callId, telephonySessionId: "s-1", status: "IN_PROGRESS", direction: "INBOUND", talkSeconds: null }) as const;

describe("compiled subscription execution", () => {
  let api: TestApi;
  let statements = 0;
  let agent: Awaited<ReturnType<TestApi["createUser"]>>;
  let inbox: Awaited<ReturnType<typeof seedInbox>>;
  let seeded: Awaited<ReturnType<typeof seedConversationWithActivity>>;
  let hidden: Awaited<ReturnType<typeof seedConversationWithActivity>>;

  beforeAll(async () => {
    api = await startTestApi({
      onQuery: () => {
        statements += 1;
      },
    });
    agent = await api.createUser("AGENT", "ana");
    inbox = await seedInbox(api.app, "Support", [agent.id]);
    seeded = await seedConversationWithActivity(api.app, inbox.id);
    await api.app.db.prisma.conversation.update({
      where: { id: seeded.conversation.id },
      data: { assigneeId: agent.id, tags: { create: { tagId: seeded.tag.id } } },
    });
    // A conversation of an inbox the agent is not a member of.
    hidden = await seedConversationWithActivity(api.app, (await seedInbox(api.app, "Sales")).id, "+16505550199");
  });
  afterAll(async () => {
    await api.close();
  });

  async function start(subscribe: Subscribe, document: string, variables: Record<string, unknown>): Promise<Stream> {
    const contextValue = await buildContext(
      {
        prisma: api.app.db.prisma,
        pubsub: api.app.pubsub,
        liveEvents: api.app.liveEvents,
        log: createLogger("silent"),
      },
      `Bearer ${agent.token}`,
    );
    const stream = await subscribe({ schema, document: parse(document), variableValues: variables, contextValue });
    if (!(Symbol.asyncIterator in stream)) throw new Error(`not a stream: ${JSON.stringify(stream)}`);
    return stream;
  }

  /**
   * The first result each subscriber receives for one event of the inbox, written to the event log
   * as the domain writes events (the subscribers resume from the cursor before it, so none can miss
   * it), and the SQL statements the delivery took.
   */
  async function deliver(
    subscribers: Subscribe[],
    document: string,
    variables: Record<string, unknown>,
    event: NewEvent,
  ) {
    const after = String(await latestSequence(api.app.db.prisma));
    const streams = await Promise.all(
      subscribers.map((subscribe) => start(subscribe, document, { ...variables, after })),
    );
    await inTransaction({ prisma: api.app.db.prisma, pubsub: api.app.pubsub }, async (_tx, log) =>
      log.append({ inboxIds: [inbox.id], ...event }),
    );
    const before = statements;
    const results = await Promise.all(streams.map((s) => s.next()));
    const used = statements - before;
    await Promise.all(streams.map((s) => s.return(undefined)));
    // As they travel to the client: errors as their JSON.
    return {
      results: results.map((r) => JSON.parse(JSON.stringify(r.value)) as ExecutionResult<Record<string, any>>),
      statements: used,
    };
  }

  const both = [compiledSubscribe, graphqlSubscribe] as Subscribe[];
  const inboxOf = () => ({ inbox: inbox.globalId, withAssignee: true });

  it("gives the result graphql-js gives, for conversations, calls, messages and agents, visible or not", async () => {
    const cases: [string, NewEvent][] = [
      [
        DOCUMENTS.conversationEvents,
        { type: "COMMENT_ADDED", conversationId: seeded.conversation.id, payload: commentAdded(seeded.comment.id) },
      ],
      [
        DOCUMENTS.conversationEvents,
        {
          type: "CONVERSATION_TAGGED",
          conversationId: hidden.conversation.id,
          payload: { tagId: hidden.tag.id, tagName: "t", activityId: crypto.randomUUID(), actorId: null },
        },
      ],
      [
        DOCUMENTS.callUpdated,
        { type: "CALL_UPDATED", conversationId: seeded.conversation.id, payload: callUpdated(seeded.call.id) },
      ],
      [
        DOCUMENTS.callUpdated,
        { type: "CALL_UPDATED", conversationId: hidden.conversation.id, payload: callUpdated(hidden.call.id) },
      ],
      [
        DOCUMENTS.messageAdded,
        {
          type: "MESSAGE_ADDED",
          conversationId: seeded.conversation.id,
          payload: { messageId: seeded.message.id, direction: "INBOUND", status: "RECEIVED" },
        },
      ],
      [
        DOCUMENTS.agentStatusChanged,
        { type: "AGENT_STATUS_CHANGED", payload: { userId: agent.id, status: "AVAILABLE", previousStatus: "OFFLINE" } },
      ],
    ];
    for (const [document, event] of cases) {
      const { results } = await deliver(both, document, inboxOf(), event);
      expect(results[0]).toEqual(results[1]);
      expect(results[0]!.errors, JSON.stringify(results[0]!.errors)).toBeUndefined();
    }
    // The compared results hold what the documents asked for.
    const { results } = await deliver(both, DOCUMENTS.conversationEvents, inboxOf(), {
      type: "COMMENT_ADDED",
      conversationId: seeded.conversation.id,
      payload: commentAdded(seeded.comment.id),
    });
    const conversation = results[0]!.data!.conversationEvents.conversation;
    expect(conversation).toMatchObject({
      status: "OPEN",
      who: { name: "ana" },
      tags: [{ name: seeded.tag.name }],
      lastMessage: { text: "Hello 👋" },
      assignee: { id: agent.globalId },
    });
    expect(conversation.calls.edges).toHaveLength(1);
    expect(conversation.timeline.edges.length).toBeGreaterThan(0);
    expect(results[0]!.data!.conversationEvents.again).toEqual({
      id: seeded.conversation.globalId,
      status: "OPEN",
      archivedAt: null,
    });
  });

  it("reports field errors as graphql-js does, with the same paths", async () => {
    const cases: [Record<string, unknown>, string][] = [
      // A status outside the enum: a serialisation error.
      [{ userId: agent.id, status: "DANCING", previousStatus: "OFFLINE" }, "status"],
      // A user that does not exist: the resolver throws.
      [{ userId: crypto.randomUUID(), status: "AVAILABLE", previousStatus: "OFFLINE" }, "user"],
    ];
    for (const [payload, field] of cases) {
      // A malformed log row, which the catalogue would refuse: written past its types and its check on purpose.
      const malformed = { type: "AGENT_STATUS_CHANGED", payload } as unknown as NewEvent;
      const check = checkEventsBeforeWrite(null);
      const { results } = await deliver(both, DOCUMENTS.agentStatusChanged, inboxOf(), malformed).finally(() =>
        checkEventsBeforeWrite(check),
      );
      expect(results[0]).toEqual(results[1]);
      expect(results[0]!.errors?.map((e) => e.path)).toEqual([["agentStatusChanged", field]]);
    }
  });

  it("loads an event's conversation with the statements graphql-js needs: relations come from the planned query", async () => {
    const event: NewEvent = {
      type: "COMMENT_ADDED",
      conversationId: seeded.conversation.id,
      payload: commentAdded(seeded.comment.id),
    };
    const reference = await deliver([graphqlSubscribe as Subscribe], DOCUMENTS.conversationEvents, inboxOf(), event);
    const compiled = await deliver([compiledSubscribe as Subscribe], DOCUMENTS.conversationEvents, inboxOf(), event);
    const conversationOf = (result: ExecutionResult<Record<string, any>> | undefined) =>
      result?.data?.conversationEvents.conversation;
    expect(conversationOf(compiled.results[0])).toEqual(conversationOf(reference.results[0]));
    expect(compiled.statements).toBe(reference.statements);
  });

  it("runs a document on graphql-js for its first events, then compiles it once for all its subscriptions", async () => {
    const compilations: (string | null)[] = [];
    const subscribe = compiledSubscription({
      compileAfter: 3,
      onCompiled: (operation) => compilations.push(operation),
    }) as Subscribe;
    const document = parse(DOCUMENTS.callUpdated);
    const deliverCall = async (subscribers: number) => {
      const after = String(await latestSequence(api.app.db.prisma));
      const contextValue = await buildContext(
        {
          prisma: api.app.db.prisma,
          pubsub: api.app.pubsub,
          liveEvents: api.app.liveEvents,
          log: createLogger("silent"),
        },
        `Bearer ${agent.token}`,
      );
      const streams = await Promise.all(
        Array.from(
          { length: subscribers },
          async () =>
            (await subscribe({
              schema,
              document,
              variableValues: { inbox: inbox.globalId, after },
              contextValue,
            })) as Stream,
        ),
      );
      await inTransaction({ prisma: api.app.db.prisma, pubsub: api.app.pubsub }, async (_tx, log) =>
        log.append({
          type: "CALL_UPDATED",
          inboxIds: [inbox.id],
          conversationId: seeded.conversation.id,
          payload: callUpdated(seeded.call.id),
        }),
      );
      const results = await Promise.all(streams.map((s) => s.next()));
      await Promise.all(streams.map((s) => s.return(undefined)));
      return results.map((r) => r.value.data?.callUpdated.call.status);
    };
    expect(await deliverCall(2)).toEqual(["ENDED", "ENDED"]);
    expect(compilations).toEqual([]);
    expect(await deliverCall(3)).toEqual(["ENDED", "ENDED", "ENDED"]);
    expect(compilations).toEqual(["CallUpdates"]);
    expect(await deliverCall(2)).toEqual(["ENDED", "ENDED"]);
    expect(compilations).toEqual(["CallUpdates"]);
  });

  it("ends the source at once when the subscriber leaves while it waits for an event", async () => {
    const stream = await start(compiledSubscribe, DOCUMENTS.conversationEvents, inboxOf());
    const waiting = stream.next();
    await expect(stream.return(undefined)).resolves.toEqual({ value: undefined, done: true });
    await expect(waiting).resolves.toEqual({ value: undefined, done: true });
    await expect(stream.next()).resolves.toEqual({ value: undefined, done: true });
  });
});
