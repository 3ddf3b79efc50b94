// The rule runner's tables: its cursor in the event log, the claims that make each (rule, trigger)
// act at most once, and the calls waiting for their outcome to settle.
import type { PrismaClient } from "../generated/prisma/client.ts";

export async function readCursor(prisma: PrismaClient, name: string): Promise<bigint | null> {
  return (await prisma.ruleCursor.findUnique({ where: { name } }))?.sequence ?? null;
}

export async function writeCursor(prisma: PrismaClient, name: string, sequence: bigint): Promise<void> {
  await prisma.ruleCursor.upsert({ where: { name }, create: { name, sequence }, update: { sequence } });
}

export interface RunClaim {
  ruleId: string;
  triggerKey: string;
  eventSequence: bigint;
  conversationId: string;
}

/**
 * Claims the runs in one statement; returns the ids of those this caller inserted, by
 * `ruleId triggerKey` (a run claimed before is absent). A claim is committed before any action
 * runs, so a runner that stops mid-way never acts on it again.
 */
export async function claimRuns(prisma: PrismaClient, runs: RunClaim[]): Promise<Map<string, string>> {
  if (runs.length === 0) return new Map();
  const rows = await prisma.$queryRaw<{ id: string; ruleId: string; triggerKey: string }[]>`
    INSERT INTO "RuleRun" ("id", "ruleId", "triggerKey", "eventSequence", "conversationId")
    SELECT gen_random_uuid(), r."ruleId", r."triggerKey", r."eventSequence", r."conversationId"
    FROM unnest(${runs.map((r) => r.ruleId)}::uuid[], ${runs.map((r) => r.triggerKey)}::text[],
                ${runs.map((r) => r.eventSequence.toString())}::bigint[], ${runs.map((r) => r.conversationId)}::uuid[])
         AS r("ruleId", "triggerKey", "eventSequence", "conversationId")
    ON CONFLICT ("ruleId", "triggerKey") DO NOTHING
    RETURNING "id"::text, "ruleId"::text, "triggerKey"`;
  return new Map(rows.map((r) => [runKey(r), r.id]));
}

export const runKey = (run: { ruleId: string; triggerKey: string }) => `${run.ruleId} ${run.triggerKey}`;

export interface RunResult {
  runId: string;
  status: "DONE" | "FAILED";
  actions: unknown[];
  reason?: string | null;
}

/** Records what the runs did, in one statement. */
export async function finishRuns(prisma: PrismaClient, results: RunResult[]): Promise<void> {
  if (results.length === 0) return;
  await prisma.$executeRaw`
    UPDATE "RuleRun" AS run SET status = f.status::"RuleRunStatus", actions = f.actions, reason = f.reason,
           "finishedAt" = ${new Date().toISOString()}::timestamp(3)
    FROM unnest(${results.map((r) => r.runId)}::uuid[], ${results.map((r) => r.status)}::text[],
                ${results.map((r) => JSON.stringify(r.actions))}::jsonb[], ${results.map((r) => r.reason ?? null)}::text[])
         AS f(id, status, actions, reason)
    WHERE run.id = f.id`;
}

export interface CallWatch {
  callId: string;
  eventSequence: bigint;
  at: Date;
  ruleDepth: number;
}

/** The calls changed (or ended): each one's quiet period starts again from its `at`. One per call. */
export async function watchCalls(prisma: PrismaClient, watches: CallWatch[]): Promise<void> {
  if (watches.length === 0) return;
  await prisma.$executeRaw`
    INSERT INTO "RuleCallWatch" ("callId", "eventSequence", "lastChangeAt", "ruleDepth")
    SELECT * FROM unnest(${watches.map((w) => w.callId)}::uuid[], ${watches.map((w) => w.eventSequence.toString())}::bigint[],
                         ${watches.map((w) => w.at.toISOString())}::timestamp(3)[], ${watches.map((w) => w.ruleDepth)}::int[])
    ON CONFLICT ("callId") DO UPDATE SET "eventSequence" = excluded."eventSequence",
      "lastChangeAt" = excluded."lastChangeAt", "ruleDepth" = excluded."ruleDepth"`;
}

/** Of the calls, those watched. */
export async function watchedCalls(prisma: PrismaClient, callIds: string[]): Promise<Set<string>> {
  if (callIds.length === 0) return new Set();
  const rows = await prisma.ruleCallWatch.findMany({ where: { callId: { in: callIds } }, select: { callId: true } });
  return new Set(rows.map((r) => r.callId));
}

/** Watched calls quiet since `quietSince`, or whose outcome the call log settled. */
export function dueWatches(prisma: PrismaClient, quietSince: Date) {
  return prisma.ruleCallWatch.findMany({
    where: { lastChangeAt: { lte: quietSince } },
    orderBy: { eventSequence: "asc" },
    take: 500,
  });
}

/** Watched calls whose outcome reconciliation with the call log settled (they need no quiet period). */
export async function settledWatches(prisma: PrismaClient) {
  return prisma.$queryRaw<{ callId: string; eventSequence: bigint; lastChangeAt: Date; ruleDepth: number }[]>`
    SELECT w."callId"::text, w."eventSequence", w."lastChangeAt", w."ruleDepth"
    FROM "RuleCallWatch" w JOIN "Call" c ON c.id = w."callId"
    WHERE c."settledStatus" IS NOT NULL AND c."settledStatus" = c.status
    ORDER BY w."eventSequence" LIMIT 500`;
}

export async function unwatchCall(prisma: PrismaClient, callId: string, eventSequence: bigint): Promise<void> {
  // Only the watch as read: a newer event about the call keeps it waiting.
  await prisma.ruleCallWatch.deleteMany({ where: { callId, eventSequence } });
}

/** Of `candidates`, the one this rule assigned least recently (one it never assigned comes first). */
export async function leastRecentlyAssignedByRule(
  prisma: PrismaClient,
  ruleId: string,
  candidates: string[],
): Promise<string> {
  const rows = await prisma.$queryRaw<{ userId: string; last: bigint }[]>`
    SELECT payload->>'assigneeId' AS "userId", max(sequence) AS last FROM "Event"
    WHERE "ruleId" = ${ruleId}::uuid AND type = 'CONVERSATION_ASSIGNED'
      AND payload->>'assigneeId' = ANY(${candidates}::text[])
    GROUP BY 1`;
  const last = new Map(rows.map((r) => [r.userId, r.last]));
  const never = candidates.find((id) => !last.has(id));
  if (never) return never;
  return [...candidates].sort((a, b) => (last.get(a)! < last.get(b)! ? -1 : 1))[0]!;
}
