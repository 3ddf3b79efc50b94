// The analytics consumer: one process at a time (a lease) reads the event log after its durable
// cursor and recomputes the analytics facts of whatever each event is about, with the rollup hours
// they count in — and the calls call ingest marked changed (a leg can change with no event) — in the
// same transaction as the cursor or the marks, so a restart neither skips nor double-counts
// (and recomputing is idempotent anyway). A consumer rather than the writers' own transactions:
// ingest stays as fast as it was (BENCHMARKS.md), and the figures can be rebuilt by the same code.
import type { Logger } from "../logger.ts";
import type { Deps } from "../domain/event-log.ts";
import { ANALYTICS_CURSOR, rebuildAnalytics, refreshAnalytics } from "../domain/analytics/refresh.ts";
import {
  changedCalls,
  clearChangedCalls,
  eventSubjectsAfter,
  type EventSubject,
  readAnalyticsCursor,
  writeAnalyticsCursor,
  type Touched,
} from "../store/analytics.ts";
import { lockAnalytics } from "../store/locks.ts";
import type { LeaseProvider } from "../integrations/ringcentral/lease.ts";
import { followEventLog } from "../event-log-follower.ts";

const LEASE = "analytics";
const BATCH = 5000;

export interface AnalyticsConsumerOptions extends Deps {
  log: Logger;
  leases: LeaseProvider;
  /** How often to look for work besides the event stream's wake-ups. */
  pollMs?: number;
  /** How long the log must stay quiet before a pass (default 1 s)… */
  settleMs?: number;
  /** …but a pass at most this long after the first event it waits for (default 5 s). */
  maxSettleMs?: number;
  /** Events (and marked calls) a transaction takes at most; a pass takes batches until one is not full. */
  batch?: number;
}

export interface AnalyticsConsumer {
  /** Reads the log to its end now; resolves after. */
  drain(): Promise<void>;
  close(): Promise<void>;
}

/** One mark per call (a call's mark can be read both as one of the batch's and as one of the oldest). */
function uniqueMarks(marks: { callId: string; version: bigint }[]) {
  return [...new Map(marks.map((m) => [m.callId, m])).values()];
}

/** What the events are about, as the analytics count it. */
export function touchedBy(events: EventSubject[]): Touched {
  const calls = new Set<string>();
  const messages = new Set<string>();
  const conversations = new Set<string>();
  const csat = new Set<string>();
  for (const event of events) {
    if (event.callId) calls.add(event.callId);
    if (event.type.startsWith("MESSAGE_") && event.messageId) messages.add(event.messageId);
    if (event.type === "CSAT_RECEIVED" && event.csatResponseId) csat.add(event.csatResponseId);
    const aboutConversation =
      event.type.startsWith("MESSAGE_") || event.type.startsWith("CONVERSATION_") || event.type === "CSAT_RECEIVED";
    if (aboutConversation && event.conversationId) conversations.add(event.conversationId);
  }
  return { callIds: [...calls], messageIds: [...messages], conversationIds: [...conversations], csatIds: [...csat] };
}

export function startAnalyticsConsumer(options: AnalyticsConsumerOptions): AnalyticsConsumer {
  const batch = options.batch ?? BATCH;

  /**
   * Applies a batch of events (maybe none) with a batch of the calls ingest marked changed, in one
   * transaction. True when a batch was full: more may be waiting.
   */
  async function apply(events: EventSubject[]): Promise<boolean> {
    return options.prisma.$transaction(
      async (tx) => {
        await lockAnalytics(tx);
        const touched = touchedBy(events);
        // The marks are read before and cleared after the recount: a mark made meanwhile stays.
        const read = await changedCalls(tx, touched.callIds, batch);
        const marks = uniqueMarks(read);
        if (events.length === 0 && marks.length === 0) return false;
        await refreshAnalytics(tx, {
          ...touched,
          callIds: [...new Set([...touched.callIds, ...marks.map((m) => m.callId)])],
        });
        await clearChangedCalls(tx, marks);
        if (events.length > 0) await writeAnalyticsCursor(tx, ANALYTICS_CURSOR, events.at(-1)!.sequence);
        return events.length === batch || read.filter((m) => m.oldest).length === batch;
      },
      { timeout: 120_000 },
    );
  }

  async function pass(): Promise<void> {
    let cursor = await readAnalyticsCursor(options.prisma, ANALYTICS_CURSOR);
    if (cursor === null) {
      // First run (a new installation, or one upgraded to analytics): count the history there is.
      await rebuildAnalytics(options.prisma);
      cursor = (await readAnalyticsCursor(options.prisma, ANALYTICS_CURSOR))!;
    }
    while (follower.holding()) {
      // Only what the events are about: a batch's payloads are most of what reading it costs.
      const events = await eventSubjectsAfter(options.prisma, cursor, batch);
      const backlog = await apply(events);
      if (events.length > 0) cursor = events.at(-1)!.sequence;
      if (!backlog) break;
    }
  }

  const follower = followEventLog({
    name: LEASE,
    pubsub: options.pubsub,
    log: options.log,
    leases: options.leases,
    pollMs: options.pollMs ?? 5000,
    // A pass recomputes every call its events touched, each once: a burst of calls is one pass a
    // second after it ends, a steady stream one pass every five seconds, not one per publish.
    settleMs: options.settleMs ?? 1000,
    maxSettleMs: options.maxSettleMs ?? 5000,
    pass,
  });
  return { drain: follower.drain, close: follower.close };
}
