// The worker's side of recordings and voicemail (R3.5, R3.12):
// - "voicemail" notifications (REFERENCE §3.5): parsed with zod, the transcription attachment's
//   text fetched when there is one, then src/domain/recordings/voicemail.ts joins the message to its call;
// - "message-store" change notifications with VoiceMail changes: RingCentral says only "something
//   changed" (§3.4), so recent voicemails of that mailbox are listed again — this is how a
//   transcription that completes later arrives (SMS changes are the SMS handler's);
// - after a telephony notification: a voicemail that found no call yet is tried again once a
//   party on its mailbox shows up, and a call that ended with PENDING recordings has its call log
//   read (`syncCallRecordings`), again later while the log does not have the call yet (§4: the
//   call log is eventually consistent).
//
// All of it calls RingCentral's REST API, so none of it runs on the telephony path: the dispatcher
// queues these handlers as REST work (rest-work.ts), and the call-log reads are queued there too,
// one task per call — a 429 delays them (the queue backs off and tries again), never the calls.
//
// Unjoined voicemails are kept in memory (for `pendingVoicemailTtlMs`), not in the database: most
// of them are voicemails of calls that never involved a connected number (R3.11) and must not be
// stored at all; after a restart, catch-up re-reads recent voicemails with `syncRecentVoicemails`.
import type { RestApi } from "./rest.ts";
import type { NotificationHandler } from "./dispatcher.ts";
import { z } from "zod";
import type { Logger } from "../../logger.ts";
import type { CallDirectory, TelephonyNotification } from "../../domain/calls.ts";
import { legEnded } from "../../domain/call-state.ts";
import type { Deps } from "../../domain/event-log.ts";
import {
  applyCallRecordings,
  awaitingCallLog,
  sessionsWithPendingRecordings,
  type CallLogRecording,
  type CallRecordingsOutcome,
} from "../../domain/recordings/call-recordings.ts";
import {
  ingestVoicemail,
  voicemailCallId,
  voicemailNeedsTranscription,
  type VoicemailInput,
  type VoicemailOutcome,
} from "../../domain/recordings/voicemail.ts";
import type { Envelope, NotificationKind } from "./notifications.ts";
import { reconcileCallLogRecord } from "./catchup.ts";
import { isRetryableRestFailure, type RestWorkQueue } from "./rest-work.ts";

// ---------------------------------------------------------------------------------------------
// Parsing

const id = z.union([z.string().min(1), z.number()]).transform(String);

const attachment = z
  .object({
    id: id.optional(),
    uri: z.string().min(1),
    type: z.string(),
    contentType: z.string().optional(),
    vmDuration: z.number().optional(),
  })
  .passthrough();

/** A VoiceMail message: the `/voicemail` notification body and the message-store REST record. */
const voicemailMessage = z
  .object({
    id,
    type: z.literal("VoiceMail"),
    extensionId: id.optional(),
    from: z.object({ phoneNumber: z.string().optional(), name: z.string().optional() }).passthrough().optional(),
    creationTime: z.string().datetime({ offset: true }),
    availability: z.string().optional(),
    vmTranscriptionStatus: z.string().optional(),
    attachments: z.array(attachment).default([]),
  })
  .passthrough();

const messageStoreChange = z
  .object({
    extensionId: id.optional(),
    lastUpdated: z.string().datetime({ offset: true }).optional(),
    changes: z
      .array(
        z
          .object({ type: z.string(), newCount: z.number().optional(), updatedCount: z.number().optional() })
          .passthrough(),
      )
      .default([]),
  })
  .passthrough();

const messageList = z.object({ records: z.array(z.unknown()).default([]) }).passthrough();

export interface VoicemailMessage {
  messageId: string;
  toExtensionId: string;
  fromNumber: string | null;
  createdAt: Date;
  audioUri: string;
  audioContentType: string;
  durationSeconds: number | null;
  transcriptionUri: string | null;
  transcriptionStatus: string | null;
  /** Deleted or purged in RingCentral. */
  deleted: boolean;
}

/** The extension id in an event path such as `/restapi/v1.0/account/1/extension/62/voicemail`. */
export function extensionOfEvent(event: string): string | null {
  const match = /\/extension\/([^/?]+)\//.exec(event);
  return match && match[1] !== "~" ? match[1]! : null;
}

/** A VoiceMail message in domain terms; throws (zod) when it is not one or has no audio. */
export function parseVoicemailMessage(raw: unknown, mailboxExtensionId: string | null): VoicemailMessage {
  const message = voicemailMessage.parse(raw);
  const audio = message.attachments.find((a) => a.type === "AudioRecording");
  if (!audio) throw new Error(`voicemail ${message.id} has no AudioRecording attachment`);
  const toExtensionId = mailboxExtensionId ?? message.extensionId;
  if (!toExtensionId) throw new Error(`voicemail ${message.id}: no mailbox extension`);
  const transcription = message.attachments.find((a) => a.type === "AudioTranscription");
  return {
    messageId: message.id,
    toExtensionId,
    fromNumber: message.from?.phoneNumber ?? null,
    createdAt: new Date(message.creationTime),
    audioUri: audio.uri,
    audioContentType: audio.contentType ?? "audio/mpeg",
    durationSeconds: audio.vmDuration ?? null,
    transcriptionUri: transcription?.uri ?? null,
    transcriptionStatus: message.vmTranscriptionStatus ?? null,
    deleted: message.availability !== undefined && message.availability !== "Alive",
  };
}

/** The `/voicemail` notification (REFERENCE §3.5). */
export function parseVoicemailNotification(envelope: Envelope): VoicemailMessage {
  const body = envelope.body as { extensionId?: unknown } | undefined;
  const fromBody =
    typeof body?.extensionId === "string" || typeof body?.extensionId === "number" ? String(body.extensionId) : null;
  return parseVoicemailMessage(envelope.body, extensionOfEvent(envelope.event) ?? fromBody ?? envelope.ownerId ?? null);
}

// ---------------------------------------------------------------------------------------------
// Call log

const callLogRecording = z.object({ id, contentUri: z.string().min(1) }).passthrough();
const callLogRecord = z
  .object({
    telephonySessionId: z.string().optional(),
    recording: callLogRecording.optional(),
    legs: z
      .array(
        z.object({ telephonySessionId: z.string().optional(), recording: callLogRecording.optional() }).passthrough(),
      )
      .optional(),
  })
  .passthrough();
const callLogPage = z.object({ records: z.array(callLogRecord).default([]) }).passthrough();
const recordingInfo = z
  .object({ contentUri: z.string().optional(), contentType: z.string().optional(), duration: z.number().optional() })
  .passthrough();

/** Every recording the call log holds for a session: on the record and on its legs. */
export function recordingsOfCallLog(
  records: z.infer<typeof callLogRecord>[],
  telephonySessionId: string,
): { id: string; contentUri: string }[] {
  const found = new Map<string, string>();
  for (const record of records) {
    if (record.telephonySessionId && record.telephonySessionId !== telephonySessionId) continue;
    if (record.recording) found.set(record.recording.id, record.recording.contentUri);
    for (const leg of record.legs ?? []) {
      if (leg.telephonySessionId && leg.telephonySessionId !== telephonySessionId) continue;
      if (leg.recording && !found.has(leg.recording.id)) found.set(leg.recording.id, leg.recording.contentUri);
    }
  }
  return [...found].map(([recordingId, contentUri]) => ({ id: recordingId, contentUri }));
}

export interface CallRecordingsSync extends CallRecordingsOutcome {
  /** Whether the call log had the call. */
  callLogSeen: boolean;
}

/**
 * Reads the company call log for one telephony session (`view=Detailed`, so recordings split
 * across transfer legs are found too), fetches each recording's metadata (content type and
 * duration) and applies it: listed recordings AVAILABLE; PENDING ones the log leaves out, once it
 * has the call, UNAVAILABLE.
 */
export async function syncCallRecordings(
  platform: RestApi,
  deps: Deps,
  telephonySessionId: string,
  log?: Logger,
  reconcile?: (records: unknown[]) => Promise<void>,
): Promise<CallRecordingsSync> {
  const call = await deps.prisma.call.findUnique({ where: { telephonySessionId }, select: { createdAt: true } });
  // The call log answers the last 24 hours by default; ask from a little before the call started.
  const dateFrom = new Date((call?.createdAt ?? new Date()).getTime() - 60 * 60_000).toISOString();
  const response = await platform.get("/restapi/v1.0/account/~/call-log", {
    telephonySessionId,
    view: "Detailed",
    dateFrom,
    perPage: 100,
  });
  const page = callLogPage.parse(await response.json());
  const records = page.records.filter((r) => !r.telephonySessionId || r.telephonySessionId === telephonySessionId);
  const callLogSeen = records.length > 0;
  // The same read completes the call itself from the log (its outcome, a missed answer).
  await reconcile?.(records);
  const recordings: CallLogRecording[] = [];
  for (const entry of recordingsOfCallLog(records, telephonySessionId)) {
    let info: z.infer<typeof recordingInfo> = {};
    try {
      info = recordingInfo.parse(
        await (await platform.get(`/restapi/v1.0/account/~/recording/${encodeURIComponent(entry.id)}`)).json(),
      );
    } catch (error) {
      log?.warn({ err: error, recordingId: entry.id }, "could not read a recording's metadata; using the call log's");
    }
    recordings.push({
      ringCentralId: entry.id,
      contentUri: info.contentUri ?? entry.contentUri,
      contentType: info.contentType ?? null,
      durationSeconds: info.duration ?? null,
    });
  }
  const outcome = await applyCallRecordings(deps, telephonySessionId, recordings, callLogSeen);
  return { ...outcome, callLogSeen };
}

// ---------------------------------------------------------------------------------------------
// Voicemail import

/** Text of a transcription attachment. */
async function fetchTranscription(platform: RestApi, uri: string): Promise<string> {
  const response = await platform.get(uri);
  return (await response.text()).trim();
}

/** Stores one voicemail (or fills in what changed); fetches the transcription only when the
 * voicemail is ours and lacks it. */
export async function importVoicemail(
  platform: RestApi,
  deps: Deps,
  directory: CallDirectory,
  message: VoicemailMessage,
  log?: Logger,
): Promise<VoicemailOutcome> {
  const input: VoicemailInput = {
    ringCentralMessageId: message.messageId,
    fromNumber: message.fromNumber,
    toExtensionId: message.toExtensionId,
    createdAt: message.createdAt,
    durationSeconds: message.durationSeconds,
    contentUri: message.audioUri,
    contentType: message.audioContentType,
    transcription: null,
    transcriptionStatus: message.transcriptionStatus,
  };
  if (message.transcriptionUri) {
    const needs = await voicemailNeedsTranscription(deps, message.messageId);
    const ours = needs === true || (needs === null && (await voicemailCallId(deps, input)) !== null);
    if (ours) {
      try {
        input.transcription = await fetchTranscription(platform, message.transcriptionUri);
      } catch (error) {
        // RingCentral saying "not now" (429, 5xx): the caller tries the whole import again later.
        if (isRetryableRestFailure(error)) throw error;
        log?.warn(
          { err: error, messageId: message.messageId },
          "could not fetch a voicemail transcription; storing the voicemail without it",
        );
      }
    }
  }
  return ingestVoicemail(deps, directory, input);
}

/** The mailbox's VoiceMail messages created since `dateFrom` (first page of 100, newest first). */
async function listVoicemails(platform: RestApi, extensionId: string, dateFrom: Date): Promise<unknown[]> {
  const response = await platform.get(
    `/restapi/v1.0/account/~/extension/${encodeURIComponent(extensionId)}/message-store`,
    {
      messageType: "VoiceMail",
      dateFrom: dateFrom.toISOString(),
      perPage: 100,
    },
  );
  return messageList.parse(await response.json()).records;
}

/**
 * Imports the voicemails left on these mailboxes since `dateFrom` (catch-up after a gap: the
 * voicemail notifications of the gap are lost). Returns the outcome counts.
 */
export async function syncRecentVoicemails(
  platform: RestApi,
  deps: Deps,
  directory: CallDirectory,
  extensionIds: string[],
  dateFrom: Date,
  log?: Logger,
): Promise<Record<VoicemailOutcome, number>> {
  const counts: Record<VoicemailOutcome, number> = { added: 0, updated: 0, unchanged: 0, unmatched: 0 };
  for (const extensionId of extensionIds) {
    for (const raw of await listVoicemails(platform, extensionId, dateFrom)) {
      const parsed = safeVoicemail(raw, extensionId, log);
      if (!parsed || parsed.deleted) continue;
      counts[await importVoicemail(platform, deps, directory, parsed, log)] += 1;
    }
  }
  return counts;
}

function safeVoicemail(raw: unknown, extensionId: string, log?: Logger): VoicemailMessage | null {
  try {
    return parseVoicemailMessage(raw, extensionId);
  } catch (error) {
    log?.warn({ err: error }, "ignored a voicemail message RingCentral returned in an unexpected shape");
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// The handlers of one connection

export interface RecordingHandlerOptions {
  /** Waits between call-log reads while the log does not have an ended call yet. */
  callLogRetryDelaysMs?: number[];
  /** How long an unjoined voicemail is retried when telephony events arrive. */
  pendingVoicemailTtlMs?: number;
  /** How far before a message-store change to look for updated voicemails. */
  voicemailUpdateLookbackMs?: number;
}

const DEFAULT_CALL_LOG_RETRY_DELAYS_MS = [10_000, 30_000, 60_000, 120_000, 300_000, 600_000];
const DEFAULT_PENDING_VOICEMAIL_TTL_MS = 10 * 60_000;
const DEFAULT_VOICEMAIL_UPDATE_LOOKBACK_MS = 24 * 60 * 60_000;
const MAX_PENDING_VOICEMAILS = 1000;

/** Voicemail, message-store and post-telephony handling for one connection, with its retries. */
export class RecordingHandlers {
  private readonly pendingVoicemails = new Map<string, { message: VoicemailMessage; since: number }>();

  /** Whether a voicemail is waiting for its call's telephony events. */
  waitingForCalls(): boolean {
    return this.pendingVoicemails.size > 0;
  }
  private readonly scheduled = new Map<string, NodeJS.Timeout>();
  /** Calls whose call-log read is queued and not started yet. */
  private readonly queued = new Set<string>();
  private closed = false;
  private readonly retryDelays: number[];
  private readonly voicemailTtlMs: number;
  private readonly lookbackMs: number;

  constructor(
    private readonly deps: Deps,
    private readonly directory: CallDirectory,
    private readonly platform: RestApi,
    private readonly log: Logger,
    private readonly work: Pick<RestWorkQueue, "push" | "idle">,
    options: RecordingHandlerOptions = {},
  ) {
    this.retryDelays = options.callLogRetryDelaysMs ?? DEFAULT_CALL_LOG_RETRY_DELAYS_MS;
    this.voicemailTtlMs = options.pendingVoicemailTtlMs ?? DEFAULT_PENDING_VOICEMAIL_TTL_MS;
    this.lookbackMs = options.voicemailUpdateLookbackMs ?? DEFAULT_VOICEMAIL_UPDATE_LOOKBACK_MS;
  }

  /** The handlers to register, by notification kind. */
  handlers(): Partial<Record<Exclude<NotificationKind, "telephony">, NotificationHandler>> {
    return {
      voicemail: (envelope) => this.onVoicemail(envelope),
      "message-store": (envelope) => this.onMessageStore(envelope),
    };
  }

  /** A new voicemail (REFERENCE §3.5). */
  async onVoicemail(envelope: Envelope): Promise<void> {
    await this.importOrKeep(parseVoicemailNotification(envelope));
  }

  /** Message-store changes: VoiceMail ones mean a voicemail changed (its transcription completed). */
  async onMessageStore(envelope: Envelope): Promise<void> {
    const body = messageStoreChange.parse(envelope.body);
    // New voicemails come with their own notification; an update is how a transcription completes.
    if (!body.changes.some((c) => c.type === "VoiceMail" && (c.updatedCount ?? 0) > 0)) return;
    const extensionId = extensionOfEvent(envelope.event) ?? body.extensionId ?? null;
    if (!extensionId) {
      this.log.warn({ uuid: envelope.uuid }, "a voicemail change without a mailbox extension was ignored");
      return;
    }
    const since = new Date((body.lastUpdated ? new Date(body.lastUpdated) : new Date()).getTime() - this.lookbackMs);
    for (const raw of await listVoicemails(this.platform, extensionId, since)) {
      const message = safeVoicemail(raw, extensionId, this.log);
      if (!message || message.deleted) continue;
      // Only voicemails that are ours or waiting for their call; a voicemail never seen (its
      // notification was lost) only when it joins a call here — the others belong to calls that
      // never involved a connected number.
      const stored = await voicemailNeedsTranscription(this.deps, message.messageId);
      if (stored === false) continue; // stored with its transcription: nothing new to learn
      if (stored === true && message.transcriptionUri === null) continue; // still being transcribed
      if (stored === null && !this.pendingVoicemails.has(message.messageId)) {
        if ((await voicemailCallId(this.deps, { ringCentralMessageId: message.messageId, ...message })) === null)
          continue;
      }
      await this.importOrKeep(message);
    }
  }

  /** Runs after each burst of telephony notifications was applied, with the burst's notifications. */
  async afterTelephony(notifications: TelephonyNotification[]): Promise<void> {
    const extensions = new Set(
      notifications.flatMap((n) => n.parties.flatMap((p) => (p.extensionId ? [p.extensionId] : []))),
    );
    await this.retryPendingVoicemails(extensions);
    // Only a leg leaving can end a call (and a call that ended earlier was handled then).
    await this.callsEnded(
      notifications.filter((n) => n.parties.some((p) => legEnded(p.statusCode))).map((n) => n.telephonySessionId),
    );
  }

  /**
   * The hook for calls that ended: each one whose recordings are still PENDING, or whose outcome
   * the call log must complete, has its call log read (queued as REST work, not awaited), and
   * again after the retry delays while the log does not have it.
   */
  async callsEnded(telephonySessionIds: string[]): Promise<void> {
    if (this.closed) return;
    const waiting = (id: string) => this.scheduled.has(id) || this.queued.has(id);
    const candidates = [...new Set(telephonySessionIds)].filter((id) => !waiting(id));
    for (const telephonySessionId of await awaitingCallLog(this.deps, candidates)) {
      if (this.closed || waiting(telephonySessionId)) continue;
      this.queueSync(telephonySessionId, 0);
    }
  }

  /** Reads the call log for every ended call still waiting (a periodic pass or catch-up). */
  async syncPendingRecordings(): Promise<void> {
    await this.callsEnded(await sessionsWithPendingRecordings(this.deps));
  }

  /** Resolves when no call-log read or voicemail import is queued or in flight. */
  async idle(): Promise<void> {
    await this.work.idle();
  }

  /** Stops the retries (the REST work queue is closed by its dispatcher). */
  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.scheduled.values()) clearTimeout(timer);
    this.scheduled.clear();
    this.queued.clear();
    this.pendingVoicemails.clear();
  }

  private queueSync(telephonySessionId: string, attempt: number): void {
    this.queued.add(telephonySessionId);
    void this.work.push(`call log of ${telephonySessionId}`, async () => {
      this.queued.delete(telephonySessionId);
      if (!this.closed) await this.syncAttempt(telephonySessionId, attempt);
    });
  }

  private async syncAttempt(telephonySessionId: string, attempt: number): Promise<void> {
    let waiting = true;
    try {
      const outcome = await syncCallRecordings(this.platform, this.deps, telephonySessionId, this.log, (records) =>
        this.reconcile(records),
      );
      waiting = outcome.pending > 0 || !outcome.callLogSeen;
      if (outcome.available + outcome.unavailable > 0) {
        this.log.info(
          { telephonySessionId, available: outcome.available, unavailable: outcome.unavailable },
          "call recordings imported",
        );
      }
    } catch (error) {
      // Rate limited or unavailable: the queue backs off and tries this attempt again, which does
      // not count as the call log not having the call yet.
      if (isRetryableRestFailure(error) && !this.closed) {
        this.queued.add(telephonySessionId);
        throw error;
      }
      this.log.warn({ err: error, telephonySessionId, attempt }, "could not read the call log for recordings");
    }
    if (!waiting || this.closed) return;
    const delay = this.retryDelays[attempt];
    if (delay === undefined) {
      this.log.warn(
        { telephonySessionId },
        "the call log never listed this call: its recordings stay PENDING until the next catch-up",
      );
      return;
    }
    const timer = setTimeout(() => {
      this.scheduled.delete(telephonySessionId);
      if (!this.closed) this.queueSync(telephonySessionId, attempt + 1);
    }, delay);
    timer.unref();
    this.scheduled.set(telephonySessionId, timer);
  }

  private async reconcile(records: unknown[]): Promise<void> {
    const options = { ...this.deps, log: this.log, directory: this.directory };
    for (const record of records) await reconcileCallLogRecord(options, record);
  }

  private async importOrKeep(message: VoicemailMessage): Promise<void> {
    if (message.deleted) {
      this.pendingVoicemails.delete(message.messageId);
      return;
    }
    const outcome = await importVoicemail(this.platform, this.deps, this.directory, message, this.log);
    if (outcome !== "unmatched") {
      this.pendingVoicemails.delete(message.messageId);
      return;
    }
    const previous = this.pendingVoicemails.get(message.messageId);
    this.pendingVoicemails.set(message.messageId, { message, since: previous?.since ?? Date.now() });
    if (this.pendingVoicemails.size > MAX_PENDING_VOICEMAILS) {
      const oldest = this.pendingVoicemails.keys().next().value!;
      this.pendingVoicemails.delete(oldest);
    }
    this.log.debug(
      { messageId: message.messageId, extensionId: message.toExtensionId },
      "voicemail has no call here (yet)",
    );
  }

  private async retryPendingVoicemails(extensions: Set<string>): Promise<void> {
    const now = Date.now();
    for (const [messageId, { message, since }] of [...this.pendingVoicemails]) {
      if (now - since > this.voicemailTtlMs) {
        this.pendingVoicemails.delete(messageId);
        continue;
      }
      if (!extensions.has(message.toExtensionId)) continue;
      await this.importOrKeep(message);
    }
  }
}

/** What the dispatcher offers for registration (NotificationDispatcher.on). */
export interface HandlerRegistry {
  on(kind: Exclude<NotificationKind, "telephony">, handler: NotificationHandler, options: { rest: true }): unknown;
  afterTelephony(handler: (notifications: TelephonyNotification[]) => Promise<void>): unknown;
  batchUnless?(blocked: () => boolean): unknown;
  restWork: Pick<RestWorkQueue, "push" | "idle">;
}

/** Registers the recording and voicemail handlers of one connection; returns them (for close). */
export function registerRecordingHandlers(
  registry: HandlerRegistry,
  deps: Deps,
  directory: CallDirectory,
  platform: RestApi,
  log: Logger,
  options: RecordingHandlerOptions = {},
): RecordingHandlers {
  const recordings = new RecordingHandlers(deps, directory, platform, log, registry.restWork, options);
  for (const [kind, handler] of Object.entries(recordings.handlers()) as [
    Exclude<NotificationKind, "telephony">,
    NotificationHandler,
  ][])
    registry.on(kind, handler, { rest: true });
  registry.afterTelephony((notifications) => recordings.afterTelephony(notifications));
  // A voicemail waiting for its call is retried after each telephony notification, as it comes.
  registry.batchUnless?.(() => recordings.waitingForCalls());
  return recordings;
}
