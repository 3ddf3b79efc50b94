// Exactly one worker runs a RingCentral connection at a time (R2.4 with several processes): a
// PostgreSQL session-level advisory lock held on a dedicated connection for as long as the worker
// runs the connection. If the process dies, PostgreSQL drops the connection and the lock with it,
// and a standby takes over at its next reconcile. If that connection breaks (PostgreSQL restarted),
// the lock is gone too: the lease says it was lost, its holder stops, and whoever takes it next runs
// the connection. The embedded database is single-process: an in-memory lease is enough there.
import pg from "pg";
import { LOCK } from "../../store/locks.ts";

export interface ConnectionLease {
  /** Calls `listener` (once) if the lease is lost while held: from then on another process may take
   * it, so what it guards must stop. Not called after release(). */
  onLost(listener: (reason: unknown) => void): void;
  release(): Promise<void>;
}

export interface LeaseProvider {
  /** The lease of a connection (its id) or of another one-worker job (the worker's SWEEP_LEASE), or
   * null when another process holds it. */
  acquire(key: string): Promise<ConnectionLease | null>;
  close(): Promise<void>;
}

export function postgresLeases(config: pg.ClientConfig): LeaseProvider {
  const held = new Map<string, pg.Client>();
  return {
    async acquire(key) {
      if (held.has(key)) return null;
      const client = new pg.Client(config);
      let lost: { reason: unknown } | null = null;
      let released = false;
      const lostListeners: ((reason: unknown) => void)[] = [];
      const loseLease = (reason: unknown) => {
        if (lost || released) return;
        lost = { reason };
        if (held.get(key) === client) held.delete(key);
        for (const listener of lostListeners) listener(reason);
      };
      // A broken connection is an 'error' event: without a listener it would stop the process.
      client.on("error", loseLease);
      client.on("end", () => loseLease(new Error("the lease's database connection ended")));
      await client.connect();
      const result = await client.query<{ locked: boolean }>(
        "SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked",
        [LOCK.workerLease, key],
      );
      if (!result.rows[0]?.locked) {
        await client.end();
        return null;
      }
      held.set(key, client);
      return {
        onLost(listener) {
          if (lost) listener(lost.reason);
          else lostListeners.push(listener);
        },
        release: async () => {
          released = true;
          if (held.get(key) === client) held.delete(key);
          await client.end().catch(() => {});
        },
      };
    },
    async close() {
      const clients = [...held.values()];
      held.clear();
      await Promise.all(clients.map((client) => client.end().catch(() => {})));
    },
  };
}

export function inProcessLeases(): LeaseProvider {
  const held = new Set<string>();
  return {
    async acquire(key) {
      if (held.has(key)) return null;
      held.add(key);
      return { onLost: () => {}, release: async () => void held.delete(key) };
    },
    async close() {
      held.clear();
    },
  };
}
