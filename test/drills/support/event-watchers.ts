// Subscribers of an inbox's `conversationEvents` for the drills, checked against the event log in
// PostgreSQL (the truth): a live one that never reconnects, and a resumed one that goes away during
// each fault and comes back with the last cursor it saw (`after:`). Each must receive every event of
// the log exactly once.
import type { Client } from "graphql-ws";
import pg from "pg";
import { subscribe, waitUntil, type Deployment } from "./deployment.ts";

const EVENTS = `subscription($inbox: ID!, $after: String) {
  conversationEvents(inboxId: $inbox, after: $after) { cursor type }
}`;

export interface EventWatcher {
  name: string;
  /** Every cursor received, in arrival order, over all of the watcher's subscriptions. */
  readonly cursors: string[];
  /** Errors that ended one of its subscriptions, or came in a result. */
  readonly errors: unknown[];
  /** Its current subscription ended (an error, or the server completed it) without it leaving. */
  readonly ended: boolean;
  /** Goes away (closes its socket); a live watcher never does. */
  leave(): Promise<void>;
  /** Comes back on a new socket with `after:` the last cursor it saw. */
  resume(): void;
}

export function watchEvents(deployment: Deployment, name: string, serveIndex: number): EventWatcher {
  const sessions: { stream: ReturnType<typeof subscribe>; client: Client; left: boolean; ended: boolean }[] = [];
  const received = () => sessions.flatMap(({ stream }) => stream.received);
  const cursorsNow = () =>
    received()
      .map((result) => (result.data as any)?.conversationEvents?.cursor as string | undefined)
      .filter((cursor): cursor is string => cursor !== undefined);
  const open = () => {
    const client = deployment.wsClient(serveIndex);
    // From the start of the log the first time ("0": nothing happened in the inbox yet), then from
    // the last event seen.
    const stream = subscribe(client, EVENTS, { inbox: deployment.inboxId, after: cursorsNow().at(-1) ?? "0" });
    const session = { stream, client, left: false, ended: false };
    void stream.finished.then(() => {
      if (!session.left) session.ended = true;
    });
    sessions.push(session);
  };
  open();
  return {
    name,
    get cursors() {
      return cursorsNow();
    },
    get ended() {
      return sessions.at(-1)?.ended ?? false;
    },
    get errors() {
      return [
        ...sessions.flatMap(({ stream }) => (stream.error ? [stream.error] : [])),
        ...received().flatMap((result) => result.errors ?? []),
      ];
    },
    leave: async () => {
      const session = sessions.at(-1);
      if (!session) return;
      session.left = true;
      await session.client.dispose();
    },
    resume: open,
  };
}

/** The inbox's events in the log, by sequence (= cursor), oldest first. A connection per read: the
 * drills restart PostgreSQL. */
export async function eventLog(databaseUrl: string, inboxGlobalId: string): Promise<string[]> {
  const [, inboxId] = Buffer.from(inboxGlobalId, "base64").toString().split(":");
  const database = new pg.Client({ connectionString: databaseUrl });
  database.on("error", () => {}); // a broken read fails the query, which the caller retries
  await database.connect();
  try {
    const { rows } = await database.query<{ sequence: string }>(
      `SELECT sequence::text AS sequence FROM "Event" WHERE $1::uuid = ANY("inboxIds") ORDER BY sequence`,
      [inboxId],
    );
    return rows.map((r) => r.sequence);
  } finally {
    await database.end().catch(() => {});
  }
}

/** What is wrong with what `watcher` received, against `log`: events missing, received twice, or
 * not in the log at all. Events newer than the log read are not counted as missing. */
export function deliveryProblems(watcher: EventWatcher, log: string[]): string[] {
  return Object.values(deliveryFaults(watcher, log)).flat();
}

function deliveryFaults(watcher: EventWatcher, log: string[]) {
  const inLog = new Set(log);
  const counts = new Map<string, number>();
  for (const cursor of watcher.cursors) counts.set(cursor, (counts.get(cursor) ?? 0) + 1);
  const twice = [...counts].filter(([, n]) => n > 1).map(([cursor, n]) => `${cursor} ×${n}`);
  const missing = log.filter((cursor) => !counts.has(cursor));
  const unknown = watcher.cursors.filter((cursor) => !inLog.has(cursor) && BigInt(cursor) <= BigInt(log.at(-1) ?? 0));
  return {
    missed: missing.length ? [`${watcher.name} missed ${missing.length}: ${missing.slice(0, 20).join(", ")}`] : [],
    twice: twice.length ? [`${watcher.name} received twice: ${twice.slice(0, 20).join(", ")}`] : [],
    unknown: unknown.length ? [`${watcher.name} received events not in the log: ${unknown.join(", ")}`] : [],
  };
}

/**
 * Waits until each watcher received every event of the inbox's log (at most `withinMs`; a watcher
 * in `mayMiss` does not hold the wait up), then returns what is wrong with each, by name, against
 * the log as read then. An event received twice stays so, and a subscription that ended receives
 * nothing more: either ends the wait at once.
 */
export async function deliveriesSettled(
  deployment: Deployment,
  watchers: EventWatcher[],
  withinMs: number,
): Promise<{ log: string[]; problems: Record<string, string[]> }> {
  let log: string[] = [];
  await waitUntil(
    async () => {
      log = await eventLog(deployment.postgres.url, deployment.inboxId);
      const faults = watchers.map((w) => deliveryFaults(w, log));
      const hopeless = watchers.some((w, i) => w.ended || faults[i]!.twice.length + faults[i]!.unknown.length > 0);
      return hopeless || watchers.every((w) => deliveryFaults(w, log).missed.length === 0);
    },
    withinMs,
    async () => {
      const log = await eventLog(deployment.postgres.url, deployment.inboxId);
      return watchers.flatMap((w) => deliveryProblems(w, log)).join("\n");
    },
    deployment,
  );
  const problems = Object.fromEntries(
    watchers.map((w) => [w.name, [...deliveryProblems(w, log), ...w.errors.map((e) => `${w.name}: ${String(e)}`)]]),
  );
  return { log, problems };
}
