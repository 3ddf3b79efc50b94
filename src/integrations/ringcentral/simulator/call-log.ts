// Call log: one record per ended telephony session, derived from the session's parties (who
// answered, voicemail, recordings, transfers), with per-party legs in the Detailed view; and
// call-log sync (FSync, then ISync from the returned token) keyed on the order sessions ended.

type CallLogRecord = import("@rc-ex/core/lib/definitions/CallLogRecord").default;
import {
  notFound,
  type RouteModule,
  type SimAccount,
  type SimContext,
  type SimRequest,
  type SimResponse,
} from "./core.ts";
import { pageOf } from "./paging.ts";
import { callLogRecordingInfo, findRecording } from "./recordings.ts";
import { invalidValue } from "./scoped-state.ts";
import {
  accountFor,
  allSessions,
  extensionById,
  type PartyEndpoint,
  type SimParty,
  type SimSession,
} from "./telephony.ts";

type Result = "Accepted" | "Call connected" | "Missed" | "Voicemail" | "Abandoned" | "No Answer";

/** Whose call log is read: the whole account, or one extension. */
interface LogScope {
  account: SimAccount;
  extensionId?: string;
}

const people = new Set<SimParty["sim"]["role"]>(["agent", "callee", "transfer-target"]);

function isInbound(session: SimSession): boolean {
  return session.parties.some((p) => p.sim.role === "caller");
}

function answeredByAPerson(session: SimSession): SimParty | undefined {
  return session.parties.find((p) => people.has(p.sim.role) && p.sim.answeredAt);
}

function voicemailParty(session: SimSession): SimParty | undefined {
  return session.parties.find((p) => p.sim.voicemailMessageId);
}

function resultOf(session: SimSession): Result {
  if (voicemailParty(session)) return "Voicemail";
  const answered = answeredByAPerson(session);
  if (isInbound(session)) {
    if (answered) return "Accepted";
    return session.parties.some((p) => p.sim.role === "queue") ? "Abandoned" : "Missed";
  }
  return answered ? "Call connected" : "No Answer";
}

const reasonOf: Record<Result, string> = {
  Accepted: "Accepted",
  "Call connected": "Connected",
  Missed: "Not Answered",
  Voicemail: "Not Answered",
  Abandoned: "Hang Up",
  "No Answer": "No Answer",
};

function actionOf(session: SimSession): NonNullable<CallLogRecord["action"]> {
  if (session.origin === "RingOut") return "RingOut Web";
  if (session.origin === "CallOut") return "CallOut-CallMe";
  return isInbound(session) ? "Phone Call" : "VoIP Call";
}

/** The extension party the record is about: who answered, else the mailbox, else the first person. */
function mainParty(session: SimSession): SimParty | undefined {
  return (
    answeredByAPerson(session) ??
    voicemailParty(session) ??
    session.parties.find((p) => p.sim.role === "initiator") ??
    session.parties.find((p) => people.has(p.sim.role)) ??
    session.parties.find((p) => p.extensionId)
  );
}

function callLogEndpoint(account: SimAccount, endpoint: PartyEndpoint) {
  const ext = endpoint.extensionId ? extensionById(account, endpoint.extensionId) : undefined;
  return {
    ...(endpoint.phoneNumber ? { phoneNumber: endpoint.phoneNumber } : {}),
    ...(endpoint.name ? { name: endpoint.name } : {}),
    ...(ext ? { extensionId: ext.id, extensionNumber: ext.extensionNumber } : {}),
  };
}

function secondsBetween(from: Date, to: Date): number {
  return Math.max(0, Math.round((to.getTime() - from.getTime()) / 1000));
}

function recordId(session: SimSession): string {
  return Buffer.from(`callLog:${session.id}`).toString("base64url");
}

function extensionRef(ctx: SimContext, account: SimAccount, extensionId: string | undefined) {
  return extensionId
    ? {
        extension: {
          id: Number(extensionId),
          uri: `${ctx.baseUrl()}/restapi/v1.0/account/${account.id}/extension/${extensionId}`,
        },
      }
    : {};
}

function recordingOf(ctx: SimContext, session: SimSession, party?: SimParty) {
  const id = party ? party.recordings?.[0]?.id : session.recordingIds[0];
  const recording = id ? findRecording(ctx, id) : undefined;
  return recording ? { recording: callLogRecordingInfo(ctx, recording) } : {};
}

function messageRef(ctx: SimContext, account: SimAccount, party: SimParty | undefined) {
  if (!party?.sim.voicemailMessageId || !party.extensionId) return {};
  const uri =
    `${ctx.baseUrl()}/restapi/v1.0/account/${account.id}/extension/${party.extensionId}` +
    `/message-store/${party.sim.voicemailMessageId}`;
  return { message: { id: party.sim.voicemailMessageId, type: "VoiceMail", uri } };
}

function legTypeOf(session: SimSession, party: SimParty, index: number): string {
  if (party.sim.role === "transfer-target") return "TransferCall";
  if (index > 0) return "Accept";
  if (session.origin === "RingOut") return "RingOutWebToCaller";
  if (isInbound(session)) return "PstnToSip";
  return session.parties.some((p) => p.sim.role === "callee" && p.extensionId)
    ? "ExtensionToExtension"
    : "SipToPstnMetered";
}

function legResult(party: SimParty): string {
  if (party.sim.voicemailMessageId) return "Voicemail";
  return party.sim.answeredAt ? "Accepted" : "Missed";
}

/** One leg per RingCentral-side party (IVR, queue, agents, transfer targets, the caller's user). */
function legsOf(ctx: SimContext, account: SimAccount, session: SimSession) {
  const legParties = session.parties.filter((p) => p.extensionId);
  const external = session.parties.find((p) => !p.extensionId);
  return legParties.map((party, index) => ({
    startTime: party.sim.createdAt.toISOString(),
    duration: secondsBetween(party.sim.createdAt, party.sim.endedAt ?? session.endedAt ?? party.sim.createdAt),
    type: "Voice",
    direction: party.direction === "Outbound" ? "Outbound" : "Inbound",
    action: actionOf(session),
    result: legResult(party),
    from: callLogEndpoint(account, party.direction === "Inbound" ? (external?.from ?? party.from) : party.from),
    to: callLogEndpoint(account, party.direction === "Inbound" ? party.to : (external?.to ?? party.to)),
    transport: external ? "PSTN" : "VoIP",
    legType: legTypeOf(session, party, index),
    master: index === 0,
    telephonySessionId: session.id,
    partyId: party.id,
    ...extensionRef(ctx, account, party.extensionId),
    ...recordingOf(ctx, session, party),
    ...messageRef(ctx, account, party),
    ...(party.sim.transferredTo ? { transferTarget: { telephonySessionId: session.id } } : {}),
  }));
}

function recordUri(ctx: SimContext, scope: LogScope, id: string): string {
  const owner = scope.extensionId ? `/extension/${scope.extensionId}` : "";
  return `${ctx.baseUrl()}/restapi/v1.0/account/${scope.account.id}${owner}/call-log/${id}`;
}

export function callLogRecord(
  ctx: SimContext,
  scope: LogScope,
  session: SimSession,
  detailed: boolean,
): CallLogRecord & Record<string, unknown> {
  const { account } = scope;
  const main = mainParty(session);
  const inbound = isInbound(session);
  const external = session.parties.find((p) => !p.extensionId);
  const from = inbound ? (external?.from ?? main?.from ?? {}) : (main?.from ?? {});
  const to = inbound
    ? (main?.to ?? {})
    : (external?.to ?? session.parties.find((p) => p.sim.role === "callee")?.to ?? {});
  const ended = session.endedAt ?? ctx.now();
  const result = resultOf(session);
  const id = recordId(session);
  return {
    id,
    uri: recordUri(ctx, scope, id),
    sessionId: session.sessionId,
    telephonySessionId: session.id,
    ...(main ? { partyId: main.id } : {}),
    startTime: session.createdAt.toISOString(),
    duration: secondsBetween(session.createdAt, ended),
    durationMs: ended.getTime() - session.createdAt.getTime(),
    type: "Voice",
    direction: inbound ? "Inbound" : "Outbound",
    action: actionOf(session),
    result,
    reason: reasonOf[result],
    from: callLogEndpoint(account, from),
    to: callLogEndpoint(account, to),
    transport: external ? "PSTN" : "VoIP",
    ...extensionRef(ctx, account, scope.extensionId ?? main?.extensionId),
    ...recordingOf(ctx, session),
    ...messageRef(ctx, account, voicemailParty(session)),
    lastModifiedTime: ended.toISOString(),
    ...(detailed ? { legs: legsOf(ctx, account, session) } : {}),
  } as CallLogRecord & Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------
// Reading

function scopeOf(req: SimRequest, ctx: SimContext): LogScope {
  return { account: accountFor(ctx, req.auth?.accountId ?? req.params.accountId), extensionId: req.params.extensionId };
}

/** Ended sessions of the scope, newest first. */
function endedSessions(ctx: SimContext, scope: LogScope): SimSession[] {
  return allSessions(ctx)
    .filter((s) => s.endedAt && s.accountId === scope.account.id)
    .filter((s) => !scope.extensionId || s.parties.some((p) => p.extensionId === scope.extensionId))
    .sort((a, b) => (b.endOrder ?? 0) - (a.endOrder ?? 0));
}

function matchesQuery(ctx: SimContext, scope: LogScope, session: SimSession, query: URLSearchParams): boolean {
  const record = callLogRecord(ctx, scope, session, false);
  const dateFrom = query.get("dateFrom");
  const dateTo = query.get("dateTo");
  const directions = query.getAll("direction");
  const withRecording =
    query.get("withRecording") === "true" ||
    ["Automatic", "OnDemand", "All"].includes(query.get("recordingType") ?? "");
  const recordingType = query.get("recordingType");
  return (
    (!dateFrom || session.createdAt >= new Date(dateFrom)) &&
    (!dateTo || session.createdAt <= new Date(dateTo)) &&
    (directions.length === 0 || directions.includes(String(record.direction))) &&
    (!query.get("telephonySessionId") || query.get("telephonySessionId") === session.id) &&
    (!query.get("sessionId") || query.get("sessionId") === session.sessionId) &&
    (!query.get("type") || query.get("type") === "Voice") &&
    (!withRecording ||
      (record.recording !== undefined &&
        (!recordingType || recordingType === "All" || record.recording.type === recordingType)))
  );
}

function isDetailed(query: URLSearchParams): boolean {
  return query.get("view") === "Detailed";
}

function listCallLog(req: SimRequest, ctx: SimContext): SimResponse {
  const scope = scopeOf(req, ctx);
  const sessions = endedSessions(ctx, scope).filter((s) => matchesQuery(ctx, scope, s, req.query));
  const page = pageOf(sessions, req, ctx);
  const detailed = isDetailed(req.query);
  return { status: 200, json: { ...page, records: page.records.map((s) => callLogRecord(ctx, scope, s, detailed)) } };
}

function getCallLogRecord(req: SimRequest, ctx: SimContext): SimResponse {
  const scope = scopeOf(req, ctx);
  const session = endedSessions(ctx, scope).find((s) => recordId(s) === req.params.callRecordId);
  if (!session) return notFound("callRecordId");
  return { status: 200, json: callLogRecord(ctx, scope, session, isDetailed(req.query)) };
}

// ---------------------------------------------------------------------------------------------
// Sync

interface CallLogSyncToken {
  scope: string;
  endOrder: number;
  missedOnly: boolean;
}

function scopeKey(scope: LogScope): string {
  return `${scope.account.id}/${scope.extensionId ?? "*"}`;
}

function encodeToken(token: CallLogSyncToken): string {
  return Buffer.from(JSON.stringify(token)).toString("base64url");
}

function decodeToken(raw: string | null): CallLogSyncToken | undefined {
  if (!raw) return undefined;
  try {
    const token = JSON.parse(Buffer.from(raw, "base64url").toString("utf8")) as CallLogSyncToken;
    return typeof token.endOrder === "number" && typeof token.scope === "string" ? token : undefined;
  } catch {
    return undefined;
  }
}

function callLogSync(req: SimRequest, ctx: SimContext): SimResponse {
  const scope = scopeOf(req, ctx);
  const syncType = req.query.get("syncType") ?? "FSync";
  if (syncType !== "FSync" && syncType !== "ISync") return invalidValue("syncType");
  const recordCount = req.query.get("recordCount");
  const limit = recordCount === null ? 250 : Number(recordCount);
  if (!Number.isInteger(limit) || limit < 1 || limit > 250) return invalidValue("recordCount");
  const all = endedSessions(ctx, scope);
  const latest = all[0]?.endOrder ?? 0;
  let token: CallLogSyncToken;
  let sessions: SimSession[];
  if (syncType === "FSync") {
    token = {
      scope: scopeKey(scope),
      endOrder: latest,
      missedOnly: req.query.getAll("statusGroup").includes("Missed"),
    };
    const dateFrom = req.query.get("dateFrom");
    sessions = all.filter((s) => !dateFrom || s.createdAt >= new Date(dateFrom));
  } else {
    const previous = decodeToken(req.query.get("syncToken"));
    if (!previous || previous.scope !== scopeKey(scope)) return invalidValue("syncToken");
    token = { ...previous, endOrder: Math.max(latest, previous.endOrder) };
    sessions = all.filter((s) => (s.endOrder ?? 0) > previous.endOrder);
  }
  if (token.missedOnly) sessions = sessions.filter((s) => resultOf(s) === "Missed");
  const detailed = isDetailed(req.query);
  return {
    status: 200,
    json: {
      uri: `${ctx.baseUrl()}${req.path}`,
      records: sessions.slice(0, limit).map((s) => callLogRecord(ctx, scope, s, detailed)),
      syncInfo: { syncType, syncToken: encodeToken(token), syncTime: ctx.now().toISOString() },
    },
  };
}

const accountBase = "/restapi/v1.0/account/:accountId";
const extensionBase = `${accountBase}/extension/:extensionId`;

export const callLogModule: RouteModule = {
  name: "call-log",
  routes: [
    { method: "GET", path: `${accountBase}/call-log`, handler: listCallLog, throttlingGroup: "Heavy" },
    {
      method: "GET",
      path: `${accountBase}/call-log/:callRecordId`,
      handler: getCallLogRecord,
      throttlingGroup: "Heavy",
    },
    { method: "GET", path: `${accountBase}/call-log-sync`, handler: callLogSync, throttlingGroup: "Heavy" },
    { method: "GET", path: `${extensionBase}/call-log`, handler: listCallLog, throttlingGroup: "Heavy" },
    {
      method: "GET",
      path: `${extensionBase}/call-log/:callRecordId`,
      handler: getCallLogRecord,
      throttlingGroup: "Heavy",
    },
    { method: "GET", path: `${extensionBase}/call-log-sync`, handler: callLogSync, throttlingGroup: "Heavy" },
  ],
};
