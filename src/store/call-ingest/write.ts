// The writes of a call-ingest burst: every change it made, to every table, in one statement
// (bulk-writes.ts). A burst of 200 notifications costs about as many statements as one did.
import { randomUUID } from "node:crypto";
import type { Prisma } from "../../generated/prisma/client.ts";
import type { CallRow, PartyRow, UserState } from "../../domain/call-ingest-state.ts";
import type { TelephonyNotification, TelephonyParty } from "../../domain/telephony.ts";
import { deleteRows, insertRows, updateRows, writeAll, type Column } from "../bulk-writes.ts";
import { markCallsChanged } from "../analytics.ts";
import {
  CALL_INSERT_COLUMNS,
  CALL_KEY,
  CALL_UPDATE_COLUMNS,
  PARTY_INSERT_COLUMNS,
  PARTY_KEY,
  PARTY_UPDATE_COLUMNS,
} from "./rows.ts";

type NewConversation = {
  id: string;
  channelId: string | null;
  contactId: string | null;
  assigneeId: string | null;
  createdAt: Date;
  lastActivityAt: Date;
};
type NewConversationInbox = { conversationId: string; inboxId: string; lastActivityAt: Date };
/** A stored conversation's new last activity and assignee; null: as it is. */
type ConversationChange = { id: string; at: Date | null; assigneeId: string | null };
/** A notification's party kept until its session can be routed. */
type BufferedParty = { n: TelephonyNotification; party: TelephonyParty };

/** What a burst changed, row by row. */
interface BurstChanges {
  now: Date;
  contacts: { id: string; e164: string }[];
  conversations: NewConversation[];
  conversationInboxes: NewConversationInbox[];
  calls: CallRow[];
  parties: PartyRow[];
  changedParties: PartyRow[];
  changedCalls: CallRow[];
  changedConversations: ConversationChange[];
  /** Conversation id → last activity, for each of its inboxes. */
  touchedInboxes: [string, Date][];
  activities: Prisma.ActivityCreateManyInput[];
  /** Activity id → new data. */
  changedActivities: [string, unknown][];
  changedUsers: UserState[];
  pendingRecordings: { ringCentralId: string; callId: string }[];
  /** UnroutedCallEvent rows now routed. */
  routedEventIds: string[];
  bufferedParties: BufferedParty[];
}

/** Writes every change of the burst in one statement. */
export async function writeBurstChanges(tx: Prisma.TransactionClient, changes: BurstChanges): Promise<void> {
  const contacts = changes.contacts.map((c) => ({ ...c, now: changes.now }));
  await writeAll(tx, [
    insertRows("Contact", CONTACT_COLUMNS, contacts),
    insertRows("ContactPhone", CONTACT_PHONE_COLUMNS, contacts),
    insertRows("Conversation", CONVERSATION_INSERT_COLUMNS, changes.conversations),
    insertRows("ConversationInbox", CONVERSATION_INBOX_COLUMNS, changes.conversationInboxes),
    insertRows("Call", CALL_INSERT_COLUMNS, changes.calls),
    insertRows("CallParty", PARTY_INSERT_COLUMNS, changes.parties),
    updateRows("CallParty", PARTY_KEY, PARTY_UPDATE_COLUMNS, changes.changedParties, { touchUpdatedAt: true }),
    updateRows("Call", CALL_KEY, CALL_UPDATE_COLUMNS, changes.changedCalls, { touchUpdatedAt: true }),
    updateRows("Conversation", CONVERSATION_KEY, CONVERSATION_COLUMNS, changes.changedConversations),
    updateRows("ConversationInbox", CONVERSATION_INBOX_KEY, [CONVERSATION_INBOX_TOUCH], changes.touchedInboxes),
    insertRows("Activity", ACTIVITY_INSERT_COLUMNS, changes.activities),
    updateRows("Activity", ACTIVITY_KEY, ACTIVITY_COLUMNS, changes.changedActivities),
    updateRows("User", USER_KEY, USER_COLUMNS, changes.changedUsers, { touchUpdatedAt: true }),
    insertRows("Recording", RECORDING_COLUMNS, changes.pendingRecordings, { onConflict: "ignore" }),
    deleteRows("UnroutedCallEvent", "id", changes.routedEventIds),
    insertRows("UnroutedCallEvent", UNROUTED_COLUMNS, changes.bufferedParties, { onConflict: "ignore" }),
    markCallsChanged(
      [...changes.calls, ...changes.changedCalls]
        .map((c) => c.id)
        .concat([...changes.parties, ...changes.changedParties].map((p) => p.callId)),
    ),
  ]);
}

type Timed = { now: Date };

const CONTACT_COLUMNS: Column<{ id: string } & Timed>[] = [
  { name: "id", type: "uuid", value: (c) => c.id },
  { name: "createdAt", type: "timestamp", value: (c) => c.now },
  { name: "updatedAt", type: "timestamp", value: (c) => c.now },
];

const CONTACT_PHONE_COLUMNS: Column<{ id: string; e164: string } & Timed>[] = [
  { name: "id", type: "uuid", value: () => randomUUID() },
  { name: "contactId", type: "uuid", value: (c) => c.id },
  { name: "e164", type: "text", value: (c) => c.e164 },
  { name: "createdAt", type: "timestamp", value: (c) => c.now },
];

const CONVERSATION_INSERT_COLUMNS: Column<NewConversation>[] = [
  { name: "id", type: "uuid", value: (c) => c.id },
  { name: "channelId", type: "uuid", value: (c) => c.channelId },
  { name: "contactId", type: "uuid", value: (c) => c.contactId },
  { name: "assigneeId", type: "uuid", value: (c) => c.assigneeId },
  { name: "lastActivityAt", type: "timestamp", value: (c) => c.lastActivityAt },
  { name: "createdAt", type: "timestamp", value: (c) => c.createdAt },
];

const CONVERSATION_INBOX_COLUMNS: Column<NewConversationInbox>[] = [
  { name: "conversationId", type: "uuid", value: (c) => c.conversationId },
  { name: "inboxId", type: "uuid", value: (c) => c.inboxId },
  { name: "lastActivityAt", type: "timestamp", value: (c) => c.lastActivityAt },
];
const CONVERSATION_INBOX_KEY: Column<[string, Date]> = { name: "conversationId", type: "uuid", value: ([id]) => id };
const CONVERSATION_INBOX_TOUCH: Column<[string, Date]> = {
  name: "lastActivityAt",
  type: "timestamp",
  value: ([, at]) => at,
};

const ACTIVITY_INSERT_COLUMNS: Column<Prisma.ActivityCreateManyInput>[] = [
  { name: "id", type: "uuid", value: (a) => a.id! },
  { name: "conversationId", type: "uuid", value: (a) => a.conversationId },
  { name: "type", type: "text", value: (a) => a.type },
  { name: "callId", type: "uuid", value: (a) => a.callId ?? null },
  { name: "data", type: "jsonb", value: (a) => JSON.stringify(a.data) },
  { name: "createdAt", type: "timestamp", value: (a) => (a.createdAt as Date | undefined) ?? new Date() },
];

const RECORDING_COLUMNS: Column<{ ringCentralId: string; callId: string }>[] = [
  { name: "id", type: "uuid", value: () => randomUUID() },
  { name: "ringCentralId", type: "text", value: (r) => r.ringCentralId },
  { name: "kind", type: "enum:RecordingKind", value: () => "CALL" },
  { name: "state", type: "enum:RecordingState", value: () => "PENDING" },
  { name: "callId", type: "uuid", value: (r) => r.callId },
  { name: "updatedAt", type: "timestamp", value: () => new Date() },
];

const UNROUTED_COLUMNS: Column<BufferedParty>[] = [
  { name: "id", type: "uuid", value: () => randomUUID() },
  { name: "telephonySessionId", type: "text", value: ({ n }) => n.telephonySessionId },
  { name: "partyId", type: "text", value: ({ party }) => party.partyId },
  { name: "sequence", type: "integer", value: ({ n }) => n.sequence },
  {
    name: "payload",
    type: "jsonb",
    value: ({ n, party }) => JSON.stringify({ party, eventTime: n.eventTime.toISOString() }),
  },
];

const CONVERSATION_KEY: Column<ConversationChange> = { name: "id", type: "uuid", value: (c) => c.id };
// Only what changed: neither is ever set back to null here, so null means "as it is".
const CONVERSATION_COLUMNS: Column<ConversationChange>[] = [
  { name: "lastActivityAt", type: "timestamp", value: (c) => c.at, keepWhenNull: true },
  { name: "assigneeId", type: "uuid", value: (c) => c.assigneeId, keepWhenNull: true },
];

const ACTIVITY_KEY: Column<[string, unknown]> = { name: "id", type: "uuid", value: ([id]) => id };
const ACTIVITY_COLUMNS: Column<[string, unknown]>[] = [
  { name: "data", type: "jsonb", value: ([, data]) => JSON.stringify(data) },
];

const USER_KEY: Column<UserState> = { name: "id", type: "uuid", value: (u) => u.id };
const USER_COLUMNS: Column<UserState>[] = [
  { name: "status", type: "enum:AgentStatus", value: (u) => u.status },
  { name: "statusBeforeCall", type: "enum:AgentStatus", value: (u) => u.statusBeforeCall },
];
