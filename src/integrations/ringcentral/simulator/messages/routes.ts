// The messaging module: SMS/MMS, voicemail and the message store, one concern per file:
//
// - sending.ts: `POST …/sms` (alias `…/mms`), RingCentral's limits and sender checks.
// - delivery-status.ts: outbound progression Queued → Sent → Delivered | DeliveryFailed | SendingFailed.
// - inbound.ts: inbound SMS (control API) and voicemail with its optional transcription.
// - store-routes.ts, sync.ts: message store list/get/update/delete, attachment content, FSync/ISync.
// - control-routes.ts: /__sim/ routes (inbound SMS, sent messages, forced status, delivery settings).
// - store.ts holds each simulator's messages and settings; views.ts shapes them for REST and notifications.

import type { RouteModule } from "../core.ts";
import {
  getDeliverySettings,
  listSentMessages,
  postInboundSms,
  postMessageStatus,
  putDeliverySettings,
} from "./control-routes.ts";
import { sendMessage } from "./sending.ts";
import { forgetMessages } from "./store.ts";
import { deleteMessage, getAttachmentContent, getMessage, listMessages, updateMessage } from "./store-routes.ts";
import { messageSync } from "./sync.ts";

const extensionBase = "/restapi/v1.0/account/:accountId/extension/:extensionId";
const messageBase = `${extensionBase}/message-store/:messageId`;

export const messagesModule: RouteModule = {
  name: "messages",
  routes: [
    { method: "POST", path: `${extensionBase}/sms`, handler: sendMessage, throttlingGroup: "Medium" },
    { method: "POST", path: `${extensionBase}/mms`, handler: sendMessage, throttlingGroup: "Medium" },
    { method: "GET", path: `${extensionBase}/message-store`, handler: listMessages, throttlingGroup: "Light" },
    { method: "GET", path: messageBase, handler: getMessage, throttlingGroup: "Light" },
    { method: "PUT", path: messageBase, handler: updateMessage, throttlingGroup: "Medium" },
    { method: "DELETE", path: messageBase, handler: deleteMessage, throttlingGroup: "Medium" },
    {
      method: "GET",
      path: `${messageBase}/content/:attachmentId`,
      handler: getAttachmentContent,
      throttlingGroup: "Medium",
    },
    { method: "GET", path: `${extensionBase}/message-sync`, handler: messageSync, throttlingGroup: "Light" },
    { method: "POST", path: "/__sim/sms/inbound", handler: postInboundSms },
    { method: "GET", path: "/__sim/sent-messages", handler: listSentMessages },
    { method: "POST", path: "/__sim/messages/:id/status", handler: postMessageStatus },
    { method: "GET", path: "/__sim/sms/settings", handler: getDeliverySettings },
    { method: "PUT", path: "/__sim/sms/settings", handler: putDeliverySettings },
  ],
  reset(ctx) {
    forgetMessages(ctx);
  },
};
