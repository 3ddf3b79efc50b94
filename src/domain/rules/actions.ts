// What a rule's actions do to a conversation. Each runs in its own transaction whose events carry
// the rule (and how deep in rule actions they are), so the timeline says the rule did it and rules
// do not trigger each other without end.
import type { ConversationWithInboxes } from "../conversations.ts";
import {
  archiveIn,
  assignIn,
  commentIn,
  conversationWithInboxes,
  reopenIn,
  tagIn,
  unassignIn,
  untagIn,
} from "../conversations.ts";
import { sendCsatSurvey, type ActionResult } from "../csat.ts";
import { inTransaction, type Deps, type EventLog, type Transaction } from "../event-log.ts";
import type { RuleCause } from "../events.ts";
import type { SmsSender } from "../sms/sender.ts";
import { lockConversation } from "../../store/locks.ts";
import { leastRecentlyAssignedByRule } from "../../store/rule-runs.ts";
import type { RuleAction, RuleDefinition } from "./model.ts";
import { NoSmsRoute, ruleTemplateText, sendRuleSms, smsRouteFor } from "./rule-sms.ts";

export interface ActionContext {
  deps: Deps;
  rule: RuleDefinition;
  conversationId: string;
  cause: RuleCause;
  now: Date;
  smsSender: () => Promise<SmsSender>;
}

export interface ActionOutcome {
  type: RuleAction["type"];
  outcome: ActionResult["outcome"] | "FAILED";
  detail?: string;
}

type ConversationChange = (tx: Transaction, log: EventLog, conversation: ConversationWithInboxes) => Promise<unknown>;

/** One change to the locked conversation, in a transaction stamped with the rule. */
async function change(context: ActionContext, apply: ConversationChange): Promise<ActionResult> {
  await inTransaction(
    context.deps,
    async (tx, log) => {
      await lockConversation(tx, context.conversationId);
      const conversation = await tx.conversation.findUniqueOrThrow({
        where: { id: context.conversationId },
        include: conversationWithInboxes,
      });
      await apply(tx, log, conversation);
    },
    context.cause,
  );
  return { outcome: "DONE" };
}

/** Round-robin among the conversation's inboxes' members who are AVAILABLE: whoever this rule assigned
 * least recently (never first), so assignments spread evenly; BUSY, AWAY and OFFLINE agents are skipped. */
async function assignRoundRobin(context: ActionContext): Promise<ActionResult> {
  const { prisma } = context.deps;
  const conversation = await prisma.conversation.findUniqueOrThrow({
    where: { id: context.conversationId },
    include: conversationWithInboxes,
  });
  const members = await prisma.inboxMember.findMany({
    where: { inboxId: { in: conversation.inboxes.map((i) => i.inboxId) }, user: { status: "AVAILABLE" } },
    select: { userId: true },
  });
  const candidates = [...new Set(members.map((m) => m.userId))].sort();
  if (candidates.length === 0) return { outcome: "SKIPPED", detail: "no available agent in the inbox" };
  const userId = await leastRecentlyAssignedByRule(prisma, context.rule.id, candidates);
  await change(context, (tx, log, c) => assignIn(tx, log, c, userId, null));
  return { outcome: "DONE", detail: `assigned to ${userId}` };
}

async function sendTemplate(
  context: ActionContext,
  action: Extract<RuleAction, { type: "SEND_SMS_TEMPLATE" }>,
): Promise<ActionResult> {
  const { prisma } = context.deps;
  let route: Awaited<ReturnType<typeof smsRouteFor>>;
  try {
    route = await smsRouteFor(prisma, context.conversationId);
  } catch (error) {
    if (error instanceof NoSmsRoute) return { outcome: "SKIPPED", detail: error.message };
    throw error;
  }
  const text = await ruleTemplateText(prisma, action.templateId, context.conversationId, route, action.variables);
  await sendRuleSms(context.deps, await context.smsSender(), {
    conversationId: context.conversationId,
    route,
    text,
    cause: context.cause,
  });
  return { outcome: "DONE", detail: `sent to ${route.to}` };
}

async function comment(context: ActionContext, body: string): Promise<ActionResult> {
  const authorId = context.rule.updatedById;
  if (!authorId) throw new Error("the rule has no admin to write its comment in the name of: save it once");
  return change(context, (tx, log, c) => commentIn(tx, log, c, { body, authorId }));
}

export function runAction(context: ActionContext, action: RuleAction): Promise<ActionResult> {
  switch (action.type) {
    case "ARCHIVE":
      return change(context, (tx, log, c) => archiveIn(tx, log, c, null));
    case "REOPEN":
      return change(context, (tx, log, c) => reopenIn(tx, log, c, null));
    case "ASSIGN":
      return change(context, (tx, log, c) => assignIn(tx, log, c, action.userId, null));
    case "ASSIGN_ROUND_ROBIN":
      return assignRoundRobin(context);
    case "UNASSIGN":
      return change(context, (tx, log, c) => unassignIn(tx, log, c, null));
    case "TAG":
      return change(context, (tx, log, c) => tagIn(tx, log, c, action.tagId, null));
    case "UNTAG":
      return change(context, (tx, log, c) => untagIn(tx, log, c, action.tagId, null));
    case "COMMENT":
      return comment(context, action.body);
    case "SEND_SMS_TEMPLATE":
      return sendTemplate(context, action);
    case "SEND_CSAT_SURVEY":
      return sendCsatSurvey(context.deps, context.smsSender, {
        conversationId: context.conversationId,
        templateId: action.templateId,
        windowHours: action.windowHours,
        cause: context.cause,
        now: context.now,
      });
  }
}

/** What an action would do, for the dry run (nothing is changed). */
export function describeAction(action: RuleAction): string {
  switch (action.type) {
    case "ASSIGN":
      return `assign to ${action.userId}`;
    case "TAG":
    case "UNTAG":
      return `${action.type.toLowerCase()} ${action.tagId}`;
    case "COMMENT":
      return `comment "${action.body}"`;
    case "SEND_SMS_TEMPLATE":
    case "SEND_CSAT_SURVEY":
      return `${action.type === "SEND_CSAT_SURVEY" ? "send a CSAT survey" : "send an SMS"} from template ${action.templateId}`;
    default:
      return action.type.toLowerCase().replaceAll("_", " ");
  }
}
