// Inbound SMS (control API): instant notification (full message) + message-store change.
// Voicemail: audio attachment, optional transcription completing later, `/voicemail` and
// message-store notifications.

import type { SimAccount, SimContext, SimResponse } from "../core.ts";
import { generateWav } from "../recordings.ts";
import { invalidValue, numericId } from "../scoped-state.ts";
import { accountFor, extensionById } from "../telephony.ts";
import { later } from "./delivery-status.ts";
import {
  addMessage,
  conversationIdFor,
  extensionPath,
  publishStoreChange,
  store,
  textAttachment,
  touch,
  type StoredMessage,
} from "./store.ts";
import { notificationMessageBody } from "./views.ts";

export interface InboundSms {
  accountId?: string;
  from: string;
  fromName?: string;
  to: string;
  text?: string;
  attachments?: { contentType?: string; fileName?: string; base64?: string; text?: string }[];
}

/** A text arrives on a company number: stored on the number's extension, then notified. */
export function receiveSms(ctx: SimContext, sms: InboundSms): StoredMessage | SimResponse {
  const account = accountFor(ctx, sms.accountId);
  const number = account.phoneNumbers.find((n) => n.phoneNumber === sms.to);
  if (!number?.extensionId) return invalidValue("to", "No extension owns this number");
  const message = addMessage(ctx, {
    accountId: account.id,
    extensionId: number.extensionId,
    type: "SMS",
    direction: "Inbound",
    from: { phoneNumber: sms.from, ...(sms.fromName ? { name: sms.fromName } : {}) },
    to: [{ phoneNumber: sms.to, target: true, ...extensionName(account, number.extensionId) }],
    subject: sms.text ?? "",
    attachments: [],
    readStatus: "Unread",
    availability: "Alive",
    messageStatus: "Received",
    conversationId: conversationIdFor(ctx, sms.to, [sms.from]),
  });
  message.attachments = [
    ...(sms.text ? [textAttachment(message.id, sms.text)] : []),
    ...(sms.attachments ?? []).map((a) => ({
      id: numericId(),
      type: "MmsAttachment" as const,
      contentType: a.contentType ?? "image/png",
      fileName: a.fileName,
      content: a.base64 !== undefined ? Buffer.from(a.base64, "base64") : Buffer.from(a.text ?? "", "utf8"),
    })),
  ];
  ctx.publish(`${extensionPath(account.id, number.extensionId)}/message-store/instant?type=SMS`, {
    ...notificationMessageBody(ctx, message),
    ownerId: number.extensionId,
  });
  publishStoreChange(ctx, message, "new");
  return message;
}

function extensionName(account: SimAccount, extensionId: string): { name?: string } {
  const name = extensionById(account, extensionId)?.name;
  return name ? { name } : {};
}

export interface NewVoicemail {
  accountId: string;
  extensionId: string;
  from: { phoneNumber?: string; name?: string };
  durationSeconds: number;
  /** When given, the transcription completes after the message arrives (InProgress → Completed). */
  transcription?: string;
}

export function leaveVoicemail(ctx: SimContext, voicemail: NewVoicemail): { id: string } {
  const account = accountFor(ctx, voicemail.accountId);
  const message = addMessage(ctx, {
    accountId: account.id,
    extensionId: voicemail.extensionId,
    type: "VoiceMail",
    direction: "Inbound",
    from: { ...voicemail.from },
    to: [{ ...extensionName(account, voicemail.extensionId) }],
    attachments: [],
    readStatus: "Unread",
    availability: "Alive",
    messageStatus: "Received",
    conversationId: numericId(),
    vmTranscriptionStatus: voicemail.transcription ? "InProgress" : "NotAvailable",
  });
  message.attachments = [
    {
      id: message.id,
      type: "AudioRecording",
      contentType: "audio/x-wav",
      content: generateWav(voicemail.durationSeconds),
      vmDuration: voicemail.durationSeconds,
    },
  ];
  ctx.publish(`${extensionPath(account.id, voicemail.extensionId)}/voicemail`, notificationMessageBody(ctx, message));
  publishStoreChange(ctx, message, "new");
  if (voicemail.transcription) completeTranscription(ctx, message, voicemail.transcription);
  return { id: message.id };
}

function completeTranscription(ctx: SimContext, message: StoredMessage, transcription: string): void {
  later(store(ctx).settings.stepDelayMs, () => {
    message.attachments.push({
      id: numericId(),
      type: "AudioTranscription",
      contentType: "text/plain",
      content: Buffer.from(transcription, "utf8"),
    });
    message.vmTranscriptionStatus = "Completed";
    touch(ctx, message);
    publishStoreChange(ctx, message, "updated");
  });
}
