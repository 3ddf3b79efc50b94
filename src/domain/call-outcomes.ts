// The one mapping from RingCentral's facts to Switchboard's call outcomes, used by the live path
// (party status codes and reasons of telephony notifications, through call-state.ts) and by
// reconciliation with the call log (record and leg `result`/`reason`, through
// call-reconciliation.ts), and the order in which outcomes are more specific, so that
// reconciliation adds what is missing but never replaces what we know better. docs/call-outcomes.md
// is this file as a table, with the sources of each line.

/** A call's state (the GraphQL enum CallStatus). */
export type CallStatus =
  | "RINGING"
  | "QUEUED"
  | "IN_PROGRESS"
  | "ON_HOLD"
  | "ENDED"
  | "MISSED"
  | "ABANDONED"
  | "VOICEMAIL";

/** How a call ended. */
export type CallOutcome = Extract<CallStatus, "ENDED" | "MISSED" | "ABANDONED" | "VOICEMAIL">;

/**
 * Least to most specific. A call still up says nothing of how it ends. MISSED says only that nobody
 * answered (the call log says so of every unanswered inbound call); ABANDONED adds that the caller
 * gave up first; VOICEMAIL that a message was left; ENDED that a person answered — an answer,
 * seen by either source, is the strongest fact and is never undone.
 */
export const OUTCOME_SPECIFICITY: readonly CallStatus[] = [
  "RINGING",
  "QUEUED",
  "IN_PROGRESS",
  "ON_HOLD",
  "MISSED",
  "ABANDONED",
  "VOICEMAIL",
  "ENDED",
];

const OUTCOMES = new Set<CallStatus>(["ENDED", "MISSED", "ABANDONED", "VOICEMAIL"]);

export const isOutcome = (status: CallStatus): status is CallOutcome => OUTCOMES.has(status);

/** The more specific of two statuses: merging is commutative, associative and idempotent. */
export function moreSpecific<S extends CallStatus>(a: S, b: S): S {
  return OUTCOME_SPECIFICITY.indexOf(b) > OUTCOME_SPECIFICITY.indexOf(a) ? b : a;
}

/**
 * The status a call shows: what its parties say now, unless the outcome settled by reconciliation
 * is more specific. Open statuses rank below every outcome, so a call the call log says is over is
 * over, and a settled outcome never becomes a less specific one.
 */
export function settledStatus(derived: CallStatus, settled: CallStatus | null): CallStatus {
  return settled ? moreSpecific(derived, settled) : derived;
}

/**
 * What reconciliation settles: the most specific of what was already settled, what the call shows
 * (learned live), and what the call log says. Applying the same record again changes nothing.
 */
export function settleWithCallLog(
  shown: CallStatus,
  settled: CallStatus | null,
  callLog: CallOutcome | null,
): CallOutcome | null {
  const known = [settled, shown, callLog].filter((s): s is CallOutcome => s !== null && isOutcome(s));
  return known.length > 0 ? known.reduce((a, b) => moreSpecific(a, b)) : null;
}

// ---------------------------------------------------------------------------------------------
// Live: party status codes, reasons and flags (REFERENCE §3.2, §3.3 C–F)

/** Status codes of a leg on the call, and of one sent to voicemail. */
export const CONNECTED_CODES: ReadonlySet<string> = new Set(["Answered", "Hold", "Parked"]);
export const VOICEMAIL_CODES: ReadonlySet<string> = new Set(["VoiceMail", "VoiceMailScreening"]);

/** The caller hung up while this leg rang (§3.3 C: reason `Cancelled`). */
const CALLER_CANCELLED_REASONS = new Set(["Cancelled"]);

/** What a rung leg says of how the call ended: whether it connected or reached voicemail, its
 * `missedCall` flag and its last `status.reason`. */
export interface LegFacts {
  answered: boolean;
  voicemail: boolean;
  missedCall: boolean;
  reason: string | null;
}

/** One rung leg's outcome: answered, voicemail, rung out (missedCall, not cancelled), else abandoned. */
export function legOutcome(leg: LegFacts): CallOutcome {
  if (leg.answered) return "ENDED";
  if (leg.voicemail) return "VOICEMAIL";
  if (leg.missedCall && !(leg.reason && CALLER_CANCELLED_REASONS.has(leg.reason))) return "MISSED";
  return "ABANDONED";
}

/**
 * A call's outcome from its rung legs (agent legs inbound): answered by any → ENDED; voicemail on
 * any → VOICEMAIL; a leg that rang out → MISSED (nobody answered in time); otherwise the caller
 * hung up first → ABANDONED (also when no leg rang at all).
 */
export function callOutcomeOfLegs(legs: LegFacts[]): CallOutcome {
  const outcomes = new Set(legs.map(legOutcome));
  for (const outcome of ["ENDED", "VOICEMAIL", "MISSED"] as const) if (outcomes.has(outcome)) return outcome;
  return "ABANDONED";
}

// ---------------------------------------------------------------------------------------------
// Call log: `result` and `reason` of a record or of one of its legs ([DEFS] CallLogRecord,
// CallLogRecordLegInfo; REFERENCE §4)

const CALL_LOG_RESULTS: Readonly<Record<string, CallOutcome>> = {
  Accepted: "ENDED",
  "Call connected": "ENDED",
  Voicemail: "VOICEMAIL",
  "Sent to Voicemail": "VOICEMAIL",
  Missed: "MISSED",
  "No Answer": "MISSED",
  Busy: "MISSED",
  Rejected: "MISSED",
  Declined: "MISSED",
  Blocked: "MISSED",
  Abandoned: "ABANDONED",
  "Hang Up": "ABANDONED",
};

/** Reasons that say the caller hung up before the call was answered ("Hang Up", [DEFS]). */
const CALLER_HUNG_UP_REASONS = new Set(["Hang Up"]);

/**
 * The outcome a call-log `result` (with its `reason`) states, or null when it states none (`In
 * Progress`, `Unknown`, `Stopped` — another phone took the call — or a result not listed).
 */
export function callLogOutcome(result: string, reason: string | null = null): CallOutcome | null {
  const outcome = CALL_LOG_RESULTS[result] ?? null;
  if (outcome === "MISSED" && reason && CALLER_HUNG_UP_REASONS.has(reason)) return "ABANDONED";
  return outcome;
}

/**
 * A call-log leg as party facts, the way telephony notifications would have said them, so the live
 * rules derive from it what the call log says: the leg's own outcome, refined by the record's when
 * the leg only says MISSED (or nothing) and the record knows more of why nobody answered.
 */
export function legFactsOfCallLog(leg: CallOutcome | null, record: CallOutcome | null): LegFacts {
  // A leg that states nothing takes the record's unanswered outcome (not its answer: another leg's).
  const unstated = leg === null && record !== "ENDED" && record !== "VOICEMAIL" ? record : leg;
  const outcome = unstated === "MISSED" && record === "ABANDONED" ? "ABANDONED" : unstated;
  switch (outcome) {
    case "ENDED":
      return { answered: true, voicemail: false, missedCall: false, reason: null };
    case "VOICEMAIL":
      return { answered: false, voicemail: true, missedCall: true, reason: null };
    case "MISSED":
      return { answered: false, voicemail: false, missedCall: true, reason: "Timeout" };
    case "ABANDONED":
      return { answered: false, voicemail: false, missedCall: true, reason: "Cancelled" };
    default:
      return { answered: false, voicemail: false, missedCall: false, reason: null };
  }
}
