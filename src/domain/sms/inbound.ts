// Inbound SMS/MMS (R4.1), called by the RingCentral worker: stored once per RingCentral id in its
// channel's inbox, threaded per (customer, channel); an unknown sender becomes a contact (R5.2).
import type { PrismaClient } from "../../generated/prisma/client.ts";
import { findOrCreateContactByNumber } from "../contacts.ts";
import { inTransaction, type Deps, type Transaction } from "../event-log.ts";
import { toE164 } from "../phone-numbers.ts";
import { lockSmsThread } from "../../store/locks.ts";
import { retryingUniqueViolations } from "../../store/unique-violations.ts";
import { answerCsatSurvey } from "../csat.ts";
import { advanceLastActivity, messageEvent } from "./message-activity.ts";
import type { StoredAttachment } from "./sender.ts";
import { conversationFor, customerNumber } from "./threading.ts";

export interface InboundMessageInput {
  ringCentralId: string;
  /** E.164 of our connected SMS number. */
  channelNumber: string;
  /** The customer, in any format. */
  from: string;
  text: string;
  /** Media only (MmsAttachment): the text is `text`. */
  attachments: StoredAttachment[];
  createdAt: Date;
}

export interface IngestedMessage {
  messageId: string;
  conversationId: string;
  /** false when the message was already stored (a replay). */
  created: boolean;
}

function connectedSmsChannel(tx: Transaction | PrismaClient, phoneNumber: string) {
  return tx.channel.findFirst({ where: { phoneNumber, type: "SMS", disconnectedAt: null } });
}

/**
 * Stores an inbound SMS/MMS in its channel's inbox, threaded per (customer, channel). Returns null
 * (storing nothing) when no connected SMS channel has `channelNumber`. Idempotent by ringCentralId.
 */
export async function ingestInboundMessage(deps: Deps, input: InboundMessageInput): Promise<IngestedMessage | null> {
  const channelNumber = toE164(input.channelNumber);
  if (!channelNumber) return null;
  return retryingUniqueViolations(() =>
    inTransaction(deps, async (tx, log) => {
      const channel = await connectedSmsChannel(tx, channelNumber);
      if (!channel) return null;
      const customer = customerNumber(input.from, channel.phoneNumber);
      await lockSmsThread(tx, channel.id, customer.number);
      const existing = await tx.message.findUnique({ where: { ringCentralId: input.ringCentralId } });
      if (existing) return { messageId: existing.id, conversationId: existing.conversationId, created: false };
      // A survey's answer goes to the surveyed conversation, which it must not reopen (R6.4).
      const answer =
        input.attachments.length === 0
          ? await answerCsatSurvey(tx, log, channel, { ...input, from: customer.number })
          : null;
      if (answer) return { ...answer, created: true };
      // R5.2: an unknown sender becomes a contact with only the number; RingCentral's caller name is never used.
      const contact = customer.e164 ? await findOrCreateContactByNumber(tx, customer.e164) : null;
      const contactId = contact?.id ?? null;
      const conversation = await conversationFor(tx, log, channel, contactId, customer.number, input.createdAt);
      const message = await tx.message.create({
        data: {
          ringCentralId: input.ringCentralId,
          conversationId: conversation.id,
          channelId: channel.id,
          direction: "INBOUND",
          status: "RECEIVED",
          fromNumber: customer.number,
          toNumber: channel.phoneNumber,
          text: input.text,
          createdAt: input.createdAt,
          attachments: { create: input.attachments.map(storedAttachmentData) },
        },
      });
      await advanceLastActivity(tx, conversation.id, input.createdAt);
      log.append(messageEvent("MESSAGE_ADDED", conversation, message));
      return { messageId: message.id, conversationId: conversation.id, created: true };
    }),
  );
}

function storedAttachmentData(attachment: StoredAttachment) {
  return {
    ringCentralId: attachment.ringCentralId,
    contentType: attachment.contentType,
    fileName: attachment.fileName ?? null,
    sizeBytes: attachment.sizeBytes ?? null,
    contentUri: attachment.contentUri,
  };
}
