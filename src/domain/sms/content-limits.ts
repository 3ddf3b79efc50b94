// RingCentral's limits on what one SMS/MMS may carry, checked before anything is sent (R4.3).
import { InvalidInputError } from "../errors.ts";
import type { OutgoingAttachment } from "./sender.ts";

/** RingCentral counts UTF-16 code units: an emoji outside the BMP takes two (OpenAPI, "text"). */
export const MAX_TEXT_LENGTH = 1000;
export const MAX_ATTACHMENTS = 10;
/** "the size of all attachments linked is limited to 1500000 bytes" (OpenAPI, Send SMS). */
export const MAX_ATTACHMENT_BYTES = 1_500_000;

/** RingCentral's supported MMS content types (developer guide, "Sending MMS"). */
export const MMS_CONTENT_TYPES: ReadonlySet<string> = new Set([
  "image/jpeg",
  "image/png",
  "image/bmp",
  "image/gif",
  "image/tiff",
  "image/svg+xml",
  "image/webp",
  "video/3gpp",
  "video/mp4",
  "video/mpeg",
  "video/avi",
  "video/x-flv",
  "video/x-ms-wmv",
  "video/quicktime",
  "video/webm",
  "video/ogg",
  // The guide lists "audio/arm"; AMR (audio/amr) is the format it means.
  "audio/mpeg",
  "audio/mp4",
  "audio/ogg",
  "audio/wav",
  "audio/amr",
  "audio/arm",
  "audio/3gpp",
  "text/vcard",
  "application/zip",
  "application/gzip",
  "application/rtf",
  "application/pdf",
  "text/html",
  "text/plain",
  "text/csv",
  "text/calendar",
]);

function baseContentType(contentType: string): string {
  return contentType.split(";")[0]!.trim().toLowerCase();
}

/** One attachment, named and typed as it will be sent; `index` names it when it has no name. */
function validateAttachment(attachment: OutgoingAttachment, index: number): OutgoingAttachment {
  const field = `attachments.${index}`;
  const contentType = baseContentType(attachment.contentType);
  if (!MMS_CONTENT_TYPES.has(contentType)) {
    throw new InvalidInputError(`"${attachment.contentType}" files cannot be sent by MMS`, field);
  }
  if (attachment.content.length === 0) throw new InvalidInputError("An attachment is empty", field);
  const fileName = attachment.fileName.trim() || `attachment-${index + 1}`;
  return { fileName, contentType, content: attachment.content };
}

/** RingCentral's MMS limits, checked before anything is sent (R4.3). */
export function validateAttachments(attachments: OutgoingAttachment[]): OutgoingAttachment[] {
  if (attachments.length > MAX_ATTACHMENTS) {
    throw new InvalidInputError(`At most ${MAX_ATTACHMENTS} attachments`, "attachments");
  }
  const cleaned = attachments.map(validateAttachment);
  const total = cleaned.reduce((sum, a) => sum + a.content.length, 0);
  if (total > MAX_ATTACHMENT_BYTES) {
    throw new InvalidInputError(
      `Attachments total ${total} bytes; at most ${MAX_ATTACHMENT_BYTES} are allowed`,
      "attachments",
    );
  }
  return cleaned;
}

/** The text as typed — emoji and any Unicode untouched — within RingCentral's limit. */
export function validateText(text: string, attachmentCount: number): string {
  if (!text.trim() && attachmentCount === 0) {
    throw new InvalidInputError("A message needs text or at least one attachment", "text");
  }
  if (text.length > MAX_TEXT_LENGTH) {
    throw new InvalidInputError(
      `A message has at most ${MAX_TEXT_LENGTH} characters (an emoji counts as 2); this one has ${text.length}`,
      "text",
    );
  }
  return text;
}
