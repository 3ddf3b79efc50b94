// Live queue figures of an inbox for wallboards: recomputed when an event of the inbox may change
// them (a call's state, an agent's status), pushed when they did change, at most once per interval —
// and at the inbox's local midnight, when today's counts start again.
import type { PrismaClient } from "../generated/prisma/client.ts";
import { readQueueStatus, type QueueStatusRow } from "../store/queue-status.ts";

export interface QueueStatus extends QueueStatusRow {
  inboxId: string;
  /** When these figures were read (the longest wait is counted up to here). */
  at: Date;
  longestWaitSeconds: number | null;
}

export const QUEUE_STATUS_EVENTS = ["CALL_UPDATED", "CONVERSATION_CALL_ENDED", "AGENT_STATUS_CHANGED"] as const;

export async function queueStatus(prisma: PrismaClient, inboxId: string, now = new Date()): Promise<QueueStatus> {
  const row = await readQueueStatus(prisma, inboxId, now);
  return {
    ...row,
    inboxId,
    at: now,
    longestWaitSeconds: row.longestWaitingSince
      ? Math.max(0, Math.floor((now.getTime() - row.longestWaitingSince.getTime()) / 1000))
      : null,
  };
}

/** The figures that make a push: everything but the clock (the longest wait grows by itself). A new
 * day is a change: its end moves on. */
const figuresOf = ({ at: _at, longestWaitSeconds: _w, ...rest }: QueueStatus) =>
  JSON.stringify({
    ...rest,
    longestWaitingSince: rest.longestWaitingSince?.toISOString() ?? null,
    todayEndsAt: rest.todayEndsAt?.toISOString() ?? null,
  });

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const systemClock = () => new Date();

const DAY_ENDED = Symbol("day ended");

/**
 * Fires once the inbox's day is over by `now`'s clock (which tests move): a timer for the instant,
 * checked against the clock when it fires. Re-armed whenever a read says the day ends elsewhere.
 */
class DayEnd {
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** The instant armed (null: no day to end, the inbox is gone); undefined: nothing armed. */
  private armedFor: number | null | undefined = undefined;
  private resolve: (value: typeof DAY_ENDED) => void = () => {};
  /** Resolves when the armed day is over; pending while none is. */
  passed: Promise<typeof DAY_ENDED> = new Promise(() => {});

  constructor(private readonly now: () => Date) {}

  arm(end: Date | null) {
    const at = end?.getTime() ?? null;
    if (at === this.armedFor) return;
    this.clear();
    this.armedFor = at;
    this.passed = new Promise((resolve) => (this.resolve = resolve));
    if (at !== null) this.wait(at);
  }

  private wait(at: number) {
    const remaining = at - this.now().getTime();
    if (remaining <= 0) {
      // Over: the next arm, whatever it is for, starts a new wait.
      this.armedFor = undefined;
      this.resolve(DAY_ENDED);
      return;
    }
    // Timers wait by the monotonic clock while `now` may have been moved (NTP, tests): look again then.
    this.timer = setTimeout(() => this.wait(at), remaining);
    // An open stream alone does not keep a process from exiting.
    this.timer.unref?.();
  }

  clear() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

export interface QueueStatusUpdateOptions {
  /** The clock "today" and the longest wait are read by (default: the system's). */
  now?: () => Date;
  /** The least time between two pushes for changes. */
  intervalMs?: number;
}

/**
 * The current figures, then new figures after each change and at the inbox's local midnight (today's
 * counts start again, even if nothing else happens): each event of `changes` (already filtered to the
 * inbox) makes a read, no sooner than `intervalMs` after the previous push, and so does the end of the
 * day; a read that finds the same figures pushes nothing. Closing the stream closes `changes` and
 * clears the midnight timer at once.
 */
export function queueStatusUpdates(
  read: (now: Date) => Promise<QueueStatus>,
  changes: AsyncIterator<unknown>,
  options: QueueStatusUpdateOptions = {},
): AsyncGenerator<QueueStatus> {
  const now = options.now ?? systemClock;
  const intervalMs = options.intervalMs ?? 1000;
  const dayEnd = new DayEnd(now);
  const stream = (async function* () {
    try {
      let last = await read(now());
      let pushedAt = Date.now();
      yield last;
      let latestEnd = last.todayEndsAt;
      let change: Promise<IteratorResult<unknown>> | null = null;
      for (;;) {
        dayEnd.arm(latestEnd);
        change ??= changes.next();
        const woken = await Promise.race([change, dayEnd.passed]);
        if (woken !== DAY_ENDED) {
          change = null;
          if (woken.done) return;
          const wait = pushedAt + intervalMs - Date.now();
          if (wait > 0) await sleep(wait);
        }
        const next = await read(now());
        latestEnd = next.todayEndsAt;
        if (figuresOf(next) === figuresOf(last)) continue;
        last = next;
        pushedAt = Date.now();
        yield next;
      }
    } finally {
      dayEnd.clear();
    }
  })();
  const generatorReturn = stream.return.bind(stream);
  return Object.assign(stream, {
    return: async (value?: unknown) => {
      dayEnd.clear();
      await changes.return?.(undefined);
      return generatorReturn(value as never);
    },
  });
}
