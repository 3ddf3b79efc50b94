// What a message does to its conversation: its last activity only moves forward, an archived
// conversation reopens, and every message change is an event for the conversation's inboxes.
import type { MessageDirection, MessageStatus } from "../../generated/prisma/client.ts";
import { inboxIdsOf, recordActivity, type ActivityData, type ConversationWithInboxes } from "../conversations.ts";
import type { EventLog, Transaction } from "../event-log.ts";

/** Moves lastActivityAt forward to `at` — never back, so a late (caught-up) message does not hide newer activity. */
export async function advanceLastActivity(tx: Transaction, conversationId: string, at: Date) {
  await tx.conversation.updateMany({
    where: { id: conversationId, lastActivityAt: { lt: at } },
    data: { lastActivityAt: at },
  });
  await tx.conversationInbox.updateMany({
    where: { conversationId, lastActivityAt: { lt: at } },
    data: { lastActivityAt: at },
  });
}

export async function reopenForMessage(
  tx: Transaction,
  log: EventLog,
  conversation: ConversationWithInboxes,
  data: ActivityData<"REOPENED">,
) {
  await tx.conversation.update({ where: { id: conversation.id }, data: { status: "OPEN", archivedAt: null } });
  await recordActivity(tx, log, conversation, "REOPENED", null, data);
}

export interface MessageFacts {
  id: string;
  direction: MessageDirection;
  status: MessageStatus;
}

export function messageEvent<K extends "MESSAGE_ADDED" | "MESSAGE_STATUS_CHANGED" | "MESSAGE_FAILED">(
  type: K,
  conversation: ConversationWithInboxes,
  message: MessageFacts,
) {
  return {
    type,
    conversationId: conversation.id,
    inboxIds: inboxIdsOf(conversation),
    payload: { messageId: message.id, direction: message.direction, status: message.status },
  };
}
