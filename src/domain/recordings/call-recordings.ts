// Call recordings (R3.12): announced on a party while the call runs (calls.ts notes them PENDING),
// downloadable once the call log lists them; a call the log shows without one was not recorded
// after all (no licence, feature off, too short). Idempotent by RingCentral id; events are written
// in the same transaction.
import type { Recording } from "../../generated/prisma/client.ts";
import { inboxIdsOf } from "../conversations.ts";
import { inTransaction, type Deps, type EventLog, type Transaction } from "../event-log.ts";
import { lockCallSession } from "../../store/locks.ts";
import { callWithConversation, recordingPayload, type CallWithConversation } from "./recording-events.ts";

export interface CallLogRecording {
  ringCentralId: string;
  contentUri: string;
  contentType: string | null;
  durationSeconds: number | null;
}

export interface CallRecordingsOutcome {
  /** False when the call is not known here (not on a connected number). */
  call: boolean;
  available: number;
  unavailable: number;
  /** PENDING recordings left waiting (the call log does not have the call yet). */
  pending: number;
}

type CallWithRecordings = CallWithConversation & { recordings: Recording[] };

/**
 * Applies what the call log says about a call's recordings: the ones it lists become AVAILABLE
 * with their content URI (created if the telephony events never mentioned them); once the log has
 * the call (`callLogSeen`), PENDING call recordings it does not list become UNAVAILABLE —
 * RingCentral did not keep them (no licence, recording off, call too short). Each change is an
 * event (RECORDING_ADDED for new rows, RECORDING_UPDATED for state changes). Idempotent.
 */
export async function applyCallRecordings(
  deps: Deps,
  telephonySessionId: string,
  recordings: CallLogRecording[],
  callLogSeen: boolean,
): Promise<CallRecordingsOutcome> {
  return inTransaction(deps, async (tx, log) => {
    await lockCallSession(tx, telephonySessionId);
    const call = await tx.call.findUnique({
      where: { telephonySessionId },
      include: { ...callWithConversation, recordings: true },
    });
    if (!call) return { call: false, available: 0, unavailable: 0, pending: 0 };
    const outcome: CallRecordingsOutcome = { call: true, available: 0, unavailable: 0, pending: 0 };
    const listed = new Set<string>();
    for (const entry of recordings) {
      if (listed.has(entry.ringCentralId)) continue;
      listed.add(entry.ringCentralId);
      if (await makeAvailable(tx, log, call, entry)) outcome.available += 1;
    }
    const unlisted = call.recordings.filter(
      (r) => r.kind === "CALL" && r.state === "PENDING" && !listed.has(r.ringCentralId),
    );
    for (const pending of unlisted) {
      if (!callLogSeen) {
        outcome.pending += 1;
        continue;
      }
      const updated = await tx.recording.update({ where: { id: pending.id }, data: { state: "UNAVAILABLE" } });
      log.append(recordingUpdated(call, updated));
      outcome.unavailable += 1;
    }
    return outcome;
  });
}

function recordingUpdated(call: CallWithConversation, recording: Recording) {
  return {
    type: "RECORDING_UPDATED" as const,
    conversationId: call.conversationId,
    inboxIds: inboxIdsOf(call.conversation),
    payload: recordingPayload(recording),
  };
}

/** Stores a recording the call log lists as AVAILABLE; whether anything changed. */
async function makeAvailable(
  tx: Transaction,
  log: EventLog,
  call: CallWithRecordings,
  entry: CallLogRecording,
): Promise<boolean> {
  const existing = call.recordings.find((r) => r.ringCentralId === entry.ringCentralId);
  const data = {
    state: "AVAILABLE" as const,
    contentUri: entry.contentUri,
    ...(entry.contentType !== null ? { contentType: entry.contentType } : {}),
    ...(entry.durationSeconds !== null ? { durationSeconds: entry.durationSeconds } : {}),
  };
  if (!existing) {
    // Unknown here: listed in the call log only (or recorded on another call's leg and moved).
    const other = await tx.recording.findUnique({ where: { ringCentralId: entry.ringCentralId } });
    if (other) return false; // belongs to another call: leave it there
    const created = await tx.recording.create({
      data: { ringCentralId: entry.ringCentralId, kind: "CALL", callId: call.id, ...data },
    });
    log.append({
      type: "RECORDING_ADDED",
      conversationId: call.conversationId,
      inboxIds: inboxIdsOf(call.conversation),
      payload: recordingPayload(created),
    });
    return true;
  }
  const changed =
    existing.state !== "AVAILABLE" ||
    existing.contentUri !== data.contentUri ||
    (data.contentType !== undefined && existing.contentType !== data.contentType) ||
    (data.durationSeconds !== undefined && existing.durationSeconds !== data.durationSeconds);
  if (!changed) return false;
  const updated = await tx.recording.update({ where: { id: existing.id }, data });
  log.append(recordingUpdated(call, updated));
  return true;
}

/** Telephony sessions of ended calls that still have PENDING recordings (for a periodic pass or
 * catch-up), oldest first. */
export async function sessionsWithPendingRecordings(deps: Pick<Deps, "prisma">, limit = 100): Promise<string[]> {
  const calls = await deps.prisma.call.findMany({
    where: { endedAt: { not: null }, recordings: { some: { kind: "CALL", state: "PENDING" } } },
    select: { telephonySessionId: true },
    orderBy: { endedAt: "asc" },
    take: limit,
  });
  return calls.map((c) => c.telephonySessionId);
}

/**
 * The sessions among these whose call has ended with recordings still PENDING, or with an outcome
 * only the call log can complete: time to read their call log. The latter are calls that ended
 * unanswered, not yet settled, with a rung agent leg that ended without saying why (no answer,
 * voicemail, `missedCall` or reason: call-outcomes.ts `legOutcome` then guesses ABANDONED) — its
 * first notifications, the answer among them, were lost.
 */
export async function awaitingCallLog(deps: Pick<Deps, "prisma">, telephonySessionIds: string[]): Promise<string[]> {
  if (telephonySessionIds.length === 0) return [];
  const unexplainedLeg = {
    role: "AGENT",
    endedAt: { not: null },
    answeredAt: null,
    voicemailAt: null,
    missedCall: false,
    reason: null,
  };
  const calls = await deps.prisma.call.findMany({
    where: {
      telephonySessionId: { in: telephonySessionIds },
      endedAt: { not: null },
      OR: [
        { recordings: { some: { kind: "CALL", state: "PENDING" } } },
        { status: { in: ["ABANDONED", "MISSED"] }, settledStatus: null, parties: { some: unexplainedLeg } },
      ],
    },
    select: { telephonySessionId: true },
  });
  const awaiting = new Set(calls.map((c) => c.telephonySessionId));
  return telephonySessionIds.filter((id) => awaiting.has(id));
}
