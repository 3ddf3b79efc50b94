// Authorised downloads (R1.2, R3.12, R4.5): `GET|HEAD /files/attachments/<id>` (MMS media) and
// `GET|HEAD /files/recordings/<id>` (call recordings and voicemail) stream RingCentral's content
// through Switchboard with the bearer-token authentication and access rules of GraphQL, never
// holding a whole file in memory.
//
//   401 UNAUTHENTICATED          no token, or an unknown or revoked one
//   404 NOT_FOUND                no such file — or one outside the viewer's inboxes (the same answer)
//   409 RECORDING_NOT_AVAILABLE  a visible recording that is PENDING or UNAVAILABLE (`extensions.state`)
//   502 RINGCENTRAL_UNAVAILABLE  RingCentral did not hand over the content
//   416 RANGE_NOT_SATISFIABLE    a `Range` outside the content (or ending before it starts)
//   206                          the one byte range a `Range: bytes=…` asked for (Content-Range)
//   200                          the content (Accept-Ranges: bytes: players can seek)
//
// A range is asked of RingCentral (its message-store content serves them); when it sends the
// whole content instead, the range is cut from the stream here.
import type http from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { PrismaClient } from "./generated/prisma/client.ts";
import type { Logger } from "./logger.ts";
import { visibleAttachments, visibleRecordings, type Viewer } from "./domain/access.ts";
import { authenticate, bearerToken, isUuid } from "./domain/tokens.ts";
import {
  contentRange,
  rangeHeader,
  requestedRange,
  resolveRange,
  sliceOf,
  unsatisfiedContentRange,
  type ResolvedRange,
} from "./byte-ranges.ts";

export interface DownloadServices {
  prisma: PrismaClient;
  log: Logger;
  /** Fetches a RingCentral content URI with the connection's credentials; `range` is a `Range`
   * header to forward. A 416 comes back as a response, not a failure. */
  fetchContent(contentUri: string, range?: string): Promise<Response>;
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

/** How the content is answered: whole, a range RingCentral served, a range cut here, or 416. */
type Answer =
  | { status: 200; length: string | null }
  | { status: 206; contentRange: string; length: string | null; slice?: ResolvedRange }
  | { status: 416; length: number | null };

/**
 * What to answer for `asked` (the client's Range), given RingCentral's answer to it. RingCentral
 * may serve the range itself (206: passed on), refuse it (416), or send everything (200: the range
 * is cut here from the stream, when its length is known; without a length, the whole content).
 */
function answerFor(upstream: Response, asked: ReturnType<typeof requestedRange>): Answer {
  const length = upstream.headers.get("content-length");
  const contentRangeOf = upstream.headers.get("content-range");
  if (upstream.status === 416) return { status: 416, length: totalOf(contentRangeOf) };
  if (upstream.status === 206 && contentRangeOf) return { status: 206, contentRange: contentRangeOf, length };
  const total = length === null ? null : Number(length);
  if (asked === null || total === null || !Number.isSafeInteger(total)) return { status: 200, length };
  const bytes = asked === "unsatisfiable" ? null : resolveRange(asked, total);
  if (!bytes) return { status: 416, length: total };
  return { status: 206, contentRange: contentRange(bytes), length: String(bytes.end - bytes.start + 1), slice: bytes };
}

/** The complete length a Content-Range names after its slash (`bytes 0-9/1234`), if it does. */
function totalOf(contentRangeValue: string | null): number | null {
  const total = /\/(\d+)$/.exec(contentRangeValue ?? "")?.[1];
  return total === undefined ? null : Number(total);
}

async function stream(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  services: DownloadServices,
  kind: string,
  content: Extract<Lookup, { content: unknown }>["content"],
) {
  // Without validators to compare, an If-Range cannot be known to match: the whole content.
  const asked = req.headers["if-range"] ? null : requestedRange(req.headers.range);
  const forwarded = asked === null || asked === "unsatisfiable" ? undefined : rangeHeader(asked);
  let upstream: Response | null = null;
  try {
    upstream = await services.fetchContent(content.contentUri, forwarded);
  } catch (error) {
    services.log.warn({ err: error, kind }, "could not fetch content from RingCentral");
  }
  const answered = upstream && (upstream.ok || upstream.status === 416) ? answerFor(upstream, asked) : null;
  if (answered?.status === 416) {
    if (upstream?.body) nodeStreamOf(upstream.body).destroy();
    const range: Record<string, string> =
      answered.length === null ? {} : { "content-range": unsatisfiedContentRange(answered.length) };
    answer(res, 416, "RANGE_NOT_SATISFIABLE", `The requested range is not within the ${kind}`, range);
    return;
  }
  if (!answered || !upstream?.body) {
    if (upstream) services.log.warn({ status: upstream.status, kind }, "RingCentral did not return the content");
    answer(res, 502, "RINGCENTRAL_UNAVAILABLE", `The ${kind} could not be fetched from RingCentral`);
    return;
  }
  res.writeHead(answered.status, {
    ...content.headers(upstream),
    ...(answered.length ? { "content-length": answered.length } : {}),
    ...(answered.status === 206 ? { "content-range": answered.contentRange } : {}),
    "accept-ranges": "bytes",
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
    const slice = answered.status === 206 ? answered.slice : undefined;
    if (slice) await pipeline(body, (chunks: AsyncIterable<Buffer>) => sliceOf(chunks, slice.start, slice.end), res);
    else await pipeline(body, res);
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
