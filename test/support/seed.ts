// Data that in production arrives from RingCentral (conversations, calls, messages), created here
// through the same domain functions the integration will use.
import type { App } from "../../src/app.ts";
import { inTransaction } from "../../src/domain/event-log.ts";
import { openConversation } from "../../src/domain/conversations.ts";
import { findOrCreateContactByNumber } from "../../src/domain/contacts.ts";
import { globalId } from "./api.ts";

export async function seedInbox(app: App, name: string, memberIds: string[] = []) {
  const inbox = await app.db.prisma.inbox.create({
    data: { name, members: { create: memberIds.map((userId) => ({ userId })) } },
  });
  return { ...inbox, globalId: globalId("Inbox", inbox.id) };
}

export async function seedConversation(
  app: App,
  input: { inboxIds: string[]; customerNumber?: string; subject?: string },
) {
  const conversation = await inTransaction({ prisma: app.db.prisma, pubsub: app.pubsub }, async (tx, log) => {
    const contact = input.customerNumber ? await findOrCreateContactByNumber(tx, input.customerNumber) : null;
    return openConversation(tx, log, { inboxIds: input.inboxIds, contactId: contact?.id, subject: input.subject });
  });
  return { ...conversation, globalId: globalId("Conversation", conversation.id) };
}

/** A conversation with one call (with a party and a recording) and one message, as the worker will write them. */
export async function seedConversationWithActivity(app: App, inboxId: string, customerNumber = "+16505550100") {
  const conversation = await seedConversation(app, { inboxIds: [inboxId], customerNumber });
  const prisma = app.db.prisma;
  const call = await prisma.call.create({
    data: {
      telephonySessionId: `s-${crypto.randomUUID()}`,
      conversationId: conversation.id,
      direction: "INBOUND",
      status: "ENDED",
      fromNumber: customerNumber,
      toNumber: "+16505550000",
      talkSeconds: 42,
      parties: {
        create: {
          partyId: `p-${crypto.randomUUID()}-1`,
          role: "EXTERNAL",
          direction: "INBOUND",
          statusCode: "Disconnected",
          sequence: 5,
          eventTime: new Date(),
          firstEventAt: new Date(),
        },
      },
      recordings: {
        create: { ringCentralId: crypto.randomUUID(), kind: "CALL", state: "AVAILABLE", durationSeconds: 40 },
      },
    },
    include: { recordings: true },
  });
  const message = await prisma.message.create({
    data: {
      conversationId: conversation.id,
      direction: "INBOUND",
      status: "RECEIVED",
      fromNumber: customerNumber,
      toNumber: "+16505550000",
      text: "Hello 👋",
      attachments: { create: { contentType: "image/png", fileName: "photo.png", sizeBytes: 1000 } },
    },
    include: { attachments: true },
  });
  const comment = await prisma.comment.create({
    data: { conversationId: conversation.id, authorId: (await prisma.user.findFirstOrThrow()).id, body: "seeded note" },
  });
  const activity = await prisma.activity.create({
    data: { conversationId: conversation.id, type: "CALL_ENDED", data: { talkSeconds: 42 } },
  });
  const tag = await prisma.tag.create({ data: { name: `tag-${crypto.randomUUID().slice(0, 8)}` } });
  const channel = await prisma.channel.create({
    data: { type: "VOICE", phoneNumber: `+1650555${Math.floor(1000 + Math.random() * 8999)}`, inboxId },
  });
  return {
    conversation,
    contactId: conversation.contactId!,
    call,
    recording: call.recordings[0]!,
    message,
    attachment: message.attachments[0]!,
    comment,
    activity,
    tag,
    channel,
  };
}
