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

export function changedCalls(db: Db, limit: number): Promise<{ callId: string; version: bigint }[]> {
  return db.$queryRaw`SELECT "callId"::text, version FROM "AnalyticsDirtyCall" ORDER BY version LIMIT ${limit}`;
}

/** The marks of these calls (those a batch of events is about, recounted with it). */
export function changedCallsAmong(db: Db, callIds: string[]): Promise<{ callId: string; version: bigint }[]> {
  if (callIds.length === 0) return Promise.resolve([]);
  return db.$queryRaw`SELECT "callId"::text, version FROM "AnalyticsDirtyCall" WHERE "callId" = ANY(${callIds}::uuid[])`;
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

/** The contribution's facts passing `where`, one row each: time, keys, measures and values. */
function contributionRows(c: Contribution, where: Prisma.Sql): Prisma.Sql {
  const measures = MEASURES.map((m) => `${c.measures[m] ?? "0"} AS "${m}"`);
  const values = VALUE_LISTS.map((v) => `${c.values[v] ?? "NULL::int"} AS "${v}"`);
  return Prisma.sql`SELECT ${column(c.time)} AS t, ${orNone("inboxId")} AS "inboxId",
    ${orNone("channelId")} AS "channelId", ${orNone(c.agent)} AS "agentId",
    ${Prisma.raw([...measures, ...values].join(", "))}
    FROM ${column(c.table)} WHERE ${column(c.time)} IS NOT NULL AND ${where}`;
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

/** One agent-hour's key. */
interface AgentHourKey {
  hour: Date;
  inboxId: string;
  channelId: string;
  agentId: string;
}

/** An agent-hour's sums (MEASURES order) and value lists, as numbers. */
interface AgentHourFigures extends AgentHourKey {
  sums: number[];
  lists: number[][];
}

const agentHourKey = (r: AgentHourKey) => `${r.hour.toISOString()} ${r.inboxId} ${r.channelId} ${r.agentId}`;

/** The keys as a table k(hour, i, c, g), one array parameter per column. */
const keysTable = (keys: AgentHourKey[]) =>
  Prisma.sql`unnest(${keys.map((k) => k.hour.toISOString())}::timestamp[], ${keys.map((k) => k.inboxId)}::uuid[],
    ${keys.map((k) => k.channelId)}::uuid[], ${keys.map((k) => k.agentId)}::uuid[]) AS k(hour, i, c, g)`;

/** What the touched entities' facts, as they are now, add to each agent-hour. */
async function contributionsOf(db: Db, touched: Touched): Promise<AgentHourFigures[]> {
  const parts = CONTRIBUTIONS.filter((c) => touched[c.touched].length > 0).map((c) =>
    contributionRows(c, Prisma.sql`${column(c.key)} = ANY(${touched[c.touched]}::uuid[])`),
  );
  if (parts.length === 0) return [];
  const sums = MEASURES.map((m) => `coalesce(sum("${m}"), 0)::float8 AS "${m}"`);
  const lists = VALUE_LISTS.map((v) => `coalesce(array_agg("${v}") FILTER (WHERE "${v}" IS NOT NULL), '{}') AS "${v}"`);
  const rows = await db.$queryRaw<Record<string, unknown>[]>`
    SELECT date_trunc('hour', t) AS hour, "inboxId"::text, "channelId"::text, "agentId"::text,
      ${Prisma.raw([...sums, ...lists].join(", "))}
    FROM (${Prisma.join(parts, " UNION ALL ")}) c GROUP BY 1, 2, 3, 4`;
  return rows.map((row) => ({
    hour: row.hour as Date,
    inboxId: row.inboxId as string,
    channelId: row.channelId as string,
    agentId: row.agentId as string,
    sums: MEASURES.map((m) => Number(row[m])),
    lists: VALUE_LISTS.map((v) => (row[v] as number[]).map(Number)),
  }));
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

/** The stored per-agent hours of these keys. */
async function storedAgentHours(
  db: Db,
  keys: AgentHourKey[],
): Promise<Map<string, { sums: number[]; lists: number[][] }>> {
  const columns = [
    ...MEASURES.map((m) => `a."${m}"::float8`),
    ...VALUE_LISTS.map((v) => `encode(a."${v}", 'hex') AS "${v}"`),
  ];
  const rows = await db.$queryRaw<Record<string, unknown>[]>`
    SELECT a.hour, a."inboxId"::text, a."channelId"::text, a."agentId"::text, ${Prisma.raw(columns.join(", "))}
    FROM "AnalyticsAgentHour" a JOIN ${keysTable(keys)}
      ON a.hour = k.hour AND a."inboxId" = k.i AND a."channelId" = k.c AND a."agentId" = k.g`;
  return new Map(
    rows.map((row) => [
      agentHourKey(row as unknown as AgentHourKey),
      {
        sums: MEASURES.map((m) => Number(row[m])),
        lists: VALUE_LISTS.map((v) => [...decodeList(row[v] as string | null)]),
      },
    ]),
  );
}

/**
 * Replaces the touched entities' facts with `facts` and moves the per-agent hours by the
 * difference — their old facts' sums and values taken out, the new ones' added: work in
 * proportion to the change, not to the hours it falls in — then recounts the other rollups of
 * those hours from them. Where an hour's rows do not hold the old values (they drifted), that
 * hour is recounted from the facts instead.
 */
export async function replaceFactsInRollups(db: Db, touched: Touched, facts: Facts): Promise<void> {
  const before = await contributionsOf(db, touched);
  await replaceFacts(db, touched, facts);
  const after = await contributionsOf(db, touched);
  const moves = new Map<string, { old?: AgentHourFigures; added?: AgentHourFigures }>();
  for (const r of before) moves.set(agentHourKey(r), { old: r });
  for (const r of after) moves.set(agentHourKey(r), { ...moves.get(agentHourKey(r)), added: r });
  if (moves.size === 0) return;
  const keys = [...moves.values()].map((m) => (m.old ?? m.added)!);
  const stored = await storedAgentHours(db, keys);
  const drifted = new Set<number>();
  const rows: AgentHourFigures[] = [];
  for (const [key, { old, added }] of moves) {
    const base = (old ?? added)!;
    const now = stored.get(key) ?? { sums: MEASURES.map(() => 0), lists: VALUE_LISTS.map(() => []) };
    const lists = VALUE_LISTS.map((_, i) => movedValues(now.lists[i]!, old?.lists[i] ?? [], added?.lists[i] ?? []));
    if (lists.some((l) => l === null)) drifted.add(base.hour.getTime());
    else {
      const sums = MEASURES.map((_, i) => now.sums[i]! - (old?.sums[i] ?? 0) + (added?.sums[i] ?? 0));
      rows.push({ ...base, sums, lists: lists as number[][] });
    }
  }
  await writeAgentHours(db, keys, rows);
  const hours = [...new Set(keys.map((k) => k.hour.getTime()))].map((t) => new Date(t));
  await recountRollups(
    db,
    hours.filter((h) => drifted.has(h.getTime())),
  );
  await deriveFromAgentHours(
    db,
    hours.filter((h) => !drifted.has(h.getTime())),
  );
}

/** Deletes the keys' per-agent hours and writes `rows` — those that count something — in their place. */
async function writeAgentHours(db: Db, keys: AgentHourKey[], rows: AgentHourFigures[]): Promise<void> {
  await db.$executeRaw`DELETE FROM "AnalyticsAgentHour" a USING ${keysTable(keys)}
    WHERE a.hour = k.hour AND a."inboxId" = k.i AND a."channelId" = k.c AND a."agentId" = k.g`;
  const counting = rows.filter((r) => r.sums.some((v) => v !== 0) || r.lists.some((l) => l.length > 0));
  if (counting.length === 0) return;
  const measures = MEASURES.map((_, i) => Prisma.sql`${counting.map((r) => r.sums[i]!)}::float8[]`);
  const lists = VALUE_LISTS.map((_, i) => Prisma.sql`${counting.map((r) => encodeList(r.lists[i]!))}::text[]`);
  const names = [...MEASURES.map((_, i) => `m${i}`), ...VALUE_LISTS.map((_, i) => `l${i}`)];
  const values = [...MEASURES.map((_, i) => `m${i}`), ...VALUE_LISTS.map((_, i) => `decode(l${i}, 'hex')`)];
  await db.$executeRaw`INSERT INTO "AnalyticsAgentHour" (hour, "inboxId", "channelId", "agentId", ${STORED})
    SELECT hour, i, c, g, ${Prisma.raw(values.join(", "))}
    FROM unnest(${counting.map((r) => r.hour.toISOString())}::timestamp[], ${counting.map((r) => r.inboxId)}::uuid[],
      ${counting.map((r) => r.channelId)}::uuid[], ${counting.map((r) => r.agentId)}::uuid[],
      ${Prisma.join([...measures, ...lists])}) AS v(hour, i, c, g, ${Prisma.raw(names.join(", "))})`;
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
