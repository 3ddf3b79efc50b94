// What the analytics tests count by hand with: percentiles as percentile_disc defines them, the
// bucket an instant falls in as a person reads the calendar, and every analytics table in a stable
// order (a rebuild from the stored history must reproduce what the consumer kept, row for row).
import type { PrismaClient } from "../../src/generated/prisma/client.ts";

export async function analyticsSnapshot(prisma: PrismaClient) {
  const byKeys = [{ inboxId: "asc" as const }, { channelId: "asc" as const }];
  return {
    hours: await prisma.analyticsHour.findMany({ orderBy: [{ hour: "asc" }, ...byKeys] }),
    agentHours: await prisma.analyticsAgentHour.findMany({ orderBy: [{ hour: "asc" }, ...byKeys, { agentId: "asc" }] }),
    agentDays: await prisma.analyticsAgentDay.findMany({ orderBy: [{ day: "asc" }, ...byKeys, { agentId: "asc" }] }),
    calls: await prisma.analyticsCall.findMany({ orderBy: { callId: "asc" } }),
    callAgents: await prisma.analyticsCallAgent.findMany({ orderBy: [{ callId: "asc" }, { agentId: "asc" }] }),
    conversations: await prisma.analyticsConversation.findMany({ orderBy: { conversationId: "asc" } }),
    messages: await prisma.analyticsMessage.findMany({ orderBy: { messageId: "asc" } }),
    csat: await prisma.analyticsCsat.findMany({ orderBy: { csatResponseId: "asc" } }),
  };
}

/** The smallest value with at least the share `p` of the values at or below it (null: none). */
export function percentile(values: number[], p: number): number | null {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? null : sorted[Math.ceil(p * sorted.length) - 1]!;
}

export type Granularity = "HOUR" | "DAY" | "WEEK";

const HOUR = 3_600_000;

/** The local calendar date of an instant (YYYY-MM-DD). */
function localDate(t: number, timeZone: string): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(t);
}

/** The bucket an instant falls in, as a label: its UTC hour, its local date, or its local week's Monday. */
export function bucketLabel(t: number, timeZone: string, granularity: Granularity): string {
  if (granularity === "HOUR") return new Date(Math.floor(t / HOUR) * HOUR).toISOString();
  const date = localDate(t, timeZone);
  if (granularity === "DAY") return date;
  const day = new Date(`${date}T00:00:00Z`);
  const monday = new Date(day.getTime() - ((day.getUTCDay() + 6) % 7) * 24 * HOUR);
  return monday.toISOString().slice(0, 10);
}
