// Properties of the outcome mapping and merge (src/domain/call-outcomes.ts, issue 13 point 4): for
// any outcome learned live and any call-log record, reconciliation never makes the outcome less
// specific, and reconciling again changes nothing.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  OUTCOME_SPECIFICITY,
  callLogOutcome,
  settleWithCallLog,
  settledStatus,
  type CallStatus,
} from "../src/domain/call-outcomes.ts";
import { notificationsFromCallLog, type CallLogSummary } from "../src/domain/call-reconciliation.ts";
import { applyPartyEvent, deriveCall, type PartyEvent, type PartyState } from "../src/domain/call-state.ts";
import type { TelephonyNotification } from "../src/domain/telephony.ts";

const rank = (status: CallStatus) => OUTCOME_SPECIFICITY.indexOf(status);
const status = fc.constantFrom(...OUTCOME_SPECIFICITY);
const outcome = fc.constantFrom("ENDED", "MISSED", "ABANDONED", "VOICEMAIL" as const);
// The call log's documented results and reasons ([DEFS] CallLogRecord), and anything else.
const result = fc.oneof(
  fc.constantFrom("Accepted", "Call connected", "Missed", "Voicemail", "Abandoned", "No Answer", "Hang Up", "Busy"),
  fc.constantFrom("Rejected", "Declined", "Blocked", "Stopped", "In Progress", "Unknown"),
  fc.string(),
);
const reason = fc.option(fc.constantFrom("Accepted", "Connected", "Not Answered", "No Answer", "Hang Up", "Stopped"));

describe("merging an outcome with the call log", () => {
  it("never makes it less specific, and is idempotent", () => {
    fc.assert(
      fc.property(status, fc.option(outcome), result, reason, (shown, settled, logResult, logReason) => {
        const log = callLogOutcome(logResult, logReason);
        const settledAfter = settleWithCallLog(shown, settled, log);
        const shownAfter = settledStatus(shown, settledAfter);
        expect(rank(shownAfter)).toBeGreaterThanOrEqual(rank(shown));
        if (settled) expect(rank(settledAfter!)).toBeGreaterThanOrEqual(rank(settled));
        if (log) expect(rank(shownAfter)).toBeGreaterThanOrEqual(rank(log));
        expect(settleWithCallLog(shownAfter, settledAfter, log)).toBe(settledAfter);
        expect(settledStatus(shownAfter, settledAfter)).toBe(shownAfter);
      }),
    );
  });
});

// The same property through the whole domain path: live party events, then the notifications a
// call-log record becomes, applied as call ingest applies them.

const t0 = Date.UTC(2026, 0, 1, 12);
const at = (seconds: number) => new Date(t0 + seconds * 1000);

interface Call {
  parties: Map<string, PartyState>;
  settled: CallStatus | null;
  status: CallStatus;
}

function apply(call: Call, notifications: TelephonyNotification[]): Call {
  let { settled, status } = call;
  const parties = new Map(call.parties);
  for (const n of notifications) {
    // As call ingest (src/domain/calls.ts) settles: before a flagged notification applies, and after.
    if (n.callLog) settled = settleWithCallLog(status, settled, n.callLog.outcome);
    for (const p of n.parties) {
      const event: PartyEvent = {
        ...p,
        role: p.extensionId ? "AGENT" : "EXTERNAL",
        sequence: n.sequence,
        eventTime: n.eventTime,
      };
      parties.set(p.partyId, applyPartyEvent(parties.get(p.partyId) ?? null, event));
    }
    const derived = deriveCall([...parties.values()], "INBOUND").status;
    if (n.callLog) settled = settleWithCallLog(settledStatus(derived, settled), settled, n.callLog.outcome);
    status = settledStatus(derived, settled);
  }
  return { parties, settled, status };
}

const AGENT_CODES = ["Setup", "Proceeding", "Answered", "Hold", "VoiceMail", "Disconnected"];
const liveEvent = fc.record({
  agent: fc.boolean(),
  statusCode: fc.constantFrom(...AGENT_CODES),
  reason: fc.option(fc.constantFrom("Cancelled", "Timeout", "NoAnswer", "BlindTransfer")),
  missedCall: fc.boolean(),
  dropped: fc.boolean(),
});

type LiveEvent = { agent: boolean; statusCode: string; reason: string | null; missedCall: boolean; dropped: boolean };

function liveNotifications(events: LiveEvent[]): TelephonyNotification[] {
  return events.flatMap((e, i) =>
    e.dropped
      ? []
      : [
          {
            uuid: `live-${i}`,
            telephonySessionId: "s-1",
            sequence: i + 1,
            eventTime: at(i),
            parties: [
              {
                partyId: e.agent ? "p-2" : "p-1",
                direction: e.agent ? ("Inbound" as const) : ("Outbound" as const),
                extensionId: e.agent ? "101" : null,
                fromNumber: "+14155550100",
                toNumber: "+18003151571",
                statusCode: e.agent ? e.statusCode : e.statusCode === "Disconnected" ? "Disconnected" : "Answered",
                reason: e.agent ? e.reason : null,
                missedCall: e.agent && e.missedCall,
                queueCall: false,
                muted: false,
                peerTelephonySessionId: null,
              },
            ],
          },
        ],
  );
}

function summary(recordResult: string, recordReason: string | null, legResult: string): CallLogSummary {
  return {
    recordId: "r-1",
    telephonySessionId: "s-1",
    direction: "Inbound",
    fromNumber: "+14155550100",
    toNumber: "+18003151571",
    startTime: at(0),
    durationSeconds: 60,
    result: recordResult,
    reason: recordReason,
    legs: [
      {
        partyId: "p-2",
        extensionId: "101",
        direction: "Inbound",
        result: legResult,
        reason: null,
        startTime: at(1),
        durationSeconds: 59,
      },
    ],
  };
}

function reconciled(call: Call, record: CallLogSummary): Call {
  const parties = [...call.parties.values()];
  return apply(
    call,
    notificationsFromCallLog(record, {
      externalPartyId: parties.find((p) => p.role === "EXTERNAL")?.partyId ?? null,
      answeredPartyIds: new Set(parties.filter((p) => p.answeredAt).map((p) => p.partyId)),
      endedPartyIds: new Set(parties.filter((p) => p.endedAt).map((p) => p.partyId)),
    }),
  );
}

describe("reconciling a call with its call-log record", () => {
  it("never makes what the call shows less specific, and a second reconciliation changes nothing", () => {
    fc.assert(
      fc.property(
        fc.array(liveEvent, { maxLength: 8 }),
        result,
        reason,
        result,
        (events, recordResult, recordReason, legResult) => {
          const live = apply({ parties: new Map(), settled: null, status: "RINGING" }, liveNotifications(events));
          const record = summary(recordResult, recordReason, legResult);
          const once = reconciled(live, record);
          expect(rank(once.status)).toBeGreaterThanOrEqual(rank(live.status));
          // The call log says the call is over: it is, with at least the log's outcome.
          const log = callLogOutcome(recordResult, recordReason);
          if (log) expect(rank(once.status)).toBeGreaterThanOrEqual(rank(log));
          const twice = reconciled(once, record);
          expect(twice.status).toBe(once.status);
          expect(twice.settled).toBe(once.settled);
        },
      ),
    );
  });
});
