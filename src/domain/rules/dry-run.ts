// The dry run (R6.3): which past conversations a rule would have acted on since a time, and what it
// would have done, read from the event log the way the runner reads it — changing nothing. A call's
// end is judged by the call's outcome as it stands now (settled, for a past call); other conditions
// by the conversation as it is now, and business hours at the time of the event.
import type { PrismaClient } from "../../generated/prisma/client.ts";
import { readEventsAfter } from "../../store/event-log.ts";
import { describeAction } from "./actions.ts";
import { loadFacts, matches } from "./conditions.ts";
import type { RuleDefinition } from "./model.ts";
import { callEndedTrigger, depthOf, MAX_RULE_DEPTH, triggerOf, type Trigger } from "./triggers.ts";
import type { EventRecord } from "../events.ts";

export interface DryRunMatch {
  conversationId: string;
  eventSequence: string;
  at: Date;
  actions: string[];
}

export const MAX_DRY_RUN_MATCHES = 500;

function dryRunTrigger(event: EventRecord): Trigger | null {
  if (event.type === "CONVERSATION_CALL_ENDED" && event.conversationId)
    return callEndedTrigger(event.payload.callId, event.conversationId);
  return triggerOf(event);
}

export async function dryRunRule(
  prisma: PrismaClient,
  rule: Omit<RuleDefinition, "id" | "updatedById">,
  since: Date,
): Promise<DryRunMatch[]> {
  const first = await prisma.event.findFirst({
    where: { createdAt: { gte: since } },
    orderBy: { sequence: "asc" },
    select: { sequence: true },
  });
  if (!first) return [];
  const seen = new Set<string>();
  const found: DryRunMatch[] = [];
  for await (const event of readEventsAfter(prisma, {}, first.sequence - 1n)) {
    if (depthOf(event) >= MAX_RULE_DEPTH) continue;
    const trigger = dryRunTrigger(event);
    if (!trigger || trigger.trigger !== rule.trigger || seen.has(trigger.key)) continue;
    seen.add(trigger.key);
    const at = new Date(event.createdAt);
    const facts = await loadFacts(prisma, { ...trigger, at });
    if (!facts || !matches({ ...rule, id: "", updatedById: null }, facts)) continue;
    found.push({
      conversationId: trigger.conversationId,
      eventSequence: event.sequence,
      at,
      actions: rule.actions.map(describeAction),
    });
    if (found.length >= MAX_DRY_RUN_MATCHES) break;
  }
  return found;
}
