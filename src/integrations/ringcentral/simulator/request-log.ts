// What the app sent the simulator (`GET /__sim/requests`), without secrets: Authorization headers
// and OAuth credentials in form bodies are redacted.

import type { IncomingHttpHeaders } from "node:http";
import type { MultipartPart } from "./core.ts";

export interface LoggedRequest {
  id: number;
  at: string;
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  body: unknown;
  status: number;
  /** "websocket" for REST calls made as ClientRequest frames. */
  via: "http" | "websocket";
}

const SECRET_HEADERS = new Set(["authorization", "cookie"]);
const SECRET_FIELDS = new Set(["assertion", "refresh_token", "access_token", "token", "client_secret", "password"]);
const MAX_LOGGED = 2000;

function isMultipart(body: unknown): body is MultipartPart[] {
  return (
    Array.isArray(body) && body.every((p) => p && typeof p === "object" && Buffer.isBuffer((p as MultipartPart).data))
  );
}

function redactBody(body: unknown): unknown {
  if (isMultipart(body)) {
    return body.map((p) => ({
      name: p.name,
      filename: p.filename,
      contentType: p.contentType,
      size: p.data.length,
      ...(p.contentType.startsWith("application/json") || p.contentType.startsWith("text/")
        ? { text: p.data.toString("utf8").slice(0, 4000) }
        : {}),
    }));
  }
  if (body && typeof body === "object" && !Array.isArray(body)) {
    return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, SECRET_FIELDS.has(k) ? "[redacted]" : v]));
  }
  return body;
}

function queryObject(query: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(query.keys())) {
    const values = query.getAll(key).map((v) => (SECRET_FIELDS.has(key) ? "[redacted]" : v));
    out[key] = values.length === 1 ? values[0]! : values;
  }
  return out;
}

export class RequestLog {
  private entries: LoggedRequest[] = [];
  private nextId = 1;

  record(input: {
    method: string;
    path: string;
    query: URLSearchParams;
    headers: IncomingHttpHeaders | Record<string, string>;
    body: unknown;
    status: number;
    via?: "http" | "websocket";
  }): void {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(input.headers)) {
      if (value === undefined) continue;
      headers[name] = SECRET_HEADERS.has(name.toLowerCase())
        ? "[redacted]"
        : Array.isArray(value)
          ? value.join(", ")
          : String(value);
    }
    this.entries.push({
      id: this.nextId++,
      at: new Date().toISOString(),
      method: input.method,
      path: input.path,
      query: queryObject(input.query),
      headers,
      body: redactBody(input.body),
      status: input.status,
      via: input.via ?? "http",
    });
    if (this.entries.length > MAX_LOGGED) this.entries.shift();
  }

  /** Entries whose path contains `pathContains` (and whose method matches), oldest first, after id `since`. */
  find(filter: { pathContains?: string | null; method?: string | null; since?: number }): LoggedRequest[] {
    return this.entries.filter(
      (e) =>
        (!filter.pathContains || e.path.includes(filter.pathContains)) &&
        (!filter.method || e.method === filter.method.toUpperCase()) &&
        (filter.since === undefined || e.id > filter.since),
    );
  }

  clear(): void {
    this.entries = [];
  }
}
