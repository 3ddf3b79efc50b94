// SMS/MMS, voicemail and the message store.
//
// - Send (`POST …/sms`, alias `…/mms`): JSON, or multipart with a JSON first part and attachment
//   parts; RingCentral's limits (10 attachments, 1,500,000 bytes combined, 1000-character text,
//   10 group recipients) and sender checks with its error codes.
// - Outbound status progression Queued → Sent → Delivered | DeliveryFailed | SendingFailed, each
//   step a message-store change notification (the only filter that reports outbound SMS).
// - Inbound SMS (control API): instant notification (full message) + message-store change.
// - Voicemail: audio attachment, optional transcription completing later, `/voicemail` and
//   message-store notifications.
// - Message store list/get/update/delete, attachment content, message sync (FSync/ISync).

type GetMessageInfoResponse = import("@rc-ex/core/lib/definitions/GetMessageInfoResponse").default;
type MessageAttachmentInfo = import("@rc-ex/core/lib/definitions/MessageAttachmentInfo").default;
import { apiError, notFound, type MultipartPart, type RouteModule, type SimAccount, type SimContext, type SimRequest, type SimResponse } from "./core.ts";
import { pageOf } from "./paging.ts";
import { generateWav } from "./recordings.ts";
import { invalidValue, jsonObject, numericId, simulatorScoped } from "./scoped-state.ts";
import { accountFor, extensionById } from "./telephony.ts";

export const MAX_ATTACHMENTS = 10;
export const MAX_ATTACHMENTS_BYTES = 1_500_000;
export const MAX_TEXT_LENGTH = 1000;
export const MAX_GROUP_RECIPIENTS = 10;

type MessageType = "SMS" | "VoiceMail" | "Pager";
type MessageStatus = "Queued" | "Sent" | "Delivered" | "DeliveryFailed" | "SendingFailed" | "Received";
type AttachmentType = "Text" | "MmsAttachment" | "AudioRecording" | "AudioTranscription";

interface StoredAttachment {
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

interface StoredMessage {
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

// ---------------------------------------------------------------------------------------------
// Views

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
function notificationMessageBody(ctx: SimContext, m: StoredMessage): Record<string, unknown> {
  const view = messageView(ctx, m);
  return {
    ...view,
    id: m.id,
    attachments: view.attachments?.map((a) => ({ ...a, id: String(a.id) })),
    conversationId: m.conversationId,
  };
}

// ---------------------------------------------------------------------------------------------
// Store operations and notifications

function store(ctx: SimContext): MessagesState {
  return messagesState.of(ctx);
}

function touch(ctx: SimContext, m: StoredMessage): void {
  const state = store(ctx);
  state.changeSeq += 1;
  m.changeSeq = state.changeSeq;
  m.lastModifiedTime = ctx.now();
}

function extensionPath(accountId: string, extensionId: string): string {
  return `/restapi/v1.0/account/${accountId}/extension/${extensionId}`;
}

function publishStoreChange(ctx: SimContext, m: StoredMessage, kind: "new" | "updated"): void {
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

function conversationIdFor(ctx: SimContext, ownNumber: string, others: string[]): string {
  const key = [ownNumber, ...[...others].sort()].join("|");
  const conversations = store(ctx).conversations;
  let id = conversations.get(key);
  if (!id) {
    id = numericId();
    conversations.set(key, id);
  }
  return id;
}

function addMessage(ctx: SimContext, spec: Omit<StoredMessage, "id" | "changeSeq" | "creationTime" | "lastModifiedTime">): StoredMessage {
  const now = ctx.now();
  const message: StoredMessage = { id: numericId(), changeSeq: 0, creationTime: now, lastModifiedTime: now, ...spec };
  touch(ctx, message);
  store(ctx).messages.set(message.id, message);
  return message;
}

function textAttachment(messageId: string, text: string): StoredAttachment {
  return { id: messageId, type: "Text", contentType: "text/plain", content: Buffer.from(text, "utf8") };
}

// ---------------------------------------------------------------------------------------------
// Outbound status progression

export function setMessageStatus(ctx: SimContext, m: StoredMessage, status: MessageStatus, deliveryErrorCode?: string): void {
  m.messageStatus = status;
  for (const recipient of m.to) recipient.messageStatus = status;
  if (status === "Sent") m.smsSendingAttemptsCount = 1;
  if (status === "Delivered") m.smsDeliveryTime = ctx.now();
  if (status === "DeliveryFailed") m.deliveryErrorCode = deliveryErrorCode ?? "SMS-CAR-411";
  if (status === "SendingFailed") m.deliveryErrorCode = deliveryErrorCode ?? "SMS-RC-413";
  touch(ctx, m);
  publishStoreChange(ctx, m, "updated");
}

function outcomeFor(settings: DeliverySettings, m: StoredMessage): DeliverySettings["outcome"] {
  const failing = m.to.some((t) => t.phoneNumber && settings.failingNumbers.includes(t.phoneNumber));
  return failing ? "DeliveryFailed" : settings.outcome;
}

function later(delayMs: number, action: () => void): void {
  setTimeout(action, delayMs).unref();
}

/** Queued → Sent → outcome, one step per `stepDelayMs`, after the send response went out. */
function progressOutbound(ctx: SimContext, m: StoredMessage): void {
  const settings = store(ctx).settings;
  if (settings.progression !== "auto") return;
  const outcome = outcomeFor(settings, m);
  const stillQueued = (): boolean => m.messageStatus === "Queued";
  later(settings.stepDelayMs, () => {
    if (!stillQueued()) return;
    if (outcome === "SendingFailed") return setMessageStatus(ctx, m, "SendingFailed");
    setMessageStatus(ctx, m, "Sent");
    later(settings.stepDelayMs, () => {
      if (m.messageStatus === "Sent") setMessageStatus(ctx, m, outcome);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Sending

interface Upload {
  fileName?: string;
  contentType: string;
  content: Buffer;
}

interface SendRequest {
  payload: Record<string, unknown>;
  uploads: Upload[];
}

/** JSON body, or multipart (parsed by the platform) whose `json` (or first) part is the request JSON. */
function readSendRequest(req: SimRequest): SendRequest | SimResponse {
  if (!Array.isArray(req.body)) return { payload: jsonObject(req.body), uploads: [] };
  const parts = req.body as MultipartPart[];
  const jsonPart = parts.find((p) => p.name === "json") ?? parts[0];
  if (!jsonPart) return apiError(400, "CMN-104", "Cannot parse request");
  let payload: Record<string, unknown>;
  try {
    payload = jsonObject(JSON.parse(jsonPart.data.toString("utf8")));
  } catch {
    return apiError(400, "CMN-104", "Cannot parse request");
  }
  const uploads = parts
    .filter((p) => p !== jsonPart)
    .map((p) => ({ fileName: p.filename, contentType: p.contentType, content: Buffer.from(p.data) }));
  return { payload, uploads };
}

function isResponse(value: unknown): value is SimResponse {
  return typeof value === "object" && value !== null && "status" in value;
}

interface ValidSend {
  from: string;
  to: string[];
  text: string;
  uploads: Upload[];
}

/** RingCentral's checks, in the order it reports them. */
function validateSend(account: SimAccount, extensionId: string, request: SendRequest): ValidSend | SimResponse {
  const { payload, uploads } = request;
  const fromNumber = jsonObject(payload.from).phoneNumber;
  if (typeof fromNumber !== "string" || fromNumber === "") return apiError(400, "CMN-101", "Parameter [from] value is invalid.", "from");
  const recipients = Array.isArray(payload.to) ? payload.to.map((t) => jsonObject(t).phoneNumber) : [];
  if (recipients.length === 0 || recipients.some((n) => typeof n !== "string" || n === "")) {
    return apiError(400, "CMN-101", "Parameter [to] value is invalid.", "to");
  }
  const to = recipients as string[];
  const text = payload.text;
  if (text !== undefined && typeof text !== "string") return invalidValue("text");
  if (uploads.length === 0 && (typeof text !== "string" || text === "")) return apiError(400, "CMN-101", "Parameter [text] value is invalid.", "text");
  if (typeof text === "string" && text.length > MAX_TEXT_LENGTH) {
    return apiError(400, "CMN-101", `Parameter [text] value is invalid [Maximum length is ${MAX_TEXT_LENGTH}]`, "text");
  }
  const senderNumber = account.phoneNumbers.find((n) => n.phoneNumber === fromNumber && n.extensionId === extensionId);
  if (!senderNumber) {
    return apiError(400, "MSG-245", `Parameter [from] value [${fromNumber}] is invalid [Cannot find the phone number which belongs to user]`, "from");
  }
  if (senderNumber.type === "FaxOnly") return apiError(403, "MSG-241", "Cannot send SMS from Fax number");
  if (!senderNumber.features.includes("SmsSender")) return apiError(403, "MSG-367", "From phone number does not support SMS");
  if (to.some((n) => account.extensions.some((e) => e.extensionNumber === n))) {
    return apiError(400, "MSG-246", "Sending SMS from/to extension numbers is not available");
  }
  if (to.some((n) => n.replace(/\D/g, "").length < 7)) return apiError(400, "MSG-247", "Sending SMS to short numbers is not available");
  if (uploads.length > 0 && !senderNumber.features.includes("MmsSender")) return apiError(403, "MSG-380", "The MMS feature is not available");
  if (uploads.length > 0 && to.length > MAX_GROUP_RECIPIENTS) {
    return apiError(400, "MSG-381", `Exceeded maximum number of recipients for a Group MMS: [${MAX_GROUP_RECIPIENTS}]`, "to");
  }
  return validateAttachments(uploads) ?? { from: fromNumber, to, text: typeof text === "string" ? text : "", uploads };
}

/**
 * 10 files and 1,500,000 bytes combined (API reference, "Send SMS"). RingCentral does not document a
 * dedicated code for these, so they are reported as its generic invalid-parameter error.
 */
function validateAttachments(uploads: Upload[]): SimResponse | undefined {
  if (uploads.length > MAX_ATTACHMENTS) {
    return apiError(400, "CMN-101", `Parameter [attachments] value is invalid [Maximum number of attachments is ${MAX_ATTACHMENTS}]`, "attachments");
  }
  const total = uploads.reduce((sum, u) => sum + u.content.length, 0);
  if (total > MAX_ATTACHMENTS_BYTES) {
    return apiError(400, "CMN-101", `Parameter [attachments] value is invalid [Total size of attachments exceeds ${MAX_ATTACHMENTS_BYTES} bytes]`, "attachments");
  }
  return undefined;
}

function sendMessage(req: SimRequest, ctx: SimContext): SimResponse {
  if (!req.auth) return apiError(401, "CMN-405", "Login to extension required");
  const account = accountFor(ctx, req.auth.accountId);
  const extensionId = req.params.extensionId ?? req.auth.extensionId;
  if (extensionId !== req.auth.extensionId) {
    return apiError(400, "MSG-332", `Parameter [from] value [${extensionId}] is invalid [Sender extension id does not correspond to logged in extension]`, "from");
  }
  const request = readSendRequest(req);
  if (isResponse(request)) return request;
  const send = validateSend(account, extensionId, request);
  if (isResponse(send)) return send;
  const message = addMessage(ctx, {
    accountId: account.id,
    extensionId,
    type: "SMS",
    direction: "Outbound",
    from: { phoneNumber: send.from, name: extensionById(account, extensionId)?.name },
    to: send.to.map((phoneNumber) => ({ phoneNumber, messageStatus: "Queued" as const })),
    subject: send.text,
    attachments: [],
    readStatus: "Read",
    availability: "Alive",
    messageStatus: "Queued",
    conversationId: conversationIdFor(ctx, send.from, send.to),
  });
  message.attachments = [
    ...(send.text ? [textAttachment(message.id, send.text)] : []),
    ...send.uploads.map((u) => ({ id: numericId(), type: "MmsAttachment" as const, contentType: u.contentType, fileName: u.fileName, content: u.content })),
  ];
  publishStoreChange(ctx, message, "new");
  progressOutbound(ctx, message);
  return { status: 200, json: messageView(ctx, message) };
}

// ---------------------------------------------------------------------------------------------
// Inbound SMS and voicemail

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
    to: [{ phoneNumber: sms.to, target: true, ...(extensionName(account, number.extensionId)) }],
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
    { id: message.id, type: "AudioRecording", contentType: "audio/x-wav", content: generateWav(voicemail.durationSeconds), vmDuration: voicemail.durationSeconds },
  ];
  ctx.publish(`${extensionPath(account.id, voicemail.extensionId)}/voicemail`, notificationMessageBody(ctx, message));
  publishStoreChange(ctx, message, "new");
  if (voicemail.transcription) completeTranscription(ctx, message, voicemail.transcription);
  return { id: message.id };
}

function completeTranscription(ctx: SimContext, message: StoredMessage, transcription: string): void {
  later(store(ctx).settings.stepDelayMs, () => {
    message.attachments.push({ id: numericId(), type: "AudioTranscription", contentType: "text/plain", content: Buffer.from(transcription, "utf8") });
    message.vmTranscriptionStatus = "Completed";
    touch(ctx, message);
    publishStoreChange(ctx, message, "updated");
  });
}

// ---------------------------------------------------------------------------------------------
// Message store REST

function ownMessages(ctx: SimContext, req: SimRequest): StoredMessage[] {
  const accountId = req.auth?.accountId ?? req.params.accountId;
  const extensionId = req.params.extensionId;
  return [...store(ctx).messages.values()].filter((m) => m.accountId === accountId && m.extensionId === extensionId);
}

function messageOfRequest(ctx: SimContext, req: SimRequest): StoredMessage | undefined {
  return ownMessages(ctx, req).find((m) => m.id === req.params.messageId && m.availability === "Alive");
}

interface MessageFilter {
  types: string[];
  directions: string[];
  dateFrom?: Date;
  dateTo?: Date;
  conversationId?: string;
  readStatus: string[];
}

function messageFilterOf(query: URLSearchParams): MessageFilter {
  const dateFrom = query.get("dateFrom");
  const dateTo = query.get("dateTo");
  return {
    types: query.getAll("messageType"),
    directions: query.getAll("direction"),
    dateFrom: dateFrom ? new Date(dateFrom) : undefined,
    dateTo: dateTo ? new Date(dateTo) : undefined,
    conversationId: query.get("conversationId") ?? undefined,
    readStatus: query.getAll("readStatus"),
  };
}

function matches(filter: MessageFilter, m: StoredMessage): boolean {
  return (
    m.availability === "Alive" &&
    (filter.types.length === 0 || filter.types.includes(m.type)) &&
    (filter.directions.length === 0 || filter.directions.includes(m.direction)) &&
    (!filter.dateFrom || m.creationTime >= filter.dateFrom) &&
    (!filter.dateTo || m.creationTime <= filter.dateTo) &&
    (!filter.conversationId || m.conversationId === filter.conversationId) &&
    (filter.readStatus.length === 0 || filter.readStatus.includes(m.readStatus))
  );
}

function newestFirst(a: StoredMessage, b: StoredMessage): number {
  return b.creationTime.getTime() - a.creationTime.getTime() || Number(b.id) - Number(a.id);
}

function listMessages(req: SimRequest, ctx: SimContext): SimResponse {
  const filter = messageFilterOf(req.query);
  const found = ownMessages(ctx, req).filter((m) => matches(filter, m)).sort(newestFirst);
  const page = pageOf(found, req, ctx);
  return { status: 200, json: { ...page, records: page.records.map((m) => messageView(ctx, m)) } };
}

function getMessage(req: SimRequest, ctx: SimContext): SimResponse {
  const message = messageOfRequest(ctx, req);
  if (!message) return notFound("messageId");
  return { status: 200, json: messageView(ctx, message) };
}

function updateMessage(req: SimRequest, ctx: SimContext): SimResponse {
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

function deleteMessage(req: SimRequest, ctx: SimContext): SimResponse {
  const message = messageOfRequest(ctx, req);
  if (!message) return notFound("messageId");
  message.availability = "Deleted";
  touch(ctx, message);
  publishStoreChange(ctx, message, "updated");
  return { status: 204 };
}

function getAttachmentContent(req: SimRequest, ctx: SimContext): SimResponse {
  const message = ownMessages(ctx, req).find((m) => m.id === req.params.messageId);
  if (!message) return notFound("messageId");
  const attachment = message.attachments.find((a) => a.id === req.params.attachmentId);
  if (!attachment) return notFound("attachmentId");
  return {
    status: 200,
    body: attachment.content,
    headers: {
      "Content-Type": attachment.contentType,
      ...(attachment.fileName ? { "Content-Disposition": `attachment; filename="${attachment.fileName}"` } : {}),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Message sync: FSync returns the matching messages and a token; ISync returns what changed since.

interface SyncToken {
  extensionId: string;
  changeSeq: number;
  types: string[];
  directions: string[];
}

function encodeSyncToken(token: SyncToken): string {
  return Buffer.from(JSON.stringify(token)).toString("base64url");
}

function decodeSyncToken(raw: string | null): SyncToken | undefined {
  if (!raw) return undefined;
  try {
    const token = JSON.parse(Buffer.from(raw, "base64url").toString("utf8")) as SyncToken;
    return typeof token.changeSeq === "number" && typeof token.extensionId === "string" ? token : undefined;
  } catch {
    return undefined;
  }
}

function messageSync(req: SimRequest, ctx: SimContext): SimResponse {
  const syncType = req.query.get("syncType") ?? "FSync";
  if (syncType !== "FSync" && syncType !== "ISync") return invalidValue("syncType");
  const recordCount = req.query.get("recordCount");
  const limit = recordCount === null ? 250 : Number(recordCount);
  if (!Number.isInteger(limit) || limit < 1) return invalidValue("recordCount");
  const own = ownMessages(ctx, req);
  const extensionId = req.params.extensionId ?? "";
  let records: StoredMessage[];
  let token: SyncToken;
  if (syncType === "FSync") {
    const filter = messageFilterOf(req.query);
    token = { extensionId, changeSeq: store(ctx).changeSeq, types: filter.types, directions: filter.directions };
    records = own.filter((m) => matches(filter, m)).sort(newestFirst);
  } else {
    const previous = decodeSyncToken(req.query.get("syncToken"));
    if (!previous || previous.extensionId !== extensionId) return invalidValue("syncToken");
    // ISync includes deleted messages (availability tells the client) that changed after the token.
    records = own
      .filter((m) => m.changeSeq > previous.changeSeq)
      .filter((m) => previous.types.length === 0 || previous.types.includes(m.type))
      .filter((m) => previous.directions.length === 0 || previous.directions.includes(m.direction))
      .sort(newestFirst);
    token = { ...previous, changeSeq: store(ctx).changeSeq };
  }
  const olderRecordsExist = records.length > limit;
  return {
    status: 200,
    json: {
      uri: `${ctx.baseUrl()}${req.path}`,
      records: records.slice(0, limit).map((m) => messageView(ctx, m)),
      syncInfo: { syncType, syncToken: encodeSyncToken(token), syncTime: ctx.now().toISOString(), olderRecordsExist },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Control routes

function postInboundSms(req: SimRequest, ctx: SimContext): SimResponse {
  const body = jsonObject(req.body);
  if (typeof body.from !== "string" || body.from === "") return invalidValue("from");
  if (typeof body.to !== "string" || body.to === "") return invalidValue("to");
  if (body.text !== undefined && typeof body.text !== "string") return invalidValue("text");
  if (body.attachments !== undefined && !Array.isArray(body.attachments)) return invalidValue("attachments");
  const result = receiveSms(ctx, body as unknown as InboundSms);
  if (isResponse(result)) return result;
  return { status: 201, json: messageView(ctx, result) };
}

function listSentMessages(req: SimRequest, ctx: SimContext): SimResponse {
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
      attachments: m.attachments.filter((a) => a.type === "MmsAttachment").map((a) => ({ id: a.id, fileName: a.fileName ?? null, contentType: a.contentType, size: a.content.length })),
      messageStatus: m.messageStatus,
      creationTime: m.creationTime.toISOString(),
    }));
  return { status: 200, json: { records: sent } };
}

const forcibleStatuses = ["Queued", "Sent", "Delivered", "DeliveryFailed", "SendingFailed"] as const;

function postMessageStatus(req: SimRequest, ctx: SimContext): SimResponse {
  const message = store(ctx).messages.get(req.params.id ?? "");
  if (!message || message.direction !== "Outbound") return notFound("messageId");
  const body = jsonObject(req.body);
  const status = body.messageStatus;
  if (typeof status !== "string" || !(forcibleStatuses as readonly string[]).includes(status)) {
    return invalidValue("messageStatus", forcibleStatuses.join(", "));
  }
  const errorCode = typeof body.deliveryErrorCode === "string" ? body.deliveryErrorCode : undefined;
  setMessageStatus(ctx, message, status as MessageStatus, errorCode);
  return { status: 200, json: messageView(ctx, message) };
}

function getDeliverySettings(_req: SimRequest, ctx: SimContext): SimResponse {
  return { status: 200, json: store(ctx).settings };
}

function putDeliverySettings(req: SimRequest, ctx: SimContext): SimResponse {
  const body = jsonObject(req.body);
  const settings = { ...store(ctx).settings };
  if (body.progression !== undefined) {
    if (body.progression !== "auto" && body.progression !== "manual") return invalidValue("progression", "auto or manual");
    settings.progression = body.progression;
  }
  if (body.outcome !== undefined) {
    if (body.outcome !== "Delivered" && body.outcome !== "DeliveryFailed" && body.outcome !== "SendingFailed") return invalidValue("outcome");
    settings.outcome = body.outcome;
  }
  if (body.failingNumbers !== undefined) {
    if (!Array.isArray(body.failingNumbers) || body.failingNumbers.some((n) => typeof n !== "string")) return invalidValue("failingNumbers");
    settings.failingNumbers = body.failingNumbers as string[];
  }
  if (body.stepDelayMs !== undefined) {
    if (typeof body.stepDelayMs !== "number" || body.stepDelayMs < 0) return invalidValue("stepDelayMs");
    settings.stepDelayMs = body.stepDelayMs;
  }
  store(ctx).settings = settings;
  return { status: 200, json: settings };
}

const extensionBase = "/restapi/v1.0/account/:accountId/extension/:extensionId";

export const messagesModule: RouteModule = {
  name: "messages",
  routes: [
    { method: "POST", path: `${extensionBase}/sms`, handler: sendMessage, throttlingGroup: "Medium" },
    { method: "POST", path: `${extensionBase}/mms`, handler: sendMessage, throttlingGroup: "Medium" },
    { method: "GET", path: `${extensionBase}/message-store`, handler: listMessages, throttlingGroup: "Light" },
    { method: "GET", path: `${extensionBase}/message-store/:messageId`, handler: getMessage, throttlingGroup: "Light" },
    { method: "PUT", path: `${extensionBase}/message-store/:messageId`, handler: updateMessage, throttlingGroup: "Medium" },
    { method: "DELETE", path: `${extensionBase}/message-store/:messageId`, handler: deleteMessage, throttlingGroup: "Medium" },
    {
      method: "GET",
      path: `${extensionBase}/message-store/:messageId/content/:attachmentId`,
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
    messagesState.reset(ctx);
  },
};
