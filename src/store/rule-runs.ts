// The rule runner's tables: its cursor in the event log, the claims that make each (rule, trigger)
// act at most once, and the calls waiting for their outcome to settle.
import type { Prisma, PrismaClient } from "../generated/prisma/client.ts";

export async function readCursor(prisma: PrismaClient, name: string): Promise<bigint | null> {
  return (await prisma.ruleCursor.findUnique({ where: { name } }))?.sequence ?? null;
}

export async function writeCursor(prisma: PrismaClient, name: string, sequence: bigint): Promise<void> {
  await prisma.ruleCursor.upsert({ where: { name }, create: { name, sequence }, update: { sequence } });
}

/**
 * Claims the run of `ruleId` for `triggerKey`: true for the one caller that inserted it. A claim is
 * committed before any action runs, so a runner that stops mid-way never acts on it again.
 */
export async function claimRun(
  prisma: PrismaClient,
  run: { ruleId: string; triggerKey: string; eventSequence: bigint; conversationId: string },
): Promise<string | null> {
  const rows = await prisma.$queryRaw<{ id: string }[]>`
    INSERT INTO "RuleRun" ("id", "ruleId", "triggerKey", "eventSequence", "conversationId")
    VALUES (gen_random_uuid(), ${run.ruleId}::uuid, ${run.triggerKey}, ${run.eventSequence}, ${run.conversationId}::uuid)
    ON CONFLICT ("ruleId", "triggerKey") DO NOTHING
    RETURNING "id"::text`;
  return rows[0]?.id ?? null;
}

export async function finishRun(
  prisma: PrismaClient,
  runId: string,
  result: { status: "DONE" | "FAILED"; actions: unknown[]; reason?: string | null },
): Promise<void> {
  await prisma.ruleRun.update({
    where: { id: runId },
    data: {
      status: result.status,
      actions: result.actions as Prisma.InputJsonValue,
      reason: result.reason ?? null,
      finishedAt: new Date(),
    },
  });
}

/** The call changed (or ended): its quiet period starts again from `at`. */
export async function watchCall(
  prisma: PrismaClient,
  watch: { callId: string; eventSequence: bigint; at: Date; ruleDepth: number },
): Promise<void> {
  await prisma.ruleCallWatch.upsert({
    where: { callId: watch.callId },
    create: {
      callId: watch.callId,
      eventSequence: watch.eventSequence,
      lastChangeAt: watch.at,
      ruleDepth: watch.ruleDepth,
    },
    update: { eventSequence: watch.eventSequence, lastChangeAt: watch.at, ruleDepth: watch.ruleDepth },
  });
}

export async function isWatched(prisma: PrismaClient, callId: string): Promise<boolean> {
  return (await prisma.ruleCallWatch.count({ where: { callId } })) > 0;
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
