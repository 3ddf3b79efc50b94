// Sending (`POST …/sms`, alias `…/mms`): JSON, or multipart with a JSON first part and attachment
// parts; RingCentral's limits (10 attachments, 1,500,000 bytes combined, 1000-character text,
// 10 group recipients) and sender checks with its error codes.

import {
  apiError,
  type MultipartPart,
  type SimAccount,
  type SimContext,
  type SimRequest,
  type SimResponse,
} from "../core.ts";
import { invalidValue, jsonObject, numericId } from "../scoped-state.ts";
import { accountFor, extensionById } from "../telephony.ts";
import { progressOutbound } from "./delivery-status.ts";
import { addMessage, conversationIdFor, publishStoreChange, textAttachment } from "./store.ts";
import { messageView } from "./views.ts";

export const MAX_ATTACHMENTS = 10;
export const MAX_ATTACHMENTS_BYTES = 1_500_000;
export const MAX_TEXT_LENGTH = 1000;
export const MAX_GROUP_RECIPIENTS = 10;

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

export function isResponse(value: unknown): value is SimResponse {
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
  if (typeof fromNumber !== "string" || fromNumber === "") {
    return apiError(400, "CMN-101", "Parameter [from] value is invalid.", "from");
  }
  const recipients = Array.isArray(payload.to) ? payload.to.map((t) => jsonObject(t).phoneNumber) : [];
  if (recipients.length === 0 || recipients.some((n) => typeof n !== "string" || n === "")) {
    return apiError(400, "CMN-101", "Parameter [to] value is invalid.", "to");
  }
  const to = recipients as string[];
  const text = payload.text;
  if (text !== undefined && typeof text !== "string") return invalidValue("text");
  if (uploads.length === 0 && (typeof text !== "string" || text === "")) {
    return apiError(400, "CMN-101", "Parameter [text] value is invalid.", "text");
  }
  if (typeof text === "string" && text.length > MAX_TEXT_LENGTH) {
    return apiError(400, "CMN-101", `Parameter [text] value is invalid [Maximum length is ${MAX_TEXT_LENGTH}]`, "text");
  }
  const senderNumber = account.phoneNumbers.find((n) => n.phoneNumber === fromNumber && n.extensionId === extensionId);
  if (!senderNumber) {
    return apiError(
      400,
      "MSG-245",
      `Parameter [from] value [${fromNumber}] is invalid [Cannot find the phone number which belongs to user]`,
      "from",
    );
  }
  if (senderNumber.type === "FaxOnly") return apiError(403, "MSG-241", "Cannot send SMS from Fax number");
  if (!senderNumber.features.includes("SmsSender")) {
    return apiError(403, "MSG-367", "From phone number does not support SMS");
  }
  if (to.some((n) => account.extensions.some((e) => e.extensionNumber === n))) {
    return apiError(400, "MSG-246", "Sending SMS from/to extension numbers is not available");
  }
  if (to.some((n) => n.replace(/\D/g, "").length < 7)) {
    return apiError(400, "MSG-247", "Sending SMS to short numbers is not available");
  }
  if (uploads.length > 0 && !senderNumber.features.includes("MmsSender")) {
    return apiError(403, "MSG-380", "The MMS feature is not available");
  }
  if (uploads.length > 0 && to.length > MAX_GROUP_RECIPIENTS) {
    const message = `Exceeded maximum number of recipients for a Group MMS: [${MAX_GROUP_RECIPIENTS}]`;
    return apiError(400, "MSG-381", message, "to");
  }
  return validateAttachments(uploads) ?? { from: fromNumber, to, text: typeof text === "string" ? text : "", uploads };
}

/**
 * 10 files and 1,500,000 bytes combined (API reference, "Send SMS"). RingCentral does not document a
 * dedicated code for these, so they are reported as its generic invalid-parameter error.
 */
function validateAttachments(uploads: Upload[]): SimResponse | undefined {
  if (uploads.length > MAX_ATTACHMENTS) {
    const message = `Parameter [attachments] value is invalid [Maximum number of attachments is ${MAX_ATTACHMENTS}]`;
    return apiError(400, "CMN-101", message, "attachments");
  }
  const total = uploads.reduce((sum, u) => sum + u.content.length, 0);
  if (total > MAX_ATTACHMENTS_BYTES) {
    const message =
      "Parameter [attachments] value is invalid [Total size of attachments exceeds " +
      `${MAX_ATTACHMENTS_BYTES} bytes]`;
    return apiError(400, "CMN-101", message, "attachments");
  }
  return undefined;
}

export function sendMessage(req: SimRequest, ctx: SimContext): SimResponse {
  if (!req.auth) return apiError(401, "CMN-405", "Login to extension required");
  const account = accountFor(ctx, req.auth.accountId);
  const extensionId = req.params.extensionId ?? req.auth.extensionId;
  if (extensionId !== req.auth.extensionId) {
    const problem = "[Sender extension id does not correspond to logged in extension]";
    return apiError(400, "MSG-332", `Parameter [from] value [${extensionId}] is invalid ${problem}`, "from");
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
    ...send.uploads.map((u) => ({
      id: numericId(),
      type: "MmsAttachment" as const,
      contentType: u.contentType,
      fileName: u.fileName,
      content: u.content,
    })),
  ];
  publishStoreChange(ctx, message, "new");
  progressOutbound(ctx, message);
  return { status: 200, json: messageView(ctx, message) };
}
