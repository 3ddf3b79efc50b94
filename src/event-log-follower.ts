// A consumer of the event log run by one process at a time (a lease, as a RingCentral connection):
// the rule runner and the analytics consumer. A pass runs at start, when an event is published on the
// event log's channel, and on a timer (a lost publish); wake-ups during a pass queue at most one more.
import type { ConnectionLease, LeaseProvider } from "./integrations/ringcentral/lease.ts";
import type { Logger } from "./logger.ts";
import type { PubSub } from "./pubsub.ts";

export interface EventLogFollower {
  /** The lease is held and the follower is not closing: a pass may go on. */
  holding(): boolean;
  /** Runs a pass after the one under way (tests wait for it). */
  drain(): Promise<void>;
  close(): Promise<void>;
}

export function followEventLog(options: {
  name: string;
  pubsub: PubSub;
  log: Logger;
  leases: LeaseProvider;
  pollMs: number;
  /**
   * How long the log must stay quiet (no event published) before a pass, so a burst's events join
   * one pass (the analytics consumer: one recount of each call a burst touched, not one a second
   * while it lasts). 0: a pass at once.
   */
  settleMs?: number;
  /** How long a pass waits at most after the first wake-up, when events keep coming (default: settleMs). */
  maxSettleMs?: number;
  /** Called when the lease is lost: what was kept in memory under it is stale. */
  onLeaseLost?: () => void;
  pass: () => Promise<void>;
}): EventLogFollower {
  let lease: ConnectionLease | null = null;
  let closed = false;
  let chain: Promise<void> = Promise.resolve();
  let queued = false;
  let settling: NodeJS.Timeout | null = null;
  // Monotonic (tests move Date): when the first and the latest wake-up of the waiting pass came.
  let firstWake = 0;
  let lastWake = 0;

  async function takeLease(): Promise<boolean> {
    if (lease) return true;
    lease = await options.leases.acquire(options.name);
    lease?.onLost((reason) => {
      options.log.warn({ err: reason, lease: options.name }, "lost a lease of the event log; will take it again");
      lease = null;
      options.onLeaseLost?.();
    });
    return lease !== null;
  }

  function enqueue(): Promise<void> {
    const next = chain.then(async () => {
      // This pass reads what every wake-up so far announced: a pass still settling has nothing more.
      queued = false;
      if (settling) clearTimeout(settling);
      settling = null;
      if (!closed && (await takeLease())) await options.pass();
    });
    chain = next.catch(() => {});
    return next;
  }

  function run(): void {
    settling = null;
    enqueue().catch((error: unknown) =>
      options.log.error({ err: error, lease: options.name }, "event log pass failed"),
    );
  }

  function wake(): void {
    if (closed) return;
    lastWake = performance.now();
    if (queued) return;
    queued = true;
    firstWake = lastWake;
    if (options.settleMs) settle();
    else run();
  }

  /** Runs the pass once the log was quiet for settleMs, or maxSettleMs after the first wake-up. */
  function settle(): void {
    const settleMs = options.settleMs!;
    const due = Math.min(lastWake + settleMs, firstWake + Math.max(settleMs, options.maxSettleMs ?? 0));
    const wait = due - performance.now();
    if (wait <= 0) run();
    else {
      settling = setTimeout(settle, wait);
      settling.unref();
    }
  }

  const listening = options.pubsub.listen("all", options.pubsub.eventLog, wake);
  const timer = setInterval(wake, options.pollMs);
  timer.unref();
  wake();

  return {
    holding: () => !closed && lease !== null,
    drain: enqueue,
    async close() {
      closed = true;
      clearInterval(timer);
      if (settling) clearTimeout(settling);
      (await listening)();
      await chain;
      await lease?.release();
      lease = null;
    },
  };
}
