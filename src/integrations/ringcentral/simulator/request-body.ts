// Reading and parsing request bodies the way RingCentral's endpoints take them: JSON,
// urlencoded forms (OAuth) and multipart/form-data (MMS, fax).

import type { IncomingMessage } from "node:http";
import type { MultipartPart } from "./core.ts";

/** RingCentral rejects bigger requests long before this; the cap only protects the process. */
export const MAX_BODY_BYTES = 25 * 1024 * 1024;

export class BodyTooLargeError extends Error {}
export class MalformedBodyError extends Error {}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLargeError(`body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function mediaType(contentType: string | undefined): string {
  return (contentType ?? "").split(";")[0]!.trim().toLowerCase();
}

/** Parses by Content-Type; an empty body is `undefined`. Throws MalformedBodyError on bad JSON/multipart. */
export function parseBody(raw: Buffer, contentType: string | undefined): unknown {
  if (raw.length === 0) return undefined;
  const type = mediaType(contentType);
  if (type === "application/x-www-form-urlencoded")
    return Object.fromEntries(new URLSearchParams(raw.toString("utf8")));
  if (type === "multipart/form-data") return parseMultipart(raw, contentType ?? "");
  if (type === "application/json" || type.endsWith("+json") || type === "") {
    try {
      return JSON.parse(raw.toString("utf8"));
    } catch {
      throw new MalformedBodyError("body is not valid JSON");
    }
  }
  return raw.toString("utf8");
}

function boundaryOf(contentType: string): string {
  const match = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  if (!boundary) throw new MalformedBodyError("multipart body without boundary");
  return boundary.trim();
}

function headerValue(headers: string, name: string): string | undefined {
  const line = headers.split("\r\n").find((l) => l.toLowerCase().startsWith(`${name}:`));
  return line?.slice(name.length + 1).trim();
}

export function parseMultipart(raw: Buffer, contentType: string): MultipartPart[] {
  const delimiter = Buffer.from(`--${boundaryOf(contentType)}`);
  const parts: MultipartPart[] = [];
  let cursor = raw.indexOf(delimiter);
  if (cursor < 0) throw new MalformedBodyError("multipart body without parts");
  while (cursor >= 0) {
    const afterDelimiter = cursor + delimiter.length;
    if (raw.subarray(afterDelimiter, afterDelimiter + 2).toString() === "--") break;
    const headersStart = afterDelimiter + 2; // skip CRLF
    const headersEnd = raw.indexOf("\r\n\r\n", headersStart);
    if (headersEnd < 0) throw new MalformedBodyError("multipart part without headers");
    const next = raw.indexOf(delimiter, headersEnd);
    if (next < 0) throw new MalformedBodyError("multipart body not terminated");
    const headers = raw.subarray(headersStart, headersEnd).toString("utf8");
    const disposition = headerValue(headers, "content-disposition") ?? "";
    const name = /name="([^"]*)"/i.exec(disposition)?.[1] ?? "";
    const filename = /filename="([^"]*)"/i.exec(disposition)?.[1];
    const part: MultipartPart = {
      name,
      contentType: headerValue(headers, "content-type") ?? "text/plain",
      data: raw.subarray(headersEnd + 4, next - 2), // drop the CRLF before the delimiter
    };
    if (filename !== undefined) part.filename = filename;
    parts.push(part);
    cursor = next;
  }
  return parts;
}
