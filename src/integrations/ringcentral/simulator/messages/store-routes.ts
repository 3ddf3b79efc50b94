// Message store REST: list, get, update (read status), delete, attachment content (byte ranges too).

import { rangedContent } from "../content-ranges.ts";
import { notFound, type SimContext, type SimRequest, type SimResponse } from "../core.ts";
import { pageOf } from "../paging.ts";
import { invalidValue, jsonObject } from "../scoped-state.ts";
import { matches, messageFilterOf, messageOfRequest, newestFirst, ownMessages } from "./queries.ts";
import { publishStoreChange, touch } from "./store.ts";
import { messageView } from "./views.ts";

export function listMessages(req: SimRequest, ctx: SimContext): SimResponse {
  const filter = messageFilterOf(req.query);
  const found = ownMessages(ctx, req)
    .filter((m) => matches(filter, m))
    .sort(newestFirst);
  const page = pageOf(found, req, ctx);
  return { status: 200, json: { ...page, records: page.records.map((m) => messageView(ctx, m)) } };
}

export function getMessage(req: SimRequest, ctx: SimContext): SimResponse {
  const message = messageOfRequest(ctx, req);
  if (!message) return notFound("messageId");
  return { status: 200, json: messageView(ctx, message) };
}

export function updateMessage(req: SimRequest, ctx: SimContext): SimResponse {
  const message = messageOfRequest(ctx, req);
  if (!message) return notFound("messageId");
  const readStatus = jsonObject(req.body).readStatus;
  if (readStatus !== "Read" && readStatus !== "Unread") return invalidValue("readStatus");
  if (message.readStatus !== readStatus) {
    message.readStatus = readStatus;
    touch(ctx, message);
    publishStoreChange(ctx, message, "updated");
  }
  return { status: 200, json: messageView(ctx, message) };
}

export function deleteMessage(req: SimRequest, ctx: SimContext): SimResponse {
  const message = messageOfRequest(ctx, req);
  if (!message) return notFound("messageId");
  message.availability = "Deleted";
  touch(ctx, message);
  publishStoreChange(ctx, message, "updated");
  return { status: 204 };
}

export function getAttachmentContent(req: SimRequest, ctx: SimContext): SimResponse {
  const message = ownMessages(ctx, req).find((m) => m.id === req.params.messageId);
  if (!message) return notFound("messageId");
  const attachment = message.attachments.find((a) => a.id === req.params.attachmentId);
  if (!attachment) return notFound("attachmentId");
  return rangedContent(req, attachment.content, {
    "Content-Type": attachment.contentType,
    ...(attachment.fileName ? { "Content-Disposition": `attachment; filename="${attachment.fileName}"` } : {}),
  });
}
