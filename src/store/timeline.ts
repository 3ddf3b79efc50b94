// A conversation's timeline entries across the tables that hold them, merged by time.
import type { PrismaClient } from "../generated/prisma/client.ts";

export type TimelineKind = "Call" | "Message" | "Comment" | "Activity";

/** One page of a conversation's calls, messages, comments and activities by time: kinds and ids, in one statement. */
export function timelinePage(
  prisma: PrismaClient,
  conversationId: string,
  offset: number,
  limit: number,
): Promise<{ kind: TimelineKind; id: string }[]> {
  return prisma.$queryRaw<{ kind: TimelineKind; id: string }[]>`
    SELECT kind, id FROM (
      SELECT 'Call' AS kind, id, "createdAt" FROM "Call" WHERE "conversationId" = ${conversationId}::uuid
      UNION ALL SELECT 'Message', id, "createdAt" FROM "Message" WHERE "conversationId" = ${conversationId}::uuid
      UNION ALL SELECT 'Comment', id, "createdAt" FROM "Comment" WHERE "conversationId" = ${conversationId}::uuid
      UNION ALL SELECT 'Activity', id, "createdAt" FROM "Activity" WHERE "conversationId" = ${conversationId}::uuid
    ) AS entries
    ORDER BY "createdAt" ASC, id ASC
    OFFSET ${offset} LIMIT ${limit}`;
}
