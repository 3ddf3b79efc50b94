// Catch-up after any gap (R9.4): failed recovery, restart, blacklisted webhook. Calls that ended
// meanwhile come from call-log sync; calls still up come from their telephony session; both go
// through the normal ingest, so replays and overlaps with live events are harmless.
import { z } from "zod";
import type { RestApi } from "./rest.ts";
import type { Logger } from "../../logger.ts";
import type { Deps } from "../../domain/event-log.ts";
import {
  ingestTelephonyNotificationsEach,
  type CallDirectory,
  type TelephonyNotification,
} from "../../domain/calls.ts";
import { notificationsFromCallLog, type CallLogSummary, type KnownCall } from "../../domain/call-reconciliation.ts";
import { parseTelephonyNotification } from "./notifications.ts";

export interface CatchUpProgress {
  stage: "call-log" | "open-calls" | "messages";
  done: number;
  total: number;
}

export interface CatchUpOptions extends Deps {
  log: Logger;
  directory: CallDirectory;
  platform: RestApi;
  connectionId: string;
  onProgress?: (progress: CatchUpProgress) => void;
  /** How far back the first catch-up of a connection looks. */
  firstSyncWindowMs?: number;
}

const endpoint = z.object({ phoneNumber: z.string().optional() }).passthrough();
const leg = z
  .object({
    partyId: z.string().optional(),
    extension: z
      .object({ id: z.union([z.string(), z.number()]) })
      .passthrough()
      .optional(),
    direction: z.enum(["Inbound", "Outbound"]),
    result: z.string().optional(),
    reason: z.string().optional(),
    startTime: z.string(),
    duration: z.number(),
  })
  .passthrough();
const callLogRecord = z
  .object({
    id: z.string(),
    telephonySessionId: z.string().optional(),
    direction: z.enum(["Inbound", "Outbound"]),
    from: endpoint.optional(),
    to: endpoint.optional(),
    startTime: z.string(),
    duration: z.number(),
    result: z.string().optional(),
    reason: z.string().optional(),
    legs: z.array(leg).optional(),
  })
  .passthrough();
const callLogSync = z.object({
  records: z.array(z.unknown()),
  syncInfo: z.object({ syncToken: z.string() }).passthrough(),
});

function toSummary(record: z.infer<typeof callLogRecord>): CallLogSummary | null {
  if (!record.telephonySessionId) return null;
  return {
    recordId: record.id,
    telephonySessionId: record.telephonySessionId,
    direction: record.direction,
    fromNumber: record.from?.phoneNumber ?? null,
    toNumber: record.to?.phoneNumber ?? null,
    startTime: new Date(record.startTime),
    durationSeconds: record.duration,
    result: record.result ?? "Unknown",
    reason: record.reason ?? null,
    legs: (record.legs ?? []).map((l) => ({
      partyId: l.partyId ?? null,
      extensionId: l.extension ? String(l.extension.id) : null,
      direction: l.direction,
      result: l.result ?? "Unknown",
      reason: l.reason ?? null,
      startTime: new Date(l.startTime),
      durationSeconds: l.duration,
    })),
  };
}

async function knownCall(options: ReconcileOptions, telephonySessionId: string): Promise<KnownCall> {
  const parties = await options.prisma.callParty.findMany({
    where: { call: { telephonySessionId } },
    select: { partyId: true, role: true, answeredAt: true, endedAt: true },
  });
  return {
    externalPartyId: parties.find((p) => p.role === "EXTERNAL")?.partyId ?? null,
    answeredPartyIds: new Set(parties.filter((p) => p.answeredAt).map((p) => p.partyId)),
    endedPartyIds: new Set(parties.filter((p) => p.endedAt).map((p) => p.partyId)),
  };
}

/** What reconciling calls with call-log records needs. */
export type ReconcileOptions = Deps & { log: Logger; directory: CallDirectory };

/** One call's notifications as one burst (one transaction, as the dispatcher applies them); if the
 * burst fails, one by one, and the first notification that failed on its own fails the catch-up. */
async function ingestAll(options: ReconcileOptions, notifications: TelephonyNotification[]) {
  const results = await ingestTelephonyNotificationsEach(options, options.directory, notifications, (error) =>
    options.log.warn(
      { err: error, count: notifications.length },
      "a call's catch-up burst failed; applying its notifications one by one",
    ),
  );
  const failed = results.find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
}

/** Call-log sync: FSync the first time (over a window), ISync with the stored token after. */
async function fetchCallLogChanges(options: CatchUpOptions): Promise<{ records: unknown[]; syncToken: string }> {
  const connection = await options.prisma.ringCentralConnection.findUniqueOrThrow({
    where: { id: options.connectionId },
  });
  const path = "/restapi/v1.0/account/~/call-log-sync";
  if (connection.callLogSyncToken) {
    try {
      const response = await options.platform.get(path, {
        syncType: "ISync",
        syncToken: connection.callLogSyncToken,
        view: "Detailed",
      });
      return parseSync(await response.json());
    } catch (error) {
      options.log.warn({ err: error }, "call-log ISync refused; starting over with FSync");
    }
  }
  const since = connection.lastCaughtUpAt ?? new Date(Date.now() - (options.firstSyncWindowMs ?? 24 * 3600_000));
  const response = await options.platform.get(path, {
    syncType: "FSync",
    dateFrom: since.toISOString(),
    view: "Detailed",
  });
  return parseSync(await response.json());
}

function parseSync(body: unknown): { records: unknown[]; syncToken: string } {
  const parsed = callLogSync.parse(body);
  return { records: parsed.records, syncToken: parsed.syncInfo.syncToken };
}

/** Brings the record's call to its call-log outcome (call-reconciliation.ts); a record of another
 * shape is logged and skipped. */
export async function reconcileCallLogRecord(options: ReconcileOptions, raw: unknown): Promise<void> {
  const parsed = callLogRecord.safeParse(raw);
  const summary = parsed.success ? toSummary(parsed.data) : null;
  if (summary)
    await ingestAll(options, notificationsFromCallLog(summary, await knownCall(options, summary.telephonySessionId)));
  else options.log.warn({ issues: parsed.success ? [] : parsed.error.issues.slice(0, 3) }, "skipped a call-log record");
}

export async function catchUpCallLog(options: CatchUpOptions): Promise<number> {
  const { records, syncToken } = await fetchCallLogChanges(options);
  let done = 0;
  for (const raw of records) {
    await reconcileCallLogRecord(options, raw);
    options.onProgress?.({ stage: "call-log", done: ++done, total: records.length });
  }
  await options.prisma.ringCentralConnection.update({
    where: { id: options.connectionId },
    data: { callLogSyncToken: syncToken },
  });
  return records.length;
}

const OPEN_STATUSES = ["RINGING", "QUEUED", "IN_PROGRESS", "ON_HOLD"] as const;

/** Calls we believe are still up: read their session now and apply what changed. */
export async function catchUpOpenCalls(options: CatchUpOptions): Promise<number> {
  const calls = await options.prisma.call.findMany({
    where: { status: { in: [...OPEN_STATUSES] }, channel: { connectionId: options.connectionId } },
    include: { parties: true },
  });
  let done = 0;
  for (const call of calls) {
    const response = await options.platform
      .get(`/restapi/v1.0/account/~/telephony/sessions/${call.telephonySessionId}`)
      .catch((error: unknown) => {
        options.log.debug(
          { err: error, telephonySessionId: call.telephonySessionId },
          "session is gone; the call log will finish it",
        );
        return null;
      });
    if (response) {
      const session = (await response.json()) as { parties?: { id: string; status?: { code?: string } }[] };
      for (const party of session.parties ?? []) {
        const stored = call.parties.find((p) => p.partyId === party.id);
        if (stored && stored.statusCode === party.status?.code) continue;
        // One past what we hold: newer than our snapshot, and a live event with the same news ties harmlessly.
        const sequence = (stored?.sequence ?? 0) + 1;
        const envelope = {
          uuid: `session:${call.telephonySessionId}:${party.id}:${party.status?.code}:${sequence}`,
          event: "/restapi/v1.0/account/~/telephony/sessions",
          body: {
            sequence,
            telephonySessionId: call.telephonySessionId,
            eventTime: new Date().toISOString(),
            parties: [party],
          },
        };
        await ingestAll(options, [parseTelephonyNotification(envelope)]);
      }
    }
    options.onProgress?.({ stage: "open-calls", done: ++done, total: calls.length });
  }
  return calls.length;
}

export async function catchUpConnection(options: CatchUpOptions): Promise<void> {
  const startedAt = new Date();
  await catchUpOpenCalls(options);
  await catchUpCallLog(options);
  await options.prisma.ringCentralConnection.update({
    where: { id: options.connectionId },
    data: { lastCaughtUpAt: startedAt },
  });
}
