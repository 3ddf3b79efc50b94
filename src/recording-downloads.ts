// Recording and voicemail audio (R3.12, R3.5): `GET /files/recordings/<id>` streams the audio from
// RingCentral through Switchboard, with the bearer-token authentication and access rules of
// GraphQL (R1.2), never holding a whole file in memory.
//
//   401 UNAUTHENTICATED          no token, or an unknown or revoked one
//   404 NOT_FOUND                no such recording — or one outside the viewer's inboxes (the same answer)
//   409 RECORDING_NOT_AVAILABLE  visible, but PENDING (try again later) or UNAVAILABLE (never recorded);
//                                the body's `extensions.state` says which
//   502 RINGCENTRAL_UNAVAILABLE  RingCentral did not hand over the audio
//   200                          the audio, with RingCentral's Content-Type and Content-Length
import type http from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { PrismaClient } from "./generated/prisma/client.ts";
import type { Logger } from "./logger.ts";
import { visibleRecordings } from "./domain/access.ts";
import { authenticate, bearerToken } from "./domain/tokens.ts";

export interface RecordingDownloadServices {
  prisma: PrismaClient;
  log: Logger;
  /** Fetches a RingCentral content URI with the connection's credentials (the SDK's `platform.get`,
   * which takes absolute media URLs as they are). */
  fetchContent(contentUri: string): Promise<Response>;
}

/** Where a recording's audio is served; `Recording.downloadUrl` gives it to clients. */
export function recordingDownloadPath(recordingId: string): string {
  return `/files/recordings/${recordingId}`;
}

const RECORDING_ROUTE = /^\/files\/recordings\/([^/]+)$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function answer(res: http.ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}, extensions: Record<string, unknown> = {}) {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", ...headers });
  res.end(JSON.stringify({ errors: [{ message, extensions: { code, ...extensions } }] }));
}

/** The SDK fetches with global fetch (a web stream body) or node-fetch (a Node stream). */
function nodeStreamOf(body: unknown): Readable {
  if (body instanceof Readable) return body;
  if (typeof (body as { pipe?: unknown }).pipe === "function") return Readable.from(body as AsyncIterable<Uint8Array>);
  return Readable.fromWeb(body as never);
}

/**
 * Serves `GET|HEAD /files/recordings/<id>`. Returns false, touching nothing, when the request is
 * for another path, so the server can pass it on.
 */
export async function handleRecordingDownload(req: http.IncomingMessage, res: http.ServerResponse, services: RecordingDownloadServices): Promise<boolean> {
  const match = RECORDING_ROUTE.exec(new URL(req.url ?? "/", "http://localhost").pathname);
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
  const recording = UUID.test(id) ? await services.prisma.recording.findFirst({ where: { AND: [{ id }, visibleRecordings(viewer)] } }) : null;
  if (!recording) {
    answer(res, 404, "NOT_FOUND", "Recording not found");
    return true;
  }
  if (recording.state !== "AVAILABLE" || !recording.contentUri) {
    const message = recording.state === "PENDING" ? "The recording is not available yet" : "RingCentral did not keep this recording";
    answer(res, 409, "RECORDING_NOT_AVAILABLE", message, {}, { state: recording.state });
    return true;
  }
  await streamAudio(req, res, services, { id: recording.id, contentUri: recording.contentUri, contentType: recording.contentType });
  return true;
}

async function streamAudio(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  services: RecordingDownloadServices,
  recording: { id: string; contentUri: string; contentType: string | null },
) {
  let upstream: Response;
  try {
    upstream = await services.fetchContent(recording.contentUri);
  } catch (error) {
    services.log.warn({ err: error, recordingId: recording.id }, "could not fetch a recording from RingCentral");
    answer(res, 502, "RINGCENTRAL_UNAVAILABLE", "The recording could not be fetched from RingCentral");
    return;
  }
  if (!upstream.ok || !upstream.body) {
    services.log.warn({ status: upstream.status, recordingId: recording.id }, "RingCentral did not return a recording's audio");
    answer(res, 502, "RINGCENTRAL_UNAVAILABLE", "The recording could not be fetched from RingCentral");
    return;
  }
  const contentType = upstream.headers.get("content-type") ?? recording.contentType ?? "application/octet-stream";
  const length = upstream.headers.get("content-length");
  res.writeHead(200, {
    "content-type": contentType,
    ...(length ? { "content-length": length } : {}),
    "content-disposition": "inline",
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
    // The client went away or RingCentral broke off mid-stream: the response has started; end it.
    services.log.debug({ err: error, recordingId: recording.id }, "recording download ended early");
    res.destroy();
  }
}
