// `GET /analytics.csv?from=…&to=…`: the analytics query's figures as CSV for spreadsheets, with the
// bearer token and the same access as the GraphQL field (src/domain/analytics/query.ts).
import type http from "node:http";
import { encodeGlobalID } from "@pothos/plugin-relay";
import type { PrismaClient } from "./generated/prisma/client.ts";
import { analytics, type AnalyticsResult, type Figures, type Granularity } from "./domain/analytics/query.ts";
import { InvalidInputError } from "./domain/errors.ts";
import { authenticate, bearerToken } from "./domain/tokens.ts";
import { decodeIds } from "./schema/rules.ts";

export const ANALYTICS_CSV_PATH = "/analytics.csv";

function refuse(res: http.ServerResponse, status: number, code: string, message: string, extra = {}) {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify({ errors: [{ message, extensions: { code, ...extra } }] }));
}

/** Figures as (column, value) pairs: nested names joined by dots, the distribution as csat.score1…5. */
function flatten(value: unknown, prefix: string, out: [string, number | null][]): [string, number | null][] {
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) out.push([`${prefix}score${i + 1}`, v as number]);
  } else if (value !== null && typeof value === "object") {
    for (const [key, v] of Object.entries(value)) flatten(v, `${prefix}${key}.`, out);
  } else out.push([prefix.slice(0, -1), value as number | null]);
  return out;
}

const csvCell = (value: string | number | null) => {
  const text = value === null ? "" : String(value);
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};

async function namesOf(prisma: PrismaClient, result: AnalyticsResult) {
  const ids = (rows: { [k: string]: unknown }[], key: string) => rows.flatMap((r) => (r[key] as string | null) ?? []);
  const [inboxes, channels, users] = await Promise.all([
    prisma.inbox.findMany({ where: { id: { in: ids(result.byInbox, "inboxId") } } }),
    prisma.channel.findMany({ where: { id: { in: ids(result.byChannel, "channelId") } } }),
    prisma.user.findMany({ where: { id: { in: ids(result.byAgent, "agentId") } } }),
  ]);
  return new Map<string, string>([
    ...inboxes.map((i) => [i.id, i.name] as const),
    ...channels.map((c) => [c.id, `${c.phoneNumber} ${c.type}`] as const),
    ...users.map((u) => [u.id, u.name] as const),
  ]);
}

/** One row per group: the totals, each bucket, each inbox, channel and agent. */
export async function analyticsCsv(prisma: PrismaClient, result: AnalyticsResult): Promise<string> {
  const names = await namesOf(prisma, result);
  const rows: [string, string, string, Figures][] = [
    ["total", "", "", result.totals],
    ...result.series.map((b): [string, string, string, Figures] => ["bucket", b.start.toISOString(), "", b.figures]),
    ...result.byInbox.map((r): [string, string, string, Figures] => [
      "inbox",
      r.inboxId ? encodeGlobalID("Inbox", r.inboxId) : "",
      r.inboxId ? (names.get(r.inboxId) ?? "") : "(no inbox)",
      r.figures,
    ]),
    ...result.byChannel.map((r): [string, string, string, Figures] => [
      "channel",
      r.channelId ? encodeGlobalID("Channel", r.channelId) : "",
      r.channelId ? (names.get(r.channelId) ?? "") : "(no channel)",
      r.figures,
    ]),
    ...result.byAgent.map((r): [string, string, string, Figures] => [
      "agent",
      r.agentId ? encodeGlobalID("User", r.agentId) : "",
      r.agentId ? (names.get(r.agentId) ?? "") : "(no agent)",
      r.figures,
    ]),
  ];
  const header = ["group", "id", "name", ...flatten(result.totals, "", []).map(([column]) => column)];
  const lines = rows.map(([group, id, name, figures]) =>
    [group, id, name, ...flatten(figures, "", []).map(([, v]) => v)].map(csvCell).join(","),
  );
  return `${[header.join(","), ...lines].join("\n")}\n`;
}

function listParam(params: URLSearchParams, name: string): string[] {
  return (params.get(name) ?? "").split(",").filter(Boolean);
}

function dateParam(params: URLSearchParams, name: string): Date {
  const date = new Date(params.get(name) ?? "");
  if (Number.isNaN(date.getTime())) throw new InvalidInputError("An ISO date-time is required", name);
  return date;
}

function intParam(params: URLSearchParams, name: string): number | null {
  const value = params.get(name);
  if (value === null) return null;
  if (!/^\d+$/.test(value)) throw new InvalidInputError("A whole number is required", name);
  return Number(value);
}

function granularityParam(params: URLSearchParams): Granularity {
  const value = params.get("granularity") ?? "DAY";
  if (value !== "HOUR" && value !== "DAY" && value !== "WEEK") {
    throw new InvalidInputError("HOUR, DAY or WEEK", "granularity");
  }
  return value;
}

/**
 * The query parameter a domain error is about: the domain names the GraphQL argument path
 * (`filter.timeZone`), and the export takes the filter's fields as top-level parameters.
 */
function parameterOf(field: string): string {
  return field.replace(/^filter\./, "");
}

/** Serves the export; false (touching nothing) for any other path. */
export async function handleAnalyticsCsv(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  prisma: PrismaClient,
): Promise<boolean> {
  const url = new URL(req.url ?? "/", "http://localhost");
  if (url.pathname !== ANALYTICS_CSV_PATH) return false;
  if (req.method !== "GET") {
    refuse(res, 405, "METHOD_NOT_ALLOWED", "Use GET");
    return true;
  }
  const token = bearerToken(req.headers.authorization);
  const viewer = token ? await authenticate(prisma, token) : null;
  if (!viewer) {
    refuse(res, 401, "UNAUTHENTICATED", "Authentication required");
    return true;
  }
  const params = url.searchParams;
  try {
    const result = await analytics(prisma, viewer, {
      from: dateParam(params, "from"),
      to: dateParam(params, "to"),
      timeZone: params.get("timeZone"),
      granularity: granularityParam(params),
      inboxIds: decodeIds("Inbox", listParam(params, "inboxes"), "inboxes"),
      channelIds: decodeIds("Channel", listParam(params, "channels"), "channels"),
      agentIds: decodeIds("User", listParam(params, "agents"), "agents"),
      serviceLevelSeconds: intParam(params, "serviceLevelSeconds"),
      abandonAfterSeconds: intParam(params, "abandonAfterSeconds"),
    });
    res.writeHead(200, {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": 'attachment; filename="analytics.csv"',
      "cache-control": "private, no-store",
    });
    res.end(await analyticsCsv(prisma, result));
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    refuse(res, 400, error.code, error.message, { field: parameterOf(error.field) });
  }
  return true;
}
