// Which rule trigger an event of the log is (the runner and the dry run read the log the same way).
// A call's end is no trigger by itself: its outcome must settle first (src/rules/runner.ts).
import type { RuleTrigger } from "../../generated/prisma/enums.ts";
import { isOutcome } from "../call-outcomes.ts";
import type { EventRecord } from "../events.ts";

/** Rule actions deep beyond this, events trigger no rule: rules cannot loop. */
export const MAX_RULE_DEPTH = 3;

export interface Trigger {
  trigger: RuleTrigger;
  /** Unique per rule: the same trigger never runs a rule twice. */
  key: string;
  conversationId: string;
  callId?: string;
  messageId?: string;
}

export const depthOf = (event: EventRecord) => event.cause?.depth ?? 0;

/** The trigger an event is, if any. */
export function triggerOf(event: EventRecord): Trigger | null {
  const conversationId = event.conversationId;
  if (!conversationId) return null;
  const key = `event:${event.sequence}`;
  switch (event.type) {
    case "CALL_UPDATED":
      return event.payload.direction === "INBOUND"
        ? {
            trigger: "INBOUND_CALL_STARTED",
            key: `call-start:${event.payload.callId}`,
            conversationId,
            callId: event.payload.callId,
          }
        : null;
    case "MESSAGE_ADDED":
      return event.payload.direction === "INBOUND"
        ? { trigger: "MESSAGE_RECEIVED", key, conversationId, messageId: event.payload.messageId }
        : null;
    case "MESSAGE_FAILED":
      return { trigger: "OUTBOUND_MESSAGE_FAILED", key, conversationId, messageId: event.payload.messageId };
    case "CONVERSATION_ARCHIVED":
    case "CONVERSATION_AUTO_ARCHIVED":
      return { trigger: "CONVERSATION_ARCHIVED", key, conversationId };
    case "CONVERSATION_ASSIGNED":
      return { trigger: "CONVERSATION_ASSIGNED", key, conversationId };
    default:
      return null;
  }
}

/** The call an event says ended (or changed after ending): its outcome may still move. */
export function endedCallOf(event: EventRecord): string | null {
  if (event.type !== "CALL_UPDATED" && event.type !== "CONVERSATION_CALL_ENDED") return null;
  return isOutcome(event.payload.status) ? event.payload.callId : null;
}

/** A call event of a call, whatever its status (a watched call's quiet period restarts). */
export function callOf(event: EventRecord): string | null {
  return event.type === "CALL_UPDATED" || event.type === "CONVERSATION_CALL_ENDED" ? event.payload.callId : null;
}

export const callEndedTrigger = (callId: string, conversationId: string): Trigger => ({
  trigger: "CALL_ENDED",
  key: `call:${callId}`,
  conversationId,
  callId,
});
