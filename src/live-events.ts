// Live events for this instance's subscriptions, exactly once and in sequence order (issue 13).
// Pub/sub is at-most-once: a publish that failed, or everything published while this instance's
// subscribing connection was away, is simply not received, and a live subscriber, whose socket
// never closed, could not know. So each instance follows the whole stream (the `all` topic), in
// sequence order, and fills every hole from the event log — the server holds it:
// - when the subscribing connection is back (pubsub.onResubscribed), with everything after the last
//   sequence delivered here;
// - when a received sequence skips, with what lies in between. A skip is not necessarily a loss: an
//   identity value is used up by an insert that rolled back, and the publishers of two processes
//   can arrive out of order. The log says which: the event-log lock makes sequence order commit
//   order, so when an event arrives (published after its commit) every smaller sequence is either
//   committed, and read, or never will be.
// One log read per hole for the whole instance, none per subscriber: the events are handed to the
// local subscriptions by their inbox and user ids (events are published on the `all` channel only).
import type { EventRecord } from "./domain/events.ts";
import type { LiveEventSource } from "./domain/event-log.ts";
import type { PrismaClient } from "./generated/prisma/client.ts";
import type { Logger } from "./logger.ts";
import { QueuedEvents, type PubSub } from "./pubsub.ts";
import { latestSequence, readEventsAfter } from "./store/event-log.ts";

export interface LiveEvents extends LiveEventSource {
  close(): void;
}

/** How long a log read that failed (PostgreSQL away) waits before the next attempt: doubling up to the last. */
const READ_RETRY_DELAYS_MS = { first: 100, max: 5000 };

type Work = { kind: "event"; event: EventRecord } | { kind: "resubscribed" };

export async function startLiveEvents(deps: {
  prisma: PrismaClient;
  pubsub: PubSub;
  log: Logger;
}): Promise<LiveEvents> {
  const subscribers = new Map<string, Set<QueuedEvents<EventRecord>>>();
  const work: Work[] = [];
  /** The last sequence delivered here; read from the log once listening (until then, events wait). */
  let last = 0n;
  let started = false;
  let working = false;
  let closed = false;
  let retryTimer: NodeJS.Timeout | null = null;
  let wakeRetry: (() => void) | null = null;

  const deliver = (event: EventRecord) => {
    last = BigInt(event.sequence);
    for (const inboxId of event.inboxIds)
      for (const queue of subscribers.get(`inbox:${inboxId}`) ?? []) queue.push(event);
    for (const userId of event.userIds) for (const queue of subscribers.get(`user:${userId}`) ?? []) queue.push(event);
  };

  /** Delivers what the log holds after the last sequence delivered (and before `before`), retrying until it can. */
  const fill = async (before: bigint | null) => {
    let delayMs = READ_RETRY_DELAYS_MS.first;
    for (;;) {
      try {
        let filled = 0;
        for await (const event of readEventsAfter(
          deps.prisma,
          before === null ? {} : { sequence: { lt: before } },
          last,
        )) {
          if (closed) return;
          deliver(event);
          filled += 1;
        }
        if (filled > 0)
          deps.log.info({ filled, before: before?.toString() }, "filled live subscriptions from the event log");
        return;
      } catch (error) {
        if (closed) return;
        deps.log.warn({ err: error, retryInMs: delayMs }, "could not read the event log to fill live subscriptions");
        await new Promise<void>((resolve) => {
          wakeRetry = resolve;
          retryTimer = setTimeout(resolve, delayMs);
        });
        delayMs = Math.min(delayMs * 2, READ_RETRY_DELAYS_MS.max);
      }
    }
  };

  /** Handles the queued work in order; events arriving meanwhile wait behind it. */
  const drain = async () => {
    working = true;
    try {
      while (work.length > 0 && !closed) {
        const next = work.shift()!;
        if (next.kind === "resubscribed") {
          await fill(null);
          continue;
        }
        const sequence = BigInt(next.event.sequence);
        // Already delivered: filled from the log before it arrived, or published twice.
        if (sequence <= last) continue;
        if (sequence > last + 1n) await fill(sequence);
        if (sequence > last) deliver(next.event);
      }
    } finally {
      working = false;
    }
  };
  const startDraining = () => {
    if (started && !working && work.length > 0)
      drain().catch((error: unknown) => deps.log.error({ err: error }, "delivering live events failed"));
  };
  const enqueue = (item: Work) => {
    work.push(item);
    startDraining();
  };

  const onEvent = (event: EventRecord) => {
    // The usual case, handled at once: the next sequence, with nothing waiting before it.
    if (started && !working && work.length === 0 && BigInt(event.sequence) === last + 1n) deliver(event);
    else enqueue({ kind: "event", event });
  };
  let unlisten = () => {};
  let listenTimer: NodeJS.Timeout | null = null;
  /**
   * Follows the event log's channel. An instance starts and serves while Redis is away (readiness
   * says so): listening is retried with backoff, and once it holds, everything committed meanwhile
   * is filled from the log like after any reconnection.
   */
  const listen = async (delayMs: number, afterFailure: boolean): Promise<void> => {
    try {
      const stop = await deps.pubsub.listen("all", deps.pubsub.eventLog, onEvent);
      if (closed) return stop();
      unlisten = stop;
      if (afterFailure) enqueue({ kind: "resubscribed" });
    } catch (error) {
      if (closed) return;
      deps.log.warn({ err: error, retryInMs: delayMs }, "cannot follow the event log on pub/sub yet; retrying");
      listenTimer = setTimeout(() => void listen(Math.min(delayMs * 2, READ_RETRY_DELAYS_MS.max), true), delayMs);
      listenTimer.unref();
    }
  };
  // Listening before the last sequence is read: nothing committed after that read goes unheard.
  await listen(READ_RETRY_DELAYS_MS.first, false);
  const unresubscribed = deps.pubsub.onResubscribed(() => enqueue({ kind: "resubscribed" }));
  try {
    last = await latestSequence(deps.prisma);
  } catch (error) {
    closed = true;
    if (listenTimer) clearTimeout(listenTimer);
    unlisten();
    unresubscribed();
    throw error;
  }
  // What arrived while it was read waits: at or before it, it is dropped (no subscriber yet).
  started = true;
  startDraining();

  return {
    async subscribe(topic, id) {
      const key = `${topic}:${id}`;
      const queue: QueuedEvents<EventRecord> = new QueuedEvents<EventRecord>(() => {
        const set = subscribers.get(key);
        set?.delete(queue);
        if (set?.size === 0) subscribers.delete(key);
      });
      const set = subscribers.get(key) ?? new Set<QueuedEvents<EventRecord>>();
      subscribers.set(key, set);
      set.add(queue);
      return queue;
    },
    close() {
      closed = true;
      unlisten();
      unresubscribed();
      if (listenTimer) clearTimeout(listenTimer);
      if (retryTimer) clearTimeout(retryTimer);
      wakeRetry?.();
      for (const set of subscribers.values()) for (const queue of set) queue.close();
      subscribers.clear();
    },
  };
}
