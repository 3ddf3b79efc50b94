// The analytics tables: the source rows facts are computed from, the facts, the hourly rollup
// recomputed from the facts, and the queries the analytics API answers from.
import { Prisma, type PrismaClient } from "../generated/prisma/client.ts";
import type {
  CallAgentFact,
  CallFact,
  CallPartyRow,
  CallRow,
  ConversationFact,
  ConversationRow,
  CsatFact,
  CsatRow,
  MessageFact,
  MessageRow,
} from "../domain/analytics/facts.ts";
import { columnsOf, deleteRows, insertRows, writeAll, type ColumnTypes } from "./bulk-writes.ts";

type Db = PrismaClient | Prisma.TransactionClient;

const HOUR_MS = 3_600_000;

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(key(item));
    if (group) group.push(item);
    else groups.set(key(item), [item]);
  }
  return groups;
}

/** Stands for "no inbox / channel / agent" in the rollup's key. */
export const NONE = "00000000-0000-0000-0000-000000000000";

// --- sources ---------------------------------------------------------------------------------

/** Extension id → user id: a user's own extension id, else the account's extension with their email. */
export async function loadExtensionUsers(db: Db): Promise<Map<string, string>> {
  const rows = await db.$queryRaw<{ extensionId: string; userId: string }[]>`
    SELECT e->>'id' AS "extensionId", u.id::text AS "userId"
    FROM "RingCentralConnection" c, jsonb_array_elements(coalesce(c."extensionsCache", '[]'::jsonb)) e
    JOIN "User" u ON u.email = lower(e->>'email')
    UNION ALL
    SELECT "ringCentralExtensionId", id::text FROM "User" WHERE "ringCentralExtensionId" IS NOT NULL`;
  return new Map(rows.map((r) => [r.extensionId, r.userId]));
}

export interface CallSource {
  call: CallRow;
  parties: (Omit<CallPartyRow, "userId"> & { extensionId: string | null })[];
}

export async function loadCalls(db: Db, ids: string[]): Promise<CallSource[]> {
  if (ids.length === 0) return [];
  const [calls, parties] = await Promise.all([
    db.$queryRaw<CallRow[]>`
      SELECT c.id::text, c.direction::text, c.status::text, c."answeredAt", c."endedAt", c."talkSeconds",
             c."answeredById"::text, c."createdAt", c."channelId"::text, ch."inboxId"::text
      FROM "Call" c LEFT JOIN "Channel" ch ON ch.id = c."channelId" WHERE c.id = ANY(${ids}::uuid[])`,
    db.$queryRaw<(CallSource["parties"][number] & { callId: string })[]>`
      SELECT "callId"::text, role, direction::text, "extensionId", "firstEventAt", "answeredAt", "holdLog"
      FROM "CallParty" WHERE "callId" = ANY(${ids}::uuid[])`,
  ]);
  const byCall = groupBy(parties, (p) => p.callId);
  return calls.map((call) => ({ call, parties: byCall.get(call.id) ?? [] }));
}

export async function loadMessages(db: Db, ids: string[]): Promise<MessageRow[]> {
  if (ids.length === 0) return [];
  return db.$queryRaw<MessageRow[]>`
    SELECT m.id::text, m.direction::text, m.status::text, m."createdAt", m."sentById"::text,
           (SELECT count(*)::int FROM "Attachment" a WHERE a."messageId" = m.id) AS attachments,
           m."channelId"::text, ch."inboxId"::text
    FROM "Message" m LEFT JOIN "Channel" ch ON ch.id = m."channelId" WHERE m.id = ANY(${ids}::uuid[])`;
}

/** SMS conversations only (a conversation whose channel is an SMS channel). */
export async function loadConversations(db: Db, ids: string[]): Promise<ConversationRow[]> {
  if (ids.length === 0) return [];
  const [conversations, messages] = await Promise.all([
    db.$queryRaw<Omit<ConversationRow, "messages">[]>`
      SELECT c.id::text, c.status::text, c."createdAt", c."archivedAt", c."assigneeId"::text,
             c."channelId"::text, ch."inboxId"::text
      FROM "Conversation" c JOIN "Channel" ch ON ch.id = c."channelId" AND ch.type = 'SMS'
      WHERE c.id = ANY(${ids}::uuid[])`,
    db.$queryRaw<(ConversationRow["messages"][number] & { conversationId: string })[]>`
      SELECT "conversationId"::text, direction::text, "createdAt", "sentById"::text FROM "Message"
      WHERE "conversationId" = ANY(${ids}::uuid[]) ORDER BY "createdAt", id`,
  ]);
  const byConversation = groupBy(messages, (m) => m.conversationId);
  return conversations.map((c) => ({ ...c, messages: byConversation.get(c.id) ?? [] }));
}

export async function loadCsat(db: Db, ids: string[]): Promise<CsatRow[]> {
  if (ids.length === 0) return [];
  return db.$queryRaw<CsatRow[]>`
    SELECT r.id::text, r.score, r."answeredAt", r."assigneeId"::text,
           coalesce(r."channelId", c."channelId")::text AS "channelId", ch."inboxId"::text
    FROM "CsatResponse" r JOIN "Conversation" c ON c.id = r."conversationId"
    LEFT JOIN "Channel" ch ON ch.id = coalesce(r."channelId", c."channelId")
    WHERE r.id = ANY(${ids}::uuid[])`;
}

/** The ids of one source table after `after` (keyset order), for a rebuild in batches. */
export async function idsAfter(
  db: Db,
  table: "Call" | "Message" | "Conversation" | "CsatResponse",
  after: string,
  limit: number,
): Promise<string[]> {
  // Ordered by the uuid column (not the text it is returned as) and with the limit as a literal (a
  // number of ours), so the keyset read walks the primary key instead of sorting the whole table.
  const rows = await db.$queryRaw<{ id: string }[]>(
    Prisma.sql`SELECT t.id::text AS id FROM ${Prisma.raw(`"${table}"`)} t WHERE t.id > ${after}::uuid ORDER BY t.id
      LIMIT ${Prisma.raw(String(Math.trunc(limit)))}`,
  );
  return rows.map((r) => r.id);
}

export async function countSources(db: Db): Promise<number> {
  const [row] = await db.$queryRaw<{ n: number }[]>`
    SELECT ((SELECT count(*) FROM "Call") + (SELECT count(*) FROM "Message") + (SELECT count(*) FROM "Conversation")
            + (SELECT count(*) FROM "CsatResponse"))::int AS n`;
  return row!.n;
}

// --- calls changed by ingest -------------------------------------------------------------------

/** The statement part that marks calls changed (call ingest's burst writes it with its own changes). */
export function markCallsChanged(callIds: string[]): Prisma.Sql | null {
  const ids = [...new Set(callIds)];
  if (ids.length === 0) return null;
  return Prisma.sql`INSERT INTO "AnalyticsDirtyCall" ("callId") SELECT unnest(${ids}::uuid[])
    ON CONFLICT ("callId") DO UPDATE SET version = nextval(pg_get_serial_sequence('"AnalyticsDirtyCall"', 'version'))`;
}

export function changedCalls(db: Db, limit: number): Promise<{ callId: string; version: bigint }[]> {
  return db.$queryRaw`SELECT "callId"::text, version FROM "AnalyticsDirtyCall" ORDER BY version LIMIT ${limit}`;
}

/** Clears the marks as read: a call marked again meanwhile stays marked. */
export async function clearChangedCalls(db: Db, marks: { callId: string; version: bigint }[]): Promise<void> {
  if (marks.length === 0) return;
  await db.$executeRaw`DELETE FROM "AnalyticsDirtyCall" d USING unnest(${marks.map((m) => m.callId)}::uuid[],
    ${marks.map((m) => m.version.toString())}::bigint[]) AS m(id, v) WHERE d."callId" = m.id AND d.version = m.v`;
}

// --- facts -----------------------------------------------------------------------------------

const CALL: ColumnTypes<CallFact> = {
  callId: "uuid",
  startedAt: "timestamp",
  inboxId: "uuid",
  channelId: "uuid",
  direction: "enum:CallDirection",
  outcome: "enum:CallStatus",
  waitSeconds: "integer",
  talkSeconds: "integer",
  holdSeconds: "integer",
  transfers: "integer",
  agentId: "uuid",
};
const CALL_AGENT: ColumnTypes<CallAgentFact> = {
  callId: "uuid",
  agentId: "uuid",
  startedAt: "timestamp",
  inboxId: "uuid",
  channelId: "uuid",
  answered: "boolean",
  missed: "boolean",
  answeredElsewhere: "boolean",
};
const MESSAGE: ColumnTypes<MessageFact> = {
  messageId: "uuid",
  at: "timestamp",
  inboxId: "uuid",
  channelId: "uuid",
  direction: "enum:MessageDirection",
  mms: "boolean",
  failed: "boolean",
  agentId: "uuid",
};
const CONVERSATION: ColumnTypes<ConversationFact> = {
  conversationId: "uuid",
  inboxId: "uuid",
  channelId: "uuid",
  openedAt: "timestamp",
  closedAt: "timestamp",
  resolutionSeconds: "integer",
  assigneeId: "uuid",
  firstInboundAt: "timestamp",
  firstResponseSeconds: "integer",
  responderId: "uuid",
};
const CSAT: ColumnTypes<CsatFact> = {
  csatResponseId: "uuid",
  answeredAt: "timestamp",
  inboxId: "uuid",
  channelId: "uuid",
  agentId: "uuid",
  score: "integer",
};

export interface Facts {
  calls: CallFact[];
  callAgents: CallAgentFact[];
  messages: MessageFact[];
  conversations: ConversationFact[];
  csat: CsatFact[];
}

/** Which entities a batch of facts replaces (an entity with no fact any more loses its old one). */
export interface Touched {
  callIds: string[];
  messageIds: string[];
  conversationIds: string[];
  csatIds: string[];
}

/** The hours the entities' current facts count in. */
export async function hoursOfFacts(db: Db, touched: Touched): Promise<Date[]> {
  const rows = await db.$queryRaw<{ hour: Date }[]>`
    SELECT DISTINCT date_trunc('hour', t) AS hour FROM (
      SELECT "startedAt" AS t FROM "AnalyticsCall" WHERE "callId" = ANY(${touched.callIds}::uuid[])
      UNION ALL SELECT "at" FROM "AnalyticsMessage" WHERE "messageId" = ANY(${touched.messageIds}::uuid[])
      UNION ALL SELECT unnest(ARRAY["openedAt", "closedAt", "firstInboundAt"]) FROM "AnalyticsConversation"
        WHERE "conversationId" = ANY(${touched.conversationIds}::uuid[])
      UNION ALL SELECT "answeredAt" FROM "AnalyticsCsat" WHERE "csatResponseId" = ANY(${touched.csatIds}::uuid[])
    ) s WHERE t IS NOT NULL`;
  return rows.map((r) => r.hour);
}

/** Replaces the touched entities' facts with `facts`. */
export async function replaceFacts(db: Db, touched: Touched, facts: Facts): Promise<void> {
  await writeAll(db, [
    deleteRows("AnalyticsCall", "callId", touched.callIds),
    deleteRows("AnalyticsCallAgent", "callId", touched.callIds),
    deleteRows("AnalyticsMessage", "messageId", touched.messageIds),
    deleteRows("AnalyticsConversation", "conversationId", touched.conversationIds),
    deleteRows("AnalyticsCsat", "csatResponseId", touched.csatIds),
  ]);
  await writeAll(db, [
    insertRows("AnalyticsCall", columnsOf(CALL), facts.calls),
    insertRows("AnalyticsCallAgent", columnsOf(CALL_AGENT), facts.callAgents),
    insertRows("AnalyticsMessage", columnsOf(MESSAGE), facts.messages),
    insertRows("AnalyticsConversation", columnsOf(CONVERSATION), facts.conversations),
    insertRows("AnalyticsCsat", columnsOf(CSAT), facts.csat),
  ]);
}

// --- the hourly rollup -------------------------------------------------------------------------

/** The rollup's measures, in the order every contribution below lists them. */
export const MEASURES = [
  "callsInbound",
  "callsOutbound",
  "answered",
  "missed",
  "abandoned",
  "voicemail",
  "waitCount",
  "waitSum",
  "talkCount",
  "talkSum",
  "holdCount",
  "holdSum",
  "transfers",
  "agentOffered",
  "agentAnswered",
  "agentMissed",
  "agentAnsweredElsewhere",
  "messagesInbound",
  "messagesOutbound",
  "mms",
  "deliveryFailures",
  "conversationsOpened",
  "conversationsClosed",
  "firstResponseCount",
  "firstResponseSum",
  "resolutionCount",
  "resolutionSum",
  "csatCount",
  "csatSum",
  "csat1",
  "csat2",
  "csat3",
  "csat4",
  "csat5",
] as const;
export type Measure = (typeof MEASURES)[number];

/** SQL text of a range of hours [from, to), or of all time. */
type HourRange = { from: string; to: string } | null;

/**
 * One fact table's contribution to the measures it has (the others are 0), within a range of hours
 * (a condition on the time column itself, so its index serves an incremental recompute).
 */
function contribution(time: string, agent: string, from: string, measures: Partial<Record<Measure, string>>) {
  const values = MEASURES.map((m) => `${measures[m] ?? "0"} AS "${m}"`).join(", ");
  return (range: HourRange) => `SELECT date_trunc('hour', ${time}) AS hour, coalesce("inboxId", '${NONE}') AS "inboxId",
    coalesce("channelId", '${NONE}') AS "channelId", coalesce(${agent}, '${NONE}') AS "agentId", ${values}
    FROM ${from} WHERE ${time} IS NOT NULL
    ${range ? `AND ${time} >= '${range.from}'::timestamp AND ${time} < '${range.to}'::timestamp` : ""}`;
}

const inbound = `direction = 'INBOUND'`;
const CONTRIBUTIONS = [
  contribution(`"startedAt"`, `"agentId"`, `"AnalyticsCall"`, {
    callsInbound: `(${inbound})::int`,
    callsOutbound: `(direction = 'OUTBOUND')::int`,
    answered: `(${inbound} AND outcome = 'ENDED')::int`,
    missed: `(${inbound} AND outcome = 'MISSED')::int`,
    abandoned: `(${inbound} AND outcome = 'ABANDONED')::int`,
    voicemail: `(${inbound} AND outcome = 'VOICEMAIL')::int`,
    waitCount: `(${inbound} AND outcome = 'ENDED' AND "waitSeconds" IS NOT NULL)::int`,
    waitSum: `CASE WHEN ${inbound} AND outcome = 'ENDED' THEN coalesce("waitSeconds", 0) ELSE 0 END`,
    talkCount: `("talkSeconds" IS NOT NULL)::int`,
    talkSum: `coalesce("talkSeconds", 0)`,
    holdCount: `("holdSeconds" IS NOT NULL)::int`,
    holdSum: `coalesce("holdSeconds", 0)`,
    transfers: `transfers`,
  }),
  contribution(`"startedAt"`, `"agentId"`, `"AnalyticsCallAgent"`, {
    agentOffered: "1",
    agentAnswered: "answered::int",
    agentMissed: "missed::int",
    agentAnsweredElsewhere: `"answeredElsewhere"::int`,
  }),
  contribution(`"at"`, `"agentId"`, `"AnalyticsMessage"`, {
    messagesInbound: `(direction = 'INBOUND')::int`,
    messagesOutbound: `(direction = 'OUTBOUND')::int`,
    mms: "mms::int",
    deliveryFailures: "failed::int",
  }),
  contribution(`"openedAt"`, `"assigneeId"`, `"AnalyticsConversation"`, { conversationsOpened: "1" }),
  contribution(`"closedAt"`, `"assigneeId"`, `"AnalyticsConversation"`, {
    conversationsClosed: "1",
    resolutionCount: "1",
    resolutionSum: `"resolutionSeconds"`,
  }),
  contribution(`"firstInboundAt"`, `"responderId"`, `"AnalyticsConversation"`, {
    firstResponseCount: `("firstResponseSeconds" IS NOT NULL)::int`,
    firstResponseSum: `coalesce("firstResponseSeconds", 0)`,
  }),
  contribution(`"answeredAt"`, `"agentId"`, `"AnalyticsCsat"`, {
    csatCount: "1",
    csatSum: "score",
    csat1: "(score = 1)::int",
    csat2: "(score = 2)::int",
    csat3: "(score = 3)::int",
    csat4: "(score = 4)::int",
    csat5: "(score = 5)::int",
  }),
];

/** The rollup rows of `hours` (all hours: null), recomputed from the facts. */
export async function recomputeHours(db: Db, hours: Date[] | null): Promise<void> {
  if (hours?.length === 0) return;
  const names = MEASURES.map((m) => `"${m}"`).join(", ");
  // A fact not yet decided (a call still up has no outcome) contributes NULL: it counts as 0.
  const sums = MEASURES.map((m) => `coalesce(sum("${m}"), 0)`).join(", ");
  const wanted = hours?.map((h) => h.toISOString()).sort() ?? null;
  // Timestamps we formatted ourselves (toISOString), not input: safe as SQL text.
  const range = wanted ? { from: wanted[0]!, to: new Date(Date.parse(wanted.at(-1)!) + HOUR_MS).toISOString() } : null;
  const union = Prisma.raw(CONTRIBUTIONS.map((c) => c(range)).join("\nUNION ALL\n"));
  if (wanted) await db.$executeRaw`DELETE FROM "AnalyticsHour" WHERE hour = ANY(${wanted}::timestamp[])`;
  else await db.$executeRaw`DELETE FROM "AnalyticsHour"`;
  await db.$executeRaw`
    INSERT INTO "AnalyticsHour" (hour, "inboxId", "channelId", "agentId", ${Prisma.raw(names)})
    SELECT hour, "inboxId"::uuid, "channelId"::uuid, "agentId"::uuid, ${Prisma.raw(sums)}
    FROM (${union}) c
    WHERE ${wanted}::timestamp[] IS NULL OR hour = ANY(${wanted}::timestamp[])
    GROUP BY 1, 2, 3, 4`;
}

/** Empties the facts and the rollup (a rebuild starts here). */
export async function clearAnalytics(db: Db): Promise<void> {
  await db.$executeRaw`TRUNCATE "AnalyticsCall", "AnalyticsCallAgent", "AnalyticsMessage", "AnalyticsConversation",
    "AnalyticsCsat", "AnalyticsHour"`;
}

export async function readAnalyticsCursor(db: Db, name: string): Promise<bigint | null> {
  return (await db.analyticsCursor.findUnique({ where: { name } }))?.sequence ?? null;
}

export async function writeAnalyticsCursor(db: Db, name: string, sequence: bigint): Promise<void> {
  await db.analyticsCursor.upsert({ where: { name }, create: { name, sequence }, update: { sequence } });
}

// --- queries ---------------------------------------------------------------------------------

export type Granularity = "HOUR" | "DAY" | "WEEK";

/** A range and filters as the store takes them: database ids; null = no restriction. */
export interface AnalyticsRange {
  from: Date;
  to: Date;
  timeZone: string;
  granularity: Granularity;
  /** May hold NONE (figures of no inbox: admins). */
  inboxIds: string[] | null;
  channelIds: string[] | null;
  agentIds: string[] | null;
}

/** Which of the grouping sets a row is: all, one bucket, one inbox, one channel, one agent. */
export type Dimension = "total" | "bucket" | "inbox" | "channel" | "agent";

export interface GroupedRow {
  dimension: Dimension;
  /** The bucket's start (ISO), or the inbox's, channel's or agent's id (NONE: none). */
  key: string;
  values: Record<string, number | null>;
}

/** GROUPING(bucket, inbox, channel, agent): a bit set for each column not grouped by. */
const DIMENSIONS: Record<number, Dimension> = { 15: "total", 7: "bucket", 11: "inbox", 13: "channel", 14: "agent" };

/** The bucket a timestamp (UTC, without zone) falls in: real hours, or local days or weeks (Monday). */
function bucketOf(time: Prisma.Sql, range: AnalyticsRange): Prisma.Sql {
  if (range.granularity === "HOUR") return Prisma.sql`date_trunc('hour', ${time})`;
  const unit = range.granularity === "DAY" ? "day" : "week";
  return Prisma.sql`(date_trunc(${unit}, (${time} AT TIME ZONE 'UTC') AT TIME ZONE ${range.timeZone}) AT TIME ZONE ${range.timeZone}) AT TIME ZONE 'UTC'`;
}

/**
 * Totals, per bucket, per inbox, per channel and per agent of `select` over the rows of `table`
 * whose `time` is in the range and that pass the filters, in one scan (GROUPING SETS).
 */
async function grouped(
  db: Db,
  range: AnalyticsRange,
  source: { table: string; time: string; agent: string },
  select: string,
): Promise<GroupedRow[]> {
  const time = Prisma.raw(`"${source.time}"`);
  const inbox = Prisma.raw(`coalesce("inboxId", '${NONE}')`);
  const channel = Prisma.raw(`coalesce("channelId", '${NONE}')`);
  const agent = Prisma.raw(`coalesce(${source.agent}, '${NONE}')`);
  const rows = await db.$queryRaw<Record<string, unknown>[]>`
    SELECT GROUPING(bucket, i, c, a) AS g, bucket, i::text, c::text, a::text, ${Prisma.raw(select)}
    FROM (
      SELECT ${bucketOf(time, range)} AS bucket, ${inbox} AS i, ${channel} AS c, ${agent} AS a, *
      FROM ${Prisma.raw(`"${source.table}"`)}
      WHERE ${time} >= ${range.from} AND ${time} < ${range.to}
        AND (${range.inboxIds}::uuid[] IS NULL OR ${inbox} = ANY(${range.inboxIds}::uuid[]))
        AND (${range.channelIds}::uuid[] IS NULL OR ${channel} = ANY(${range.channelIds}::uuid[]))
        AND (${range.agentIds}::uuid[] IS NULL OR ${agent} = ANY(${range.agentIds}::uuid[]))
    ) s
    GROUP BY GROUPING SETS ((), (bucket), (i), (c), (a))`;
  return rows.map(({ g, bucket, i, c, a, ...values }) => {
    const dimension = DIMENSIONS[Number(g)]!;
    const key = { total: "", bucket: (bucket as Date | null)?.toISOString() ?? "", inbox: i, channel: c, agent: a }[
      dimension
    ] as string;
    return { dimension, key, values: values as Record<string, number | null> };
  });
}

/** The rollup's measures summed. */
export function rollupFigures(db: Db, range: AnalyticsRange): Promise<GroupedRow[]> {
  const sums = MEASURES.map((m) => `sum("${m}")::float8 AS "${m}"`).join(", ");
  return grouped(db, range, { table: "AnalyticsHour", time: "hour", agent: `"agentId"` }, sums);
}

const percentile = (p: number, column: string, where: string) =>
  `percentile_disc(${p}) WITHIN GROUP (ORDER BY "${column}") FILTER (WHERE ${where})::float8`;

/**
 * What depends on a parameter or needs every value (service level, abandons after a threshold,
 * medians and 90th percentiles), read from the per-call facts: exact.
 */
export function callThresholdFigures(
  db: Db,
  range: AnalyticsRange,
  thresholds: { serviceLevelSeconds: number; abandonAfterSeconds: number },
): Promise<GroupedRow[]> {
  const answered = `direction = 'INBOUND' AND outcome = 'ENDED'`;
  // Integers we validated (domain/analytics/query.ts), not text: safe as SQL.
  const sl = Math.trunc(thresholds.serviceLevelSeconds);
  const ab = Math.trunc(thresholds.abandonAfterSeconds);
  const select = [
    `count(*) FILTER (WHERE ${answered} AND "waitSeconds" <= ${sl})::float8 AS "answeredWithinServiceLevel"`,
    `count(*) FILTER (WHERE direction = 'INBOUND' AND outcome = 'ABANDONED' AND "waitSeconds" >= ${ab})::float8 AS "abandonedAfterThreshold"`,
    `${percentile(0.5, "waitSeconds", answered)} AS "waitMedian"`,
    `${percentile(0.9, "waitSeconds", answered)} AS "waitP90"`,
    `${percentile(0.5, "talkSeconds", `"talkSeconds" IS NOT NULL`)} AS "talkMedian"`,
    `${percentile(0.9, "talkSeconds", `"talkSeconds" IS NOT NULL`)} AS "talkP90"`,
    `${percentile(0.5, "holdSeconds", `"holdSeconds" IS NOT NULL`)} AS "holdMedian"`,
    `${percentile(0.9, "holdSeconds", `"holdSeconds" IS NOT NULL`)} AS "holdP90"`,
  ].join(", ");
  return grouped(db, range, { table: "AnalyticsCall", time: "startedAt", agent: `"agentId"` }, select);
}

/** Medians and 90th percentiles of first response (by the customer's first message) and resolution (by close). */
export async function conversationPercentiles(db: Db, range: AnalyticsRange): Promise<GroupedRow[]> {
  const [firstResponse, resolution] = await Promise.all([
    grouped(
      db,
      range,
      { table: "AnalyticsConversation", time: "firstInboundAt", agent: `"responderId"` },
      `${percentile(0.5, "firstResponseSeconds", "true")} AS "firstResponseMedian", ` +
        `${percentile(0.9, "firstResponseSeconds", "true")} AS "firstResponseP90"`,
    ),
    grouped(
      db,
      range,
      { table: "AnalyticsConversation", time: "closedAt", agent: `"assigneeId"` },
      `${percentile(0.5, "resolutionSeconds", "true")} AS "resolutionMedian", ` +
        `${percentile(0.9, "resolutionSeconds", "true")} AS "resolutionP90"`,
    ),
  ]);
  return [...firstResponse, ...resolution];
}

/** The start of every bucket of the range, in order (DST: local days of 23 or 25 hours). */
export async function bucketStarts(db: Db, range: AnalyticsRange): Promise<Date[]> {
  if (range.granularity === "HOUR") {
    const hours = await db.$queryRaw<{ start: Date }[]>`
      SELECT generate_series(${range.from}::timestamp, ${range.to}::timestamp - interval '1 hour', interval '1 hour') AS start`;
    return hours.map((r) => r.start);
  }
  const step = range.granularity === "DAY" ? "1 day" : "1 week";
  const first = bucketOf(Prisma.sql`${range.from}::timestamp`, range);
  const rows = await db.$queryRaw<{ start: Date }[]>`
    SELECT DISTINCT ${bucketOf(Prisma.raw("t"), range)} AS start
    FROM generate_series(
      (${first} AT TIME ZONE 'UTC') AT TIME ZONE ${range.timeZone},
      ((${range.to}::timestamp - interval '1 millisecond') AT TIME ZONE 'UTC') AT TIME ZONE ${range.timeZone},
      ${step}::interval) AS l,
      LATERAL (SELECT (l AT TIME ZONE ${range.timeZone}) AT TIME ZONE 'UTC' AS t) x
    ORDER BY 1`;
  return rows.map((r) => r.start);
}
