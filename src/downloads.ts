// Authorised downloads (R1.2, R3.12, R4.5): `GET|HEAD /files/attachments/<id>` (MMS media) and
// `GET|HEAD /files/recordings/<id>` (call recordings and voicemail) stream RingCentral's content
// through Switchboard with the bearer-token authentication and access rules of GraphQL, never
// holding a whole file in memory.
//
//   401 UNAUTHENTICATED          no token, or an unknown or revoked one
//   404 NOT_FOUND                no such file — or one outside the viewer's inboxes (the same answer)
//   409 RECORDING_NOT_AVAILABLE  a visible recording that is PENDING or UNAVAILABLE (`extensions.state`)
//   502 RINGCENTRAL_UNAVAILABLE  RingCentral did not hand over the content
//   200                          the content
import type http from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { PrismaClient } from "./generated/prisma/client.ts";
import type { Logger } from "./logger.ts";
import { visibleAttachments, visibleRecordings, type Viewer } from "./domain/access.ts";
import { authenticate, bearerToken, isUuid } from "./domain/tokens.ts";

export interface DownloadServices {
  prisma: PrismaClient;
  log: Logger;
  /** Fetches a RingCentral content URI with the connection's credentials. */
  fetchContent(contentUri: string): Promise<Response>;
}

/** What a route found for the viewer: content to stream, or a refusal. */
type Lookup =
  | { content: { contentUri: string; headers: (upstream: Response) => Record<string, string> } }
  | { refusal: { status: number; code: string; message: string; extensions?: Record<string, unknown> } };

interface DownloadRoute {
  path: RegExp;
  kind: string;
  find(services: DownloadServices, viewer: Viewer, id: string): Promise<Lookup>;
}

/** Where a recording's audio is served; `Recording.downloadUrl` gives it to clients. */
export const recordingDownloadPath = (recordingId: string) => `/files/recordings/${recordingId}`;
export const attachmentDownloadPath = (attachmentId: string) => `/files/attachments/${attachmentId}`;

/** Shown inline by clients; anything else (HTML, PDF, vCard…) is offered as a download. */
const INLINE_TYPES = /^(image|video|audio)\//;

function contentDisposition(contentType: string, fileName: string | null): string {
  const kind = INLINE_TYPES.test(contentType) ? "inline" : "attachment";
  return fileName ? `${kind}; filename*=UTF-8''${encodeURIComponent(fileName)}` : kind;
}

const notFound = (what: string): Lookup => ({
  refusal: { status: 404, code: "NOT_FOUND", message: `${what} not found` },
});

const ATTACHMENTS: DownloadRoute = {
  path: /^\/files\/attachments\/([^/]+)$/,
  kind: "attachment",
  async find({ prisma }, viewer, id) {
    const attachment = await prisma.attachment.findFirst({ where: { AND: [{ id }, visibleAttachments(viewer)] } });
    if (!attachment?.contentUri) return notFound("Attachment");
    return {
      content: {
        contentUri: attachment.contentUri,
        headers: () => ({
          "content-type": attachment.contentType,
          "content-disposition": contentDisposition(attachment.contentType, attachment.fileName),
          // Customer-supplied content served from the API's origin must never run as a page there.
          "content-security-policy": "default-src 'none'; sandbox",
        }),
      },
    };
  },
};

const RECORDINGS: DownloadRoute = {
  path: /^\/files\/recordings\/([^/]+)$/,
  kind: "recording",
  async find({ prisma }, viewer, id) {
    const recording = await prisma.recording.findFirst({ where: { AND: [{ id }, visibleRecordings(viewer)] } });
    if (!recording) return notFound("Recording");
    if (recording.state !== "AVAILABLE" || !recording.contentUri) {
      const message =
        recording.state === "PENDING"
          ? "The recording is not available yet"
          : "RingCentral did not keep this recording";
      return {
        refusal: { status: 409, code: "RECORDING_NOT_AVAILABLE", message, extensions: { state: recording.state } },
      };
    }
    return {
      content: {
        contentUri: recording.contentUri,
        headers: (upstream) => ({
          "content-type": upstream.headers.get("content-type") ?? recording.contentType ?? "application/octet-stream",
          "content-disposition": "inline",
        }),
      },
    };
  },
};

const ROUTES = [ATTACHMENTS, RECORDINGS];

function answer(
  res: http.ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
  extensions = {},
) {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", ...headers });
  res.end(JSON.stringify({ errors: [{ message, extensions: { code, ...extensions } }] }));
}

/** The SDK fetches with node-fetch in Node (a Node stream body); global fetch gives a web stream. */
function nodeStreamOf(body: unknown): Readable {
  if (body instanceof Readable) return body;
  if (typeof (body as { pipe?: unknown }).pipe === "function") return Readable.from(body as AsyncIterable<Uint8Array>);
  return Readable.fromWeb(body as never);
}

async function stream(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  services: DownloadServices,
  kind: string,
  content: Extract<Lookup, { content: unknown }>["content"],
) {
  let upstream: Response | null = null;
  try {
    upstream = await services.fetchContent(content.contentUri);
  } catch (error) {
    services.log.warn({ err: error, kind }, "could not fetch content from RingCentral");
  }
  if (!upstream?.ok || !upstream.body) {
    if (upstream) services.log.warn({ status: upstream.status, kind }, "RingCentral did not return the content");
    answer(res, 502, "RINGCENTRAL_UNAVAILABLE", `The ${kind} could not be fetched from RingCentral`);
    return;
  }
  const length = upstream.headers.get("content-length");
  res.writeHead(200, {
    ...content.headers(upstream),
    ...(length ? { "content-length": length } : {}),
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
    // The client went away or RingCentral broke off: the response has started, so end it.
    services.log.debug({ err: error, kind }, "download ended early");
    res.destroy();
  }
}

/** Serves the download routes; false (touching nothing) for any other path. */
export async function handleDownload(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  services: DownloadServices,
): Promise<boolean> {
  const path = new URL(req.url ?? "/", "http://localhost").pathname;
  const route = ROUTES.find((r) => r.path.test(path));
  if (!route) return false;
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
  const id = route.path.exec(path)![1]!;
  const found = isUuid(id)
    ? await route.find(services, viewer, id)
    : notFound(route.kind === "attachment" ? "Attachment" : "Recording");
  if ("refusal" in found)
    answer(res, found.refusal.status, found.refusal.code, found.refusal.message, {}, found.refusal.extensions);
  else await stream(req, res, services, route.kind, found.content);
  return true;
}
