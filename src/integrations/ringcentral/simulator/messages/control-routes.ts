// Control routes of the messaging simulator: inbound SMS, the sent-message log, forcing an
// outbound message's status, and the delivery settings.

import { notFound, type SimContext, type SimRequest, type SimResponse } from "../core.ts";
import { invalidValue, jsonObject } from "../scoped-state.ts";
import { setMessageStatus } from "./delivery-status.ts";
import { receiveSms, type InboundSms } from "./inbound.ts";
import { isResponse } from "./sending.ts";
import { store, type MessageStatus } from "./store.ts";
import { messageView } from "./views.ts";

export function postInboundSms(req: SimRequest, ctx: SimContext): SimResponse {
  const body = jsonObject(req.body);
  if (typeof body.from !== "string" || body.from === "") return invalidValue("from");
  if (typeof body.to !== "string" || body.to === "") return invalidValue("to");
  if (body.text !== undefined && typeof body.text !== "string") return invalidValue("text");
  if (body.attachments !== undefined && !Array.isArray(body.attachments)) return invalidValue("attachments");
  const result = receiveSms(ctx, body as unknown as InboundSms);
  if (isResponse(result)) return result;
  return { status: 201, json: messageView(ctx, result) };
}

export function listSentMessages(req: SimRequest, ctx: SimContext): SimResponse {
  const to = req.query.get("to");
  const sent = [...store(ctx).messages.values()]
    .filter((m) => m.direction === "Outbound" && m.type === "SMS")
    .filter((m) => !to || m.to.some((t) => t.phoneNumber === to))
    .sort((a, b) => Number(a.id) - Number(b.id))
    .map((m) => ({
      id: m.id,
      accountId: m.accountId,
      extensionId: m.extensionId,
      from: m.from.phoneNumber,
      to: m.to.map((t) => t.phoneNumber),
      text: m.subject ?? "",
      attachments: m.attachments
        .filter((a) => a.type === "MmsAttachment")
        .map((a) => ({ id: a.id, fileName: a.fileName ?? null, contentType: a.contentType, size: a.content.length })),
      messageStatus: m.messageStatus,
      creationTime: m.creationTime.toISOString(),
    }));
  return { status: 200, json: { records: sent } };
}

const forcibleStatuses = ["Queued", "Sent", "Delivered", "DeliveryFailed", "SendingFailed"] as const;

export function postMessageStatus(req: SimRequest, ctx: SimContext): SimResponse {
  const message = store(ctx).messages.get(req.params.id ?? "");
  if (message?.direction !== "Outbound") return notFound("messageId");
  const body = jsonObject(req.body);
  const status = body.messageStatus;
  if (typeof status !== "string" || !(forcibleStatuses as readonly string[]).includes(status)) {
    return invalidValue("messageStatus", forcibleStatuses.join(", "));
  }
  const errorCode = typeof body.deliveryErrorCode === "string" ? body.deliveryErrorCode : undefined;
  setMessageStatus(ctx, message, status as MessageStatus, errorCode);
  return { status: 200, json: messageView(ctx, message) };
}

export function getDeliverySettings(_req: SimRequest, ctx: SimContext): SimResponse {
  return { status: 200, json: store(ctx).settings };
}

export function putDeliverySettings(req: SimRequest, ctx: SimContext): SimResponse {
  const body = jsonObject(req.body);
  const settings = { ...store(ctx).settings };
  if (body.progression !== undefined) {
    if (body.progression !== "auto" && body.progression !== "manual") {
      return invalidValue("progression", "auto or manual");
    }
    settings.progression = body.progression;
  }
  if (body.outcome !== undefined) {
    if (body.outcome !== "Delivered" && body.outcome !== "DeliveryFailed" && body.outcome !== "SendingFailed") {
      return invalidValue("outcome");
    }
    settings.outcome = body.outcome;
  }
  if (body.failingNumbers !== undefined) {
    if (!Array.isArray(body.failingNumbers) || body.failingNumbers.some((n) => typeof n !== "string")) {
      return invalidValue("failingNumbers");
    }
    settings.failingNumbers = body.failingNumbers as string[];
  }
  if (body.stepDelayMs !== undefined) {
    if (typeof body.stepDelayMs !== "number" || body.stepDelayMs < 0) return invalidValue("stepDelayMs");
    settings.stepDelayMs = body.stepDelayMs;
  }
  store(ctx).settings = settings;
  return { status: 200, json: settings };
}
