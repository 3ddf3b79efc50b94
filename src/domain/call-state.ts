// Pure rules for voice calls (R3.3–R3.8, R3.14). A call's state is derived from the latest
// snapshot of each of its RingCentral parties plus milestones kept as "earliest time seen" and a
// log of every snapshot's hold flag merged by sequence, so any permutation or duplication of the
// same notifications derives the same state.

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

/**
 * One notification of a party as its hold log keeps it: the notification's sequence, 1 when the party
 * was on hold in it (status Hold) else 0, and its event time in epoch milliseconds. A tuple rather
 * than an object: the log is stored as JSON on every write of the party, on ingest's hot path.
 */
export type HoldLogEntry = [sequence: number, onHold: 0 | 1, at: number];

/** Every notification seen of a party, by increasing sequence, once each. */
export type HoldLog = HoldLogEntry[];

/** The latest snapshot of a party, with the earliest time each milestone was seen. */
export interface PartyState extends PartyEvent {
  firstEventAt: Date;
  answeredAt: Date | null;
  voicemailAt: Date | null;
  endedAt: Date | null;
  holdLog: HoldLog;
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
 * The log with the entry in its place by sequence; the same log when that sequence is in it already (a
 * duplicate). Not in place: the log may be shared with the state it came from.
 */
export function withHoldEntry(log: HoldLog, entry: HoldLogEntry): HoldLog {
  // Notifications mostly arrive in order: the search from the end usually stops at once.
  let at = log.length;
  while (at > 0 && log[at - 1]![0] > entry[0]) at--;
  if (at > 0 && log[at - 1]![0] === entry[0]) return log;
  const merged = log.slice();
  merged.splice(at, 0, entry);
  return merged;
}

/**
 * How long the party was on hold, in seconds (not rounded): each entry on hold counts the time to the
 * party's next entry, whatever that reports (resumed, still on hold, ended). An open hold — no later
 * entry yet — counts nothing until one arrives.
 */
export function holdSeconds(log: HoldLog): number {
  let milliseconds = 0;
  for (let i = 0; i + 1 < log.length; i++) {
    const [, onHold, at] = log[i]!;
    // Clocks of one session do not go back, but a negative gap must not cancel a real hold.
    if (onHold === 1) milliseconds += Math.max(0, log[i + 1]![2] - at);
  }
  return milliseconds / 1000;
}

/**
 * Folds one event into the party's state. The snapshot fields follow the highest sequence; the
 * milestones keep the earliest time each was seen, and the hold log every event once, whatever order
 * events arrive in.
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
    holdLog: withHoldEntry(current?.holdLog ?? [], [
      event.sequence,
      event.statusCode === "Hold" ? 1 : 0,
      event.eventTime.getTime(),
    ]),
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
