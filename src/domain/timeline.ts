// A conversation's timeline: calls, messages, comments and activities merged by time. One SQL
// statement finds the page's entries (store/timeline.ts), then one per kind present loads them.
import type { Activity, Call, Comment, Message, PrismaClient } from "../generated/prisma/client.ts";
import { timelinePage, type TimelineKind } from "../store/timeline.ts";

export type TimelineEntry =
  | (Call & { kind: "Call" })
  | (Message & { kind: "Message" })
  | (Comment & { kind: "Comment" })
  | (Activity & { kind: "Activity" });

export async function loadTimeline(
  prisma: PrismaClient,
  conversationId: string,
  offset: number,
  limit: number,
): Promise<TimelineEntry[]> {
  const page = await timelinePage(prisma, conversationId, offset, limit);
  const idsOf = (kind: TimelineKind) => page.filter((e) => e.kind === kind).map((e) => e.id);
  const [calls, messages, comments, activities] = await Promise.all([
    idsOf("Call").length ? prisma.call.findMany({ where: { id: { in: idsOf("Call") } } }) : [],
    idsOf("Message").length ? prisma.message.findMany({ where: { id: { in: idsOf("Message") } } }) : [],
    idsOf("Comment").length ? prisma.comment.findMany({ where: { id: { in: idsOf("Comment") } } }) : [],
    idsOf("Activity").length ? prisma.activity.findMany({ where: { id: { in: idsOf("Activity") } } }) : [],
  ]);
  const byId = new Map<string, TimelineEntry>();
  for (const row of calls) byId.set(row.id, { ...row, kind: "Call" });
  for (const row of messages) byId.set(row.id, { ...row, kind: "Message" });
  for (const row of comments) byId.set(row.id, { ...row, kind: "Comment" });
  for (const row of activities) byId.set(row.id, { ...row, kind: "Activity" });
  return page.flatMap((entry) => byId.get(entry.id) ?? []);
}
