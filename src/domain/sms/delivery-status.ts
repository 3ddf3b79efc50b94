// Outbound delivery status (R4.4), order-insensitive (R3.14): a status only moves forward, whatever
// order RingCentral reports it in — even before the sent message is stored here.
import type { MessageStatus } from "../../generated/prisma/client.ts";
import { conversationWithInboxes, type ConversationWithInboxes } from "../conversations.ts";
import { inTransaction, type Deps, type EventLog, type Transaction } from "../event-log.ts";
import { lockRingCentralMessage } from "../../store/locks.ts";
import { advanceLastActivity, messageEvent, reopenForMessage, type MessageFacts } from "./message-activity.ts";
import type { DeliveryStatus } from "./sender.ts";

const STATUS_RANK: Record<DeliveryStatus, number> = { QUEUED: 1, SENT: 2, DELIVERED: 3, FAILED: 3 };

/** The outbound statuses `status` may replace: strictly earlier ones, so DELIVERED and FAILED are final. */
function statusesBefore(status: DeliveryStatus): MessageStatus[] {
  return (Object.keys(STATUS_RANK) as DeliveryStatus[]).filter((s) => STATUS_RANK[s] < STATUS_RANK[status]);
}

export interface ReportedStatus {
  ringCentralId: string;
  status: DeliveryStatus;
  at: Date;
}

export interface AppliedStatus {
  messageId: string;
  status: MessageStatus;
  /** false when the status was stale or repeated, and nothing changed. */
  changed: boolean;
}

/**
 * Applies a delivery status reported by RingCentral. Statuses only move forward, so any order or
 * repetition of the same reports ends in the in-order state. FAILED reopens the conversation and
 * publishes MESSAGE_FAILED. Null when no outbound message has that id.
 */
export async function applyMessageStatus(deps: Deps, input: ReportedStatus): Promise<AppliedStatus | null> {
  return inTransaction(deps, async (tx, log) => {
    await lockRingCentralMessage(tx, input.ringCentralId);
    const message = await tx.message.findUnique({
      where: { ringCentralId: input.ringCentralId },
      include: { conversation: { include: conversationWithInboxes } },
    });
    if (!message) {
      await keepEarlyStatus(tx, input);
      return null;
    }
    if (message.direction !== "OUTBOUND") return null;
    // Conditional on the current status, so concurrent reports cannot move it backwards.
    const advanced = await tx.message.updateMany({
      where: { id: message.id, status: { in: statusesBefore(input.status) } },
      data: { status: input.status },
    });
    if (advanced.count === 0) return { messageId: message.id, status: message.status, changed: false };
    const updated = { ...message, status: input.status };
    if (input.status === "FAILED") await recordFailure(tx, log, message.conversation, updated, input.at);
    else log.append(messageEvent("MESSAGE_STATUS_CHANGED", message.conversation, updated));
    return { messageId: message.id, status: input.status, changed: true };
  });
}

/** Keeps the furthest status reported for a message not stored yet. */
async function keepEarlyStatus(tx: Transaction, input: ReportedStatus) {
  const early = await tx.earlyMessageStatus.findUnique({ where: { ringCentralId: input.ringCentralId } });
  if (early && STATUS_RANK[early.status as DeliveryStatus] >= STATUS_RANK[input.status]) return;
  await tx.earlyMessageStatus.upsert({
    where: { ringCentralId: input.ringCentralId },
    create: { ringCentralId: input.ringCentralId, status: input.status, at: input.at },
    update: { status: input.status, at: input.at },
  });
}

/** The furthest status reported before the message was stored, if it is further than `status`. */
export async function takeEarlyStatus(
  tx: Transaction,
  ringCentralId: string,
  status: DeliveryStatus,
): Promise<{ status: DeliveryStatus; at: Date } | null> {
  const early = await tx.earlyMessageStatus.findUnique({ where: { ringCentralId } });
  if (!early) return null;
  await tx.earlyMessageStatus.delete({ where: { ringCentralId } });
  const earlyStatus = early.status as DeliveryStatus;
  return STATUS_RANK[earlyStatus] > STATUS_RANK[status] ? { status: earlyStatus, at: early.at } : null;
}

/** A failed message needs someone's attention: its conversation reopens (R4.4). */
export async function recordFailure(
  tx: Transaction,
  log: EventLog,
  conversation: ConversationWithInboxes,
  message: MessageFacts,
  at: Date,
) {
  if (conversation.status === "ARCHIVED") {
    await reopenForMessage(tx, log, conversation, { reason: "MESSAGE_FAILED", messageId: message.id });
  }
  await advanceLastActivity(tx, conversation.id, at);
  log.append(messageEvent("MESSAGE_FAILED", conversation, message));
}
