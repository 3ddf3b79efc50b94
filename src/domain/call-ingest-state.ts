// What a burst of telephony notifications is applied to, in memory (src/store/call-ingest reads and
// writes it). Rows are Prisma's model types, so each row shape has one definition: a column added
// to Call or CallParty is a compile error wherever a row is built until it is given a value.
import type { Call, CallParty, Channel, User } from "../generated/prisma/client.ts";
import type { PartyRole, PartyState } from "./call-state.ts";

/** A CallParty row; `updatedAt` is the database's to keep. */
export type PartyRow = Omit<CallParty, "updatedAt">;

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
// direction. The two conversions below spell no column: a column missing on either side fails to compile.

export function toPartyState(row: PartyRow): PartyState {
  const { id: _id, callId: _callId, role, direction, ...snapshot } = row;
  return { ...snapshot, role: role as PartyRole, direction: direction === "INBOUND" ? "Inbound" : "Outbound" };
}

export function toPartyRow(state: PartyState): Omit<PartyRow, "id" | "callId"> {
  return { ...state, direction: state.direction === "Inbound" ? "INBOUND" : "OUTBOUND" };
}
