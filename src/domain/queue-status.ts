// Live queue figures of an inbox for wallboards: recomputed when an event of the inbox may change
// them (a call's state, an agent's status), pushed when they did change, at most once per interval.
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

/** The figures that make a push: everything but the clock (the longest wait grows by itself). */
const figuresOf = ({ at: _at, longestWaitSeconds: _w, ...rest }: QueueStatus) =>
  JSON.stringify({ ...rest, longestWaitingSince: rest.longestWaitingSince?.toISOString() ?? null });

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The current figures, then new figures after each change: each event of `changes` (already filtered
 * to the inbox) makes a read, no sooner than `intervalMs` after the previous push; a read that finds
 * the same figures pushes nothing. Closing the stream closes `changes` at once.
 */
export function queueStatusUpdates(
  read: () => Promise<QueueStatus>,
  changes: AsyncGenerator<unknown>,
  intervalMs = 1000,
): AsyncGenerator<QueueStatus> {
  const stream = (async function* () {
    let last = await read();
    let pushedAt = Date.now();
    yield last;
    for await (const _change of changes) {
      const wait = pushedAt + intervalMs - Date.now();
      if (wait > 0) await sleep(wait);
      const next = await read();
      if (figuresOf(next) === figuresOf(last)) continue;
      last = next;
      pushedAt = Date.now();
      yield next;
    }
  })();
  const generatorReturn = stream.return.bind(stream);
  return Object.assign(stream, {
    return: async (value?: unknown) => {
      await changes.return(undefined);
      return generatorReturn(value as never);
    },
  });
}
