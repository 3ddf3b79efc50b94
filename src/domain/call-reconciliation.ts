// Catch-up for calls (R9.4): a call-log record of a call that ended while we were not listening
// becomes final party snapshots fed through the normal ingest — so a call we never saw is created
// and routed like any other, and a call we saw only in part is finished, without a second code path.
// The record adds what we did not learn live and replaces nothing we did: a leg we saw end keeps its
// own ending (only an answer or a voicemail it missed is added), and the record's outcome settles
// the call's with what it shows (call-outcomes.ts), so a settled outcome never flips.
import { callLogOutcome, legFactsOfCallLog, type CallOutcome } from "./call-outcomes.ts";
import type { TelephonyNotification, TelephonyParty } from "./telephony.ts";

/** The last sequence RingCentral can send: a reconciled final snapshot is never overridden. */
export const FINAL_SEQUENCE = 2_147_483_647;

export interface CallLogLeg {
  partyId: string | null;
  extensionId: string | null;
  direction: "Inbound" | "Outbound";
  result: string;
  reason: string | null;
  startTime: Date;
  durationSeconds: number;
}

export interface CallLogSummary {
  recordId: string;
  telephonySessionId: string;
  direction: "Inbound" | "Outbound";
  fromNumber: string | null;
  toNumber: string | null;
  startTime: Date;
  durationSeconds: number;
  result: string;
  reason: string | null;
  legs: CallLogLeg[];
}

const plusSeconds = (date: Date, seconds: number) => new Date(date.getTime() + seconds * 1000);

function legParty(
  summary: CallLogSummary,
  leg: CallLogLeg,
  statusCode: string,
  extra: Partial<TelephonyParty> = {},
): TelephonyParty {
  return {
    partyId: leg.partyId ?? `${summary.telephonySessionId}:${leg.extensionId}`,
    direction: leg.direction,
    extensionId: leg.extensionId,
    fromNumber: summary.fromNumber,
    toNumber: summary.toNumber,
    statusCode,
    reason: null,
    missedCall: false,
    queueCall: false,
    muted: false,
    peerTelephonySessionId: null,
    ...extra,
  };
}

/**
 * One notification per milestone, so the earliest-time rules see when each happened. Milestones
 * carry sequence 0 (they add an earliest time and change no snapshot); the leg's ending is a final
 * snapshot only when we did not see the leg end ourselves.
 */
function legMilestones(
  summary: CallLogSummary,
  leg: CallLogLeg,
  recordOutcome: CallOutcome | null,
  known: KnownCall,
): TelephonyNotification[] {
  const end = plusSeconds(leg.startTime, leg.durationSeconds);
  const at = (suffix: string, eventTime: Date, party: TelephonyParty, sequence: number): TelephonyNotification => ({
    uuid: `call-log:${summary.recordId}:${party.partyId}:${suffix}`,
    telephonySessionId: summary.telephonySessionId,
    sequence,
    eventTime,
    parties: [party],
  });
  const partyId = leg.partyId ?? "";
  const facts = legFactsOfCallLog(callLogOutcome(leg.result, leg.reason), recordOutcome);
  const milestones = [at("setup", leg.startTime, legParty(summary, leg, "Setup"), 0)];
  // The log has no answer time: only a leg we never saw answered gets one (its start, the best known).
  if (facts.answered && !known.answeredPartyIds.has(partyId))
    milestones.push(at("answered", leg.startTime, legParty(summary, leg, "Answered"), 0));
  if (facts.voicemail)
    milestones.push(at("voicemail", leg.startTime, legParty(summary, leg, "VoiceMail", { missedCall: true }), 0));
  const ending = legParty(summary, leg, "Disconnected", { missedCall: facts.missedCall, reason: facts.reason });
  milestones.push(at("ended", end, ending, known.endedPartyIds.has(partyId) ? 0 : FINAL_SEQUENCE));
  return milestones;
}

/** The customer's side: known to RingCentral only as numbers in the record. */
function externalParty(summary: CallLogSummary, externalPartyId: string, known: KnownCall): TelephonyNotification {
  return {
    uuid: `call-log:${summary.recordId}:external`,
    telephonySessionId: summary.telephonySessionId,
    sequence: known.endedPartyIds.has(externalPartyId) ? 0 : FINAL_SEQUENCE,
    eventTime: plusSeconds(summary.startTime, summary.durationSeconds),
    parties: [
      {
        partyId: externalPartyId,
        direction: summary.direction === "Inbound" ? "Outbound" : "Inbound",
        extensionId: null,
        fromNumber: summary.fromNumber,
        toNumber: summary.toNumber,
        statusCode: "Disconnected",
        reason: null,
        missedCall: false,
        queueCall: false,
        muted: false,
        peerTelephonySessionId: null,
      },
    ],
  };
}

/** What we already stored of the call, if anything. */
export interface KnownCall {
  /** The customer's party (so no second external party appears). */
  externalPartyId: string | null;
  /** Parties we saw answer (their real answer time beats the log's start time). */
  answeredPartyIds: Set<string>;
  /** Parties we saw end: their own ending (status, reason, missedCall) is kept. */
  endedPartyIds: Set<string>;
}

export const UNKNOWN_CALL: KnownCall = { externalPartyId: null, answeredPartyIds: new Set(), endedPartyIds: new Set() };

/** The notifications that bring a call to its call-log outcome. */
export function notificationsFromCallLog(
  summary: CallLogSummary,
  known: KnownCall = UNKNOWN_CALL,
): TelephonyNotification[] {
  const outcome = callLogOutcome(summary.result, summary.reason);
  const notifications = [
    ...summary.legs.filter((leg) => leg.extensionId).flatMap((leg) => legMilestones(summary, leg, outcome, known)),
    externalParty(summary, known.externalPartyId ?? `${summary.telephonySessionId}:external`, known),
  ];
  // The first settles the outcome with what the call showed before the record's facts, the last
  // with what they show once all applied (never with a state halfway through them).
  const last = notifications.length - 1;
  return notifications.map((n, i) => (i === 0 || i === last ? { ...n, callLog: { outcome } } : n));
}
