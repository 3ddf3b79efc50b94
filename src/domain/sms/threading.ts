// Threading (R4.1, R4.2): a message between a customer and an SMS channel goes to their open
// conversation, else their latest — reopened — unless the channel's close timer says it starts afresh.
import type { Channel, Prisma } from "../../generated/prisma/client.ts";
import { conversationWithInboxes, openConversation, type ConversationWithInboxes } from "../conversations.ts";
import type { EventLog, Transaction } from "../event-log.ts";
import { regionOf, toE164 } from "../phone-numbers.ts";
import { autoArchive } from "./inactivity.ts";
import { reopenForMessage } from "./message-activity.ts";

/** The customer's side of a message: E.164 when it is a phone number, else as given (short codes…). */
export function customerNumber(raw: string, channelNumber: string): { e164: string | null; number: string } {
  const e164 = toE164(raw, regionOf(channelNumber));
  return { e164, number: e164 ?? raw.trim() };
}

/** The conversation a customer's messages on this channel go to: the newest open one, else the latest. */
async function latestConversationWith(tx: Transaction, channelId: string, contactId: string | null, number: string) {
  const withCustomer: Prisma.ConversationWhereInput = contactId
    ? { channelId, contactId }
    : { channelId, contactId: null, messages: { some: { OR: [{ fromNumber: number }, { toNumber: number }] } } };
  // The newest open one: after a split (R4.6) the customer's next message belongs to the newer part.
  const open = await tx.conversation.findFirst({
    where: { ...withCustomer, status: "OPEN" },
    orderBy: [{ createdAt: "desc" }, { lastActivityAt: "desc" }],
    include: conversationWithInboxes,
  });
  return (
    open ??
    (await tx.conversation.findFirst({
      where: withCustomer,
      orderBy: { createdAt: "desc" },
      include: conversationWithInboxes,
    }))
  );
}

/** Whether the last archive of the conversation was the inactivity timer's (not an agent's, not undone). */
async function wasAutoArchived(tx: Transaction, conversationId: string): Promise<boolean> {
  const last = await tx.activity.findFirst({
    where: { conversationId, type: { in: ["ARCHIVED", "AUTO_ARCHIVED", "REOPENED"] } },
    orderBy: { createdAt: "desc" },
  });
  return last?.type === "AUTO_ARCHIVED";
}

/**
 * With a close timer, a message after that much inactivity starts afresh — whether or not the
 * sweep (archiveInactiveConversations) got there first — as does one after an inactivity archive.
 */
async function continuesConversation(
  tx: Transaction,
  conversation: ConversationWithInboxes,
  channel: Channel,
  at: Date,
) {
  if (channel.closeAfterSeconds == null) return true;
  if (at.getTime() - conversation.lastActivityAt.getTime() > channel.closeAfterSeconds * 1000) return false;
  return !(conversation.status === "ARCHIVED" && (await wasAutoArchived(tx, conversation.id)));
}

/** The conversation a message between this customer and channel belongs to, opened or reopened as needed. */
export async function conversationFor(
  tx: Transaction,
  log: EventLog,
  channel: Channel,
  contactId: string | null,
  number: string,
  at: Date,
): Promise<ConversationWithInboxes> {
  const latest = await latestConversationWith(tx, channel.id, contactId, number);
  if (latest && (await continuesConversation(tx, latest, channel, at))) {
    if (latest.status === "ARCHIVED") await reopenForMessage(tx, log, latest, { reason: "NEW_MESSAGE" });
    return latest;
  }
  if (latest?.status === "OPEN") await autoArchive(tx, log, latest, channel.closeAfterSeconds!);
  const opened = await openConversation(tx, log, { inboxIds: [channel.inboxId], channelId: channel.id, contactId });
  // Its activity is the message's, not the moment it was stored (a caught-up message may be old).
  await tx.conversation.update({ where: { id: opened.id }, data: { lastActivityAt: at } });
  await tx.conversationInbox.updateMany({ where: { conversationId: opened.id }, data: { lastActivityAt: at } });
  return { ...opened, lastActivityAt: at };
}
