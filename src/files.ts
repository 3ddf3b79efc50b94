// Downloads of message attachments (R4.5): `GET /files/attachments/<id>` streams the content from
// RingCentral with the same bearer-token authentication and access rules as GraphQL (R1.2): no
// token is 401; an attachment outside the viewer's inboxes is 404, exactly like a missing one.
import type http from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { PrismaClient } from "./generated/prisma/client.ts";
import type { Logger } from "./logger.ts";
import { visibleAttachments } from "./domain/access.ts";
import { authenticate, bearerToken } from "./domain/tokens.ts";

export interface FileServices {
  prisma: PrismaClient;
  log: Logger;
  /** Fetches a RingCentral content URI with the connection's credentials (the SDK's `platform.get`). */
  fetchContent(contentUri: string): Promise<Response>;
}

const ATTACHMENT_ROUTE = /^\/files\/attachments\/([^/]+)$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Shown inline by clients; anything else (HTML, PDF, vCard…) is offered as a download. */
const INLINE_TYPES = /^(image|video|audio)\//;

function answer(res: http.ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", ...headers });
  res.end(JSON.stringify({ errors: [{ message, extensions: { code } }] }));
}

function contentDisposition(contentType: string, fileName: string | null): string {
  const kind = INLINE_TYPES.test(contentType) ? "inline" : "attachment";
  return fileName ? `${kind}; filename*=UTF-8''${encodeURIComponent(fileName)}` : kind;
}

/**
 * Serves `GET|HEAD /files/attachments/<id>`. Returns false (touching nothing) when the request is
 * not for a file route, so the server can pass it on.
 */
export async function handleFileDownload(req: http.IncomingMessage, res: http.ServerResponse, services: FileServices): Promise<boolean> {
  const match = ATTACHMENT_ROUTE.exec(new URL(req.url ?? "/", "http://localhost").pathname);
  if (!match) return false;
  if (req.method !== "GET" && req.method !== "HEAD") {
    answer(res, 405, "METHOD_NOT_ALLOWED", "Use GET", { allow: "GET, HEAD" });
    return true;
  }
  const token = bearerToken(req.headers.authorization);
  const viewer = token ? await authenticate(services.prisma, token) : null;
  if (!viewer) {
    answer(res, 401, "UNAUTHENTICATED", "Authentication required", { "www-authenticate": "Bearer" });
    return true;
  }
  const id = match[1]!;
  const attachment = UUID.test(id)
    ? await services.prisma.attachment.findFirst({ where: { AND: [{ id }, visibleAttachments(viewer)] } })
    : null;
  if (!attachment?.contentUri) {
    answer(res, 404, "NOT_FOUND", "Attachment not found");
    return true;
  }
  await streamContent(req, res, services, { ...attachment, contentUri: attachment.contentUri });
  return true;
}

async function streamContent(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  services: FileServices,
  attachment: { id: string; contentUri: string; contentType: string; fileName: string | null },
) {
  let upstream: Response;
  try {
    upstream = await services.fetchContent(attachment.contentUri);
  } catch (error) {
    services.log.warn({ err: error, attachmentId: attachment.id }, "could not fetch an attachment from RingCentral");
    answer(res, 502, "RINGCENTRAL_UNAVAILABLE", "The attachment could not be fetched from RingCentral");
    return;
  }
  if (!upstream.ok || !upstream.body) {
    services.log.warn({ status: upstream.status, attachmentId: attachment.id }, "RingCentral did not return an attachment's content");
    answer(res, 502, "RINGCENTRAL_UNAVAILABLE", "The attachment could not be fetched from RingCentral");
    return;
  }
  const length = upstream.headers.get("content-length");
  res.writeHead(200, {
    "content-type": attachment.contentType,
    ...(length ? { "content-length": length } : {}),
    "content-disposition": contentDisposition(attachment.contentType, attachment.fileName),
    // Customer-supplied content served from the API's origin must never run as a page there.
    "content-security-policy": "default-src 'none'; sandbox",
    "x-content-type-options": "nosniff",
    "cache-control": "private, no-store",
  });
  const body = nodeStreamOf(upstream.body);
  if (req.method === "HEAD") {
    body.destroy();
    res.end();
    return;
  }
  try {
    await pipeline(body, res);
  } catch (error) {
    // The client went away or RingCentral broke off: the response is already started, so end it.
    services.log.debug({ err: error, attachmentId: attachment.id }, "attachment download ended early");
    res.destroy();
  }
}

/** The SDK fetches with node-fetch in Node (a Node stream body); global fetch gives a web stream. */
function nodeStreamOf(body: unknown): Readable {
  if (body instanceof Readable) return body;
  if (typeof (body as { pipe?: unknown }).pipe === "function") return Readable.from(body as AsyncIterable<Uint8Array>);
  return Readable.fromWeb(body as never);
}
