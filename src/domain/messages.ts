// SMS and MMS (R4): inbound threading per (customer number, channel), the close-conversations
// timer, sending and replying through an `SmsSender` port (the domain never sees the SDK), and the
// outbound delivery status, which only moves forward whatever order RingCentral reports it in
// (R3.14). Every change writes its events in the same transaction (events.ts).
import type {
  Channel,
  Contact,
  MessageDirection,
  MessageStatus,
  Prisma,
  PrismaClient,
} from "../generated/prisma/client.ts";
import { visibleChannels, type Viewer } from "./access.ts";
import { findOrCreateContactByNumber } from "./contacts.ts";
import {
  inboxIdsOf,
  openConversation,
  recordActivity,
  requireVisibleConversation,
  type ActivityData,
} from "./conversations.ts";
import { InvalidInputError, NotFoundError } from "./errors.ts";
import { inTransaction, type Deps, type EventLog, type Transaction } from "./event-log.ts";
import { findMessageTemplate, renderTemplate } from "./message-templates.ts";
import { regionOf, requireE164, toE164 } from "./phone-numbers.ts";
import { lockRingCentralMessage, lockSmsThread } from "../store/locks.ts";

// ---------------------------------------------------------------------------------------------
// The sending port and RingCentral's limits

export type DeliveryStatus = "QUEUED" | "SENT" | "DELIVERED" | "FAILED";

export interface OutgoingAttachment {
  fileName: string;
  contentType: string;
  content: Buffer;
}

/** What RingCentral stored for an attachment, so it can be downloaded later (R4.5). */
export interface StoredAttachment {
  ringCentralId: string;
  contentType: string;
  fileName?: string | null;
  sizeBytes?: number | null;
  contentUri: string;
}

export interface SentMessage {
  ringCentralId: string;
  status: DeliveryStatus;
  createdAt: Date;
  /** The media attachments as RingCentral stored them, when it says. */
  attachments?: StoredAttachment[];
}

/** Sends one SMS or MMS from a company number; implemented over the RingCentral SDK (integrations). */
export interface SmsSender {
  send(input: { from: string; to: string; text: string; attachments: OutgoingAttachment[] }): Promise<SentMessage>;
}

/** A sender, or how to get the one for a channel (the channel is only known once the target is resolved). */
export type SmsSenderSource = SmsSender | ((channelId: string) => Promise<SmsSender>);

/** RingCentral counts UTF-16 code units: an emoji outside the BMP takes two (OpenAPI, "text"). */
export const MAX_TEXT_LENGTH = 1000;
export const MAX_ATTACHMENTS = 10;
/** "the size of all attachments linked is limited to 1500000 bytes" (OpenAPI, Send SMS). */
export const MAX_ATTACHMENT_BYTES = 1_500_000;

/** RingCentral's supported MMS content types (developer guide, "Sending MMS"). */
export const MMS_CONTENT_TYPES: ReadonlySet<string> = new Set([
  "image/jpeg", "image/png", "image/bmp", "image/gif", "image/tiff", "image/svg+xml", "image/webp",
  "video/3gpp", "video/mp4", "video/mpeg", "video/avi", "video/x-flv", "video/x-ms-wmv", "video/quicktime", "video/webm", "video/ogg",
  // The guide lists "audio/arm"; AMR (audio/amr) is the format it means.
  "audio/mpeg", "audio/mp4", "audio/ogg", "audio/wav", "audio/amr", "audio/arm", "audio/3gpp",
  "text/vcard", "application/zip", "application/gzip", "application/rtf", "application/pdf",
  "text/html", "text/plain", "text/csv", "text/calendar",
]);

// ---------------------------------------------------------------------------------------------
// Shared helpers

const withInboxes = { inboxes: { select: { inboxId: true } } } satisfies Prisma.ConversationInclude;
type ConversationWithInboxes = Prisma.ConversationGetPayload<{ include: typeof withInboxes }>;

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === "P2002";
}

/**
 * Runs `work` again when it lost a race on a unique key (the same RingCentral id, or a new
 * customer's number, written concurrently): the retry then finds the winner's row.
 */
async function retryingUniqueViolations<T>(work: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!isUniqueViolation(error) || attempt >= attempts) throw error;
    }
  }
}

/** Moves lastActivityAt forward to `at` — never back, so a late (caught-up) message does not hide newer activity. */
async function touchAt(tx: Transaction, conversationId: string, at: Date) {
  await tx.conversation.updateMany({ where: { id: conversationId, lastActivityAt: { lt: at } }, data: { lastActivityAt: at } });
  await tx.conversationInbox.updateMany({ where: { conversationId, lastActivityAt: { lt: at } }, data: { lastActivityAt: at } });
}

async function reopen(
  tx: Transaction,
  log: EventLog,
  conversation: ConversationWithInboxes,
  data: ActivityData<"REOPENED">,
) {
  await tx.conversation.update({ where: { id: conversation.id }, data: { status: "OPEN", archivedAt: null } });
  await recordActivity(tx, log, conversation, "REOPENED", null, data);
}

/** Archives for inactivity: lastActivityAt stays, since nothing happened. */
async function autoArchive(tx: Transaction, log: EventLog, conversation: ConversationWithInboxes, closeAfterSeconds: number) {
  await tx.conversation.update({ where: { id: conversation.id }, data: { status: "ARCHIVED", archivedAt: new Date() } });
  await recordActivity(tx, log, conversation, "AUTO_ARCHIVED", null, { closeAfterSeconds });
}

function messageEvent<K extends "MESSAGE_ADDED" | "MESSAGE_STATUS_CHANGED" | "MESSAGE_FAILED">(
  type: K,
  conversation: ConversationWithInboxes,
  message: { id: string; direction: MessageDirection; status: MessageStatus },
) {
  return {
    type,
    conversationId: conversation.id,
    inboxIds: inboxIdsOf(conversation),
    payload: { messageId: message.id, direction: message.direction, status: message.status },
  };
}

// ---------------------------------------------------------------------------------------------
// Threading (R4.1, R4.2)

/** The customer's side of a message: E.164 when it is a phone number, else as given (short codes…). */
function customerNumber(raw: string, channelNumber: string): { e164: string | null; number: string } {
  const e164 = toE164(raw, regionOf(channelNumber));
  return { e164, number: e164 ?? raw.trim() };
}

/** The conversation a customer's messages on this channel go to: the open one, else the latest. */
async function latestConversationWith(tx: Transaction, channelId: string, contactId: string | null, number: string) {
  const withCustomer: Prisma.ConversationWhereInput = contactId
    ? { channelId, contactId }
    : { channelId, contactId: null, messages: { some: { OR: [{ fromNumber: number }, { toNumber: number }] } } };
  return (
    (await tx.conversation.findFirst({ where: { ...withCustomer, status: "OPEN" }, orderBy: { lastActivityAt: "desc" }, include: withInboxes })) ??
    (await tx.conversation.findFirst({ where: withCustomer, orderBy: { createdAt: "desc" }, include: withInboxes }))
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
async function continuesConversation(tx: Transaction, conversation: ConversationWithInboxes, channel: Channel, at: Date) {
  if (channel.closeAfterSeconds == null) return true;
  if (at.getTime() - conversation.lastActivityAt.getTime() > channel.closeAfterSeconds * 1000) return false;
  return !(conversation.status === "ARCHIVED" && (await wasAutoArchived(tx, conversation.id)));
}

/** The conversation a message between this customer and channel belongs to, opened or reopened as needed. */
async function conversationFor(tx: Transaction, log: EventLog, channel: Channel, contactId: string | null, number: string, at: Date) {
  const latest = await latestConversationWith(tx, channel.id, contactId, number);
  if (latest && (await continuesConversation(tx, latest, channel, at))) {
    if (latest.status === "ARCHIVED") await reopen(tx, log, latest, { reason: "NEW_MESSAGE" });
    return latest;
  }
  if (latest?.status === "OPEN") await autoArchive(tx, log, latest, channel.closeAfterSeconds!);
  const opened = await openConversation(tx, log, { inboxIds: [channel.inboxId], channelId: channel.id, contactId });
  // Its activity is the message's, not the moment it was stored (a caught-up message may be old).
  await tx.conversation.update({ where: { id: opened.id }, data: { lastActivityAt: at } });
  await tx.conversationInbox.updateMany({ where: { conversationId: opened.id }, data: { lastActivityAt: at } });
  return { ...opened, lastActivityAt: at };
}

function connectedSmsChannel(tx: Transaction | PrismaClient, phoneNumber: string) {
  return tx.channel.findFirst({ where: { phoneNumber, type: "SMS", disconnectedAt: null } });
}

// ---------------------------------------------------------------------------------------------
// Inbound (called by the RingCentral worker)

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
      // R5.2: an unknown sender becomes a contact with only the number; RingCentral's caller name is never used.
      const contact = customer.e164 ? await findOrCreateContactByNumber(tx, customer.e164) : null;
      const conversation = await conversationFor(tx, log, channel, contact?.id ?? null, customer.number, input.createdAt);
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
      await touchAt(tx, conversation.id, input.createdAt);
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

// ---------------------------------------------------------------------------------------------
// Delivery status (R4.4), order-insensitive (R3.14)

const STATUS_RANK: Record<DeliveryStatus, number> = { QUEUED: 1, SENT: 2, DELIVERED: 3, FAILED: 3 };

/** The outbound statuses `status` may replace: strictly earlier ones, so DELIVERED and FAILED are final. */
function statusesBefore(status: DeliveryStatus): MessageStatus[] {
  return (Object.keys(STATUS_RANK) as DeliveryStatus[]).filter((s) => STATUS_RANK[s] < STATUS_RANK[status]);
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
export async function applyMessageStatus(
  deps: Deps,
  input: { ringCentralId: string; status: DeliveryStatus; at: Date },
): Promise<AppliedStatus | null> {
  return inTransaction(deps, async (tx, log) => {
    await lockRingCentralMessage(tx, input.ringCentralId);
    const message = await tx.message.findUnique({
      where: { ringCentralId: input.ringCentralId },
      include: { conversation: { include: withInboxes } },
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
async function keepEarlyStatus(tx: Transaction, input: { ringCentralId: string; status: DeliveryStatus; at: Date }) {
  const early = await tx.earlyMessageStatus.findUnique({ where: { ringCentralId: input.ringCentralId } });
  if (early && STATUS_RANK[early.status as DeliveryStatus] >= STATUS_RANK[input.status]) return;
  await tx.earlyMessageStatus.upsert({
    where: { ringCentralId: input.ringCentralId },
    create: { ringCentralId: input.ringCentralId, status: input.status, at: input.at },
    update: { status: input.status, at: input.at },
  });
}

/** The furthest status reported before the message was stored, if it is further than `status`. */
async function takeEarlyStatus(tx: Transaction, ringCentralId: string, status: DeliveryStatus) {
  const early = await tx.earlyMessageStatus.findUnique({ where: { ringCentralId } });
  if (!early) return null;
  await tx.earlyMessageStatus.delete({ where: { ringCentralId } });
  return STATUS_RANK[early.status as DeliveryStatus] > STATUS_RANK[status] ? (early as { status: DeliveryStatus; at: Date }) : null;
}

/** A failed message needs someone's attention: its conversation reopens (R4.4). */
async function recordFailure(
  tx: Transaction,
  log: EventLog,
  conversation: ConversationWithInboxes,
  message: { id: string; direction: MessageDirection; status: MessageStatus },
  at: Date,
) {
  if (conversation.status === "ARCHIVED") await reopen(tx, log, conversation, { reason: "MESSAGE_FAILED", messageId: message.id });
  await touchAt(tx, conversation.id, at);
  log.append(messageEvent("MESSAGE_FAILED", conversation, message));
}

// ---------------------------------------------------------------------------------------------
// Close-conversations timer (R4.2)

/** Archives open conversations of channels with a close timer that have been inactive longer than it. */
export async function archiveInactiveConversations(deps: Deps, now: Date): Promise<number> {
  const channels = await deps.prisma.channel.findMany({ where: { type: "SMS", closeAfterSeconds: { not: null } } });
  let archived = 0;
  for (const channel of channels) {
    const cutoff = new Date(now.getTime() - channel.closeAfterSeconds! * 1000);
    const stale = await deps.prisma.conversation.findMany({
      where: { channelId: channel.id, status: "OPEN", lastActivityAt: { lt: cutoff } },
      select: { id: true },
    });
    for (const { id } of stale) {
      if (await archiveIfStillInactive(deps, id, cutoff, channel.closeAfterSeconds!)) archived += 1;
    }
  }
  return archived;
}

/** Re-checks inside the transaction: a message may have arrived since the conversation was listed. */
async function archiveIfStillInactive(deps: Deps, conversationId: string, cutoff: Date, closeAfterSeconds: number) {
  return inTransaction(deps, async (tx, log) => {
    const archived = await tx.conversation.updateMany({
      where: { id: conversationId, status: "OPEN", lastActivityAt: { lt: cutoff } },
      data: { status: "ARCHIVED", archivedAt: new Date() },
    });
    if (archived.count === 0) return false;
    const conversation = await tx.conversation.findUniqueOrThrow({ where: { id: conversationId }, include: withInboxes });
    await recordActivity(tx, log, conversation, "AUTO_ARCHIVED", null, { closeAfterSeconds });
    return true;
  });
}

// ---------------------------------------------------------------------------------------------
// Sending (R4.3)

export interface SendMessageInput {
  /** A new message: from this channel to `to` or `contactId`. */
  channelId?: string | null;
  /** A reply: on the conversation's channel to its customer. */
  conversationId?: string | null;
  to?: string | null;
  contactId?: string | null;
  text?: string | null;
  templateId?: string | null;
  variables?: Record<string, string> | null;
  attachments?: OutgoingAttachment[] | null;
}

interface SendTarget {
  channel: Channel;
  /** E.164. */
  to: string;
  contact: Contact | null;
  /** Set for replies. */
  conversation: ConversationWithInboxes | null;
}

function baseContentType(contentType: string): string {
  return contentType.split(";")[0]!.trim().toLowerCase();
}

/** RingCentral's MMS limits, checked before anything is sent (R4.3). */
export function validateAttachments(attachments: OutgoingAttachment[]): OutgoingAttachment[] {
  if (attachments.length > MAX_ATTACHMENTS) throw new InvalidInputError(`At most ${MAX_ATTACHMENTS} attachments`, "attachments");
  const cleaned = attachments.map((attachment, index) => {
    const field = `attachments.${index}`;
    const contentType = baseContentType(attachment.contentType);
    if (!MMS_CONTENT_TYPES.has(contentType)) throw new InvalidInputError(`"${attachment.contentType}" files cannot be sent by MMS`, field);
    if (attachment.content.length === 0) throw new InvalidInputError("An attachment is empty", field);
    return { fileName: attachment.fileName.trim() || `attachment-${index + 1}`, contentType, content: attachment.content };
  });
  const total = cleaned.reduce((sum, a) => sum + a.content.length, 0);
  if (total > MAX_ATTACHMENT_BYTES) {
    throw new InvalidInputError(`Attachments total ${total} bytes; at most ${MAX_ATTACHMENT_BYTES} are allowed`, "attachments");
  }
  return cleaned;
}

/** The text as typed — emoji and any Unicode untouched — within RingCentral's limit. */
export function validateText(text: string, attachmentCount: number): string {
  if (!text.trim() && attachmentCount === 0) throw new InvalidInputError("A message needs text or at least one attachment", "text");
  if (text.length > MAX_TEXT_LENGTH) {
    throw new InvalidInputError(`A message has at most ${MAX_TEXT_LENGTH} characters (an emoji counts as 2); this one has ${text.length}`, "text");
  }
  return text;
}

async function requireSendableChannel(prisma: PrismaClient, viewer: Viewer, channelId: string): Promise<Channel> {
  const channel = await prisma.channel.findFirst({ where: { AND: [{ id: channelId }, visibleChannels(viewer)] } });
  if (!channel) throw new NotFoundError("Channel");
  if (channel.type !== "SMS") throw new InvalidInputError("This channel is not an SMS channel", "channelId");
  if (channel.disconnectedAt) throw new InvalidInputError("This channel is disconnected", "channelId");
  return channel;
}

/** The customer's number in a conversation: the other side of its last message, else the contact's first number. */
async function customerNumberOf(prisma: PrismaClient, conversation: ConversationWithInboxes, channel: Channel): Promise<string | null> {
  const last = await prisma.message.findFirst({ where: { conversationId: conversation.id }, orderBy: { createdAt: "desc" } });
  const fromMessages = last ? (last.direction === "INBOUND" ? last.fromNumber : last.toNumber) : null;
  const fromContact = conversation.contactId
    ? (await prisma.contactPhone.findFirst({ where: { contactId: conversation.contactId }, orderBy: { createdAt: "asc" } }))?.e164
    : null;
  const number = fromMessages ?? fromContact ?? null;
  return number ? toE164(number, regionOf(channel.phoneNumber)) : null;
}

async function replyTarget(prisma: PrismaClient, viewer: Viewer, input: SendMessageInput): Promise<SendTarget> {
  if (input.channelId || input.to || input.contactId) {
    throw new InvalidInputError("A reply goes to the conversation's customer: leave out channelId, to and contactId", "conversationId");
  }
  const conversation = await requireVisibleConversation(prisma, viewer, input.conversationId!);
  const channel = conversation.channelId ? await prisma.channel.findUnique({ where: { id: conversation.channelId } }) : null;
  if (!channel || channel.type !== "SMS") throw new InvalidInputError("This conversation has no SMS channel to reply on", "conversationId");
  if (channel.disconnectedAt) throw new InvalidInputError("This conversation's SMS channel is disconnected", "conversationId");
  const to = await customerNumberOf(prisma, conversation, channel);
  if (!to) throw new InvalidInputError("This conversation has no customer phone number to reply to", "conversationId");
  const contact = conversation.contactId ? await prisma.contact.findUnique({ where: { id: conversation.contactId } }) : null;
  return { channel, to, contact, conversation };
}

async function newMessageTarget(prisma: PrismaClient, viewer: Viewer, input: SendMessageInput): Promise<SendTarget> {
  if (!input.channelId) throw new InvalidInputError("Give the channel to send from (or a conversation to reply in)", "channelId");
  if (input.to && input.contactId) throw new InvalidInputError("Give either a number or a contact, not both", "to");
  if (!input.to && !input.contactId) throw new InvalidInputError("A recipient is required: a number or a contact", "to");
  const channel = await requireSendableChannel(prisma, viewer, input.channelId);
  if (input.to) {
    const to = requireE164(input.to, "to", regionOf(channel.phoneNumber));
    const phone = await prisma.contactPhone.findUnique({ where: { e164: to }, include: { contact: true } });
    return { channel, to, contact: phone?.contact ?? null, conversation: null };
  }
  const contact = await prisma.contact.findUnique({ where: { id: input.contactId! }, include: { phones: { orderBy: { createdAt: "asc" } } } });
  if (!contact) throw new NotFoundError("Contact");
  const phone = contact.phones[0];
  if (!phone) throw new InvalidInputError("This contact has no phone number", "contactId");
  return { channel, to: phone.e164, contact, conversation: null };
}

/** Values every template can use; the sender's own `variables` come on top. */
async function builtInVariables(prisma: PrismaClient, viewer: Viewer, target: SendTarget): Promise<Record<string, string>> {
  const agent = await prisma.user.findUnique({ where: { id: viewer.id } });
  return {
    ...(target.contact?.name ? { "contact.name": target.contact.name } : {}),
    "contact.phone": target.to,
    ...(agent ? { "agent.name": agent.name, "agent.email": agent.email } : {}),
    "channel.number": target.channel.phoneNumber,
  };
}

async function composeText(prisma: PrismaClient, viewer: Viewer, input: SendMessageInput, target: SendTarget): Promise<string> {
  if (!input.templateId) {
    if (input.variables && Object.keys(input.variables).length > 0) throw new InvalidInputError("Variables need a templateId", "variables");
    return input.text ?? "";
  }
  if (input.text) throw new InvalidInputError("Give text or a template, not both", "templateId");
  const template = await findMessageTemplate(prisma, input.templateId);
  return renderTemplate(template.body, { ...(await builtInVariables(prisma, viewer, target)), ...input.variables });
}

export interface SentMessageResult {
  message: Prisma.MessageGetPayload<{ include: { attachments: true } }>;
  conversation: ConversationWithInboxes;
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
  const target = input.conversationId ? await replyTarget(deps.prisma, viewer, input) : await newMessageTarget(deps.prisma, viewer, input);
  const text = validateText(await composeText(deps.prisma, viewer, input, target), attachments.length);
  const sender = typeof senderSource === "function" ? await senderSource(target.channel.id) : senderSource;
  const sent = await sender.send({ from: target.channel.phoneNumber, to: target.to, text, attachments });
  return recordOutbound(deps, viewer, target, { text, attachments }, sent);
}

async function recordOutbound(
  deps: Deps,
  viewer: Viewer,
  target: SendTarget,
  content: { text: string; attachments: OutgoingAttachment[] },
  sent: SentMessage,
): Promise<SentMessageResult> {
  return retryingUniqueViolations(() =>
    inTransaction(deps, async (tx, log) => {
      await lockSmsThread(tx, target.channel.id, target.to);
      await lockRingCentralMessage(tx, sent.ringCentralId);
      const existing = await tx.message.findUnique({ where: { ringCentralId: sent.ringCentralId }, include: { attachments: true } });
      if (existing) {
        const conversation = await tx.conversation.findUniqueOrThrow({ where: { id: existing.conversationId }, include: withInboxes });
        return { message: existing, conversation };
      }
      const contactId = target.conversation ? target.conversation.contactId : (target.contact ?? (await findOrCreateContactByNumber(tx, target.to))).id;
      const conversation = target.conversation ?? (await conversationFor(tx, log, target.channel, contactId, target.to, sent.createdAt));
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
      await touchAt(tx, conversation.id, sent.createdAt);
      log.append(messageEvent("MESSAGE_ADDED", conversation, message));
      if (status === "FAILED") await recordFailure(tx, log, conversation, message, early?.at ?? sent.createdAt);
      return { message, conversation: await tx.conversation.findUniqueOrThrow({ where: { id: conversation.id }, include: withInboxes }) };
    }),
  );
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
