// Pure rules for voice calls (R3.3–R3.8, R3.14). A call's state is derived from the latest
// snapshot of each of its RingCentral parties plus milestones kept as "earliest time seen", so any
// permutation or duplication of the same notifications derives the same state.

import { callOutcomeOfLegs, CONNECTED_CODES, VOICEMAIL_CODES, type CallStatus } from "./call-outcomes.ts";

export type { CallStatus } from "./call-outcomes.ts";
export type PartyRole = "EXTERNAL" | "AGENT" | "IVR" | "QUEUE" | "OTHER";
export type Direction = "INBOUND" | "OUTBOUND";

/** One party as a notification reports it. */
export interface PartyEvent {
  partyId: string;
  role: PartyRole;
  /** RingCentral's direction of this leg. */
  direction: "Inbound" | "Outbound";
  extensionId: string | null;
  statusCode: string;
  reason: string | null;
  fromNumber: string | null;
  toNumber: string | null;
  muted: boolean;
  missedCall: boolean;
  queueCall: boolean;
  sequence: number;
  eventTime: Date;
}

/** The latest snapshot of a party, with the earliest time each milestone was seen. */
export interface PartyState extends PartyEvent {
  firstEventAt: Date;
  answeredAt: Date | null;
  voicemailAt: Date | null;
  endedAt: Date | null;
}

const ENDED_CODES = new Set(["Disconnected", "Gone"]);
const SETTING_UP_CODES = new Set(["Setup", "Proceeding"]);

/** A leg in this status has left the call. */
export const legEnded = (statusCode: string) => ENDED_CODES.has(statusCode);

/** A leg in this status is being set up or is on the call: it cannot be taking an agent off one. */
export const legStaysOn = (statusCode: string) => SETTING_UP_CODES.has(statusCode) || CONNECTED_CODES.has(statusCode);

function earliest(a: Date | null, b: Date | null): Date | null {
  if (!a) return b;
  if (!b) return a;
  return a <= b ? a : b;
}

/**
 * Folds one event into the party's state. The snapshot fields follow the highest sequence; the
 * milestones keep the earliest time each was seen, whatever order events arrive in.
 */
export function applyPartyEvent(current: PartyState | null, event: PartyEvent): PartyState {
  const newer = !current || event.sequence > current.sequence;
  // Every snapshot field, muted and numbers included, comes from one snapshot: a late, older one changes none.
  const snapshot: PartyEvent = newer ? event : current!;
  // Spelled out rather than spread: `snapshot` is either an event or a state, and spreading either
  // would give the result that object's field order — several shapes for the rules reading it.
  return {
    partyId: snapshot.partyId,
    role: snapshot.role,
    direction: snapshot.direction,
    extensionId: snapshot.extensionId,
    statusCode: snapshot.statusCode,
    reason: snapshot.reason,
    fromNumber: snapshot.fromNumber,
    toNumber: snapshot.toNumber,
    muted: snapshot.muted,
    missedCall: snapshot.missedCall,
    queueCall: snapshot.queueCall,
    sequence: snapshot.sequence,
    eventTime: snapshot.eventTime,
    firstEventAt: earliest(current?.firstEventAt ?? null, event.eventTime)!,
    answeredAt: earliest(current?.answeredAt ?? null, CONNECTED_CODES.has(event.statusCode) ? event.eventTime : null),
    voicemailAt: earliest(current?.voicemailAt ?? null, VOICEMAIL_CODES.has(event.statusCode) ? event.eventTime : null),
    // A Disconnected with a reason is a transfer or redirect of this leg, not a hang-up, but the leg is over all the
    // same.
    endedAt: earliest(current?.endedAt ?? null, ENDED_CODES.has(event.statusCode) ? event.eventTime : null),
  };
}

export interface DerivedCall {
  status: CallStatus;
  queuedAt: Date | null;
  answeredAt: Date | null;
  endedAt: Date | null;
  talkSeconds: number | null;
  /** The extension of the agent who holds the call now (or last held it): assignment follows it. */
  answeredByExtensionId: string | null;
  /** Agent extensions being rung right now. */
  ringingExtensionIds: string[];
  /** Agent extensions connected (answered or on hold) right now. */
  connectedExtensionIds: string[];
}

const isEnded = (party: PartyState) => party.endedAt !== null;
const byTime = (a: Date | null, b: Date | null) => (a?.getTime() ?? 0) - (b?.getTime() ?? 0);

/** The parties whose answer means a person picked up (REFERENCE §3.3 B: not the caller's own leg). */
function answeringParties(parties: PartyState[], direction: Direction): PartyState[] {
  return direction === "INBOUND"
    ? parties.filter((p) => p.role === "AGENT")
    : parties.filter((p) => p.direction === "Inbound" && p.role !== "IVR" && p.role !== "QUEUE");
}

/** Agents who are on the call for the company: callees inbound, the caller outbound. */
function companyAgents(parties: PartyState[], direction: Direction): PartyState[] {
  return parties.filter((p) => p.role === "AGENT" && (direction === "INBOUND" ? p.direction === "Inbound" : true));
}

/**
 * Whether the call is over. The caller leaving ends it; without an external party (extension to
 * extension), it ends when every party has left and none left by transfer (a reason).
 */
function callIsOver(parties: PartyState[]): boolean {
  const external = parties.filter((p) => p.role === "EXTERNAL");
  if (external.length > 0) return external.every(isEnded);
  return parties.length > 0 && parties.every(isEnded) && parties.some((p) => !p.reason);
}

/** How the call ended, by the mapping of call-outcomes.ts: only rung agents' legs can say MISSED. */
function endedStatus(parties: PartyState[], answered: PartyState[]): CallStatus {
  return callOutcomeOfLegs(
    parties.map((p) => ({
      answered: answered.includes(p),
      voicemail: p.voicemailAt !== null,
      missedCall: p.role === "AGENT" && p.missedCall,
      reason: p.reason,
    })),
  );
}

export function deriveCall(parties: PartyState[], direction: Direction): DerivedCall {
  const answering = answeringParties(parties, direction);
  const answered = answering.filter((p) => p.answeredAt).sort((a, b) => byTime(a.answeredAt, b.answeredAt));
  const agents = companyAgents(parties, direction);
  const connected = agents.filter((p) => !isEnded(p) && CONNECTED_CODES.has(p.statusCode));
  const queue = parties.filter((p) => p.role === "QUEUE").sort((a, b) => byTime(a.firstEventAt, b.firstEventAt));
  const over = callIsOver(parties);
  const answeredAt = answered[0]?.answeredAt ?? null;
  const endedAt = over ? (parties.map((p) => p.endedAt).sort((a, b) => byTime(b, a))[0] ?? null) : null;
  const holder =
    direction === "INBOUND"
      ? answered[answered.length - 1]
      : (agents.find((p) => p.direction === "Outbound") ?? agents[0]);
  return {
    status: over ? endedStatus(parties, answered) : liveStatus(parties, answered, connected, queue),
    queuedAt: queue[0]?.firstEventAt ?? null,
    answeredAt,
    endedAt,
    talkSeconds:
      over && answeredAt && endedAt ? Math.max(0, Math.round((endedAt.getTime() - answeredAt.getTime()) / 1000)) : null,
    answeredByExtensionId: direction === "OUTBOUND" || answered.length > 0 ? (holder?.extensionId ?? null) : null,
    ringingExtensionIds: over
      ? []
      : agents
          .filter((p) => !isEnded(p) && !p.answeredAt && !p.voicemailAt && p.direction === "Inbound")
          .map((p) => p.extensionId!),
    connectedExtensionIds: over ? [] : connected.map((p) => p.extensionId!),
  };
}

function liveStatus(
  parties: PartyState[],
  answered: PartyState[],
  connected: PartyState[],
  queue: PartyState[],
): CallStatus {
  if (parties.some((p) => !isEnded(p) && VOICEMAIL_CODES.has(p.statusCode))) return "VOICEMAIL";
  const talking = answered.filter((p) => !isEnded(p));
  if (talking.some((p) => p.statusCode === "Answered")) return "IN_PROGRESS";
  if (talking.length > 0 || connected.some((p) => p.statusCode === "Hold")) return "ON_HOLD";
  if (answered.length > 0) return "IN_PROGRESS"; // between legs of a transfer
  if (queue.length > 0 && queue.some((p) => !isEnded(p))) return "QUEUED";
  return "RINGING";
}
