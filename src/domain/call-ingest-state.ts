// What a burst of telephony notifications is applied to, in memory (src/store/call-ingest reads and
// writes it). Rows are Prisma's model types, so each row shape has one definition: a column added
// to Call or CallParty is a compile error wherever a row is built until it is given a value.
import type { Call, CallParty, Channel, User } from "../generated/prisma/client.ts";
import type { HoldLog, PartyRole, PartyState } from "./call-state.ts";

/** A CallParty row; `updatedAt` is the database's to keep; the hold log (a JSON column) as the rules type it. */
export type PartyRow = Omit<CallParty, "updatedAt" | "holdLog"> & { holdLog: HoldLog };

/** A Call row; `updatedAt` is the database's to keep. */
export type CallRow = Omit<Call, "updatedAt">;

/** What routing needs of a voice channel. */
export type ChannelRow = Pick<Channel, "id" | "inboxId" | "phoneNumber">;

/** An agent's answer on a call of the conversation that this burst does not touch. */
export interface StoredAnswer {
  callId: string;
  extensionId: string | null;
  partyId: string;
  answeredAt: Date;
}

export interface ConversationState {
  id: string;
  assigneeId: string | null;
  inboxIds: string[];
  /** Each call's CALL_ENDED activity. */
  callEnded: Map<string, { id: string; data: unknown }>;
  storedAnswers: StoredAnswer[];
}

export interface CallState extends CallRow {
  channel: ChannelRow | null;
  parties: PartyRow[];
  voicemails: number;
  conversation: ConversationState;
}

export type UserState = Pick<User, "id" | "status" | "statusBeforeCall" | "muteIncomingCallBanner"> & {
  inboxIds: string[];
};

// PartyState (the rules' view) is the party row without its keys, in RingCentral's spelling of the
// direction. The two conversions below name every field in one literal: a column missing on either
// side fails to compile (a missing property), as does one that is not on the other side (an excess
// property). Literals rather than rest and spread because they run once per party of every call in a
// burst: object rest is a slow generic copy in V8, and the objects it makes take their field order
// from whichever row came in (read from JSON, or made by saveParty), so the rules' functions reading
// them saw several shapes; a literal always makes the same one.

export function toPartyState(row: PartyRow): PartyState {
  return {
    partyId: row.partyId,
    role: row.role as PartyRole,
    direction: row.direction === "INBOUND" ? "Inbound" : "Outbound",
    extensionId: row.extensionId,
    statusCode: row.statusCode,
    reason: row.reason,
    fromNumber: row.fromNumber,
    toNumber: row.toNumber,
    muted: row.muted,
    missedCall: row.missedCall,
    queueCall: row.queueCall,
    sequence: row.sequence,
    eventTime: row.eventTime,
    firstEventAt: row.firstEventAt,
    answeredAt: row.answeredAt,
    voicemailAt: row.voicemailAt,
    endedAt: row.endedAt,
    holdLog: row.holdLog,
  };
}

export function toPartyRow(state: PartyState): Omit<PartyRow, "id" | "callId"> {
  return {
    partyId: state.partyId,
    role: state.role,
    direction: state.direction === "Inbound" ? "INBOUND" : "OUTBOUND",
    extensionId: state.extensionId,
    statusCode: state.statusCode,
    reason: state.reason,
    fromNumber: state.fromNumber,
    toNumber: state.toNumber,
    muted: state.muted,
    missedCall: state.missedCall,
    queueCall: state.queueCall,
    sequence: state.sequence,
    eventTime: state.eventTime,
    firstEventAt: state.firstEventAt,
    answeredAt: state.answeredAt,
    voicemailAt: state.voicemailAt,
    endedAt: state.endedAt,
    holdLog: state.holdLog,
  };
}
