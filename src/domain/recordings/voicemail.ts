// Voicemail (R3.5): a voicemail message (REFERENCE §3.5) becomes the VOICEMAIL recording of the
// call the join rule picks (voicemail-join.ts). Idempotent by RingCentral id; events are written
// in the same transaction.
import type { CallStatus, Prisma, Recording } from "../../generated/prisma/client.ts";
import type { CallDirectory } from "../calls.ts";
import { inboxIdsOf, touchConversation } from "../conversations.ts";
import { inTransaction, type Deps, type EventLog, type Transaction } from "../event-log.ts";
import { lockCallSession, lockRecording } from "../../store/locks.ts";
import { callWithConversation, recordingPayload, type CallWithConversation } from "./recording-events.ts";
import {
  pickVoicemailCall,
  VOICEMAIL_BEFORE_CALL_MS,
  VOICEMAIL_LOOKBACK_MS,
  type VoicemailCallCandidate,
} from "./voicemail-join.ts";

export type TranscriptionStatus =
  | "NotAvailable"
  | "InProgress"
  | "TimedOut"
  | "Completed"
  | "CompletedPartially"
  | "Failed"
  | "Unknown";

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

type VoicemailSearch = Pick<VoicemailInput, "ringCentralMessageId" | "fromNumber" | "toExtensionId" | "createdAt">;

/** What happened: a new voicemail recording, an update of a known one (transcription…), nothing,
 * or no call to join yet (the telephony events may still be on their way — try again later). */
export type VoicemailOutcome = "added" | "updated" | "unchanged" | "unmatched";

function earliest(dates: (Date | null)[]): Date | null {
  return dates.filter((d): d is Date => d !== null).sort((a, b) => a.getTime() - b.getTime())[0] ?? null;
}

/** Calls that could hold the voicemail, read from the database. */
async function voicemailCandidates(
  tx: Transaction | Deps["prisma"],
  input: VoicemailSearch,
): Promise<VoicemailCallCandidate[]> {
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
      recordings: {
        where: { kind: "VOICEMAIL", ringCentralId: { not: input.ringCentralMessageId } },
        select: { id: true },
      },
    },
    take: 50,
    orderBy: { createdAt: "desc" },
  });
  return calls.map((call) => ({
    callId: call.id,
    fromNumber: call.fromNumber,
    startedAt: call.createdAt,
    endedAt: call.endedAt,
    voicemailAt: earliest(call.parties.map((p) => p.voicemailAt)),
    hasVoicemail: call.recordings.length > 0,
  }));
}

/**
 * The id of the call this voicemail belongs to (a stored one, or the join rule's pick), without
 * changing anything — the worker asks before fetching a transcription it may not need.
 */
export async function voicemailCallId(deps: Pick<Deps, "prisma">, input: VoicemailSearch): Promise<string | null> {
  const stored = await deps.prisma.recording.findUnique({
    where: { ringCentralId: input.ringCentralMessageId },
    select: { callId: true },
  });
  if (stored?.callId) return stored.callId;
  const candidates = await voicemailCandidates(deps.prisma, input);
  return pickVoicemailCall(candidates, input);
}

/** Whether the stored voicemail still lacks its transcription (null when it is not stored). */
export async function voicemailNeedsTranscription(
  deps: Pick<Deps, "prisma">,
  ringCentralMessageId: string,
): Promise<boolean | null> {
  const stored = await deps.prisma.recording.findUnique({
    where: { ringCentralId: ringCentralMessageId },
    select: { transcription: true },
  });
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
export async function ingestVoicemail(
  deps: Deps,
  directory: CallDirectory,
  input: VoicemailInput,
): Promise<VoicemailOutcome> {
  void directory; // mailbox extensions are matched on the call's parties, which cover queues and users alike
  return inTransaction(deps, async (tx, log) => {
    await lockRecording(tx, input.ringCentralMessageId);
    const existing = await tx.recording.findUnique({ where: { ringCentralId: input.ringCentralMessageId } });
    const callId = existing?.callId ?? pickVoicemailCall(await voicemailCandidates(tx, input), input);
    if (!callId) return "unmatched";
    const found = await tx.call.findUniqueOrThrow({ where: { id: callId }, select: { telephonySessionId: true } });
    await lockCallSession(tx, found.telephonySessionId);
    const call = await tx.call.findUniqueOrThrow({ where: { id: callId }, include: callWithConversation });
    return existing ? updateVoicemail(tx, log, call, existing, input) : addVoicemail(tx, log, call, input);
  });
}

async function addVoicemail(
  tx: Transaction,
  log: EventLog,
  call: CallWithConversation,
  input: VoicemailInput,
): Promise<VoicemailOutcome> {
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
    inboxIds: inboxIdsOf(call.conversation),
    payload: recordingPayload(recording, { transcribed: recording.transcription !== null }),
  });
  return "added";
}

/** What the message says that the stored recording does not (null fields of the input say nothing). */
function voicemailChanges(existing: Recording, input: VoicemailInput): Prisma.RecordingUpdateInput {
  const changes: Prisma.RecordingUpdateInput = {};
  if (existing.state !== "AVAILABLE") changes.state = "AVAILABLE";
  if (existing.contentUri !== input.contentUri) changes.contentUri = input.contentUri;
  if (existing.contentType !== input.contentType) changes.contentType = input.contentType;
  if (input.durationSeconds !== null && existing.durationSeconds !== input.durationSeconds) {
    changes.durationSeconds = input.durationSeconds;
  }
  if (input.transcription !== null && existing.transcription !== input.transcription) {
    changes.transcription = input.transcription;
  }
  return changes;
}

async function updateVoicemail(
  tx: Transaction,
  log: EventLog,
  call: CallWithConversation,
  existing: Recording,
  input: VoicemailInput,
): Promise<VoicemailOutcome> {
  const changes = voicemailChanges(existing, input);
  await markCallVoicemail(tx, log, call, input);
  if (Object.keys(changes).length === 0) return "unchanged";
  const recording = await tx.recording.update({ where: { id: existing.id }, data: changes });
  const transcribed = recording.transcription !== null;
  log.append({
    type: "RECORDING_UPDATED",
    conversationId: call.conversationId,
    inboxIds: inboxIdsOf(call.conversation),
    payload: recordingPayload(recording, { transcribed, changed: Object.keys(changes) }),
  });
  return "updated";
}
