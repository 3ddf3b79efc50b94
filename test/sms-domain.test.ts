// SMS rules in the domain, on real PostgreSQL + Redis: inbound threading (R4.1), the close timer
// (R4.2), contacts for unknown senders (R5.2), idempotent ingest and order-insensitive delivery
// status (R4.4, R3.14) — including property tests over permutations and duplications.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Deps } from "../src/domain/event-log.ts";
import { applyMessageStatus } from "../src/domain/sms/delivery-status.ts";
import { archiveInactiveConversations } from "../src/domain/sms/inactivity.ts";
import { ingestInboundMessage, type InboundMessageInput } from "../src/domain/sms/inbound.ts";
import type { DeliveryStatus } from "../src/domain/sms/sender.ts";
import { archiveConversation } from "../src/domain/conversations.ts";
import { startSmsTestApi, type SmsTestApi } from "./support/sms.ts";
import { seedInbox } from "./support/seed.ts";

let api: SmsTestApi;
let deps: Deps;
let inboxId: string;
let numbers = 0;

beforeAll(async () => {
  api = await startSmsTestApi();
  deps = { prisma: api.app.db.prisma, pubsub: api.app.pubsub };
  await api.createUser("ADMIN", "admin"); // the seed helpers expect a user
  inboxId = (await seedInbox(api.app, "Support")).id;
});
afterAll(() => api.close());

/** A fresh SMS channel number per test, so tests do not share threads. */
async function smsChannel(options: { closeAfterSeconds?: number; inbox?: string } = {}) {
  numbers += 1;
  return deps.prisma.channel.create({
    data: {
      type: "SMS",
      phoneNumber: `+1415555${String(1000 + numbers).padStart(4, "0")}`,
      inboxId: options.inbox ?? inboxId,
      closeAfterSeconds: options.closeAfterSeconds ?? null,
    },
  });
}

function inbound(
  channelNumber: string,
  from: string,
  overrides: Partial<InboundMessageInput> = {},
): InboundMessageInput {
  return {
    ringCentralId: crypto.randomUUID(),
    channelNumber,
    from,
    text: "Hello",
    attachments: [],
    createdAt: new Date(),
    ...overrides,
  };
}

function eventsOf(conversationId: string) {
  return deps.prisma.event.findMany({ where: { conversationId }, orderBy: { sequence: "asc" } });
}

describe("R4.1 inbound threading", () => {
  it("threads one customer's messages on one channel into one open conversation, whatever the number's format", async () => {
    const channel = await smsChannel();
    const formats = ["+16505550142", "(650) 555-0142", "650.555.0142", "1 650 555 0142"];
    const results = [];
    for (const from of formats)
      results.push(await ingestInboundMessage(deps, inbound(channel.phoneNumber, from, { text: `via ${from}` })));
    expect(new Set(results.map((r) => r!.conversationId)).size).toBe(1);
    expect(results.every((r) => r!.created)).toBe(true);

    const conversation = await deps.prisma.conversation.findUniqueOrThrow({
      where: { id: results[0]!.conversationId },
      include: { inboxes: true, messages: true, contact: { include: { phones: true } } },
    });
    expect(conversation).toMatchObject({ status: "OPEN", channelId: channel.id });
    expect(conversation.inboxes.map((i) => i.inboxId)).toEqual([inboxId]);
    expect(conversation.messages.map((m) => [m.direction, m.status, m.fromNumber, m.toNumber])).toEqual(
      formats.map(() => ["INBOUND", "RECEIVED", "+16505550142", channel.phoneNumber]),
    );
    // R5.2: a new contact keyed by E.164, with no name.
    expect(conversation.contact).toMatchObject({
      name: null,
      phones: [expect.objectContaining({ e164: "+16505550142" })],
    });
    const events = await eventsOf(conversation.id);
    expect(events.map((e) => e.type)).toEqual(["CONVERSATION_CREATED", ...formats.map(() => "MESSAGE_ADDED")]);
    expect(events.every((e) => e.inboxIds.includes(inboxId))).toBe(true);
  });

  it("keeps the same customer on another channel in another conversation, in that channel's inbox", async () => {
    const otherInbox = (await seedInbox(api.app, "Sales")).id;
    const [a, b] = [await smsChannel(), await smsChannel({ inbox: otherInbox })];
    const first = await ingestInboundMessage(deps, inbound(a.phoneNumber, "+16505550143"));
    const second = await ingestInboundMessage(deps, inbound(b.phoneNumber, "+16505550143"));
    expect(first!.conversationId).not.toBe(second!.conversationId);
    const inboxes = await deps.prisma.conversationInbox.findMany({ where: { conversationId: second!.conversationId } });
    expect(inboxes.map((i) => i.inboxId)).toEqual([otherInbox]);
    // Both conversations belong to the one contact.
    const contacts = await deps.prisma.conversation.findMany({
      where: { id: { in: [first!.conversationId, second!.conversationId] } },
      select: { contactId: true },
    });
    expect(new Set(contacts.map((c) => c.contactId)).size).toBe(1);
  });

  it("uses an existing contact and never renames it", async () => {
    const channel = await smsChannel();
    const contact = await deps.prisma.contact.create({
      data: { name: "Dana Known", phones: { create: { e164: "+16505550144" } } },
    });
    const result = await ingestInboundMessage(deps, inbound(channel.phoneNumber, "650-555-0144"));
    const conversation = await deps.prisma.conversation.findUniqueOrThrow({
      where: { id: result!.conversationId },
      include: { contact: true },
    });
    expect(conversation.contact).toMatchObject({ id: contact.id, name: "Dana Known" });
  });

  it("reopens an agent-archived conversation when the customer writes again (no close timer)", async () => {
    const channel = await smsChannel();
    const first = await ingestInboundMessage(deps, inbound(channel.phoneNumber, "+16505550145"));
    await archiveConversation(deps, null, first!.conversationId, null);
    const second = await ingestInboundMessage(deps, inbound(channel.phoneNumber, "+16505550145"));
    expect(second!.conversationId).toBe(first!.conversationId);
    expect((await deps.prisma.conversation.findUniqueOrThrow({ where: { id: first!.conversationId } })).status).toBe(
      "OPEN",
    );
    expect((await eventsOf(first!.conversationId)).map((e) => e.type)).toEqual([
      "CONVERSATION_CREATED",
      "MESSAGE_ADDED",
      "CONVERSATION_ARCHIVED",
      "CONVERSATION_REOPENED",
      "MESSAGE_ADDED",
    ]);
  });

  it("ignores a number no connected SMS channel has (or a disconnected one): nothing is stored", async () => {
    const disconnected = await deps.prisma.channel.update({
      where: { id: (await smsChannel()).id },
      data: { disconnectedAt: new Date() },
    });
    const voice = await deps.prisma.channel.create({ data: { type: "VOICE", phoneNumber: "+14155559876", inboxId } });
    const before = await Promise.all([
      deps.prisma.message.count(),
      deps.prisma.event.count(),
      deps.prisma.contact.count(),
    ]);
    expect(await ingestInboundMessage(deps, inbound("+14155559999", "+16505550146"))).toBeNull();
    expect(await ingestInboundMessage(deps, inbound(disconnected.phoneNumber, "+16505550146"))).toBeNull();
    expect(await ingestInboundMessage(deps, inbound(voice.phoneNumber, "+16505550146"))).toBeNull();
    expect(
      await Promise.all([deps.prisma.message.count(), deps.prisma.event.count(), deps.prisma.contact.count()]),
    ).toEqual(before);
  });

  it("is idempotent by RingCentral id: a replay stores nothing and publishes nothing", async () => {
    const channel = await smsChannel();
    const message = inbound(channel.phoneNumber, "+16505550147", {
      text: "Grüße 👋🏽 — ok?",
      attachments: [
        {
          ringCentralId: "att-1",
          contentType: "image/png",
          fileName: "a.png",
          sizeBytes: 3,
          contentUri: "https://example.test/a",
        },
      ],
    });
    const first = await ingestInboundMessage(deps, message);
    const eventsAfterFirst = await eventsOf(first!.conversationId);
    const replays = await Promise.all([1, 2, 3].map(() => ingestInboundMessage(deps, message)));
    expect(replays).toEqual([1, 2, 3].map(() => ({ ...first, created: false })));
    expect(await deps.prisma.message.count({ where: { ringCentralId: message.ringCentralId } })).toBe(1);
    expect(await deps.prisma.attachment.count({ where: { message: { ringCentralId: message.ringCentralId } } })).toBe(
      1,
    );
    expect(await eventsOf(first!.conversationId)).toEqual(eventsAfterFirst);
    expect((await deps.prisma.message.findFirstOrThrow({ where: { ringCentralId: message.ringCentralId } })).text).toBe(
      "Grüße 👋🏽 — ok?",
    );
  });

  it("moves the conversation's lastActivityAt to the message's time", async () => {
    const channel = await smsChannel();
    const later = new Date(Date.now() + 60_000);
    const result = await ingestInboundMessage(deps, inbound(channel.phoneNumber, "+16505550148", { createdAt: later }));
    const conversation = await deps.prisma.conversation.findUniqueOrThrow({
      where: { id: result!.conversationId },
      include: { inboxes: true },
    });
    expect(conversation.lastActivityAt).toEqual(later);
    expect(conversation.inboxes[0]!.lastActivityAt).toEqual(later);
  });
});

describe("R4.2 close conversations after inactivity", () => {
  it("archives inactive open conversations (AUTO_ARCHIVED); the customer's next message starts a new conversation", async () => {
    const channel = await smsChannel({ closeAfterSeconds: 3600 });
    const neverCloses = await smsChannel();
    const t0 = new Date(Date.now() - 2 * 3600_000);
    const first = await ingestInboundMessage(deps, inbound(channel.phoneNumber, "+16505550150", { createdAt: t0 }));
    const untouched = await ingestInboundMessage(
      deps,
      inbound(neverCloses.phoneNumber, "+16505550150", { createdAt: t0 }),
    );
    const recent = await ingestInboundMessage(deps, inbound(channel.phoneNumber, "+16505550151"));

    expect(await archiveInactiveConversations(deps, new Date())).toBe(1);
    expect(await archiveInactiveConversations(deps, new Date())).toBe(0); // nothing left to archive
    const statuses = await deps.prisma.conversation.findMany({
      where: { id: { in: [first!.conversationId, untouched!.conversationId, recent!.conversationId] } },
      select: { id: true, status: true },
    });
    expect(Object.fromEntries(statuses.map((c) => [c.id, c.status]))).toEqual({
      [first!.conversationId]: "ARCHIVED",
      [untouched!.conversationId]: "OPEN",
      [recent!.conversationId]: "OPEN",
    });
    const activities = await deps.prisma.activity.findMany({ where: { conversationId: first!.conversationId } });
    expect(activities.map((a) => [a.type, a.actorId, a.data])).toEqual([
      ["AUTO_ARCHIVED", null, { closeAfterSeconds: 3600 }],
    ]);
    expect((await eventsOf(first!.conversationId)).map((e) => e.type)).toEqual([
      "CONVERSATION_CREATED",
      "MESSAGE_ADDED",
      "CONVERSATION_AUTO_ARCHIVED",
    ]);

    const next = await ingestInboundMessage(deps, inbound(channel.phoneNumber, "+16505550150"));
    expect(next!.conversationId).not.toBe(first!.conversationId);
    expect((await deps.prisma.conversation.findUniqueOrThrow({ where: { id: first!.conversationId } })).status).toBe(
      "ARCHIVED",
    );
  });

  it("starts a new conversation after the inactivity period even before the sweep ran (the end state does not depend on timing)", async () => {
    const channel = await smsChannel({ closeAfterSeconds: 60 });
    const first = await ingestInboundMessage(
      deps,
      inbound(channel.phoneNumber, "+16505550152", { createdAt: new Date(Date.now() - 120_000) }),
    );
    const within = await ingestInboundMessage(
      deps,
      inbound(channel.phoneNumber, "+16505550152", { createdAt: new Date(Date.now() - 90_000) }),
    );
    expect(within!.conversationId).toBe(first!.conversationId);
    const after = await ingestInboundMessage(deps, inbound(channel.phoneNumber, "+16505550152"));
    expect(after!.conversationId).not.toBe(first!.conversationId);
    const old = await deps.prisma.conversation.findUniqueOrThrow({
      where: { id: first!.conversationId },
      include: { activities: true },
    });
    expect(old.status).toBe("ARCHIVED");
    expect(old.activities.map((a) => a.type)).toEqual(["AUTO_ARCHIVED"]);
  });
});

/** An outbound message as sendMessage stores it (QUEUED), in a conversation of its own. */
async function outboundMessage(options: { archived?: boolean } = {}) {
  const channel = await smsChannel();
  const { conversationId } = (await ingestInboundMessage(deps, inbound(channel.phoneNumber, "+16505550160")))!;
  if (options.archived) await archiveConversation(deps, null, conversationId, null);
  return deps.prisma.message.create({
    data: {
      ringCentralId: `out-${crypto.randomUUID()}`,
      conversationId,
      channelId: channel.id,
      direction: "OUTBOUND",
      status: "QUEUED",
      fromNumber: channel.phoneNumber,
      toNumber: "+16505550160",
      text: "On our way",
    },
  });
}

async function statusEventsOf(messageId: string) {
  const events = await deps.prisma.event.findMany({
    where: { type: { in: ["MESSAGE_STATUS_CHANGED", "MESSAGE_FAILED"] } },
    orderBy: { sequence: "asc" },
  });
  return events
    .filter((e) => (e.payload as { messageId?: string }).messageId === messageId)
    .map((e) => [e.type, (e.payload as { status: string }).status]);
}

describe("R4.4 delivery status", () => {
  it("moves QUEUED → SENT → DELIVERED with an event per step", async () => {
    const message = await outboundMessage();
    const at = new Date();
    expect(await applyMessageStatus(deps, { ringCentralId: message.ringCentralId!, status: "SENT", at })).toEqual({
      messageId: message.id,
      status: "SENT",
      changed: true,
    });
    expect(
      await applyMessageStatus(deps, { ringCentralId: message.ringCentralId!, status: "DELIVERED", at }),
    ).toMatchObject({ status: "DELIVERED", changed: true });
    expect(await applyMessageStatus(deps, { ringCentralId: message.ringCentralId!, status: "SENT", at })).toMatchObject(
      { status: "DELIVERED", changed: false },
    );
    expect(await statusEventsOf(message.id)).toEqual([
      ["MESSAGE_STATUS_CHANGED", "SENT"],
      ["MESSAGE_STATUS_CHANGED", "DELIVERED"],
    ]);
  });

  it("FAILED reopens the archived conversation and publishes MESSAGE_FAILED", async () => {
    const message = await outboundMessage({ archived: true });
    const live = await api.app.liveEvents.subscribe("inbox", inboxId);
    const failed = (async () => {
      for await (const event of live)
        if (event.type === "MESSAGE_FAILED" && event.payload.messageId === message.id) return event;
    })();
    expect(
      await applyMessageStatus(deps, { ringCentralId: message.ringCentralId!, status: "FAILED", at: new Date() }),
    ).toMatchObject({ status: "FAILED", changed: true });
    expect((await failed)!.conversationId).toBe(message.conversationId);
    live.close();
    const conversation = await deps.prisma.conversation.findUniqueOrThrow({
      where: { id: message.conversationId },
      include: { activities: { orderBy: { createdAt: "asc" } } },
    });
    expect(conversation.status).toBe("OPEN");
    expect(conversation.activities.map((a) => [a.type, a.data])).toEqual([
      ["ARCHIVED", {}],
      ["REOPENED", { reason: "MESSAGE_FAILED", messageId: message.id }],
    ]);
    // A late DELIVERED cannot undo the failure.
    expect(
      await applyMessageStatus(deps, { ringCentralId: message.ringCentralId!, status: "DELIVERED", at: new Date() }),
    ).toMatchObject({ status: "FAILED", changed: false });
  });

  it("ignores statuses of unknown and inbound messages", async () => {
    expect(
      await applyMessageStatus(deps, { ringCentralId: "nobody-sent-this", status: "SENT", at: new Date() }),
    ).toBeNull();
    const channel = await smsChannel();
    const received = inbound(channel.phoneNumber, "+16505550161");
    await ingestInboundMessage(deps, received);
    expect(
      await applyMessageStatus(deps, { ringCentralId: received.ringCentralId, status: "DELIVERED", at: new Date() }),
    ).toBeNull();
    expect(
      (await deps.prisma.message.findUniqueOrThrow({ where: { ringCentralId: received.ringCentralId } })).status,
    ).toBe("RECEIVED");
  });
});

describe("R3.14 for SMS: any order and repetition ends in the in-order state (property tests)", () => {
  /** An in-order status sequence, then the same statuses duplicated and shuffled. */
  const shuffledReports = fc
    .tuple(fc.constantFrom<DeliveryStatus>("DELIVERED", "FAILED"), fc.array(fc.nat(2), { maxLength: 5 }))
    .chain(([terminal, extraIndexes]) => {
      const inOrder: DeliveryStatus[] = ["QUEUED", "SENT", terminal];
      const reports = [...inOrder, ...extraIndexes.map((i) => inOrder[i]!)];
      return fc.tuple(
        fc.constant(inOrder),
        fc.shuffledSubarray(reports, { minLength: reports.length, maxLength: reports.length }),
      );
    });

  async function endState(messageId: string) {
    const message = await deps.prisma.message.findUniqueOrThrow({
      where: { id: messageId },
      include: { conversation: true },
    });
    return { status: message.status, conversation: message.conversation.status };
  }

  it("delivery status reports, applied one by one", async () => {
    await fc.assert(
      fc.asyncProperty(shuffledReports, fc.boolean(), async ([inOrder, reports], archived) => {
        const [expected, actual] = [await outboundMessage({ archived }), await outboundMessage({ archived })];
        for (const status of inOrder)
          await applyMessageStatus(deps, { ringCentralId: expected.ringCentralId!, status, at: new Date() });
        for (const status of reports)
          await applyMessageStatus(deps, { ringCentralId: actual.ringCentralId!, status, at: new Date() });
        expect(await endState(actual.id)).toEqual(await endState(expected.id));
        // Every status is announced at most once, and a failure exactly once.
        const announced = await statusEventsOf(actual.id);
        expect(new Set(announced.map(([, status]) => status)).size).toBe(announced.length);
        expect(announced.filter(([type]) => type === "MESSAGE_FAILED")).toHaveLength(inOrder[2] === "FAILED" ? 1 : 0);
        const reopened = await deps.prisma.activity.count({
          where: { conversationId: actual.conversationId, type: "REOPENED" },
        });
        expect(reopened).toBe(archived && inOrder[2] === "FAILED" ? 1 : 0);
      }),
      { numRuns: 25 },
    );
  });

  it("delivery status reports, applied concurrently", async () => {
    await fc.assert(
      fc.asyncProperty(shuffledReports, async ([inOrder, reports]) => {
        const message = await outboundMessage({ archived: true });
        await Promise.all(
          reports.map((status) =>
            applyMessageStatus(deps, { ringCentralId: message.ringCentralId!, status, at: new Date() }),
          ),
        );
        expect((await endState(message.id)).status).toBe(inOrder[2]);
        const announced = await statusEventsOf(message.id);
        expect(new Set(announced.map(([, status]) => status)).size).toBe(announced.length);
      }),
      { numRuns: 15 },
    );
  });

  it("inbound messages replayed and reordered: each stored and announced once, all in one conversation", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }).chain((count) =>
          fc.tuple(fc.constant(count), fc.array(fc.nat(count - 1), { maxLength: 6 })).chain(([n, replays]) => {
            const deliveries = [...Array.from({ length: n }, (_, i) => i), ...replays];
            return fc.tuple(
              fc.constant(n),
              fc.shuffledSubarray(deliveries, { minLength: deliveries.length, maxLength: deliveries.length }),
            );
          }),
        ),
        async ([count, deliveries]) => {
          const channel = await smsChannel();
          const start = Date.now() - 60_000;
          const messages = Array.from({ length: count }, (_, i) =>
            inbound(channel.phoneNumber, "+16505550170", {
              text: `message ${i} ✅`,
              createdAt: new Date(start + i * 1000),
            }),
          );
          const results = [];
          for (const index of deliveries) results.push(await ingestInboundMessage(deps, messages[index]!));
          expect(results.filter((r) => r!.created)).toHaveLength(count);
          const conversationIds = new Set(results.map((r) => r!.conversationId));
          expect(conversationIds.size).toBe(1);
          const [conversationId] = [...conversationIds];
          const stored = await deps.prisma.message.findMany({
            where: { conversationId },
            orderBy: { createdAt: "asc" },
          });
          expect(stored.map((m) => m.text)).toEqual(messages.map((m) => m.text));
          const added = (await eventsOf(conversationId!)).filter((e) => e.type === "MESSAGE_ADDED");
          expect(added).toHaveLength(count);
          const conversation = await deps.prisma.conversation.findUniqueOrThrow({ where: { id: conversationId! } });
          expect(conversation.lastActivityAt).toEqual(messages[count - 1]!.createdAt);
        },
      ),
      { numRuns: 20 },
    );
  });
});
