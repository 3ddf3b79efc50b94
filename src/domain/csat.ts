// CSAT (R6.4): a rule texts a survey ("How did we do? Reply 1–5"); a reply of 1–5 within the
// survey's window is the conversation's score, recorded against the agent who was assigned, shown in
// its timeline, and does not reopen it. Any other reply is an ordinary message. One survey per
// conversation per window; none to a number that opted out (STOP) or whose last delivery failed.
import type { Channel } from "../generated/prisma/client.ts";
import { conversationWithInboxes, inboxIdsOf } from "./conversations.ts";
import type { Deps, EventLog, Transaction } from "./event-log.ts";
import type { RuleCause } from "./events.ts";
import { NoSmsRoute, ruleTemplateText, sendRuleSms, smsRouteFor } from "./rules/rule-sms.ts";
import { advanceLastActivity, messageEvent } from "./sms/message-activity.ts";
import type { SmsSender } from "./sms/sender.ts";

/** RingCentral's opt-out and opt-in keywords (an SMS of just the word). */
const OPT_OUT = new Set(["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"]);
const OPT_IN = new Set(["START", "UNSTOP", "YES"]);

const WORDS: Record<string, number> = { one: 1, two: 2, three: 3, four: 4, five: 5 };

/** "5", " 4 ", "5!", "five" → the score; anything else → null. */
export function parseCsatScore(text: string): number | null {
  const word = text
    .trim()
    .toLowerCase()
    .replace(/[\s!.?]+$/u, "");
  if (/^[1-5]$/.test(word)) return Number(word);
  return WORDS[word] ?? null;
}

const keyword = (text: string) => text.trim().toUpperCase();

export interface ActionResult {
  outcome: "DONE" | "SKIPPED";
  detail?: string;
}

/** Whether the number's last opt-out or opt-in keyword was an opt-out. */
async function optedOut(tx: Deps["prisma"], to: string): Promise<boolean> {
  const keywords = await tx.message.findMany({
    where: { direction: "INBOUND", fromNumber: to, text: { in: [...OPT_OUT, ...OPT_IN], mode: "insensitive" } },
    orderBy: { createdAt: "desc" },
    take: 1,
    select: { text: true },
  });
  return keywords.length > 0 && OPT_OUT.has(keyword(keywords[0]!.text));
}

async function lastDeliveryFailed(prisma: Deps["prisma"], to: string): Promise<boolean> {
  const last = await prisma.message.findFirst({
    where: { direction: "OUTBOUND", toNumber: to },
    orderBy: { createdAt: "desc" },
    select: { status: true },
  });
  return last?.status === "FAILED";
}

export async function sendCsatSurvey(
  deps: Deps,
  sender: () => Promise<SmsSender>,
  input: { conversationId: string; templateId: string; windowHours: number; cause: RuleCause; now: Date },
): Promise<ActionResult> {
  const { prisma } = deps;
  const recent = await prisma.csatResponse.findFirst({
    where: { conversationId: input.conversationId, expiresAt: { gt: input.now } },
  });
  if (recent) return { outcome: "SKIPPED", detail: "a survey was already sent within the window" };
  let route: Awaited<ReturnType<typeof smsRouteFor>>;
  try {
    route = await smsRouteFor(prisma, input.conversationId);
  } catch (error) {
    if (error instanceof NoSmsRoute) return { outcome: "SKIPPED", detail: error.message };
    throw error;
  }
  if (await optedOut(prisma, route.to)) return { outcome: "SKIPPED", detail: "the customer replied STOP" };
  if (await lastDeliveryFailed(prisma, route.to))
    return { outcome: "SKIPPED", detail: "the last message to the customer could not be delivered" };
  const text = await ruleTemplateText(prisma, input.templateId, input.conversationId, route);
  const conversation = await prisma.conversation.findUniqueOrThrow({ where: { id: input.conversationId } });
  await sendRuleSms(
    deps,
    await sender(),
    { conversationId: input.conversationId, route, text, cause: input.cause },
    async (tx, messageId) => {
      await tx.csatResponse.create({
        data: {
          conversationId: input.conversationId,
          surveyedAt: input.now,
          expiresAt: new Date(input.now.getTime() + input.windowHours * 3600_000),
          channelId: route.channel.id,
          customerNumber: route.to,
          assigneeId: conversation.assigneeId,
          ruleId: input.cause.ruleId,
          surveyMessageId: messageId,
        },
      });
    },
  );
  return { outcome: "DONE", detail: `survey sent to ${route.to}` };
}

/**
 * An inbound text that answers an open survey on this channel from this number: stored in the
 * surveyed conversation (which stays as it is) with its score. Returns the message id, or null when
 * the text is no answer (the caller threads it as an ordinary message).
 */
export async function answerCsatSurvey(
  tx: Transaction,
  log: EventLog,
  channel: Channel,
  input: { from: string; text: string; ringCentralId: string; createdAt: Date },
): Promise<{ messageId: string; conversationId: string } | null> {
  const score = parseCsatScore(input.text);
  if (score === null) return null;
  const survey = await tx.csatResponse.findFirst({
    where: {
      channelId: channel.id,
      customerNumber: input.from,
      score: null,
      surveyedAt: { lte: input.createdAt },
      expiresAt: { gt: input.createdAt },
    },
    orderBy: { surveyedAt: "desc" },
  });
  if (!survey) return null;
  const conversation = await tx.conversation.findUniqueOrThrow({
    where: { id: survey.conversationId },
    include: conversationWithInboxes,
  });
  const message = await tx.message.create({
    data: {
      ringCentralId: input.ringCentralId,
      conversationId: conversation.id,
      channelId: channel.id,
      direction: "INBOUND",
      status: "RECEIVED",
      fromNumber: input.from,
      toNumber: channel.phoneNumber,
      text: input.text,
      createdAt: input.createdAt,
    },
  });
  await tx.csatResponse.update({
    where: { id: survey.id },
    data: { score, answeredAt: input.createdAt, replyMessageId: message.id },
  });
  await advanceLastActivity(tx, conversation.id, input.createdAt);
  log.append(messageEvent("MESSAGE_ADDED", conversation, message));
  log.append({
    type: "CSAT_RECEIVED",
    conversationId: conversation.id,
    inboxIds: inboxIdsOf(conversation),
    userIds: survey.assigneeId ? [survey.assigneeId] : [],
    payload: { csatResponseId: survey.id, score, messageId: message.id, assigneeId: survey.assigneeId },
  });
  return { messageId: message.id, conversationId: conversation.id };
}
