// The event log's table: appending a transaction's events, reading them back in sequence order.
import type { Prisma, PrismaClient } from "../generated/prisma/client.ts";
import type { EventRecord, EventType, NewEvent } from "../domain/events.ts";
import { LOCK } from "./locks.ts";

interface EventRow {
  sequence: bigint;
  type: string;
  conversationId: string | null;
  inboxIds: string[];
  userIds: string[];
  payload: unknown;
  ruleId: string | null;
  ruleDepth: number;
  createdAt: Date;
}

/** The log holds only what `writeEvents` wrote — members of the catalogue — so a row is read as one. */
function toEventRecord(row: EventRow): EventRecord {
  return {
    sequence: row.sequence.toString(),
    type: row.type as EventType,
    conversationId: row.conversationId,
    inboxIds: row.inboxIds,
    userIds: row.userIds,
    payload: (row.payload ?? {}) as EventRecord["payload"],
    createdAt: row.createdAt.toISOString(),
    cause: row.ruleId ? { ruleId: row.ruleId, depth: row.ruleDepth } : null,
  } as EventRecord;
}

/** Called with every event before it is written; the test suite checks each against the catalogue. */
let checkBeforeWrite: ((event: NewEvent) => void) | null = null;

/** Sets the check (null: none) and returns the one it replaces. */
export function checkEventsBeforeWrite(check: ((event: NewEvent) => void) | null): ((event: NewEvent) => void) | null {
  const previous = checkBeforeWrite;
  checkBeforeWrite = check;
  return previous;
}

/**
 * Writes the events under the event-log lock, in one statement: the lock is taken before the rows
 * (and their sequence numbers) are made, and held until commit — so sequence order is commit order.
 */
export async function writeEvents(tx: Prisma.TransactionClient, events: NewEvent[]): Promise<EventRecord[]> {
  if (events.length === 0) return [];
  if (checkBeforeWrite) events.forEach(checkBeforeWrite);
  const documents = events.map((event) => ({
    type: event.type,
    conversationId: event.conversationId ?? null,
    inboxIds: event.inboxIds ?? [],
    userIds: event.userIds ?? [],
    payload: event.payload,
    ruleId: event.cause?.ruleId ?? null,
    ruleDepth: event.cause?.depth ?? 0,
  }));
  const rows = await tx.$queryRaw<EventRow[]>`
    WITH logged AS (SELECT pg_advisory_xact_lock(${LOCK.eventLog}::bigint))
    INSERT INTO "Event" ("type", "conversationId", "inboxIds", "userIds", "payload", "ruleId", "ruleDepth")
    SELECT e.doc->>'type', (e.doc->>'conversationId')::uuid,
           ARRAY(SELECT jsonb_array_elements_text(e.doc->'inboxIds'))::uuid[],
           ARRAY(SELECT jsonb_array_elements_text(e.doc->'userIds'))::uuid[],
           e.doc->'payload', (e.doc->>'ruleId')::uuid, (e.doc->>'ruleDepth')::int
    FROM jsonb_array_elements(${JSON.stringify(documents)}::jsonb) WITH ORDINALITY AS e(doc, i),
         (SELECT count(*) FROM logged) AS l
    ORDER BY e.i
    RETURNING "sequence", "type", "conversationId"::text, "inboxIds"::text[], "userIds"::text[], "payload",
              "ruleId"::text, "ruleDepth", "createdAt"`;
  return rows.sort((a, b) => (a.sequence < b.sequence ? -1 : 1)).map(toEventRecord);
}

const REPLAY_BATCH = 200;

/** Up to `limit` events after `afterSequence` matching `where`, oldest first. */
export async function readEventPage(
  prisma: PrismaClient,
  where: Prisma.EventWhereInput,
  afterSequence: bigint,
  limit: number,
): Promise<EventRecord[]> {
  const rows = await prisma.event.findMany({
    where: { AND: [where, { sequence: { gt: afterSequence } }] },
    orderBy: { sequence: "asc" },
    take: limit,
  });
  return rows.map(toEventRecord);
}

/** Events after `afterSequence` matching `where`, oldest first, fetched in batches. */
export async function* readEventsAfter(
  prisma: PrismaClient,
  where: Prisma.EventWhereInput,
  afterSequence: bigint,
): AsyncGenerator<EventRecord> {
  let cursor = afterSequence;
  for (;;) {
    const events = await readEventPage(prisma, where, cursor, REPLAY_BATCH);
    yield* events;
    if (events.length < REPLAY_BATCH) return;
    cursor = BigInt(events[events.length - 1]!.sequence);
  }
}

/** Names the event log among others that may share a Redis: its database's name. */
export async function eventLogName(prisma: PrismaClient): Promise<string> {
  const [row] = await prisma.$queryRaw<{ name: string }[]>`SELECT current_database() AS name`;
  return row!.name;
}

export async function latestSequence(prisma: PrismaClient): Promise<bigint> {
  const last = await prisma.event.findFirst({ orderBy: { sequence: "desc" }, select: { sequence: true } });
  return last?.sequence ?? 0n;
}

/** Whether an event of this type addressed to the user was written since `since`. */
export async function userWasSentSince(
  tx: Prisma.TransactionClient,
  type: EventType,
  userId: string,
  since: Date,
): Promise<boolean> {
  return (await tx.event.count({ where: { type, userIds: { has: userId }, createdAt: { gte: since } } })) > 0;
}
