// Every PostgreSQL advisory lock the application takes, in one place so no two uses share a key.
// Transaction-scoped locks serialise work on one thing (a call, a message) across processes.
// The one row lock (a conversation's) is here too, so every lock a transaction takes is in one file.
import { Prisma, type PrismaClient } from "../generated/prisma/client.ts";

type Transaction = Prisma.TransactionClient;

/** Namespaces (the first key of the two-key form). */
export const LOCK = {
  eventLog: 7_310_001,
  callSession: 7_310_002,
  workerLease: 7_310_003,
  ringCentralMessage: 7_310_004,
  recording: 7_310_005,
  smsThread: 7_310_006,
  agentLogin: 7_310_010,
  agentSessionRefresh: 7_310_011,
  agentStatus: 7_310_012,
  analytics: 7_310_013,
} as const;

async function lock(tx: Transaction, namespace: number, key: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${namespace}, hashtext(${key}))`;
}

/** The analytics facts and rollup change under one writer at a time: the consumer's passes, a rebuild. */
export async function lockAnalytics(tx: Transaction): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${LOCK.analytics}::bigint)`;
}

/** Events of one telephony session (and voicemail joined to it) apply one at a time. */
export const lockCallSession = (tx: Transaction, telephonySessionId: string) =>
  lock(tx, LOCK.callSession, telephonySessionId);

/**
 * Each key once, sorted: several locks are always taken in the same order, so two transactions never wait for each
 * other.
 */
const lockOrder = (keys: string[]) => [...new Set(keys)].sort();

/** The locks of several sessions as a query to run inside another statement, taken in a fixed (sorted) order. */
export function callSessionLocksQuery(telephonySessionIds: string[]): Prisma.Sql {
  const keys = lockOrder(telephonySessionIds);
  return Prisma.sql`SELECT pg_advisory_xact_lock(${LOCK.callSession}, hashtext(k))
    FROM unnest(${keys}::text[]) WITH ORDINALITY AS s(k, i) ORDER BY i`;
}

/** Several sessions' locks in one statement, taken in a fixed (sorted) order. */
export async function lockCallSessions(tx: Transaction, telephonySessionIds: string[]): Promise<void> {
  const keys = lockOrder(telephonySessionIds);
  if (keys.length === 0) return;
  if (keys.length === 1) return lockCallSession(tx, keys[0]!);
  await tx.$executeRaw(callSessionLocksQuery(keys));
}

/** Tries several sessions' locks in one statement, without waiting: those whose lock this transaction now holds. */
export async function tryLockCallSessions(tx: Transaction, telephonySessionIds: string[]): Promise<string[]> {
  const keys = lockOrder(telephonySessionIds);
  if (keys.length === 0) return [];
  const rows = await tx.$queryRaw<{ k: string }[]>`
    SELECT k FROM unnest(${keys}::text[]) WITH ORDINALITY AS s(k, i)
    WHERE pg_try_advisory_xact_lock(${LOCK.callSession}, hashtext(k)) ORDER BY i`;
  return rows.map((r) => r.k);
}

/** Storing a sent message and applying its statuses serialise, so neither misses the other. */
export const lockRingCentralMessage = (tx: Transaction, ringCentralId: string) =>
  lock(tx, LOCK.ringCentralMessage, ringCentralId);

export const lockRecording = (tx: Transaction, ringCentralId: string) => lock(tx, LOCK.recording, ringCentralId);

/** The longest a session refresh may hold its lock: the token request with a retry or two. */
const SESSION_REFRESH_TIMEOUT_MS = 30_000;

/**
 * Runs `work` in a transaction holding the agent's session-refresh lock: one refresh of an agent's
 * RingCentral session at a time, across processes. A transaction (not a session lock) so the lock
 * cannot outlive its work on a pooled connection.
 */
export function whileRefreshingAgentSession<T>(
  prisma: PrismaClient,
  userId: string,
  work: (tx: Transaction) => Promise<T>,
): Promise<T> {
  return prisma.$transaction(
    async (tx) => {
      await lock(tx, LOCK.agentSessionRefresh, userId);
      return work(tx);
    },
    { timeout: SESSION_REFRESH_TIMEOUT_MS, maxWait: SESSION_REFRESH_TIMEOUT_MS },
  );
}

/** An agent's RingCentral login changes state (and is announced) one transaction at a time. */
export const lockAgentLogin = (tx: Transaction, userId: string) => lock(tx, LOCK.agentLogin, userId);

/** An agent's status changes (by hand, or from RingCentral's presence) apply one at a time. */
export const lockAgentStatus = (tx: Transaction, userId: string) => lock(tx, LOCK.agentStatus, userId);

/**
 * Serialises writers for one (channel, customer) until commit, so two messages arriving at once
 * cannot each open a conversation for the same customer.
 */
export const lockSmsThread = (tx: Transaction, channelId: string, customer: string) =>
  lock(tx, LOCK.smsThread, `${channelId}:${customer}`);

/**
 * Serialises concurrent changes to one conversation until commit, so each sees the one before it:
 * a repeated change stays a no-op instead of writing a second activity or a duplicate row.
 * A row lock, not an advisory one: the row exists, and a lock on it needs no namespace.
 */
export async function lockConversation(tx: Transaction, conversationId: string): Promise<void> {
  await tx.$executeRaw`SELECT 1 FROM "Conversation" WHERE id = ${conversationId}::uuid FOR UPDATE`;
}
