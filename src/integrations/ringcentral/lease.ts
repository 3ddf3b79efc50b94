// Exactly one worker runs a RingCentral connection at a time (R2.4 with several processes): a
// PostgreSQL session-level advisory lock held on a dedicated connection for as long as the worker
// runs the connection. If the process dies, PostgreSQL drops the connection and the lock with it,
// and a standby takes over at its next reconcile. The embedded database is single-process: an
// in-memory lease is enough there.
import pg from "pg";
import { LOCK } from "../../store/locks.ts";

export interface ConnectionLease {
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
        release: async () => {
          held.delete(key);
          await client.end().catch(() => {});
        },
      };
    },
    async close() {
      await Promise.all([...held.values()].map((client) => client.end().catch(() => {})));
      held.clear();
    },
  };
}

export function inProcessLeases(): LeaseProvider {
  const held = new Set<string>();
  return {
    async acquire(key) {
      if (held.has(key)) return null;
      held.add(key);
      return { release: async () => void held.delete(key) };
    },
    async close() {
      held.clear();
    },
  };
}
