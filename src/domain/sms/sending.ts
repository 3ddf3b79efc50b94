// Sending and replying (R4.3): everything is validated before the SmsSender port is called, then
// the message is stored with the status RingCentral gave it — or a further one it reported first.
import type { Prisma } from "../../generated/prisma/client.ts";
import type { Viewer } from "../access.ts";
import { findOrCreateContactByNumber } from "../contacts.ts";
import { conversationWithInboxes, type ConversationWithInboxes } from "../conversations.ts";
import { inTransaction, type Deps, type EventLog, type Transaction } from "../event-log.ts";
import { lockRingCentralMessage, lockSmsThread } from "../../store/locks.ts";
import { retryingUniqueViolations } from "../../store/unique-violations.ts";
import { validateAttachments, validateText } from "./content-limits.ts";
import { recordFailure, takeEarlyStatus } from "./delivery-status.ts";
import { advanceLastActivity, messageEvent } from "./message-activity.ts";
import { sendTargetFor, type Recipient, type SendTarget } from "./send-target.ts";
import type { OutgoingAttachment, SentMessage, SmsSenderSource, StoredAttachment } from "./sender.ts";
import { composeText, type TextOrTemplate } from "./template-text.ts";
import { conversationFor } from "./threading.ts";

export interface SendMessageInput extends Recipient, TextOrTemplate {
  attachments?: OutgoingAttachment[] | null;
}

export interface SentMessageResult {
  message: Prisma.MessageGetPayload<{ include: { attachments: true } }>;
  conversation: ConversationWithInboxes;
}

interface OutgoingContent {
  text: string;
  attachments: OutgoingAttachment[];
}

/**
 * Sends an SMS/MMS as `viewer` — a new message (channelId + to | contactId) or a reply
 * (conversationId) — after validating everything, then stores it with RingCentral's status.
 */
export async function sendMessage(
  deps: Deps,
  viewer: Viewer,
  input: SendMessageInput,
  senderSource: SmsSenderSource,
): Promise<SentMessageResult> {
  const attachments = validateAttachments(input.attachments ?? []);
  const target = await sendTargetFor(deps.prisma, viewer, input);
  const text = validateText(await composeText(deps.prisma, viewer, input, target), attachments.length);
  const sender = typeof senderSource === "function" ? await senderSource(target.channel.id) : senderSource;
  const sent = await sender.send({ from: target.channel.phoneNumber, to: target.to, text, attachments });
  return recordOutbound(deps, viewer, target, { text, attachments }, sent);
}

async function recordOutbound(
  deps: Deps,
  viewer: Viewer,
  target: SendTarget,
  content: OutgoingContent,
  sent: SentMessage,
): Promise<SentMessageResult> {
  return retryingUniqueViolations(() =>
    inTransaction(deps, async (tx, log) => {
      await lockSmsThread(tx, target.channel.id, target.to);
      await lockRingCentralMessage(tx, sent.ringCentralId);
      return (
        (await alreadyRecorded(tx, sent.ringCentralId)) ??
        (await recordNewOutbound(tx, log, { viewer, target, content, sent }))
      );
    }),
  );
}

/** The message as stored by an earlier attempt (a retry after a lost race, or a replay). */
async function alreadyRecorded(tx: Transaction, ringCentralId: string): Promise<SentMessageResult | null> {
  const existing = await tx.message.findUnique({ where: { ringCentralId }, include: { attachments: true } });
  if (!existing) return null;
  const conversation = await tx.conversation.findUniqueOrThrow({
    where: { id: existing.conversationId },
    include: conversationWithInboxes,
  });
  return { message: existing, conversation };
}

interface Outbound {
  viewer: Viewer;
  target: SendTarget;
  content: OutgoingContent;
  sent: SentMessage;
}

async function recordNewOutbound(
  tx: Transaction,
  log: EventLog,
  { viewer, target, content, sent }: Outbound,
): Promise<SentMessageResult> {
  const contactId = target.conversation
    ? target.conversation.contactId
    : (target.contact ?? (await findOrCreateContactByNumber(tx, target.to))).id;
  const conversation =
    target.conversation ?? (await conversationFor(tx, log, target.channel, contactId, target.to, sent.createdAt));
  const early = await takeEarlyStatus(tx, sent.ringCentralId, sent.status);
  const status = early?.status ?? sent.status;
  const message = await tx.message.create({
    data: {
      ringCentralId: sent.ringCentralId,
      conversationId: conversation.id,
      channelId: target.channel.id,
      direction: "OUTBOUND",
      status,
      fromNumber: target.channel.phoneNumber,
      toNumber: target.to,
      text: content.text,
      sentById: viewer.id,
      createdAt: sent.createdAt,
      attachments: { create: outboundAttachmentData(content.attachments, sent.attachments ?? []) },
    },
    include: { attachments: true },
  });
  await advanceLastActivity(tx, conversation.id, sent.createdAt);
  log.append(messageEvent("MESSAGE_ADDED", conversation, message));
  if (status === "FAILED") await recordFailure(tx, log, conversation, message, early?.at ?? sent.createdAt);
  // Read again: the failure may have reopened it, and threading may have moved its activity.
  const stored = await tx.conversation.findUniqueOrThrow({
    where: { id: conversation.id },
    include: conversationWithInboxes,
  });
  return { message, conversation: stored };
}

/** What was sent, with RingCentral's ids and content URIs when it returned them (in the same order). */
function outboundAttachmentData(sent: OutgoingAttachment[], stored: StoredAttachment[]) {
  return sent.map((attachment, index) => ({
    ringCentralId: stored[index]?.ringCentralId ?? null,
    contentUri: stored[index]?.contentUri ?? null,
    fileName: attachment.fileName,
    contentType: attachment.contentType,
    sizeBytes: attachment.content.length,
  }));
}
