// Every analytics table in a stable order: a rebuild from the stored history must reproduce what
// the consumer kept, row for row.
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
