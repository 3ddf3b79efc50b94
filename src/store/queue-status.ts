// The live queue figures of one inbox, read from the calls and members as they are now.
import type { PrismaClient } from "../generated/prisma/client.ts";

export interface QueueStatusRow {
  waiting: number;
  longestWaitingSince: Date | null;
  inProgress: number;
  available: number;
  busy: number;
  away: number;
  answeredToday: number;
  missedToday: number;
  abandonedToday: number;
  /** The next local midnight in the inbox's time zone, when "today" starts again (null: no such inbox). */
  todayEndsAt: Date | null;
}

/**
 * Inbound calls of the inbox's numbers ringing or queued (waiting, since their first party event),
 * calls up (answered or on hold), members by status, and the calls that started since local midnight
 * in the inbox's time zone by outcome — and the next local midnight, from the same calendar
 * arithmetic (PostgreSQL's, so a day is 23 or 25 hours long when daylight saving changes).
 */
export async function readQueueStatus(prisma: PrismaClient, inboxId: string, now: Date): Promise<QueueStatusRow> {
  const [row] = await prisma.$queryRaw<QueueStatusRow[]>`
    WITH inbox AS (SELECT id, "timeZone" FROM "Inbox" WHERE id = ${inboxId}::uuid),
    today AS (
      SELECT (d AT TIME ZONE i."timeZone") AT TIME ZONE 'UTC' AS since,
             ((d + interval '1 day') AT TIME ZONE i."timeZone") AT TIME ZONE 'UTC' AS until
      FROM inbox i,
           LATERAL (SELECT date_trunc('day', (${now}::timestamp AT TIME ZONE 'UTC') AT TIME ZONE i."timeZone") AS d) local
    ),
    calls AS (
      SELECT c.status, c.direction,
             coalesce((SELECT min(p."firstEventAt") FROM "CallParty" p WHERE p."callId" = c.id), c."createdAt") AS started
      FROM "Call" c JOIN "Channel" ch ON ch.id = c."channelId" JOIN inbox ON ch."inboxId" = inbox.id
      WHERE c.status IN ('RINGING', 'QUEUED', 'IN_PROGRESS', 'ON_HOLD')
         OR c."createdAt" >= (SELECT since FROM today) - interval '1 day'
    ),
    members AS (
      SELECT u.status FROM "InboxMember" m JOIN "User" u ON u.id = m."userId" WHERE m."inboxId" = ${inboxId}::uuid
    )
    SELECT
      (SELECT count(*)::int FROM calls WHERE direction = 'INBOUND' AND status IN ('RINGING', 'QUEUED')) AS waiting,
      (SELECT min(started) FROM calls WHERE direction = 'INBOUND' AND status IN ('RINGING', 'QUEUED')) AS "longestWaitingSince",
      (SELECT count(*)::int FROM calls WHERE status IN ('IN_PROGRESS', 'ON_HOLD')) AS "inProgress",
      (SELECT count(*)::int FROM members WHERE status = 'AVAILABLE') AS available,
      (SELECT count(*)::int FROM members WHERE status = 'BUSY') AS busy,
      (SELECT count(*)::int FROM members WHERE status = 'AWAY') AS away,
      (SELECT count(*)::int FROM calls, today WHERE direction = 'INBOUND' AND started >= since AND status = 'ENDED') AS "answeredToday",
      (SELECT count(*)::int FROM calls, today WHERE direction = 'INBOUND' AND started >= since AND status = 'MISSED') AS "missedToday",
      (SELECT count(*)::int FROM calls, today WHERE direction = 'INBOUND' AND started >= since AND status = 'ABANDONED') AS "abandonedToday",
      (SELECT until FROM today) AS "todayEndsAt"`;
  return row!;
}
