// The event catalogue: every event the domain writes to the event log, its payload, and what it
// means. It is a contract — subscriptions, rules and analytics consume these events, and the README's
// "Events" section lists them — so a type is only ever added, and a payload field only ever added.
// `EventLog.append` accepts members of `NewEvent` only; readers narrow on `type` and need no casts.
import type {
  AgentStatus,
  CallDirection,
  CallStatus,
  MessageDirection,
  MessageStatus,
  RecordingKind,
  RecordingState,
} from "../generated/prisma/client.ts";

/** Who did it: a user's id, or null when Switchboard did it by itself (RingCentral, a timer). */
type Actor = { actorId: string | null };
/** The timeline entry (Activity row) written with the event. */
type Activity = Actor & { activityId: string };

interface CallFacts {
  callId: string;
  telephonySessionId: string;
  status: CallStatus;
  direction: CallDirection;
  talkSeconds: number | null;
}

interface RecordingFacts {
  recordingId: string;
  callId: string | null;
  kind: RecordingKind;
  state: RecordingState;
  /** Voicemail only: whether a transcription is stored. */
  transcribed?: boolean;
}

interface MessageFacts {
  messageId: string;
  direction: MessageDirection;
  status: MessageStatus;
}

/** Event type → payload. Ids in payloads are database ids. */
export interface EventPayloads {
  CONVERSATION_CREATED: { channelId: string | null; contactId: string | null };
  CONVERSATION_INBOX_ADDED: { inboxId: string; callId: string };
  CONVERSATION_ASSIGNED: Activity & { assigneeId: string; callId?: string };
  CONVERSATION_UNASSIGNED: Activity & { previousAssigneeId: string | null };
  CONVERSATION_ARCHIVED: Activity;
  CONVERSATION_AUTO_ARCHIVED: Activity & { closeAfterSeconds: number };
  CONVERSATION_REOPENED: Activity & { reason?: "NEW_MESSAGE" | "MESSAGE_FAILED"; messageId?: string };
  CONVERSATION_TAGGED: Activity & { tagId: string; tagName: string };
  CONVERSATION_UNTAGGED: Activity & { tagId: string };
  CONVERSATION_CALL_ENDED: CallFacts;
  COMMENT_ADDED: { commentId: string; authorId: string; mentionedUserIds: string[] };
  CALL_UPDATED: CallFacts;
  INCOMING_CALL: { callId: string; extensionId: string; fromNumber: string | null; inboxIds: string[] };
  AGENT_STATUS_CHANGED: { userId: string; status: AgentStatus; previousStatus: AgentStatus; automatic?: true };
  RECORDING_ADDED: RecordingFacts;
  RECORDING_UPDATED: RecordingFacts & { changed?: string[] };
  MESSAGE_ADDED: MessageFacts;
  MESSAGE_STATUS_CHANGED: MessageFacts;
  MESSAGE_FAILED: MessageFacts;
  RINGCENTRAL_LOGIN_EXPIRED: { userId: string; state: "EXPIRED" };
}

export type EventType = keyof EventPayloads;

/** What each event means; the GraphQL `EventType` enum and the README's table are made from this. */
export const EVENT_CATALOGUE: { readonly [K in EventType]: string } = {
  CONVERSATION_CREATED: "A conversation was opened (a first call or text from a customer, or by hand).",
  CONVERSATION_INBOX_ADDED: "A call was transferred to another connected number: the conversation joined that inbox too.",
  CONVERSATION_ASSIGNED: "The conversation was assigned: by a teammate, or to whoever answered its call.",
  CONVERSATION_UNASSIGNED: "The conversation's assignee was removed.",
  CONVERSATION_ARCHIVED: "A teammate archived the conversation.",
  CONVERSATION_AUTO_ARCHIVED: "An SMS conversation was archived after its channel's inactivity period.",
  CONVERSATION_REOPENED: "An archived conversation was reopened: by a teammate, or by a new message or a failed delivery.",
  CONVERSATION_TAGGED: "A tag was added to the conversation.",
  CONVERSATION_UNTAGGED: "A tag was removed from the conversation.",
  CONVERSATION_CALL_ENDED: "A call of the conversation ended (once per call; its outcome is in `status`).",
  COMMENT_ADDED: "A teammate commented; users @mentioned in it receive the event too.",
  CALL_UPDATED: "A call changed state: ringing, queued, answered, on hold, muted, ended, its outcome.",
  INCOMING_CALL: "RingCentral is ringing an agent (sent to that agent only).",
  AGENT_STATUS_CHANGED: "An agent's availability changed, by hand or automatically during a call.",
  RECORDING_ADDED: "A call recording or a voicemail was stored.",
  RECORDING_UPDATED: "A recording became available or unavailable, or a voicemail's transcription arrived.",
  MESSAGE_ADDED: "A text or MMS arrived from a customer or was sent by a teammate.",
  MESSAGE_STATUS_CHANGED: "An outbound message's delivery status changed (QUEUED → SENT → DELIVERED).",
  MESSAGE_FAILED: "An outbound message could not be delivered.",
  RINGCENTRAL_LOGIN_EXPIRED: "An agent's own RingCentral login expired (sent to that agent only).",
};

export const EVENT_TYPES = Object.keys(EVENT_CATALOGUE) as EventType[];

/** Where an event goes: its conversation, and the inboxes and users whose streams carry it. */
interface Addressing {
  conversationId?: string | null;
  inboxIds?: string[];
  userIds?: string[];
}

/** An event of one type as the domain appends it. */
export type NewEventOf<K extends EventType> = K extends EventType ? { type: K; payload: EventPayloads[K] } & Addressing : never;

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
    }
  : never;

/** A row of the event log as it travels on the wire. */
export type EventRecord = EventRecordOf<EventType>;

/** Narrows an event record to some types (the check subscriptions filter their streams with). */
export function isEventOf<K extends EventType>(types: readonly K[], event: EventRecord): event is EventRecordOf<K> {
  return (types as readonly EventType[]).includes(event.type);
}
