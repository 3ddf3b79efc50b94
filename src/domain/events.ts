// The event catalogue: every event the domain writes to the event log, its payload, and what it
// means. It is a contract — subscriptions, rules and analytics consume these events, and the README's
// "Events" section lists them — so a type is only ever added, and a payload field only ever added.
// `EventLog.append` accepts members of `NewEvent` only; readers narrow on `type` and need no casts.
// Payloads are zod schemas so the types are derived from them and the tests can check every event
// the suite writes; nothing parses them at run time (publishing is a hot path).
import { z } from "zod";
import {
  AgentStatus,
  CallDirection,
  CallStatus,
  MessageDirection,
  MessageStatus,
  RecordingKind,
  RecordingState,
} from "../generated/prisma/enums.ts";

const id = z.string();
/** Who did it: a user's id, or null when Switchboard did it by itself (RingCentral, a timer, a rule:
 * then `ruleId` names the rule). */
const actor = { actorId: id.nullable(), ruleId: id.optional() };
/** The timeline entry (Activity row) written with the event, and who did it. */
const activity = { activityId: id, ...actor };

const callFacts = z.object({
  callId: id,
  telephonySessionId: z.string(),
  status: z.enum(CallStatus),
  direction: z.enum(CallDirection),
  talkSeconds: z.number().int().nullable(),
});

const recordingFacts = {
  recordingId: id,
  callId: id.nullable(),
  kind: z.enum(RecordingKind),
  state: z.enum(RecordingState),
  /** Voicemail only: whether a transcription is stored. */
  transcribed: z.boolean().optional(),
};

const messageFacts = z.object({
  messageId: id,
  direction: z.enum(MessageDirection),
  status: z.enum(MessageStatus),
  /** Sent by this rule (an SMS template or a CSAT survey). */
  ruleId: id.optional(),
});

/**
 * Every event type: what it means and its payload (ids are database ids). The GraphQL `EventType`
 * enum and the README's "Events" table are checked against this list.
 */
export const EVENT_CATALOGUE = {
  CONVERSATION_CREATED: {
    description: "A conversation was opened (a first call or text from a customer, or by hand).",
    payload: z.object({ channelId: id.nullable(), contactId: id.nullable() }),
  },
  CONVERSATION_INBOX_ADDED: {
    description: "A call was transferred to another connected number: the conversation joined that inbox too.",
    payload: z.object({ inboxId: id, callId: id }),
  },
  CONVERSATION_ASSIGNED: {
    description: "The conversation was assigned: by a teammate, or to whoever answered its call.",
    payload: z.object({ ...activity, assigneeId: id, callId: id.optional() }),
  },
  CONVERSATION_UNASSIGNED: {
    description: "The conversation's assignee was removed.",
    payload: z.object({ ...activity, previousAssigneeId: id.nullable() }),
  },
  CONVERSATION_ARCHIVED: {
    description: "A teammate archived the conversation.",
    payload: z.object(activity),
  },
  CONVERSATION_AUTO_ARCHIVED: {
    description: "An SMS conversation was archived after its channel's inactivity period.",
    payload: z.object({ ...activity, closeAfterSeconds: z.number().int() }),
  },
  CONVERSATION_REOPENED: {
    description: "An archived conversation was reopened: by a teammate, or by a new message or a failed delivery.",
    payload: z.object({
      ...activity,
      reason: z.enum(["NEW_MESSAGE", "MESSAGE_FAILED"]).optional(),
      messageId: id.optional(),
    }),
  },
  CONVERSATION_TAGGED: {
    description: "A tag was added to the conversation.",
    payload: z.object({ ...activity, tagId: id, tagName: z.string() }),
  },
  CONVERSATION_UNTAGGED: {
    description: "A tag was removed from the conversation.",
    payload: z.object({ ...activity, tagId: id }),
  },
  CONVERSATION_SPLIT: {
    description:
      "A teammate split the conversation: a message and every later one moved to a new conversation (newConversationId).",
    payload: z.object({ ...activity, newConversationId: id, messageId: id, messageCount: z.number().int() }),
  },
  CONVERSATION_SPLIT_FROM: {
    description:
      "The conversation was split off another (originalConversationId): it holds the messages moved out of it.",
    payload: z.object({ ...activity, originalConversationId: id, messageId: id, messageCount: z.number().int() }),
  },
  CONVERSATION_CALL_MOVED_OUT: {
    description: "A teammate moved a call of the conversation to another conversation of the same contact.",
    payload: z.object({ ...activity, callId: id, toConversationId: id }),
  },
  CONVERSATION_CALL_MOVED_IN: {
    description: "A teammate moved a call into the conversation from another conversation of the same contact.",
    payload: z.object({ ...activity, callId: id, fromConversationId: id }),
  },
  CONVERSATION_CALL_ENDED: {
    description: "A call of the conversation ended (once per call; its outcome is in `status`).",
    payload: callFacts,
  },
  COMMENT_ADDED: {
    description: "A teammate commented; users @mentioned in it receive the event too.",
    payload: z.object({ commentId: id, authorId: id, mentionedUserIds: z.array(id), ruleId: id.optional() }),
  },
  CSAT_RECEIVED: {
    description:
      "A customer answered a satisfaction survey with a score from 1 to 5 (the conversation stays as it was).",
    payload: z.object({
      csatResponseId: id,
      score: z.number().int().min(1).max(5),
      messageId: id,
      assigneeId: id.nullable(),
    }),
  },
  CALL_UPDATED: {
    description: "A call changed state: ringing, queued, answered, on hold, muted, ended, its outcome.",
    payload: callFacts,
  },
  INCOMING_CALL: {
    description: "RingCentral is ringing an agent (sent to that agent only).",
    payload: z.object({
      callId: id,
      extensionId: z.string(),
      fromNumber: z.string().nullable(),
      inboxIds: z.array(id),
    }),
  },
  AGENT_STATUS_CHANGED: {
    description:
      "An agent's availability changed, by hand or automatically (during a call, or by Do Not Disturb in RingCentral).",
    payload: z.object({
      userId: id,
      status: z.enum(AgentStatus),
      previousStatus: z.enum(AgentStatus),
      automatic: z.literal(true).optional(),
    }),
  },
  RECORDING_ADDED: {
    description: "A call recording or a voicemail was stored.",
    payload: z.object(recordingFacts),
  },
  RECORDING_UPDATED: {
    description: "A recording became available or unavailable, or a voicemail's transcription arrived.",
    payload: z.object({ ...recordingFacts, changed: z.array(z.string()).optional() }),
  },
  MESSAGE_ADDED: {
    description: "A text or MMS arrived from a customer or was sent by a teammate.",
    payload: messageFacts,
  },
  MESSAGE_STATUS_CHANGED: {
    description: "An outbound message's delivery status changed (QUEUED → SENT → DELIVERED).",
    payload: messageFacts,
  },
  MESSAGE_FAILED: {
    description: "An outbound message could not be delivered.",
    payload: messageFacts,
  },
  RINGCENTRAL_LOGIN_EXPIRED: {
    description: "An agent's own RingCentral login expired (sent to that agent only).",
    payload: z.object({ userId: id, state: z.literal("EXPIRED") }),
  },
} as const;

export type EventType = keyof typeof EVENT_CATALOGUE;

/** Event type → payload. */
export type EventPayloads = { [K in EventType]: z.infer<(typeof EVENT_CATALOGUE)[K]["payload"]> };

export const EVENT_TYPES = Object.keys(EVENT_CATALOGUE) as EventType[];

/** A rule's action wrote the event, `depth` rule actions deep (an event no rule caused is depth 0). */
export interface RuleCause {
  ruleId: string;
  depth: number;
}

/** Where an event goes: its conversation, and the inboxes and users whose streams carry it. */
interface Addressing {
  conversationId?: string | null;
  inboxIds?: string[];
  userIds?: string[];
  /** Set by the event log of a rule's transaction (src/domain/event-log.ts), not by the writer. */
  cause?: RuleCause | null;
}

/** An event of one type as the domain appends it. */
export type NewEventOf<K extends EventType> = K extends EventType
  ? { type: K; payload: EventPayloads[K] } & Addressing
  : never;

/** Any event the domain may append: one member of the catalogue. */
export type NewEvent = NewEventOf<EventType>;

/** An event of one type as stored and published: sequence as a string (JSON has no bigint). */
export type EventRecordOf<K extends EventType> = K extends EventType
  ? {
      sequence: string;
      type: K;
      conversationId: string | null;
      inboxIds: string[];
      userIds: string[];
      payload: EventPayloads[K];
      createdAt: string;
      /** The rule action that wrote it (read from the log; live events carry it too). */
      cause?: RuleCause | null;
    }
  : never;

/** A row of the event log as it travels on the wire. */
export type EventRecord = EventRecordOf<EventType>;

/** Narrows an event record to some types (the check subscriptions filter their streams with). */
export function isEventOf<K extends EventType>(types: readonly K[], event: EventRecord): event is EventRecordOf<K> {
  return (types as readonly EventType[]).includes(event.type);
}
