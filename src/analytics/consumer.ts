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
  changedCallsAmong,
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
const BATCH = 2000;

export interface AnalyticsConsumerOptions extends Deps {
  log: Logger;
  leases: LeaseProvider;
  /** How often to look for work besides the event stream's wake-ups. */
  pollMs?: number;
  /** How long a wake-up waits for more events before the pass (default 1 s). */
  settleMs?: number;
}

export interface AnalyticsConsumer {
  /** Reads the log to its end now; resolves after. */
  drain(): Promise<void>;
  close(): Promise<void>;
}

/** What an event is about, as the analytics count it. */
function uniqueMarks(marks: { callId: string; version: bigint }[]) {
  return [...new Map(marks.map((m) => [m.callId, m])).values()];
}

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
  /**
   * Applies a batch of events (maybe none) with a batch of the calls ingest marked changed, in one
   * transaction: one recount of the hours they touch. False when there was nothing to do.
   */
  async function apply(events: EventSubject[]): Promise<boolean> {
    return options.prisma.$transaction(
      async (tx) => {
        await lockAnalytics(tx);
        const touched = touchedBy(events);
        // The marks are read before and cleared after the recount: a mark made meanwhile stays.
        const marks = uniqueMarks([
          ...(await changedCallsAmong(tx, touched.callIds)),
          ...(await changedCalls(tx, BATCH)),
        ]);
        if (events.length === 0 && marks.length === 0) return false;
        await refreshAnalytics(tx, {
          ...touched,
          callIds: [...new Set([...touched.callIds, ...marks.map((m) => m.callId)])],
        });
        await clearChangedCalls(tx, marks);
        if (events.length > 0) await writeAnalyticsCursor(tx, ANALYTICS_CURSOR, events.at(-1)!.sequence);
        return true;
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
      const events = await eventSubjectsAfter(options.prisma, cursor, BATCH);
      if (!(await apply(events))) break;
      if (events.length > 0) cursor = events.at(-1)!.sequence;
    }
  }

  const follower = followEventLog({
    name: LEASE,
    pubsub: options.pubsub,
    log: options.log,
    leases: options.leases,
    pollMs: options.pollMs ?? 5000,
    // Each pass recounts the hours it touched, however few events it read: during a burst, one
    // pass a second rather than one per publish.
    settleMs: options.settleMs ?? 1000,
    pass,
  });
  return { drain: follower.drain, close: follower.close };
}
