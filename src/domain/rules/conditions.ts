// What a rule's conditions are asked of (the facts of one trigger), how they are loaded, and the pure
// check of every condition against them. The runner and the dry run share both.
import type { PrismaClient } from "../../generated/prisma/client.ts";
import { isOpen, type BusinessHours, type WeeklySchedule } from "./business-hours.ts";
import type { RuleCondition, RuleDefinition } from "./model.ts";

export interface CallFacts {
  id: string;
  status: string;
  direction: "INBOUND" | "OUTBOUND";
  queued: boolean;
  talkSeconds: number | null;
  /** From the first leg's start to the answer (or to the end, unanswered). */
  waitSeconds: number | null;
}

export interface TriggerFacts {
  conversation: {
    id: string;
    status: "OPEN" | "ARCHIVED";
    assigneeId: string | null;
    inboxIds: string[];
    channelId: string | null;
    channelType: "VOICE" | "SMS" | null;
    tagIds: string[];
    contactKnown: boolean;
  };
  call: CallFacts | null;
  messageText: string | null;
  /** The business hours of the conversation's inboxes. */
  hours: Map<string, BusinessHours>;
  /** When the trigger happened (business hours are judged at this time). */
  at: Date;
}

const seconds = (from: Date, to: Date) => Math.max(0, Math.round((to.getTime() - from.getTime()) / 1000));

export interface FactsInput {
  conversationId: string;
  callId?: string | null;
  messageId?: string | null;
  at: Date;
}

type CallRow = Awaited<ReturnType<typeof readCalls>>[number];

function readCalls(prisma: PrismaClient, ids: string[]) {
  return prisma.call.findMany({
    where: { id: { in: ids } },
    include: { parties: { select: { firstEventAt: true, queueCall: true } } },
  });
}

function callFacts(call: CallRow): CallFacts {
  const starts = call.parties.map((p) => p.firstEventAt.getTime());
  const start = starts.length ? new Date(Math.min(...starts)) : call.createdAt;
  const until = call.answeredAt ?? call.endedAt;
  return {
    id: call.id,
    status: call.status,
    direction: call.direction,
    queued: call.queuedAt !== null || call.parties.some((p) => p.queueCall),
    talkSeconds: call.talkSeconds,
    waitSeconds: until ? seconds(start, until) : null,
  };
}

function readConversations(prisma: PrismaClient, ids: string[]) {
  return prisma.conversation.findMany({
    where: { id: { in: ids } },
    include: {
      inboxes: { select: { inbox: { select: { id: true, timeZone: true, businessHours: true, holidays: true } } } },
      tags: { select: { tagId: true } },
      channel: { select: { type: true } },
    },
  });
}

/**
 * Of the conversations, those whose contact is known: named, or seen in a conversation created
 * before this one (the contact's first conversation is earlier than this one).
 */
async function knownContacts(
  prisma: PrismaClient,
  conversations: { id: string; contactId: string | null; createdAt: Date }[],
): Promise<Set<string>> {
  const contactIds = [...new Set(conversations.flatMap((c) => (c.contactId ? [c.contactId] : [])))];
  if (contactIds.length === 0) return new Set();
  const [named, firsts] = await Promise.all([
    prisma.contact.findMany({ where: { id: { in: contactIds }, name: { not: null } }, select: { id: true } }),
    prisma.conversation.groupBy({
      by: ["contactId"],
      where: { contactId: { in: contactIds } },
      _min: { createdAt: true },
    }),
  ]);
  const isNamed = new Set(named.map((c) => c.id));
  const first = new Map(firsts.map((f) => [f.contactId, f._min.createdAt]));
  return new Set(
    conversations
      .filter((c) => c.contactId && (isNamed.has(c.contactId) || (first.get(c.contactId) ?? c.createdAt) < c.createdAt))
      .map((c) => c.id),
  );
}

/**
 * The facts of many triggers, read in a constant number of queries (conversations, calls, messages,
 * contacts); an input's facts are null when its conversation is gone. Same order as `inputs`.
 */
export async function loadFactsBatch(prisma: PrismaClient, inputs: FactsInput[]): Promise<(TriggerFacts | null)[]> {
  if (inputs.length === 0) return [];
  const unique = (ids: (string | null | undefined)[]) => [...new Set(ids.filter((id): id is string => !!id))];
  const callIds = unique(inputs.map((i) => i.callId));
  const messageIds = unique(inputs.map((i) => i.messageId));
  const [conversations, calls, messages] = await Promise.all([
    readConversations(prisma, unique(inputs.map((i) => i.conversationId))),
    callIds.length ? readCalls(prisma, callIds) : [],
    messageIds.length
      ? prisma.message.findMany({ where: { id: { in: messageIds } }, select: { id: true, text: true } })
      : [],
  ]);
  const known = await knownContacts(prisma, conversations);
  const conversationById = new Map(conversations.map((c) => [c.id, c]));
  const callById = new Map(calls.map((c) => [c.id, callFacts(c)]));
  const textById = new Map(messages.map((m) => [m.id, m.text]));
  return inputs.map((input) => {
    const conversation = conversationById.get(input.conversationId);
    if (!conversation) return null;
    const inboxes = conversation.inboxes.map((i) => i.inbox);
    return {
      conversation: {
        id: conversation.id,
        status: conversation.status,
        assigneeId: conversation.assigneeId,
        inboxIds: inboxes.map((i) => i.id),
        channelId: conversation.channelId,
        channelType: conversation.channel?.type ?? null,
        tagIds: conversation.tags.map((t) => t.tagId),
        contactKnown: known.has(conversation.id),
      },
      call: (input.callId && callById.get(input.callId)) || null,
      messageText: (input.messageId && textById.get(input.messageId)) ?? null,
      hours: new Map(
        inboxes.map((i) => [
          i.id,
          { timeZone: i.timeZone, schedule: i.businessHours as WeeklySchedule | null, holidays: i.holidays },
        ]),
      ),
      at: input.at,
    };
  });
}

/** The facts of one trigger; null when the conversation is gone. */
export async function loadFacts(prisma: PrismaClient, input: FactsInput): Promise<TriggerFacts | null> {
  return (await loadFactsBatch(prisma, [input]))[0] ?? null;
}

/** The rule applies to the conversation: it is global, or the conversation is in one of its inboxes. */
export function inScope(rule: Pick<RuleDefinition, "inboxIds">, facts: TriggerFacts): boolean {
  return rule.inboxIds.length === 0 || facts.conversation.inboxIds.some((id) => rule.inboxIds.includes(id));
}

function within(value: number | null, range: { atLeastSeconds?: number; atMostSeconds?: number }): boolean {
  if (value === null) return false;
  return (range.atLeastSeconds ?? 0) <= value && value <= (range.atMostSeconds ?? Number.POSITIVE_INFINITY);
}

/** Inside business hours: of the conversation's inboxes the rule covers, the first's. */
function insideBusinessHours(rule: Pick<RuleDefinition, "inboxIds">, facts: TriggerFacts): boolean {
  const inboxId =
    facts.conversation.inboxIds.find((id) => rule.inboxIds.length === 0 || rule.inboxIds.includes(id)) ?? null;
  const hours = inboxId ? facts.hours.get(inboxId) : undefined;
  return hours ? isOpen(hours, facts.at) : true;
}

export function holds(condition: RuleCondition, facts: TriggerFacts, rule: Pick<RuleDefinition, "inboxIds">): boolean {
  const { conversation, call } = facts;
  switch (condition.type) {
    case "INBOX":
      return conversation.inboxIds.some((id) => condition.inboxIds.includes(id));
    case "CHANNEL":
      return (
        (!condition.channelType || condition.channelType === conversation.channelType) &&
        (!condition.channelIds ||
          (conversation.channelId !== null && condition.channelIds.includes(conversation.channelId)))
      );
    case "CALL_OUTCOME":
      return call !== null && (condition.outcomes as string[]).includes(call.status);
    case "CALL_DIRECTION":
      return call?.direction === condition.direction;
    case "QUEUED":
      return call !== null && call.queued === condition.queued;
    case "TALK_TIME":
      return within(call?.talkSeconds ?? null, condition);
    case "WAIT_TIME":
      return within(call?.waitSeconds ?? null, condition);
    case "CONTACT":
      return conversation.contactKnown === condition.known;
    case "MESSAGE_TEXT":
      return (facts.messageText ?? "").toLowerCase().includes(condition.contains.toLowerCase());
    case "TAG":
      return condition.tagIds.some((id) => conversation.tagIds.includes(id)) === condition.present;
    case "ASSIGNEE":
      if (!condition.assigned) return conversation.assigneeId === null;
      return (
        conversation.assigneeId !== null && (!condition.userIds || condition.userIds.includes(conversation.assigneeId))
      );
    case "BUSINESS_HOURS":
      return insideBusinessHours(rule, facts) === condition.inside;
  }
}

/** Whether the rule acts on these facts: in scope, and every condition holds. */
export function matches(rule: RuleDefinition, facts: TriggerFacts): boolean {
  return inScope(rule, facts) && rule.conditions.every((c) => holds(c, facts, rule));
}
