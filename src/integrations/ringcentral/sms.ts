// Sending SMS and MMS through RingCentral (REFERENCE §4 "Send SMS" / "Send MMS"): the SmsSender
// port of src/domain/sms/sender.ts over the SDK. Text goes as JSON to …/sms; attachments as
// multipart/form-data to the …/mms alias (a `json` part, then one `attachment` part per file).
// RingCentral's answers are mapped to domain terms: its message status to ours, its rejections of
// the recipient or content to InvalidInputError (a client mistake), everything else to the
// RingCentral errors of src/domain/ringcentral-errors.ts.
import type { SDK } from "@ringcentral/sdk";
import FormData from "form-data";
import { z } from "zod";
import { InvalidInputError } from "../../domain/errors.ts";
import type {
  DeliveryStatus,
  OutgoingAttachment,
  SentMessage,
  SmsSender,
  StoredAttachment,
} from "../../domain/sms/sender.ts";
import {
  RingCentralAuthError,
  RingCentralPermissionError,
  RingCentralRateLimitError,
  RingCentralRequestError,
  RingCentralUnavailableError,
} from "../../domain/ringcentral-errors.ts";

type Platform = ReturnType<SDK["platform"]>;

export const SMS_PATH = "/restapi/v1.0/account/~/extension/~/sms";
export const MMS_PATH = "/restapi/v1.0/account/~/extension/~/mms";

/** How the sender reaches RingCentral: a POST returning the parsed JSON body, throwing on errors. */
export interface SmsTransport {
  post(path: string, body: unknown): Promise<unknown>;
}

/** A transport straight over a logged-in SDK Platform. */
export function platformTransport(platform: Platform): SmsTransport {
  return { post: async (path, body) => (await platform.post(path, body as never)).json() };
}

/**
 * An SmsSender over a logged-in SDK `Platform`, or any SmsTransport (e.g. the connection client's
 * `request("POST", …)`, which adds rate limiting and retries).
 */
export function createSmsSender(platformOrTransport: Platform | SmsTransport): SmsSender {
  const transport = "send" in platformOrTransport ? platformTransport(platformOrTransport) : platformOrTransport;
  return {
    async send({ from, to, text, attachments }) {
      const envelope = { from: { phoneNumber: from }, to: [{ phoneNumber: to }], text };
      try {
        const body =
          attachments.length === 0
            ? await transport.post(SMS_PATH, envelope)
            : await transport.post(MMS_PATH, mmsForm(envelope, attachments));
        return sentMessageOf(body);
      } catch (error) {
        throw await domainErrorOf(error);
      }
    },
  };
}

/** The SDK sends through node-fetch in Node, which streams the `form-data` package's forms. */
function mmsForm(envelope: Record<string, unknown>, attachments: OutgoingAttachment[]): FormData {
  const form = new FormData();
  form.append("json", Buffer.from(JSON.stringify(envelope), "utf8"), {
    filename: "request.json",
    contentType: "application/json",
  });
  for (const attachment of attachments) {
    form.append("attachment", attachment.content, {
      filename: attachment.fileName,
      contentType: attachment.contentType,
    });
  }
  return form;
}

// ---------------------------------------------------------------------------------------------
// Responses

/** RingCentral's outbound messageStatus in ours; null for statuses that are not delivery steps (Received). */
export function deliveryStatusOf(messageStatus: string): DeliveryStatus | null {
  switch (messageStatus) {
    case "Queued":
      return "QUEUED";
    case "Sent":
      return "SENT";
    case "Delivered":
      return "DELIVERED";
    case "DeliveryFailed":
    case "SendingFailed":
      return "FAILED";
    default:
      return null;
  }
}

const id = z.union([z.string(), z.number()]).transform(String);

const sentMessageSchema = z.object({
  id,
  messageStatus: z.string(),
  creationTime: z.string().optional(),
  attachments: z
    .array(
      z.object({
        id,
        type: z.string().optional(),
        uri: z.string(),
        contentType: z.string(),
        fileName: z.string().nullish(),
        size: z.number().nullish(),
      }),
    )
    .optional(),
});

function sentMessageOf(body: unknown): SentMessage {
  const parsed = sentMessageSchema.safeParse(body);
  if (!parsed.success)
    throw new RingCentralUnavailableError(
      `RingCentral answered the send with an unexpected body: ${parsed.error.message}`,
      200,
    );
  const message = parsed.data;
  const created = message.creationTime ? new Date(message.creationTime) : new Date();
  return {
    ringCentralId: message.id,
    // A status we do not know yet is treated as the first step; later notifications move it on.
    status: deliveryStatusOf(message.messageStatus) ?? "QUEUED",
    createdAt: Number.isNaN(created.getTime()) ? new Date() : created,
    attachments: (message.attachments ?? []).filter((a) => a.type === "MmsAttachment").map(storedAttachmentOf),
  };
}

function storedAttachmentOf(attachment: {
  id: string;
  uri: string;
  contentType: string;
  fileName?: string | null;
  size?: number | null;
}): StoredAttachment {
  return {
    ringCentralId: attachment.id,
    contentType: attachment.contentType,
    fileName: attachment.fileName ?? null,
    sizeBytes: attachment.size ?? null,
    contentUri: attachment.uri,
  };
}

// ---------------------------------------------------------------------------------------------
// Errors

interface RingCentralErrorBody {
  errorCode: string | null;
  message: string | null;
  parameterName: string | null;
}

async function errorBodyOf(response: Response): Promise<RingCentralErrorBody> {
  try {
    const body = (await response.clone().json()) as Record<string, unknown>;
    const first = Array.isArray(body.errors) ? ((body.errors[0] ?? {}) as Record<string, unknown>) : {};
    const text = (value: unknown) => (typeof value === "string" ? value : null);
    return {
      errorCode: text(body.errorCode) ?? text(first.errorCode),
      message: text(body.message) ?? text(first.message),
      parameterName: text(first.parameterName),
    };
  } catch {
    return { errorCode: null, message: null, parameterName: null };
  }
}

/** The argument a RingCentral rejection is about, or null when it is not the sender's input. */
function inputFieldOf(errorCode: string | null, parameterName: string | null, message: string | null): string | null {
  // MSG-246: to an extension number; MSG-247: to a short number; MSG-381: too many group recipients.
  if (errorCode === "MSG-246" || errorCode === "MSG-247" || errorCode === "MSG-381") return "to";
  const parameter = parameterName ?? message?.match(/Parameter \[(\w+)\]/)?.[1] ?? null;
  if (parameter === "to" || parameter === "text" || parameter === "attachments") return parameter;
  return null;
}

/** Maps what the SDK (or the connection client) threw to a domain error. */
async function domainErrorOf(error: unknown): Promise<Error> {
  if (error instanceof RingCentralRequestError && error.status === 400) {
    const field = inputFieldOf(error.ringCentralCode, null, error.message);
    return field
      ? new InvalidInputError(error.message.replace(/^RingCentral rejected the request: /, "RingCentral: "), field)
      : error;
  }
  const response = (error as { response?: Response | null } | null)?.response;
  if (!(response instanceof Response)) {
    return error instanceof Error && "code" in error
      ? error
      : new RingCentralUnavailableError(`RingCentral could not be reached: ${(error as Error).message}`);
  }
  const body = await errorBodyOf(response);
  const message = body.message ?? `HTTP ${response.status}`;
  if (response.status === 400) {
    const field = inputFieldOf(body.errorCode, body.parameterName, body.message);
    if (field) return new InvalidInputError(`RingCentral: ${message}`, field);
  }
  if (response.status === 401)
    return new RingCentralAuthError(`RingCentral refused the credentials: ${message}`, body.errorCode);
  if (response.status === 403)
    return new RingCentralPermissionError(`RingCentral denied sending: ${message}`, body.errorCode);
  if (response.status === 429) {
    const retryAfter = Number(response.headers.get("retry-after"));
    return new RingCentralRateLimitError(
      "RingCentral is rate limiting SMS: try again later",
      Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : 60,
    );
  }
  if (response.status >= 500)
    return new RingCentralUnavailableError(`RingCentral is unavailable (HTTP ${response.status})`, response.status);
  return new RingCentralRequestError(`RingCentral rejected the message: ${message}`, response.status, body.errorCode);
}
