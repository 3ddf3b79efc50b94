// Stored messages as the REST API and notifications show them.

type GetMessageInfoResponse = import("@rc-ex/core/lib/definitions/GetMessageInfoResponse").default;
type MessageAttachmentInfo = import("@rc-ex/core/lib/definitions/MessageAttachmentInfo").default;
import type { SimContext } from "../core.ts";
import type { StoredAttachment, StoredMessage } from "./store.ts";

function messageUri(ctx: SimContext, m: StoredMessage): string {
  return `${ctx.baseUrl()}/restapi/v1.0/account/${m.accountId}/extension/${m.extensionId}/message-store/${m.id}`;
}

function attachmentView(ctx: SimContext, m: StoredMessage, a: StoredAttachment): MessageAttachmentInfo {
  return {
    id: Number(a.id),
    uri: `${messageUri(ctx, m)}/content/${a.id}`,
    type: a.type,
    contentType: a.contentType,
    size: a.content.length,
    ...(a.fileName ? { fileName: a.fileName } : {}),
    ...(a.vmDuration !== undefined ? { vmDuration: a.vmDuration } : {}),
  };
}

/** The REST message (`GetMessageInfoResponse`): numeric ids as in the API reference. */
export function messageView(ctx: SimContext, m: StoredMessage): GetMessageInfoResponse {
  return {
    uri: messageUri(ctx, m),
    id: Number(m.id),
    extensionId: m.extensionId,
    to: m.to.map((t) => ({ ...t })),
    from: { ...m.from },
    type: m.type,
    creationTime: m.creationTime.toISOString(),
    readStatus: m.readStatus,
    priority: "Normal",
    attachments: m.attachments.map((a) => attachmentView(ctx, m, a)),
    direction: m.direction,
    availability: m.availability,
    ...(m.subject !== undefined ? { subject: m.subject } : {}),
    messageStatus: m.messageStatus,
    ...(m.smsSendingAttemptsCount !== undefined ? { smsSendingAttemptsCount: m.smsSendingAttemptsCount } : {}),
    ...(m.smsDeliveryTime ? { smsDeliveryTime: m.smsDeliveryTime.toISOString() } : {}),
    ...(m.deliveryErrorCode ? { deliveryErrorCode: m.deliveryErrorCode } : {}),
    ...(m.vmTranscriptionStatus ? { vmTranscriptionStatus: m.vmTranscriptionStatus } : {}),
    conversationId: Number(m.conversationId),
    conversation: { id: m.conversationId, uri: `${ctx.baseUrl()}/restapi/v1.0/conversation/${m.conversationId}` },
    lastModifiedTime: m.lastModifiedTime.toISOString(),
  };
}

/** Notification bodies carry ids as strings (docs samples). */
export function notificationMessageBody(ctx: SimContext, m: StoredMessage): Record<string, unknown> {
  const view = messageView(ctx, m);
  return {
    ...view,
    id: m.id,
    attachments: view.attachments?.map((a) => ({ ...a, id: String(a.id) })),
    conversationId: m.conversationId,
  };
}
