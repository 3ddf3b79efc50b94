// The analytics tables: the source rows facts are computed from, the facts, the rollups recounted
// from the facts (per hour and agent, then per hour and per agent-day), and the queries the
// analytics API answers from.
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
const DAY_MS = 24 * HOUR_MS;

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

// --- the event log, as the analytics read it ------------------------------------------------------

/** What an event is about, as the analytics count it: its type and the ids in its payload. */
export interface EventSubject {
  sequence: bigint;
  type: string;
  conversationId: string | null;
  callId: string | null;
  messageId: string | null;
  csatResponseId: string | null;
}

/** The subjects of the events after `after`, oldest first. */
export function eventSubjectsAfter(db: Db, after: bigint, limit: number): Promise<EventSubject[]> {
  return db.$queryRaw`
    SELECT sequence, type, "conversationId"::text, payload->>'callId' AS "callId",
           payload->>'messageId' AS "messageId", payload->>'csatResponseId' AS "csatResponseId"
    FROM "Event" WHERE sequence > ${after} ORDER BY sequence LIMIT ${limit}`;
}

// --- calls changed by ingest -------------------------------------------------------------------

/** The statement part that marks calls changed (call ingest's burst writes it with its own changes). */
export function markCallsChanged(callIds: string[]): Prisma.Sql | null {
  const ids = [...new Set(callIds)];
  if (ids.length === 0) return null;
  return Prisma.sql`INSERT INTO "AnalyticsDirtyCall" ("callId") SELECT unnest(${ids}::uuid[])
    ON CONFLICT ("callId") DO UPDATE SET version = nextval(pg_get_serial_sequence('"AnalyticsDirtyCall"', 'version'))`;
}

/**
 * The marks of these calls (those a batch of events is about, recounted with it) and the `limit`
 * oldest marks (`oldest`: whether a mark is one of those).
 */
export function changedCalls(
  db: Db,
  callIds: string[],
  limit: number,
): Promise<{ callId: string; version: bigint; oldest: boolean }[]> {
  return db.$queryRaw`
    SELECT "callId"::text, version, false AS oldest FROM "AnalyticsDirtyCall" WHERE "callId" = ANY(${callIds}::uuid[])
    UNION ALL
    (SELECT "callId"::text, version, true FROM "AnalyticsDirtyCall" ORDER BY version LIMIT ${limit})`;
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

/** The fact tables, each with its entity's key and which of the touched entities it is. */
const FACT_TABLES = [
  { table: "AnalyticsCall", key: "callId", touched: "callIds" },
  { table: "AnalyticsCallAgent", key: "callId", touched: "callIds" },
  { table: "AnalyticsMessage", key: "messageId", touched: "messageIds" },
  { table: "AnalyticsConversation", key: "conversationId", touched: "conversationIds" },
  { table: "AnalyticsCsat", key: "csatResponseId", touched: "csatIds" },
] as const;

/** The statements inserting the facts, each with its table (null: no rows). */
function factInserts(facts: Facts): { table: string; insert: Prisma.Sql | null }[] {
  const into = <Row>(table: string, types: ColumnTypes<Row>, rows: Row[]) => ({
    table,
    insert: insertRows(table, columnsOf(types), rows),
  });
  return [
    into("AnalyticsCall", CALL, facts.calls),
    into("AnalyticsCallAgent", CALL_AGENT, facts.callAgents),
    into("AnalyticsMessage", MESSAGE, facts.messages),
    into("AnalyticsConversation", CONVERSATION, facts.conversations),
    into("AnalyticsCsat", CSAT, facts.csat),
  ];
}

/** Adds facts (a rebuild, which counts the rollups afterwards). */
export async function insertFactRows(db: Db, facts: Facts): Promise<void> {
  await writeAll(
    db,
    factInserts(facts).map((f) => f.insert),
  );
}

// --- the rollups -----------------------------------------------------------------------------

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

/**
 * Value lists: the whole seconds of every fact counted in a rollup row, kept beside the sums so
 * percentiles and thresholds (any N) over any range are exact.
 */
export const VALUE_LISTS = [
  "answeredWaits",
  "abandonedWaits",
  "talks",
  "holds",
  "firstResponses",
  "resolutions",
] as const;
export type ValueList = (typeof VALUE_LISTS)[number];

/** One fact table's contribution to the measures and lists it has, counted at the time of `time`. */
interface Contribution {
  table: string;
  /** The fact's entity, and which of the touched entities it is. */
  key: string;
  touched: keyof Touched;
  time: string;
  agent: string;
  measures: Partial<Record<Measure, string>>;
  /** NULL where the fact has no value for the list. */
  values: Partial<Record<ValueList, string>>;
}

const inbound = `direction = 'INBOUND'`;
const CONTRIBUTIONS: Contribution[] = [
  {
    table: "AnalyticsCall",
    key: "callId",
    touched: "callIds",
    time: "startedAt",
    agent: "agentId",
    measures: {
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
    },
    values: {
      answeredWaits: `CASE WHEN ${inbound} AND outcome = 'ENDED' THEN "waitSeconds" END`,
      abandonedWaits: `CASE WHEN ${inbound} AND outcome = 'ABANDONED' THEN "waitSeconds" END`,
      talks: `"talkSeconds"`,
      holds: `"holdSeconds"`,
    },
  },
  {
    table: "AnalyticsCallAgent",
    key: "callId",
    touched: "callIds",
    time: "startedAt",
    agent: "agentId",
    measures: {
      agentOffered: "1",
      agentAnswered: "answered::int",
      agentMissed: "missed::int",
      agentAnsweredElsewhere: `"answeredElsewhere"::int`,
    },
    values: {},
  },
  {
    table: "AnalyticsMessage",
    key: "messageId",
    touched: "messageIds",
    time: "at",
    agent: "agentId",
    measures: {
      messagesInbound: `(direction = 'INBOUND')::int`,
      messagesOutbound: `(direction = 'OUTBOUND')::int`,
      mms: "mms::int",
      deliveryFailures: "failed::int",
    },
    values: {},
  },
  {
    table: "AnalyticsConversation",
    key: "conversationId",
    touched: "conversationIds",
    time: "openedAt",
    agent: "assigneeId",
    measures: { conversationsOpened: "1" },
    values: {},
  },
  {
    table: "AnalyticsConversation",
    key: "conversationId",
    touched: "conversationIds",
    time: "closedAt",
    agent: "assigneeId",
    measures: { conversationsClosed: "1", resolutionCount: "1", resolutionSum: `"resolutionSeconds"` },
    values: { resolutions: `"resolutionSeconds"` },
  },
  {
    table: "AnalyticsConversation",
    key: "conversationId",
    touched: "conversationIds",
    time: "firstInboundAt",
    agent: "responderId",
    measures: {
      firstResponseCount: `("firstResponseSeconds" IS NOT NULL)::int`,
      firstResponseSum: `coalesce("firstResponseSeconds", 0)`,
    },
    values: { firstResponses: `"firstResponseSeconds"` },
  },
  {
    table: "AnalyticsCsat",
    key: "csatResponseId",
    touched: "csatIds",
    time: "answeredAt",
    agent: "agentId",
    measures: {
      csatCount: "1",
      csatSum: "score",
      csat1: "(score = 1)::int",
      csat2: "(score = 2)::int",
      csat3: "(score = 3)::int",
      csat4: "(score = 4)::int",
      csat5: "(score = 5)::int",
    },
    values: {},
  },
];

const column = (name: string) => Prisma.raw(`"${name}"`);
const orNone = (name: string) => Prisma.sql`coalesce(${column(name)}, ${NONE}::uuid)`;

/** Timestamps ([from, to), SQL text or ±infinity) a recount covers. */
interface Span {
  from: string;
  to: string;
}

/** The contribution's facts in `from` (its table by default) passing `where`, one row each: time, keys, measures and values. */
function contributionRows(c: Contribution, where: Prisma.Sql, from: Prisma.Sql = column(c.table)): Prisma.Sql {
  const measures = MEASURES.map((m) => `${c.measures[m] ?? "0"} AS "${m}"`);
  const values = VALUE_LISTS.map((v) => `${c.values[v] ?? "NULL::int"} AS "${v}"`);
  return Prisma.sql`SELECT ${column(c.time)} AS t, ${orNone("inboxId")} AS "inboxId",
    ${orNone("channelId")} AS "channelId", ${orNone(c.agent)} AS "agentId",
    ${Prisma.raw([...measures, ...values].join(", "))}
    FROM ${from} WHERE ${column(c.time)} IS NOT NULL AND ${where}`;
}

/**
 * SQL making a non-negative integer's varint (LEB128: seven bits a byte, low first, the high bit
 * set on all but the last): a wait or a talk time is one or two bytes instead of four, and a month
 * of them is what a dashboard reads.
 */
function varint(value: string): string {
  const v = `greatest(${value}, 0)`;
  const cases = [1, 2, 3, 4, 5].map((length) => {
    let bytes = `'\\x${"00".repeat(length)}'::bytea`;
    for (let i = 0; i < length; i++) {
      const bits = `(${v} >> ${7 * i}) & 127`;
      bytes = `set_byte(${bytes}, ${i}, ${i < length - 1 ? `${bits} | 128` : bits})`;
    }
    return length < 5 ? `WHEN ${v} < ${2 ** (7 * length)} THEN ${bytes}` : `ELSE ${bytes}`;
  });
  return `CASE ${cases.join(" ")} END`;
}

/**
 * The facts in the span summed per UTC hour, inbox, channel and agent, with their value lists
 * (varints, sorted: the same facts always make the same bytes).
 */
function agentHoursOfFacts(span: Span): Prisma.Sql {
  const union = Prisma.join(
    CONTRIBUTIONS.map((c) =>
      contributionRows(
        c,
        Prisma.sql`${column(c.time)} >= ${span.from}::timestamp AND ${column(c.time)} < ${span.to}::timestamp`,
      ),
    ),
    " UNION ALL ",
  );
  // A fact not yet decided (a call still up has no outcome) contributes NULL: it counts as 0.
  const sums = MEASURES.map((m) => `coalesce(sum("${m}"), 0) AS "${m}"`);
  const lists = VALUE_LISTS.map(
    (v) => `string_agg(${varint(`"${v}"`)}, ''::bytea ORDER BY "${v}") FILTER (WHERE "${v}" IS NOT NULL) AS "${v}"`,
  );
  // A key whose facts all count nothing yet (calls still up) has no row, as one they all left.
  const counted = [...MEASURES.map((m) => `sum("${m}") <> 0`), ...VALUE_LISTS.map((v) => `count("${v}") > 0`)];
  return Prisma.sql`SELECT date_trunc('hour', t) AS hour, "inboxId", "channelId", "agentId",
    ${Prisma.raw([...sums, ...lists].join(", "))}
    FROM (${union}) c GROUP BY 1, 2, 3, 4 HAVING ${Prisma.raw(counted.join(" OR "))}`;
}

const STORED = Prisma.raw([...MEASURES, ...VALUE_LISTS].map((m) => `"${m}"`).join(", "));

const sums = (cast: string) => MEASURES.map((m) => `sum("${m}")${cast} AS "${m}"`);

/** Every measure summed and every value list joined in `order` (the same rows always make the same bytes). */
const summedToStore = (order: string) =>
  Prisma.raw(
    [...sums(""), ...VALUE_LISTS.map((v) => `string_agg("${v}", ''::bytea ORDER BY ${order}) AS "${v}"`)].join(", "),
  );

/**
 * Every measure summed (float8: a JavaScript number) and every value list joined, as hex text: a
 * month's lists are a megabyte or so, and text comes through the driver faster than bytea.
 */
const SUMMED_TO_READ = Prisma.raw(
  [...sums("::float8"), ...VALUE_LISTS.map((v) => `encode(string_agg("${v}", ''::bytea), 'hex') AS "${v}"`)].join(", "),
);

/** The rows of `periods` (null: all), as timestamps and the condition on `time` that selects them. */
function periodsOf(periods: Date[] | null, ms: number) {
  const wanted = periods?.map((p) => p.toISOString()).sort() ?? null;
  const span = wanted
    ? { from: wanted[0]!, to: new Date(Date.parse(wanted.at(-1)!) + ms).toISOString() }
    : { from: "-infinity", to: "infinity" };
  return { wanted, span };
}

const dayOf = (hour: Date) => new Date(Math.floor(hour.getTime() / DAY_MS) * DAY_MS);

/**
 * Recounts the rollups where these hours fall (null: everywhere): the per-agent hours from the
 * facts, then the others from those.
 */
export async function recountRollups(db: Db, hours: Date[] | null): Promise<void> {
  if (hours?.length === 0) return;
  const byHour = periodsOf(hours, HOUR_MS);
  const inHours = Prisma.sql`(${byHour.wanted}::timestamp[] IS NULL OR hour = ANY(${byHour.wanted}::timestamp[]))`;
  await db.$executeRaw`DELETE FROM "AnalyticsAgentHour" WHERE ${inHours}`;
  await db.$executeRaw`INSERT INTO "AnalyticsAgentHour" (hour, "inboxId", "channelId", "agentId", ${STORED})
    SELECT * FROM (${agentHoursOfFacts(byHour.span)}) r WHERE ${inHours}`;
  await deriveFromAgentHours(db, hours);
}

/**
 * Recounts the hours per channel and the agents' days where these hours fall (null: everywhere)
 * from the per-agent hours (a day's recount reads its hours' rows, not its facts).
 */
async function deriveFromAgentHours(db: Db, hours: Date[] | null): Promise<void> {
  if (hours?.length === 0) return;
  const byHour = periodsOf(hours, HOUR_MS);
  const days = periodsOf(hours && [...new Set(hours.map((h) => dayOf(h).getTime()))].map((t) => new Date(t)), DAY_MS);
  const inHours = Prisma.sql`(${byHour.wanted}::timestamp[] IS NULL OR hour = ANY(${byHour.wanted}::timestamp[]))`;
  const inDays = Prisma.sql`(${days.wanted}::timestamp[] IS NULL OR day = ANY(${days.wanted}::timestamp[]))`;
  await db.$executeRaw`DELETE FROM "AnalyticsHour" WHERE ${inHours}`;
  await db.$executeRaw`INSERT INTO "AnalyticsHour" (hour, "inboxId", "channelId", ${STORED})
    SELECT hour, "inboxId", "channelId", ${summedToStore(`"agentId"`)} FROM "AnalyticsAgentHour"
    WHERE hour >= ${byHour.span.from}::timestamp AND hour < ${byHour.span.to}::timestamp AND ${inHours}
    GROUP BY 1, 2, 3`;
  await db.$executeRaw`DELETE FROM "AnalyticsAgentDay" WHERE ${inDays}`;
  await db.$executeRaw`INSERT INTO "AnalyticsAgentDay" (day, "inboxId", "channelId", "agentId", ${STORED})
    SELECT * FROM (
      SELECT date_trunc('day', hour) AS day, "inboxId", "channelId", "agentId", ${summedToStore("hour")}
      FROM "AnalyticsAgentHour" WHERE hour >= ${days.span.from}::timestamp AND hour < ${days.span.to}::timestamp
      GROUP BY 1, 2, 3, 4) r
    WHERE ${inDays}`;
}

/** A rollup kept by difference: its table, the period a row covers, and whether rows are per agent. */
interface Rollup {
  table: string;
  period: "hour" | "day";
  byAgent: boolean;
}

const AGENT_HOURS: Rollup = { table: "AnalyticsAgentHour", period: "hour", byAgent: true };
const HOURS: Rollup = { table: "AnalyticsHour", period: "hour", byAgent: false };
const AGENT_DAYS: Rollup = { table: "AnalyticsAgentDay", period: "day", byAgent: true };

/** A rollup row's key: its period's start, inbox, channel and (rollups per agent) agent. */
interface RollupKey {
  at: Date;
  inboxId: string;
  channelId: string;
  agentId: string | null;
}

/** Sums (MEASURES order) and value lists (VALUE_LISTS order), as numbers. */
interface Figures {
  sums: number[];
  lists: number[][];
}

/** What some facts add to one per-agent hour. */
interface AgentHourFigures extends RollupKey, Figures {
  agentId: string;
}

const noFigures = (): Figures => ({ sums: MEASURES.map(() => 0), lists: VALUE_LISTS.map(() => []) });

const keyText = (k: RollupKey) => `${k.at.toISOString()} ${k.inboxId} ${k.channelId} ${k.agentId}`;

/** The key of the rollup's row a per-agent hour counts in. */
function keyIn(rollup: Rollup, hour: AgentHourFigures): RollupKey {
  return {
    at: rollup.period === "hour" ? hour.at : dayOf(hour.at),
    inboxId: hour.inboxId,
    channelId: hour.channelId,
    agentId: rollup.byAgent ? hour.agentId : null,
  };
}

/** The rollup's key columns, and the keys as a table k(at, i, c[, g]), one array parameter per column. */
function keyColumns(rollup: Rollup): string[] {
  return [rollup.period, "inboxId", "channelId", ...(rollup.byAgent ? ["agentId"] : [])];
}

function keyArrays(rollup: Rollup, keys: RollupKey[]): Prisma.Sql[] {
  return [
    Prisma.sql`${keys.map((k) => k.at.toISOString())}::timestamp[]`,
    Prisma.sql`${keys.map((k) => k.inboxId)}::uuid[]`,
    Prisma.sql`${keys.map((k) => k.channelId)}::uuid[]`,
    ...(rollup.byAgent ? [Prisma.sql`${keys.map((k) => k.agentId)}::uuid[]`] : []),
  ];
}

const keyNames = (rollup: Rollup) => (rollup.byAgent ? ["at", "i", "c", "g"] : ["at", "i", "c"]);

function keysTable(rollup: Rollup, keys: RollupKey[]): Prisma.Sql {
  return Prisma.sql`unnest(${Prisma.join(keyArrays(rollup, keys))}) AS k(${Prisma.raw(keyNames(rollup).join(", "))})`;
}

function keyMatch(rollup: Rollup): Prisma.Sql {
  const names = keyNames(rollup);
  return Prisma.raw(
    keyColumns(rollup)
      .map((name, i) => `r."${name}" = k.${names[i]}`)
      .join(" AND "),
  );
}

/** The facts' contributions (rows of `contributionRows`) summed per UTC hour, inbox, channel and agent. */
function perAgentHour(parts: Prisma.Sql[]): Prisma.Sql {
  const sums = MEASURES.map((m) => `coalesce(sum("${m}"), 0)::float8 AS "${m}"`);
  const lists = VALUE_LISTS.map((v) => `coalesce(array_agg("${v}") FILTER (WHERE "${v}" IS NOT NULL), '{}') AS "${v}"`);
  return Prisma.sql`SELECT date_trunc('hour', t) AS at, "inboxId"::text, "channelId"::text, "agentId"::text,
    ${Prisma.raw([...sums, ...lists].join(", "))}
    FROM (${Prisma.join(parts, " UNION ALL ")}) c GROUP BY 1, 2, 3, 4`;
}

function toAgentHourFigures(row: Record<string, unknown>): AgentHourFigures {
  return {
    at: row.at as Date,
    inboxId: row.inboxId as string,
    channelId: row.channelId as string,
    agentId: row.agentId as string,
    sums: MEASURES.map((m) => Number(row[m])),
    lists: VALUE_LISTS.map((v) => (row[v] as number[]).map(Number)),
  };
}

/**
 * Runs the data-modifying statements `writes` (table → statement, its rows RETURNING *) in one
 * statement that also sums what the rows written contribute per agent-hour: one round trip, and no
 * second reading of the facts through their indexes.
 */
async function writeFactsCounting(db: Db, writes: Map<string, Prisma.Sql>): Promise<AgentHourFigures[]> {
  if (writes.size === 0) return [];
  const names = new Map([...writes.keys()].map((table, i) => [table, `f${i}`]));
  const ctes = [...writes].map(([table, sql]) => Prisma.sql`${Prisma.raw(names.get(table)!)} AS (${sql} RETURNING *)`);
  const parts = CONTRIBUTIONS.filter((c) => names.has(c.table)).map((c) =>
    contributionRows(c, Prisma.sql`TRUE`, Prisma.raw(names.get(c.table)!)),
  );
  const rows = await db.$queryRaw<Record<string, unknown>[]>`WITH ${Prisma.join(ctes)} ${perAgentHour(parts)}`;
  return rows.map(toAgentHourFigures);
}

/** Deletes the touched entities' facts; returns what they counted, per agent-hour. */
function removeFacts(db: Db, touched: Touched): Promise<AgentHourFigures[]> {
  const writes = new Map<string, Prisma.Sql>();
  for (const { table, key, touched: which } of FACT_TABLES) {
    const remove = deleteRows(table, key, touched[which]);
    if (remove) writes.set(table, remove);
  }
  return writeFactsCounting(db, writes);
}

/** Inserts the facts; returns what they count, per agent-hour. */
function insertFacts(db: Db, facts: Facts): Promise<AgentHourFigures[]> {
  const writes = new Map<string, Prisma.Sql>();
  for (const { table, insert } of factInserts(facts)) if (insert) writes.set(table, insert);
  return writeFactsCounting(db, writes);
}

/** Takes `old`'s values out of `values` (each once) and adds `added`'s, sorted; null when one is missing. */
function movedValues(values: number[], old: number[], added: number[]): number[] | null {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  for (const v of old) {
    const n = counts.get(Math.max(0, v));
    if (!n) return null;
    counts.set(Math.max(0, v), n - 1);
  }
  for (const v of added) counts.set(Math.max(0, v), (counts.get(Math.max(0, v)) ?? 0) + 1);
  return [...counts].flatMap(([v, n]) => Array<number>(n).fill(v)).sort((a, b) => a - b);
}

/** The varint bytes of sorted values, as hex (what `varint` makes in SQL). */
function encodeList(values: number[]): string | null {
  if (values.length === 0) return null;
  const bytes: number[] = [];
  for (let v of values) {
    while (v >= 128) {
      bytes.push((v % 128) | 128);
      v = Math.floor(v / 128);
    }
    bytes.push(v);
  }
  return Buffer.from(bytes).toString("hex");
}

/** One row of a rollup that a change moves: what its old facts counted there, what the new ones count. */
interface Move {
  key: RollupKey;
  old: Figures;
  added: Figures;
  /** The per-agent hours (their starts) the move comes from. */
  hours: Set<number>;
}

function addInto(into: Figures, from: Figures): void {
  for (const [i, v] of from.sums.entries()) into.sums[i]! += v;
  for (const [i, values] of from.lists.entries()) into.lists[i]!.push(...values);
}

/** The rows of the rollup that the per-agent hours' old and new figures move. */
function movesIn(rollup: Rollup, before: AgentHourFigures[], after: AgentHourFigures[]): Map<string, Move> {
  const moves = new Map<string, Move>();
  const add = (hour: AgentHourFigures, side: "old" | "added") => {
    const key = keyIn(rollup, hour);
    let move = moves.get(keyText(key));
    if (!move) {
      move = { key, old: noFigures(), added: noFigures(), hours: new Set() };
      moves.set(keyText(key), move);
    }
    addInto(move[side], hour);
    move.hours.add(hour.at.getTime());
  };
  for (const hour of before) add(hour, "old");
  for (const hour of after) add(hour, "added");
  return moves;
}

/** The rollup's stored rows of these keys, by key. */
async function storedRows(db: Db, rollup: Rollup, keys: RollupKey[]): Promise<Map<string, Figures>> {
  const columns = [
    ...MEASURES.map((m) => `r."${m}"::float8`),
    ...VALUE_LISTS.map((v) => `encode(r."${v}", 'hex') AS "${v}"`),
  ];
  const rows = await db.$queryRaw<Record<string, unknown>[]>`
    SELECT k.at, k.i::text AS "inboxId", k.c::text AS "channelId",
      ${Prisma.raw(rollup.byAgent ? `k.g::text AS "agentId"` : `NULL AS "agentId"`)}, ${Prisma.raw(columns.join(", "))}
    FROM ${column(rollup.table)} r JOIN ${keysTable(rollup, keys)} ON ${keyMatch(rollup)}`;
  return new Map(
    rows.map((row) => [
      keyText(row as unknown as RollupKey),
      {
        sums: MEASURES.map((m) => Number(row[m])),
        lists: VALUE_LISTS.map((v) => [...decodeList(row[v] as string | null)]),
      },
    ]),
  );
}

/** A moved row's figures, or null when the stored row does not hold the old values (it drifted). */
function moved(now: Figures, move: Move): Figures | null {
  const lists = VALUE_LISTS.map((_, i) => movedValues(now.lists[i]!, move.old.lists[i]!, move.added.lists[i]!));
  if (lists.some((l) => l === null)) return null;
  return { sums: now.sums.map((v, i) => v - move.old.sums[i]! + move.added.sums[i]!), lists: lists as number[][] };
}

/** The statement parts replacing the rollup's rows of `keys` by `rows` (those that count something). */
function rollupWrites(rollup: Rollup, keys: RollupKey[], rows: (RollupKey & Figures)[]) {
  if (keys.length === 0) return { remove: null, insert: null };
  const remove = Prisma.sql`DELETE FROM ${column(rollup.table)} r USING ${keysTable(rollup, keys)} WHERE ${keyMatch(rollup)}`;
  const counting = rows.filter((r) => r.sums.some((v) => v !== 0) || r.lists.some((l) => l.length > 0));
  if (counting.length === 0) return { remove, insert: null };
  const measures = MEASURES.map((_, i) => Prisma.sql`${counting.map((r) => r.sums[i]!)}::float8[]`);
  const lists = VALUE_LISTS.map((_, i) => Prisma.sql`${counting.map((r) => encodeList(r.lists[i]!))}::text[]`);
  const names = [...MEASURES.map((_, i) => `m${i}`), ...VALUE_LISTS.map((_, i) => `l${i}`)];
  const values = [...MEASURES.map((_, i) => `m${i}`), ...VALUE_LISTS.map((_, i) => `decode(l${i}, 'hex')`)];
  const columns = [...keyColumns(rollup), ...MEASURES, ...VALUE_LISTS].map((c) => `"${c}"`).join(", ");
  const insert = Prisma.sql`INSERT INTO ${column(rollup.table)} (${Prisma.raw(columns)})
    SELECT ${Prisma.raw([...keyNames(rollup), ...values].join(", "))}
    FROM unnest(${Prisma.join([...keyArrays(rollup, counting), ...measures, ...lists])})
      AS v(${Prisma.raw([...keyNames(rollup), ...names].join(", "))})`;
  return { remove, insert };
}

/**
 * Replaces the touched entities' facts with `facts` and moves the rollups by the difference — the
 * old facts' sums and values taken out of each row they counted in, the new ones' added: work in
 * proportion to the change, not to the hours or days it falls in. Where a row does not hold the old
 * values (it drifted), its hour is recounted from the facts instead.
 */
export async function replaceFactsInRollups(db: Db, touched: Touched, facts: Facts): Promise<void> {
  const before = await removeFacts(db, touched);
  const after = await insertFacts(db, facts);
  if (before.length === 0 && after.length === 0) return;
  const drifted = new Set<number>();
  const changes = [];
  for (const rollup of [AGENT_HOURS, HOURS, AGENT_DAYS]) {
    const moves = [...movesIn(rollup, before, after).values()];
    const stored = await storedRows(
      db,
      rollup,
      moves.map((m) => m.key),
    );
    const rows: (RollupKey & Figures)[] = [];
    for (const move of moves) {
      const figures = moved(stored.get(keyText(move.key)) ?? noFigures(), move);
      if (figures) rows.push({ ...move.key, ...figures });
      else for (const hour of move.hours) drifted.add(hour);
    }
    changes.push({ rollup, moves, rows });
  }
  // Rows in a drifted hour (or its day) are left to the recount below, which writes them all.
  const driftedDays = new Set([...drifted].map((t) => dayOf(new Date(t)).getTime()));
  const untouched = (key: RollupKey, rollup: Rollup) =>
    !(rollup.period === "hour" ? drifted : driftedDays).has(key.at.getTime());
  const writes = changes.map(({ rollup, moves, rows }) =>
    rollupWrites(
      rollup,
      moves.map((m) => m.key).filter((k) => untouched(k, rollup)),
      rows.filter((r) => untouched(r, rollup)),
    ),
  );
  await writeAll(
    db,
    writes.map((w) => w.remove),
  );
  await writeAll(
    db,
    writes.map((w) => w.insert),
  );
  await recountRollups(
    db,
    [...drifted].map((t) => new Date(t)),
  );
}

/** Empties the facts and the rollups (a rebuild starts here). */
export async function clearAnalytics(db: Db): Promise<void> {
  await db.$executeRaw`TRUNCATE "AnalyticsCall", "AnalyticsCallAgent", "AnalyticsMessage", "AnalyticsConversation",
    "AnalyticsCsat", "AnalyticsHour", "AnalyticsAgentHour", "AnalyticsAgentDay"`;
}

/** Fresh planner statistics for the rollups (after a rebuild replaced every row). */
export async function analyzeRollups(db: Db): Promise<void> {
  await db.$executeRaw`ANALYZE "AnalyticsHour", "AnalyticsAgentHour", "AnalyticsAgentDay"`;
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

/**
 * The figures of one part of a range as the analytics query adds them up: the sums in MEASURES
 * order, the value lists (each sorted, several joined: sorted runs).
 */
export interface RollupRow {
  /** A bucket's start (rows per bucket), or null. */
  bucket: Date | null;
  inboxId: string | null;
  channelId: string | null;
  agentId: string | null;
  sums: number[];
  lists: Int32Array[];
}

/** The varints `varint` wrote (as hex), as numbers. */
function decodeList(hex: string | null): Int32Array {
  if (!hex) return new Int32Array(0);
  const bytes = Buffer.from(hex, "hex");
  // At most one value a byte: decode into that much, then keep the part used.
  const values = new Int32Array(bytes.length);
  let n = 0;
  for (let i = 0; i < bytes.length; ) {
    let byte = bytes[i++]!;
    let value = byte & 127;
    for (let shift = 7; byte >= 128; shift += 7) {
      byte = bytes[i++]!;
      // Shifts stay within 32-bit integers up to 28 bits; the fifth byte is added as a number.
      value = shift < 28 ? value | ((byte & 127) << shift) : value + (byte & 127) * 2 ** shift;
    }
    values[n++] = value;
  }
  return values.subarray(0, n);
}

function toRollupRow(row: Record<string, unknown>): RollupRow {
  return {
    bucket: (row.bucket as Date | undefined) ?? null,
    inboxId: (row.inboxId as string | undefined) ?? null,
    channelId: (row.channelId as string | undefined) ?? null,
    agentId: (row.agentId as string | undefined) ?? null,
    sums: MEASURES.map((m) => Number(row[m])),
    lists: VALUE_LISTS.map((v) => decodeList(row[v] as string | null)),
  };
}

function keyFilters(range: AnalyticsRange, byAgent: boolean): Prisma.Sql {
  const parts = [
    range.inboxIds && Prisma.sql` AND "inboxId" = ANY(${range.inboxIds}::uuid[])`,
    range.channelIds && Prisma.sql` AND "channelId" = ANY(${range.channelIds}::uuid[])`,
    byAgent && range.agentIds && Prisma.sql` AND "agentId" = ANY(${range.agentIds}::uuid[])`,
  ].filter((p): p is Prisma.Sql => !!p);
  return parts.length ? Prisma.join(parts, "") : Prisma.empty;
}

/**
 * The range's figures per bucket, inbox and channel (the total, each bucket, inbox and channel
 * are unions of these) from the hourly rollup — split by agent when an agent filter asks for it.
 */
export async function figuresPerBucket(db: Db, range: AnalyticsRange): Promise<RollupRow[]> {
  const table = column(range.agentIds ? "AnalyticsAgentHour" : "AnalyticsHour");
  const rows = await db.$queryRaw<Record<string, unknown>[]>`
    SELECT ${bucketOf(Prisma.raw("hour"), range)} AS bucket, "inboxId"::text, "channelId"::text, ${SUMMED_TO_READ}
    FROM ${table} WHERE hour >= ${range.from} AND hour < ${range.to}${keyFilters(range, !!range.agentIds)}
    GROUP BY 1, "inboxId", "channelId"`;
  return rows.map(toRollupRow);
}

/**
 * The range's figures per agent: from the daily rollup for its whole UTC days [days.from, days.to),
 * from the hourly one for the hours before and after them — two queries at once (an agent's rows
 * of the two are added up with the rest).
 */
export async function figuresPerAgent(
  db: Db,
  range: AnalyticsRange,
  days: { from: Date; to: Date },
): Promise<RollupRow[]> {
  const filters = keyFilters(range, true);
  const perAgent = (from: Prisma.Sql, where: Prisma.Sql) => db.$queryRaw<Record<string, unknown>[]>`
    SELECT "agentId"::text, ${SUMMED_TO_READ} FROM ${from} WHERE ${where}${filters} GROUP BY "agentId"`;
  const [wholeDays, edges] = await Promise.all([
    days.from < days.to
      ? perAgent(Prisma.sql`"AnalyticsAgentDay"`, Prisma.sql`day >= ${days.from} AND day < ${days.to}`)
      : [],
    perAgent(
      Prisma.sql`"AnalyticsAgentHour"`,
      Prisma.sql`(hour >= ${range.from} AND hour < ${days.from} OR hour >= ${days.to} AND hour < ${range.to})`,
    ),
  ]);
  return [...wholeDays, ...edges].map(toRollupRow);
}

/** The bucket a timestamp (UTC, without zone) falls in: real hours, or local days or weeks (Monday). */
function bucketOf(time: Prisma.Sql, range: AnalyticsRange): Prisma.Sql {
  if (range.granularity === "HOUR") return Prisma.sql`date_trunc('hour', ${time})`;
  const unit = range.granularity === "DAY" ? "day" : "week";
  return Prisma.sql`(date_trunc(${unit}, (${time} AT TIME ZONE 'UTC') AT TIME ZONE ${range.timeZone}) AT TIME ZONE ${range.timeZone}) AT TIME ZONE 'UTC'`;
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
