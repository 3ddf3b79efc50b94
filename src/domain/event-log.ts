// The event log (R8.2): every change writes its Event rows in the same transaction; they are
// published after commit. Sequence order equals commit order because event rows are written last,
// under a transaction-scoped advisory lock held until commit — so a subscriber that resumes "after
// sequence N" can never miss an event that committed later with a smaller sequence.
import type { Prisma, PrismaClient } from "../generated/prisma/client.ts";
import type { PubSub, Subscription } from "../pubsub.ts";
import { readEventsAfter, writeEvents } from "../store/event-log.ts";
import type { EventRecord, NewEvent, RuleCause } from "./events.ts";

export type Transaction = Prisma.TransactionClient;

export interface Deps {
  prisma: PrismaClient;
  pubsub: PubSub;
}

/**
 * Where a live stream's events come from: the events of an inbox, or addressed to a user, from the
 * moment `subscribe` resolves. The API's (src/live-events.ts) delivers each exactly once, in sequence
 * order, filling from the log what pub/sub lost.
 */
export interface LiveEventSource {
  subscribe(topic: "inbox" | "user", id: string): Promise<Subscription<EventRecord>>;
}

/** Collects the events of one transaction; only members of the catalogue can be appended. A rule's
 * transaction stamps its cause on every event, so the runner knows how deep in rule actions it is. */
export class EventLog {
  readonly pending: NewEvent[] = [];

  constructor(readonly cause: RuleCause | null = null) {}

  append(event: NewEvent): void {
    this.pending.push(this.cause ? { ...event, cause: this.cause } : event);
  }
}

export function publishEvent(pubsub: PubSub, event: EventRecord): void {
  pubsub.publish("all", pubsub.eventLog, event);
}

/**
 * Runs `work` in a transaction; the events it appends are stored with it and published after
 * commit. Nothing is published when the transaction rolls back.
 */
export async function inTransaction<T>(
  deps: Deps,
  work: (tx: Transaction, log: EventLog) => Promise<T>,
  cause: RuleCause | null = null,
): Promise<T> {
  const { result, records } = await deps.prisma.$transaction(async (tx) => {
    const log = new EventLog(cause);
    const result = await work(tx, log);
    const records = await writeEvents(tx, log.pending);
    return { result, records };
  });
  for (const record of records) publishEvent(deps.pubsub, record);
  return result;
}

/**
 * A resumable stream: what the log holds after `after` (when given), then live events — no gap,
 * because the live subscription is active before the log is read, and no duplicate, because live
 * events already replayed (or at/before the client's cursor) are skipped. The live source delivers
 * in sequence order (src/live-events.ts), so "already delivered" is "at or before the last one".
 *
 * `return()` (the client unsubscribed or its socket closed) ends the stream at once: an async
 * generator waiting for the next live event would only see its return after that event arrived —
 * for an idle agent, their next call — keeping the pub/sub listener, the operation and its context
 * alive until then. Closing the live subscription first ends that wait.
 */
export function resumableEvents<T extends EventRecord = EventRecord>(
  deps: { prisma: PrismaClient; liveEvents: LiveEventSource },
  topic: "inbox" | "user",
  id: string,
  where: Prisma.EventWhereInput,
  after: bigint | null,
  accept: (event: EventRecord) => event is T = (event): event is T => true,
): AsyncGenerator<T> {
  let live: Subscription<EventRecord> | null = null;
  let ended = false;
  const stream = (async function* () {
    live = await deps.liveEvents.subscribe(topic, id);
    if (ended) {
      live.close();
      return;
    }
    try {
      // Sequences only grow: what was replayed, or is at or before the cursor, is not delivered again.
      let delivered = after ?? -1n;
      if (after !== null) {
        for await (const event of readEventsAfter(deps.prisma, where, after)) {
          delivered = BigInt(event.sequence);
          if (accept(event)) yield event;
        }
      }
      for await (const event of live) {
        const sequence = BigInt(event.sequence);
        if (sequence <= delivered) continue;
        delivered = sequence;
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
