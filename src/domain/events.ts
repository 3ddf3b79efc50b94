// The event log (R8.2): every change writes its Event rows in the same transaction; they are
// published after commit. Sequence order equals commit order because event rows are written last,
// under a transaction-scoped advisory lock held until commit — so a subscriber that resumes "after
// sequence N" can never miss an event that committed later with a smaller sequence.
import type { Prisma, PrismaClient } from "../generated/prisma/client.ts";
import type { EventRecord, PubSub, Subscription } from "../pubsub.ts";
import { LOCK } from "./locks.ts";

export type Transaction = Prisma.TransactionClient;

export interface Deps {
  prisma: PrismaClient;
  pubsub: PubSub;
}

export interface NewEvent {
  type: string;
  conversationId?: string | null;
  inboxIds?: string[];
  userIds?: string[];
  payload?: Record<string, unknown>;
}


/** Collects the events of one transaction. */
export class EventLog {
  readonly pending: NewEvent[] = [];

  append(event: NewEvent): void {
    this.pending.push(event);
  }
}

export function toEventRecord(row: {
  sequence: bigint;
  type: string;
  conversationId: string | null;
  inboxIds: string[];
  userIds: string[];
  payload: unknown;
  createdAt: Date;
}): EventRecord {
  return {
    sequence: row.sequence.toString(),
    type: row.type,
    conversationId: row.conversationId,
    inboxIds: row.inboxIds,
    userIds: row.userIds,
    payload: (row.payload ?? {}) as Record<string, unknown>,
    createdAt: row.createdAt.toISOString(),
  };
}

/**
 * Writes the events under the event-log lock, in one statement: the lock is taken before the rows
 * (and their sequence numbers) are made, and held until commit.
 */
async function writeEvents(tx: Transaction, events: NewEvent[]): Promise<EventRecord[]> {
  if (events.length === 0) return [];
  const documents = events.map((event) => ({
    type: event.type,
    conversationId: event.conversationId ?? null,
    inboxIds: event.inboxIds ?? [],
    userIds: event.userIds ?? [],
    payload: event.payload ?? {},
  }));
  const rows = await tx.$queryRaw<{ sequence: bigint; type: string; conversationId: string | null; inboxIds: string[]; userIds: string[]; payload: unknown; createdAt: Date }[]>`
    WITH logged AS (SELECT pg_advisory_xact_lock(${LOCK.eventLog}::bigint))
    INSERT INTO "Event" ("type", "conversationId", "inboxIds", "userIds", "payload")
    SELECT e.doc->>'type', (e.doc->>'conversationId')::uuid,
           ARRAY(SELECT jsonb_array_elements_text(e.doc->'inboxIds'))::uuid[],
           ARRAY(SELECT jsonb_array_elements_text(e.doc->'userIds'))::uuid[],
           e.doc->'payload'
    FROM jsonb_array_elements(${JSON.stringify(documents)}::jsonb) WITH ORDINALITY AS e(doc, i), (SELECT count(*) FROM logged) AS l
    ORDER BY e.i
    RETURNING "sequence", "type", "conversationId"::text, "inboxIds"::text[], "userIds"::text[], "payload", "createdAt"`;
  return rows.sort((a, b) => (a.sequence < b.sequence ? -1 : 1)).map(toEventRecord);
}

export function publishEvent(pubsub: PubSub, event: EventRecord): void {
  for (const inboxId of event.inboxIds) pubsub.publish("inbox", inboxId, event);
  for (const userId of event.userIds) pubsub.publish("user", userId, event);
  pubsub.publish("all", "*", event);
}

/**
 * Runs `work` in a transaction; the events it appends are stored with it and published after
 * commit. Nothing is published when the transaction rolls back.
 */
export async function inTransaction<T>(deps: Deps, work: (tx: Transaction, log: EventLog) => Promise<T>): Promise<T> {
  const { result, records } = await deps.prisma.$transaction(async (tx) => {
    const log = new EventLog();
    const result = await work(tx, log);
    const records = await writeEvents(tx, log.pending);
    return { result, records };
  });
  for (const record of records) publishEvent(deps.pubsub, record);
  return result;
}

const REPLAY_BATCH = 200;

/** Events after `afterSequence` matching `where`, oldest first, fetched in batches. */
export async function* replayEvents(
  prisma: PrismaClient,
  where: Prisma.EventWhereInput,
  afterSequence: bigint,
): AsyncGenerator<EventRecord> {
  let cursor = afterSequence;
  for (;;) {
    const rows = await prisma.event.findMany({
      where: { AND: [where, { sequence: { gt: cursor } }] },
      orderBy: { sequence: "asc" },
      take: REPLAY_BATCH,
    });
    for (const row of rows) yield toEventRecord(row);
    if (rows.length < REPLAY_BATCH) return;
    cursor = rows[rows.length - 1]!.sequence;
  }
}

export async function latestSequence(prisma: PrismaClient): Promise<bigint> {
  const last = await prisma.event.findFirst({ orderBy: { sequence: "desc" }, select: { sequence: true } });
  return last?.sequence ?? 0n;
}

/**
 * A resumable stream: what the log holds after `after` (when given), then live events — no gap,
 * because the live subscription is active before the log is read, and no duplicate, because live
 * events already replayed (or at/before the client's cursor) are skipped.
 *
 * `return()` (the client unsubscribed or its socket closed) ends the stream at once: an async
 * generator waiting for the next live event would only see its return after that event arrived —
 * for an idle agent, their next call — keeping the pub/sub listener, the operation and its context
 * alive until then. Closing the live subscription first ends that wait.
 */
export function resumableEvents<K extends "inbox" | "user">(
  deps: Deps,
  topic: K,
  id: string,
  where: Prisma.EventWhereInput,
  after: bigint | null,
  accept: (event: EventRecord) => boolean = () => true,
): AsyncGenerator<EventRecord> {
  let live: Subscription<EventRecord> | null = null;
  let ended = false;
  const stream = (async function* () {
    live = await deps.pubsub.subscribe(topic, id);
    if (ended) {
      live.close();
      return;
    }
    try {
      const replayed = new Set<string>();
      if (after !== null) {
        for await (const event of replayEvents(deps.prisma, where, after)) {
          replayed.add(event.sequence);
          if (accept(event)) yield event;
        }
      }
      for await (const event of live) {
        if (replayed.has(event.sequence) || (after !== null && BigInt(event.sequence) <= after)) continue;
        if (accept(event)) yield event;
      }
    } finally {
      live.close();
    }
  })();
  const end = () => {
    ended = true;
    (live as Subscription<EventRecord> | null)?.close();
  };
  const generatorReturn = stream.return.bind(stream);
  const generatorThrow = stream.throw.bind(stream);
  return Object.assign(stream, {
    return: (value?: unknown) => {
      end();
      return generatorReturn(value as never);
    },
    throw: (error?: unknown) => {
      end();
      return generatorThrow(error);
    },
  });
}
