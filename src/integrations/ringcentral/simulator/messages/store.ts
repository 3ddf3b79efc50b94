// The message store of each simulator: stored messages and attachments, the change sequence that
// message sync hands out tokens on, conversations, and the delivery settings; adding and touching
// messages, and the message-store change notifications.

import type { SimContext } from "../core.ts";
import { numericId, simulatorScoped } from "../scoped-state.ts";

type MessageType = "SMS" | "VoiceMail" | "Pager";
export type MessageStatus = "Queued" | "Sent" | "Delivered" | "DeliveryFailed" | "SendingFailed" | "Received";
type AttachmentType = "Text" | "MmsAttachment" | "AudioRecording" | "AudioTranscription";

export interface StoredAttachment {
  id: string;
  type: AttachmentType;
  contentType: string;
  fileName?: string;
  content: Buffer;
  vmDuration?: number;
}

interface Correspondent {
  phoneNumber?: string;
  name?: string;
  extensionNumber?: string;
  extensionId?: string;
  location?: string;
}

export interface StoredMessage {
  id: string;
  accountId: string;
  extensionId: string;
  type: MessageType;
  direction: "Inbound" | "Outbound";
  from: Correspondent;
  to: (Correspondent & { messageStatus?: MessageStatus; target?: boolean })[];
  subject?: string;
  attachments: StoredAttachment[];
  creationTime: Date;
  lastModifiedTime: Date;
  readStatus: "Read" | "Unread";
  availability: "Alive" | "Deleted" | "Purged";
  messageStatus: MessageStatus;
  conversationId: string;
  smsDeliveryTime?: Date;
  smsSendingAttemptsCount?: number;
  deliveryErrorCode?: string;
  vmTranscriptionStatus?: "NotAvailable" | "InProgress" | "Completed";
  /** Position in the store's change log; message sync hands out tokens on it. */
  changeSeq: number;
}

/** How outbound messages progress after Queued (control API `PUT /__sim/sms/settings`). */
export interface DeliverySettings {
  /** auto: progress on its own; manual: stay Queued until POST /__sim/messages/:id/status. */
  progression: "auto" | "manual";
  /** Outcome of auto progression. */
  outcome: "Delivered" | "DeliveryFailed" | "SendingFailed";
  /** Recipients whose messages fail delivery whatever the outcome. */
  failingNumbers: string[];
  /** Delay between automatic steps (also the voicemail transcription delay). */
  stepDelayMs: number;
}

interface MessagesState {
  messages: Map<string, StoredMessage>;
  changeSeq: number;
  conversations: Map<string, string>;
  settings: DeliverySettings;
}

const messagesState = simulatorScoped<MessagesState>(() => ({
  messages: new Map(),
  changeSeq: 0,
  conversations: new Map(),
  settings: { progression: "auto", outcome: "Delivered", failingNumbers: [], stepDelayMs: 0 },
}));

export function store(ctx: SimContext): MessagesState {
  return messagesState.of(ctx);
}

/** Forgets this simulator's messages, conversations and settings (POST /__sim/reset). */
export function forgetMessages(ctx: SimContext): void {
  messagesState.reset(ctx);
}

export function touch(ctx: SimContext, m: StoredMessage): void {
  const state = store(ctx);
  state.changeSeq += 1;
  m.changeSeq = state.changeSeq;
  m.lastModifiedTime = ctx.now();
}

export function extensionPath(accountId: string, extensionId: string): string {
  return `/restapi/v1.0/account/${accountId}/extension/${extensionId}`;
}

export function publishStoreChange(ctx: SimContext, m: StoredMessage, kind: "new" | "updated"): void {
  ctx.publish(`${extensionPath(m.accountId, m.extensionId)}/message-store`, {
    accountId: m.accountId,
    extensionId: m.extensionId,
    lastUpdated: m.lastModifiedTime.toISOString(),
    changes: [
      kind === "new"
        ? { type: m.type, newCount: 1, updatedCount: 0, newMessageIds: [Number(m.id)] }
        : { type: m.type, newCount: 0, updatedCount: 1 },
    ],
  });
}

export function conversationIdFor(ctx: SimContext, ownNumber: string, others: string[]): string {
  const key = [ownNumber, ...[...others].sort()].join("|");
  const conversations = store(ctx).conversations;
  let id = conversations.get(key);
  if (!id) {
    id = numericId();
    conversations.set(key, id);
  }
  return id;
}

export function addMessage(
  ctx: SimContext,
  spec: Omit<StoredMessage, "id" | "changeSeq" | "creationTime" | "lastModifiedTime">,
): StoredMessage {
  const now = ctx.now();
  const message: StoredMessage = { id: numericId(), changeSeq: 0, creationTime: now, lastModifiedTime: now, ...spec };
  touch(ctx, message);
  store(ctx).messages.set(message.id, message);
  return message;
}

export function textAttachment(messageId: string, text: string): StoredAttachment {
  return { id: messageId, type: "Text", contentType: "text/plain", content: Buffer.from(text, "utf8") };
}
