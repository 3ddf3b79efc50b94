// What the analytics tests count by hand with: percentiles as percentile_disc defines them, the
// bucket an instant falls in as a person reads the calendar, and every analytics table in a stable
// order (a rebuild from the stored history must reproduce what the consumer kept, row for row).
import type { PrismaClient } from "../../src/generated/prisma/client.ts";

const VALUE_LISTS = ["answeredWaits", "abandonedWaits", "talks", "holds", "firstResponses", "resolutions"] as const;

/** A varint list (seven bits a byte, low first) as its values, sorted: a row's lists are multisets. */
function valuesOf(bytes: Uint8Array | null): number[] | null {
  if (bytes === null) return null;
  const values: number[] = [];
  for (let i = 0; i < bytes.length; ) {
    let value = 0;
    for (let scale = 1; ; scale *= 128) {
      const byte = bytes[i++]!;
      value += (byte & 127) * scale;
      if (byte < 128) break;
    }
    values.push(value);
  }
  return values.sort((a, b) => a - b);
}

/** A rollup row with its value lists as sorted numbers (a row joins its parts' lists in any order). */
function withValues<Row extends Record<(typeof VALUE_LISTS)[number], Uint8Array | null>>(row: Row) {
  return { ...row, ...Object.fromEntries(VALUE_LISTS.map((v) => [v, valuesOf(row[v])])) };
}

export async function analyticsSnapshot(prisma: PrismaClient) {
  const byKeys = [{ inboxId: "asc" as const }, { channelId: "asc" as const }];
  const agentHourOrder = [{ hour: "asc" as const }, ...byKeys, { agentId: "asc" as const }];
  return {
    hours: (await prisma.analyticsHour.findMany({ orderBy: [{ hour: "asc" }, ...byKeys] })).map(withValues),
    agentHours: (await prisma.analyticsAgentHour.findMany({ orderBy: agentHourOrder })).map(withValues),
    agentDays: (
      await prisma.analyticsAgentDay.findMany({ orderBy: [{ day: "asc" }, ...byKeys, { agentId: "asc" }] })
    ).map(withValues),
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
