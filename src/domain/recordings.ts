// Recordings and voicemail (R3.5, R3.12). RingCentral reports them apart from the call:
// - a voicemail arrives as a message (REFERENCE §3.5) with no telephonySessionId, so it is joined
//   to its call by mailbox extension, caller number and time (§3.3 D) — `pickVoicemailCall`;
// - a call recording is announced on a party while the call runs (calls.ts notes it PENDING) and
//   becomes downloadable once the call log lists it; a call the log shows without it was not
//   recorded after all (no licence, feature off, too short) — `applyCallRecordings`.
// Everything here is idempotent by RingCentral id and writes its events in the same transaction.
import type { CallStatus, Prisma, RecordingKind, RecordingState } from "../generated/prisma/client.ts";
import type { CallDirectory } from "./telephony.ts";
import { inboxIdsOf } from "./conversations.ts";
import { inTransaction, type Deps, type EventLog, type Transaction } from "./event-log.ts";
import type { EventPayloads } from "./events.ts";
import { toE164 } from "./phone-numbers.ts";
import { lockCallSession, lockRecording } from "../store/locks.ts";

// ---------------------------------------------------------------------------------------------
// The join rule (pure)

/** A call the voicemail may belong to: one with a party on the mailbox's extension. */
export interface VoicemailCallCandidate {
  callId: string;
  /** The caller, E.164 when it is one. */
  fromNumber: string | null;
  startedAt: Date;
  endedAt: Date | null;
  /** When the mailbox extension's party went to voicemail, if that was seen. */
  voicemailAt: Date | null;
  /** Already has a (different) voicemail message. */
  hasVoicemail: boolean;
}

export interface VoicemailSighting {
  /** The caller as the message gives it; null for anonymous callers. */
  fromNumber: string | null;
  /** The message's creationTime. */
  createdAt: Date;
}

/** The message is written while or after the caller speaks: at most this long after the call
 * went to voicemail (or ended, or started, whichever is known)… */
export const VOICEMAIL_AFTER_CALL_MS = 10 * 60_000;
/** …and no earlier than this before it (clock skew between RingCentral's services). */
export const VOICEMAIL_BEFORE_CALL_MS = 60_000;
/** How far back the database is searched for candidates (the longest call worth joining). */
export const VOICEMAIL_LOOKBACK_MS = 60 * 60_000;

/** The same number in the form calls store it (E.164 when valid, else as given). */
export function normaliseNumber(number: string | null | undefined): string | null {
  if (!number) return null;
  return toE164(number) ?? number.trim();
}

function referenceTime(candidate: VoicemailCallCandidate): Date {
  return candidate.voicemailAt ?? candidate.endedAt ?? candidate.startedAt;
}

/**
 * The call a voicemail message belongs to, or null. Candidates must not have another voicemail,
 * must have the same caller (when both numbers are known), must have started before the message,
 * and the message must come within minutes of the moment the call reached voicemail (or ended).
 * Calls seen going to voicemail win over others; then the nearest in time; then the latest started.
 */
export function pickVoicemailCall(candidates: VoicemailCallCandidate[], voicemail: VoicemailSighting): string | null {
  const caller = normaliseNumber(voicemail.fromNumber);
  const at = voicemail.createdAt.getTime();
  const eligible = candidates.filter((c) => {
    if (c.hasVoicemail) return false;
    const from = normaliseNumber(c.fromNumber);
    if (caller && from && caller !== from) return false;
    if (c.startedAt.getTime() > at + VOICEMAIL_BEFORE_CALL_MS) return false;
    const reference = referenceTime(c).getTime();
    return at >= reference - VOICEMAIL_BEFORE_CALL_MS && at <= reference + VOICEMAIL_AFTER_CALL_MS;
  });
  eligible.sort(
    (a, b) =>
      Number(b.voicemailAt !== null) - Number(a.voicemailAt !== null) ||
      Math.abs(at - referenceTime(a).getTime()) - Math.abs(at - referenceTime(b).getTime()) ||
      b.startedAt.getTime() - a.startedAt.getTime(),
  );
  return eligible[0]?.callId ?? null;
}

// ---------------------------------------------------------------------------------------------
// Shared


const callWithConversation = {
  conversation: { include: { inboxes: { select: { inboxId: true } } } },
} satisfies Prisma.CallInclude;
type CallWithConversation = Prisma.CallGetPayload<{ include: typeof callWithConversation }>;

const lockCall = lockCallSession;

function recordingPayload(
  recording: { id: string; kind: RecordingKind; state: RecordingState; callId: string | null },
  extra: { transcribed?: boolean; changed?: string[] } = {},
): EventPayloads["RECORDING_ADDED" | "RECORDING_UPDATED"] {
  return { recordingId: recording.id, callId: recording.callId, kind: recording.kind, state: recording.state, ...extra };
}

async function touchConversation(tx: Transaction, conversationId: string) {
  const now = new Date();
  await tx.conversationInbox.updateMany({ where: { conversationId }, data: { lastActivityAt: now } });
  await tx.conversation.update({ where: { id: conversationId }, data: { lastActivityAt: now } });
}

// ---------------------------------------------------------------------------------------------
// Voicemail (R3.5)

export type TranscriptionStatus = "NotAvailable" | "InProgress" | "TimedOut" | "Completed" | "CompletedPartially" | "Failed" | "Unknown";

export interface VoicemailInput {
  /** The message-store id of the voicemail. */
  ringCentralMessageId: string;
  fromNumber: string | null;
  /** The mailbox: the extension the message was left for. */
  toExtensionId: string;
  createdAt: Date;
  durationSeconds: number | null;
  /** The audio attachment's absolute URI. */
  contentUri: string;
  contentType: string;
  /** The transcription's text once RingCentral has it; null leaves any stored one untouched. */
  transcription: string | null;
  transcriptionStatus: TranscriptionStatus | string | null;
}

/** What happened: a new voicemail recording, an update of a known one (transcription…), nothing,
 * or no call to join yet (the telephony events may still be on their way — try again later). */
export type VoicemailOutcome = "added" | "updated" | "unchanged" | "unmatched";

/** Calls that could hold the voicemail, read from the database. */
async function voicemailCandidates(tx: Transaction | Deps["prisma"], input: VoicemailInput): Promise<VoicemailCallCandidate[]> {
  const at = input.createdAt.getTime();
  const calls = await tx.call.findMany({
    where: {
      parties: { some: { extensionId: input.toExtensionId } },
      createdAt: { gte: new Date(at - VOICEMAIL_LOOKBACK_MS), lte: new Date(at + VOICEMAIL_BEFORE_CALL_MS) },
    },
    select: {
      id: true,
      fromNumber: true,
      createdAt: true,
      endedAt: true,
      parties: { where: { extensionId: input.toExtensionId }, select: { voicemailAt: true } },
      recordings: { where: { kind: "VOICEMAIL", ringCentralId: { not: input.ringCentralMessageId } }, select: { id: true } },
    },
    take: 50,
    orderBy: { createdAt: "desc" },
  });
  return calls.map((call) => ({
    callId: call.id,
    fromNumber: call.fromNumber,
    startedAt: call.createdAt,
    endedAt: call.endedAt,
    voicemailAt: call.parties.map((p) => p.voicemailAt).filter((d): d is Date => d !== null).sort((a, b) => a.getTime() - b.getTime())[0] ?? null,
    hasVoicemail: call.recordings.length > 0,
  }));
}

/**
 * The id of the call this voicemail belongs to (a stored one, or the join rule's pick), without
 * changing anything — the worker asks before fetching a transcription it may not need.
 */
export async function voicemailCallId(deps: Pick<Deps, "prisma">, input: Pick<VoicemailInput, "ringCentralMessageId" | "fromNumber" | "toExtensionId" | "createdAt">): Promise<string | null> {
  const stored = await deps.prisma.recording.findUnique({ where: { ringCentralId: input.ringCentralMessageId }, select: { callId: true } });
  if (stored?.callId) return stored.callId;
  const candidates = await voicemailCandidates(deps.prisma, input as VoicemailInput);
  return pickVoicemailCall(candidates, input);
}

/** Whether the stored voicemail still lacks its transcription (null when it is not stored). */
export async function voicemailNeedsTranscription(deps: Pick<Deps, "prisma">, ringCentralMessageId: string): Promise<boolean | null> {
  const stored = await deps.prisma.recording.findUnique({ where: { ringCentralId: ringCentralMessageId }, select: { transcription: true } });
  return stored ? stored.transcription === null : null;
}

/** Statuses a voicemail overrides: nobody talked. A call someone answered stays as it is. */
const NOT_ANSWERED: ReadonlySet<CallStatus> = new Set(["RINGING", "QUEUED", "MISSED", "ABANDONED"]);

async function markCallVoicemail(tx: Transaction, log: EventLog, call: CallWithConversation, input: VoicemailInput) {
  if (!NOT_ANSWERED.has(call.status)) return;
  const updated = await tx.call.update({
    where: { id: call.id },
    data: { status: "VOICEMAIL", endedAt: call.endedAt ?? input.createdAt },
  });
  log.append({
    type: "CALL_UPDATED",
    conversationId: call.conversationId,
    inboxIds: inboxIdsOf(call.conversation),
    payload: {
      callId: call.id,
      telephonySessionId: call.telephonySessionId,
      status: updated.status,
      direction: call.direction,
      talkSeconds: updated.talkSeconds,
    },
  });
}

/**
 * Stores a voicemail message as the VOICEMAIL recording of its call (AVAILABLE: RingCentral only
 * announces a voicemail once its audio exists), marks the call VOICEMAIL when the telephony events
 * have not said so yet, and tells the conversation's inboxes (RECORDING_ADDED). Seen again — a
 * replay, or the message-store update when the transcription completes — it fills in what is new
 * (RECORDING_UPDATED) and otherwise changes nothing. A voicemail whose call is not known yet is
 * not stored: "unmatched" tells the caller to try again when more telephony events have arrived.
 */
export async function ingestVoicemail(deps: Deps, directory: CallDirectory, input: VoicemailInput): Promise<VoicemailOutcome> {
  void directory; // mailbox extensions are matched on the call's parties, which cover queues and users alike
  return inTransaction(deps, async (tx, log) => {
    await lockRecording(tx, input.ringCentralMessageId);
    const existing = await tx.recording.findUnique({ where: { ringCentralId: input.ringCentralMessageId } });
    const callId = existing?.callId ?? pickVoicemailCall(await voicemailCandidates(tx, input), input);
    if (!callId) return "unmatched";
    const found = await tx.call.findUniqueOrThrow({ where: { id: callId }, select: { telephonySessionId: true } });
    await lockCall(tx, found.telephonySessionId);
    const call = await tx.call.findUniqueOrThrow({ where: { id: callId }, include: callWithConversation });
    const inboxIds = inboxIdsOf(call.conversation);

    if (!existing) {
      const recording = await tx.recording.create({
        data: {
          ringCentralId: input.ringCentralMessageId,
          kind: "VOICEMAIL",
          state: "AVAILABLE",
          callId: call.id,
          contentUri: input.contentUri,
          contentType: input.contentType,
          durationSeconds: input.durationSeconds,
          transcription: input.transcription,
        },
      });
      await markCallVoicemail(tx, log, call, input);
      await touchConversation(tx, call.conversationId);
      log.append({
        type: "RECORDING_ADDED",
        conversationId: call.conversationId,
        inboxIds,
        payload: recordingPayload(recording, { transcribed: recording.transcription !== null }),
      });
      return "added";
    }

    const changes: Prisma.RecordingUpdateInput = {};
    if (existing.state !== "AVAILABLE") changes.state = "AVAILABLE";
    if (existing.contentUri !== input.contentUri) changes.contentUri = input.contentUri;
    if (existing.contentType !== input.contentType) changes.contentType = input.contentType;
    if (input.durationSeconds !== null && existing.durationSeconds !== input.durationSeconds) changes.durationSeconds = input.durationSeconds;
    if (input.transcription !== null && existing.transcription !== input.transcription) changes.transcription = input.transcription;
    await markCallVoicemail(tx, log, call, input);
    if (Object.keys(changes).length === 0) return "unchanged";
    const recording = await tx.recording.update({ where: { id: existing.id }, data: changes });
    log.append({
      type: "RECORDING_UPDATED",
      conversationId: call.conversationId,
      inboxIds,
      payload: recordingPayload(recording, { transcribed: recording.transcription !== null, changed: Object.keys(changes) }),
    });
    return "updated";
  });
}

// ---------------------------------------------------------------------------------------------
// Call recordings (R3.12)

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
    await lockCall(tx, telephonySessionId);
    const call = await tx.call.findUnique({ where: { telephonySessionId }, include: { ...callWithConversation, recordings: true } });
    if (!call) return { call: false, available: 0, unavailable: 0, pending: 0 };
    const inboxIds = inboxIdsOf(call.conversation);
    const outcome: CallRecordingsOutcome = { call: true, available: 0, unavailable: 0, pending: 0 };
    const listed = new Set<string>();
    for (const entry of recordings) {
      if (listed.has(entry.ringCentralId)) continue;
      listed.add(entry.ringCentralId);
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
        if (other) continue; // belongs to another call: leave it there
        const created = await tx.recording.create({ data: { ringCentralId: entry.ringCentralId, kind: "CALL", callId: call.id, ...data } });
        log.append({ type: "RECORDING_ADDED", conversationId: call.conversationId, inboxIds, payload: recordingPayload(created) });
        outcome.available += 1;
        continue;
      }
      const changed =
        existing.state !== "AVAILABLE" ||
        existing.contentUri !== data.contentUri ||
        (data.contentType !== undefined && existing.contentType !== data.contentType) ||
        (data.durationSeconds !== undefined && existing.durationSeconds !== data.durationSeconds);
      if (!changed) continue;
      const updated = await tx.recording.update({ where: { id: existing.id }, data });
      log.append({ type: "RECORDING_UPDATED", conversationId: call.conversationId, inboxIds, payload: recordingPayload(updated) });
      outcome.available += 1;
    }
    for (const pending of call.recordings.filter((r) => r.kind === "CALL" && r.state === "PENDING" && !listed.has(r.ringCentralId))) {
      if (!callLogSeen) {
        outcome.pending += 1;
        continue;
      }
      const updated = await tx.recording.update({ where: { id: pending.id }, data: { state: "UNAVAILABLE" } });
      log.append({ type: "RECORDING_UPDATED", conversationId: call.conversationId, inboxIds, payload: recordingPayload(updated) });
      outcome.unavailable += 1;
    }
    return outcome;
  });
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

/** The sessions among these whose call has ended with recordings still PENDING: time to read their call log. */
export async function awaitingCallLog(deps: Pick<Deps, "prisma">, telephonySessionIds: string[]): Promise<string[]> {
  if (telephonySessionIds.length === 0) return [];
  const calls = await deps.prisma.call.findMany({
    where: { telephonySessionId: { in: telephonySessionIds }, endedAt: { not: null }, recordings: { some: { kind: "CALL", state: "PENDING" } } },
    select: { telephonySessionId: true },
  });
  const awaiting = new Set(calls.map((c) => c.telephonySessionId));
  return telephonySessionIds.filter((id) => awaiting.has(id));
}
