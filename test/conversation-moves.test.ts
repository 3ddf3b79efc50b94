// Splitting a conversation (R4.6) and moving a call between conversations of one contact, through
// the API: exactly the right messages move, the customer's next text threads into the newer part,
// both timelines link to each other, a live and a resumed conversationEvents subscriber both see
// the events of both conversations in order, and bad input is refused with nothing changed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingestInboundMessage } from "../src/domain/sms/inbound.ts";
import { latestSequence } from "../src/store/event-log.ts";
import { globalId, startTestApi, subscribe, type TestApi } from "./support/api.ts";
import { readmeOperation } from "./support/documented-operations.ts";
import { seedInbox } from "./support/seed.ts";

const SMS_NUMBER = "+18005550199";
const SPLIT = `mutation Split($conversationId: ID!, $fromMessageId: ID!, $assigneeId: ID) {
  splitConversation(conversationId: $conversationId, fromMessageId: $fromMessageId, assigneeId: $assigneeId) {
    __typename
    ... on SplitConversationPayload {
      conversation { id messages(first: 50) { edges { node { id } } } calls(first: 5) { edges { node { id } } } }
      newConversation {
        id status assignee { id } contact { id } channel { id } inboxes { id } splitFrom { id }
        messages(first: 50) { edges { node { id } } }
      }
    }
    ... on Error { code message }
    ... on InvalidInputError { field }
  }
}`;
const MOVE = `mutation Move($callId: ID!, $conversationId: ID!) {
  moveCallToConversation(callId: $callId, conversationId: $conversationId) {
    __typename
    ... on MoveCallPayload {
      call { id conversation { id } }
      fromConversation { id calls(first: 5) { edges { node { id } } } }
      toConversation { id calls(first: 5) { edges { node { id } } } comments(first: 5) { edges { node { id } } } }
    }
    ... on Error { code message }
    ... on InvalidInputError { field }
  }
}`;
const TIMELINE = `query Timeline($id: ID!) {
  node(id: $id) { ... on Conversation { timeline(first: 50) { edges { node {
    __typename ... on Activity { type data } ... on Message { id } } } } } }
}`;
const EVENTS = `subscription Events($inboxId: ID!, $after: String) {
  conversationEvents(inboxId: $inboxId, after: $after) { cursor type conversation { id } payload }
}`;

type Payload = Record<string, any>;

describe("splitting conversations and moving calls", () => {
  let api: TestApi;
  type User = Awaited<ReturnType<TestApi["createUser"]>>;
  let ana: User;
  let olga: User;
  let inboxId: string;
  let channelId: string;
  let sent = 0;
  const prisma = () => api.app.db.prisma;
  const dbId = (id: string) => Buffer.from(id, "base64").toString().split(":")[1]!;

  /** A text from the customer, stored as the worker stores one. */
  async function receive(text: string, at: Date, from: string) {
    sent += 1;
    const stored = await ingestInboundMessage(
      { prisma: prisma(), pubsub: api.app.pubsub },
      {
        ringCentralId: `m-${sent}-${crypto.randomUUID()}`,
        channelNumber: SMS_NUMBER,
        from,
        text,
        attachments: [],
        createdAt: at,
      },
    );
    return stored!;
  }

  async function mutate(document: string, variables: Record<string, unknown>, token = ana.token): Promise<Payload> {
    const result = await api.request<Record<string, Payload>, Record<string, unknown>>(document, variables, token);
    expect(result.errors).toBeUndefined();
    return Object.values(result.data!)[0]!;
  }

  async function timeline(id: string) {
    const result = await api.request<any, object>(TIMELINE, { id }, ana.token);
    return result.data.node.timeline.edges.map((e: { node: Payload }) => e.node) as Payload[];
  }

  /** Everything a refused split or move must leave as it was. */
  async function snapshot() {
    const p = prisma();
    return {
      messages: await p.message.findMany({ select: { id: true, conversationId: true }, orderBy: { id: "asc" } }),
      calls: await p.call.findMany({ select: { id: true, conversationId: true }, orderBy: { id: "asc" } }),
      comments: await p.comment.findMany({ select: { id: true, conversationId: true }, orderBy: { id: "asc" } }),
      conversations: await p.conversation.count(),
      activities: await p.activity.count(),
      events: await latestSequence(p),
    };
  }

  let customers = 0;
  /** A new customer's conversation of four texts, a call and a comment on it. */
  async function mixedConversation() {
    customers += 1;
    const customer = `+1650555${String(200 + customers).padStart(4, "0")}`;
    const base = Date.now() - 3_600_000;
    const texts = [];
    for (const [i, text] of [
      "My order is late",
      "It was due Monday",
      "Also, my invoice is wrong",
      "It says 40 not 30",
    ].entries())
      texts.push(await receive(text, new Date(base + i * 60_000), customer));
    const conversationId = texts[0]!.conversationId;
    expect(new Set(texts.map((t) => t.conversationId))).toEqual(new Set([conversationId]));
    const call = await prisma().call.create({
      data: {
        telephonySessionId: `s-${crypto.randomUUID()}`,
        conversationId,
        direction: "INBOUND",
        status: "ENDED",
        createdAt: new Date(base + 150_000),
      },
    });
    const comment = await prisma().comment.create({
      data: { conversationId, authorId: ana.id, callId: call.id, body: "called about the order" },
    });
    return { conversationId, customer, messageIds: texts.map((t) => t.messageId), call, comment };
  }

  beforeAll(async () => {
    api = await startTestApi();
    ana = await api.createUser("AGENT", "ana");
    olga = await api.createUser("AGENT", "olga");
    inboxId = (await seedInbox(api.app, "Support", [ana.id])).id;
    await seedInbox(api.app, "HR", [olga.id]);
    channelId = (await prisma().channel.create({ data: { type: "SMS", phoneNumber: SMS_NUMBER, inboxId } })).id;
  });
  afterAll(() => api.close());

  it("moves exactly the message and the later ones, links both timelines, threads the next text into the new part, and both subscribers see it", async () => {
    const mixed = await mixedConversation();
    const original = globalId("Conversation", mixed.conversationId);
    const inbox = globalId("Inbox", inboxId);
    // A live subscriber: resuming one event back proves its live subscription is set up.
    const before = await latestSequence(prisma());
    const live = subscribe<any, object>(api.wsClient(ana.token), EVENTS, {
      inboxId: inbox,
      after: String(before - 1n),
    });
    await live.until(1);

    const payload = await mutate(SPLIT, {
      conversationId: original,
      fromMessageId: globalId("Message", mixed.messageIds[2]!),
    });
    expect(payload.__typename).toBe("SplitConversationPayload");
    const ids = (connection: { edges: { node: { id: string } }[] }) => connection.edges.map((e) => e.node.id).sort();
    const messageIds = mixed.messageIds.map((id) => globalId("Message", id));
    expect(ids(payload.conversation.messages)).toEqual(messageIds.slice(0, 2).sort());
    expect(ids(payload.conversation.calls)).toEqual([globalId("Call", mixed.call.id)]);
    const created = payload.newConversation;
    expect(ids(created.messages)).toEqual(messageIds.slice(2).sort());
    const contactId = (await prisma().conversation.findUniqueOrThrow({ where: { id: mixed.conversationId } }))
      .contactId!;
    expect(created).toMatchObject({
      status: "OPEN",
      assignee: null,
      contact: { id: globalId("Contact", contactId) },
      channel: { id: globalId("Channel", channelId) },
      inboxes: [{ id: inbox }],
      splitFrom: { id: original },
    });

    // Both timelines say what happened and link to each other.
    const split = (await timeline(original)).filter((i) => i.__typename === "Activity");
    expect(split.at(-1)).toEqual({
      __typename: "Activity",
      type: "SPLIT",
      data: { newConversationId: created.id, messageId: messageIds[2], messageCount: 2 },
    });
    expect((await timeline(created.id)).map((i) => i.type ?? i.id)).toEqual([
      messageIds[2],
      messageIds[3],
      "SPLIT_FROM",
    ]);
    expect((await timeline(created.id)).at(-1)!.data).toEqual({
      originalConversationId: original,
      messageId: messageIds[2],
      messageCount: 2,
    });

    // The events of both conversations, in one transaction (consecutive), seen live and on resuming.
    const expected = [
      ["CONVERSATION_CREATED", created.id],
      ["CONVERSATION_SPLIT", original],
      ["CONVERSATION_SPLIT_FROM", created.id],
    ];
    const shape = (events: any[]) =>
      events.map((e) => [e.data.conversationEvents.type, e.data.conversationEvents.conversation.id]);
    expect(shape((await live.until(4)).slice(1))).toEqual(expected);
    const resumed = subscribe<any, object>(api.wsClient(ana.token), EVENTS, { inboxId: inbox, after: String(before) });
    const replayed = await resumed.until(3);
    expect(shape(replayed)).toEqual(expected);
    const sequences = replayed.map((e) => BigInt(e.data.conversationEvents.cursor));
    expect(sequences).toEqual([sequences[0]!, sequences[0]! + 1n, sequences[0]! + 2n]);
    expect(replayed[1].data.conversationEvents.payload).toMatchObject({
      newConversationId: dbId(created.id),
      messageId: mixed.messageIds[2],
      messageCount: 2,
    });
    live.unsubscribe();
    resumed.unsubscribe();

    // The customer's next text belongs to the newer conversation.
    const next = await receive("Any news on the invoice?", new Date(), mixed.customer);
    expect(next.conversationId).toBe(dbId(created.id));
  });

  it("runs the README's split as documented", async () => {
    const mixed = await mixedConversation();
    const original = globalId("Conversation", mixed.conversationId);
    const result = await api.request<any, object>(
      readmeOperation("SplitConversation"),
      { conversation: original, fromMessage: globalId("Message", mixed.messageIds[3]!) },
      ana.token,
    );
    expect(result.errors).toBeUndefined();
    expect(result.data.splitConversation).toMatchObject({
      __typename: "SplitConversationPayload",
      conversation: { id: original },
      newConversation: {
        status: "OPEN",
        splitFrom: { id: original },
        messages: { edges: [{ node: { text: "It says 40 not 30" } }] },
      },
    });
  });

  it("assigns the new conversation when asked", async () => {
    const mixed = await mixedConversation();
    const payload = await mutate(SPLIT, {
      conversationId: globalId("Conversation", mixed.conversationId),
      fromMessageId: globalId("Message", mixed.messageIds[1]!),
      assigneeId: ana.globalId,
    });
    expect(payload.newConversation.assignee).toEqual({ id: ana.globalId });
    expect(payload.newConversation.messages.edges).toHaveLength(3);
  });

  it("refuses a message of another conversation, the first message, a call, a hidden conversation and an outsider as assignee, changing nothing", async () => {
    const mixed = await mixedConversation();
    const other = await receive("Hello from someone else", new Date(), "+16505550999");
    const conversationId = globalId("Conversation", mixed.conversationId);
    const before = await snapshot();
    const cases: [Record<string, unknown>, string, Payload][] = [
      [
        { fromMessageId: globalId("Message", other.messageId) },
        ana.token,
        { code: "BAD_USER_INPUT", field: "fromMessageId" },
      ],
      [
        { fromMessageId: globalId("Message", crypto.randomUUID()) },
        ana.token,
        { code: "BAD_USER_INPUT", field: "fromMessageId" },
      ],
      [
        { fromMessageId: globalId("Message", mixed.messageIds[0]!) },
        ana.token,
        { code: "BAD_USER_INPUT", field: "fromMessageId" },
      ],
      [
        { fromMessageId: globalId("Call", mixed.call.id) },
        ana.token,
        { code: "BAD_USER_INPUT", field: "fromMessageId" },
      ],
      [
        { fromMessageId: globalId("Message", mixed.messageIds[2]!) },
        olga.token,
        { __typename: "NotFoundError", code: "NOT_FOUND" },
      ],
      [
        { fromMessageId: globalId("Message", mixed.messageIds[2]!), assigneeId: olga.globalId },
        ana.token,
        { code: "BAD_USER_INPUT", field: "assigneeId" },
      ],
    ];
    for (const [variables, token, expected] of cases)
      expect(await mutate(SPLIT, { conversationId, ...variables }, token), JSON.stringify(variables)).toMatchObject(
        expected,
      );
    expect((await mutate(SPLIT, { conversationId, fromMessageId: globalId("Call", mixed.call.id) })).message).toMatch(
      /moveCallToConversation/,
    );
    expect(await snapshot()).toEqual(before);
  });

  it("moves an ended call with its comments to another conversation of the same contact; refuses anything else, changing nothing", async () => {
    const mixed = await mixedConversation();
    const split = await mutate(SPLIT, {
      conversationId: globalId("Conversation", mixed.conversationId),
      fromMessageId: globalId("Message", mixed.messageIds[2]!),
    });
    const [from, to] = [split.conversation.id as string, split.newConversation.id as string];
    const callId = globalId("Call", mixed.call.id);
    const stranger = await receive("Wrong number?", new Date(), "+16505550777");
    const ringing = await prisma().call.create({
      data: {
        telephonySessionId: `s-${crypto.randomUUID()}`,
        conversationId: mixed.conversationId,
        direction: "INBOUND",
      },
    });
    const before = await snapshot();
    const refusals: [Record<string, unknown>, string, Payload][] = [
      [
        { callId, conversationId: globalId("Conversation", stranger.conversationId) },
        ana.token,
        { field: "conversationId" },
      ],
      [{ callId, conversationId: from }, ana.token, { code: "BAD_USER_INPUT", field: "conversationId" }],
      [
        { callId: globalId("Call", ringing.id), conversationId: to },
        ana.token,
        { code: "BAD_USER_INPUT", field: "callId" },
      ],
      [{ callId, conversationId: to }, olga.token, { __typename: "NotFoundError", code: "NOT_FOUND" }],
      [
        { callId: globalId("Call", crypto.randomUUID()), conversationId: to },
        ana.token,
        { __typename: "NotFoundError" },
      ],
    ];
    for (const [variables, token, expected] of refusals)
      expect(await mutate(MOVE, variables, token), JSON.stringify(variables)).toMatchObject(expected);
    expect(await snapshot()).toEqual(before);

    const moved = await mutate(MOVE, { callId, conversationId: to });
    expect(moved).toMatchObject({
      __typename: "MoveCallPayload",
      call: { id: callId, conversation: { id: to } },
      fromConversation: { id: from, calls: { edges: [{ node: { id: globalId("Call", ringing.id) } }] } },
      toConversation: {
        id: to,
        calls: { edges: [{ node: { id: callId } }] },
        comments: { edges: [{ node: { id: globalId("Comment", mixed.comment.id) } }] },
      },
    });
    const lastActivity = async (id: string) => (await timeline(id)).filter((i) => i.__typename === "Activity").at(-1);
    expect(await lastActivity(from)).toMatchObject({ type: "CALL_MOVED_OUT", data: { callId, toConversationId: to } });
    expect(await lastActivity(to)).toMatchObject({ type: "CALL_MOVED_IN", data: { callId, fromConversationId: from } });
    const events = await prisma().event.findMany({
      where: { sequence: { gt: before.events } },
      orderBy: { sequence: "asc" },
    });
    expect(events.map((e) => [e.type, e.conversationId])).toEqual([
      ["CONVERSATION_CALL_MOVED_OUT", dbId(from)],
      ["CONVERSATION_CALL_MOVED_IN", dbId(to)],
    ]);
  });
});
