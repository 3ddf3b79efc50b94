// Call control (RingCentral's Call Control API), RingOut and CallOut. Every request changes the
// session state through telephony.ts, so it emits the same notifications a real call would, and
// every request is recorded for tests (GET /__sim/call-control-requests).

import {
  apiError,
  notFound,
  type RouteHandler,
  type RouteModule,
  type SimContext,
  type SimRequest,
  type SimResponse,
} from "./core.ts";
import { extensionOf } from "./account.ts";
import { leaveVoicemail } from "./messages/inbound.ts";
import { findRecording, startRecording } from "./recordings.ts";
import { createScenario, runNextStep, runRemainingStepsLater, type Scenario } from "./scenarios/engine.ts";
import { transferCall, type TransferTarget } from "./scenarios/transfer-scripts.ts";
import { invalidValue, jsonObject, simulatorScoped } from "./scoped-state.ts";
import {
  accountFor,
  addParty,
  changeStatus,
  deviceIdOf,
  emitParty,
  extensionById,
  extensionByNumber,
  findSession,
  isEnded,
  isRinging,
  liveParties,
  liveSessionFor,
  restParty,
  restSession,
  settleQueueAfterAnswer,
  type SimParty,
  type SimSession,
} from "./telephony.ts";

export interface CallControlRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  body: unknown;
  accountId: string | null;
  extensionId: string | null;
  status: number;
  at: string;
}

/** How calls the app starts (ring-out, call-out, transfer and forward targets) progress. */
export interface CallSettings {
  /** auto: the far end rings and answers on its own; manual: step it with /__sim/scenarios/:id/step or answer it. */
  progression: "auto" | "manual";
  stepDelayMs: number;
}

interface RingOut {
  id: string;
  accountId: string;
  extensionId: string;
  scenario: Scenario;
}

interface CallControlState {
  requests: CallControlRequest[];
  ringOuts: Map<string, RingOut>;
  settings: CallSettings;
}

const callControlState = simulatorScoped<CallControlState>(() => ({
  requests: [],
  ringOuts: new Map(),
  settings: { progression: "auto", stepDelayMs: 0 },
}));

/** Wraps a handler so the request and its outcome land in the call-control request log. */
function recorded(handler: RouteHandler): RouteHandler {
  return async (req, ctx) => {
    const response = await handler(req, ctx);
    callControlState.of(ctx).requests.push({
      method: req.method,
      path: req.path,
      params: { ...req.params },
      body: req.body ?? null,
      accountId: req.auth?.accountId ?? null,
      extensionId: req.auth?.extensionId ?? null,
      status: response.status,
      at: ctx.now().toISOString(),
    });
    return response;
  };
}

function invalidState(action: string, party: SimParty): SimResponse {
  return apiError(409, "TAS-106", `Operation [${action}] is not allowed for a party in status [${party.status.code}]`);
}

type PartyAction = (ctx: SimContext, session: SimSession, party: SimParty, req: SimRequest) => SimResponse;

/** Resolves the session and party of the path, then runs the action. */
function onParty(action: PartyAction): RouteHandler {
  return (req, ctx) => {
    const session = liveSessionFor(ctx, req);
    if (!session) return notFound("telephonySessionId");
    const party = session.parties.find((p) => p.id === req.params.partyId);
    if (!party) return notFound("partyId");
    return action(ctx, session, party, req);
  };
}

/** When no extension is left on the call, the remaining (PSTN) parties are dropped. */
function endIfNoExtensionLeft(ctx: SimContext, session: SimSession): void {
  if (liveParties(session).some((p) => p.extensionId !== undefined)) return;
  for (const party of liveParties(session)) changeStatus(ctx, session, party, "Disconnected");
}

/** The far end of a call the app started answers on its own when progression is auto. */
function answerLaterIfAuto(ctx: SimContext, session: SimSession, party: SimParty): void {
  const settings = callControlState.of(ctx).settings;
  if (settings.progression !== "auto") return;
  setTimeout(() => {
    if (isRinging(party) && !session.endedAt) changeStatus(ctx, session, party, "Answered");
  }, settings.stepDelayMs).unref();
}

// ---------------------------------------------------------------------------------------------
// Party actions

const answer: PartyAction = (ctx, session, party) => {
  if (party.direction !== "Inbound" || !isRinging(party)) return invalidState("answer", party);
  changeStatus(ctx, session, party, "Answered");
  settleQueueAfterAnswer(ctx, session, party);
  return { status: 200, json: restParty(party) };
};

const hold: PartyAction = (ctx, session, party) => {
  if (party.status.code !== "Answered") return invalidState("hold", party);
  changeStatus(ctx, session, party, "Hold");
  return { status: 200, json: restParty(party) };
};

const unhold: PartyAction = (ctx, session, party) => {
  if (party.status.code !== "Hold") return invalidState("unhold", party);
  changeStatus(ctx, session, party, "Answered");
  return { status: 200, json: restParty(party) };
};

/** PATCH accepts `{party: {muted, standAlone}}` (current API) and the flat `{muted}`. */
const updateParty: PartyAction = (ctx, session, party, req) => {
  if (isEnded(party.status.code)) return invalidState("update", party);
  const body = jsonObject(req.body);
  const update = body.party !== undefined ? jsonObject(body.party) : body;
  if (update.muted !== undefined && typeof update.muted !== "boolean") return invalidValue("muted");
  if (update.standAlone !== undefined && typeof update.standAlone !== "boolean") return invalidValue("standAlone");
  if (update.muted === undefined && update.standAlone === undefined)
    return apiError(400, "CMN-101", "Parameter [party] value is invalid.", "party");
  const changed =
    (update.muted !== undefined && update.muted !== party.muted) ||
    (update.standAlone !== undefined && update.standAlone !== party.standAlone);
  if (typeof update.muted === "boolean") party.muted = update.muted;
  if (typeof update.standAlone === "boolean") party.standAlone = update.standAlone;
  if (changed) emitParty(ctx, session, party);
  return { status: 200, json: restParty(party) };
};

const dropParty: PartyAction = (ctx, session, party) => {
  if (isEnded(party.status.code)) return invalidState("delete", party);
  changeStatus(ctx, session, party, "Disconnected");
  if (liveParties(session).length <= 1) {
    for (const rest of liveParties(session)) changeStatus(ctx, session, rest, "Disconnected");
  }
  return { status: 204 };
};

/** Exactly one of the keys may be given (TransferTarget / ForwardTarget). */
function singleTarget(req: SimRequest, keys: string[]): { key: string; value: string } | SimResponse {
  const body = jsonObject(req.body);
  const given = keys.filter((k) => body[k] !== undefined);
  if (given.length !== 1)
    return apiError(400, "CMN-101", `Exactly one of [${keys.join(", ")}] must be specified`, given[1] ?? keys[0]);
  const key = given[0] as string;
  const value = body[key];
  if (typeof value !== "string" || value === "") return invalidValue(key);
  return { key, value };
}

function isResponse(value: unknown): value is SimResponse {
  return typeof value === "object" && value !== null && "status" in value && !("key" in value);
}

function targetOf(ctx: SimContext, session: SimSession, key: string, value: string): TransferTarget | SimResponse {
  const account = accountFor(ctx, session.accountId);
  if (key === "phoneNumber") return { phoneNumber: value };
  const extension = key === "extensionNumber" ? extensionByNumber(account, value) : extensionById(account, value);
  if (!extension) return notFound(key);
  return { extension };
}

/** Transfer or forward to voicemail: the caller lands in the mailbox and leaves a message. */
function sendToVoicemail(
  ctx: SimContext,
  session: SimSession,
  party: SimParty,
  target: TransferTarget,
  reason: "RccTransfer" | "CallRedirected",
): SimParty {
  const mailbox = target.extension as NonNullable<TransferTarget["extension"]>;
  const caller = session.parties.find((p) => p.sim.role === "caller") ?? party;
  changeStatus(ctx, session, party, "Disconnected", { reason });
  const leg = addParty(ctx, session, {
    role: "transfer-target",
    direction: "Inbound",
    extensionId: mailbox.id,
    to: { phoneNumber: party.to.phoneNumber, name: mailbox.name, extensionId: mailbox.id },
    from: { ...caller.from },
  });
  changeStatus(ctx, session, leg, "VoiceMail", { missedCall: true });
  changeStatus(ctx, session, leg, "Disconnected");
  for (const rest of liveParties(session)) changeStatus(ctx, session, rest, "Disconnected");
  leg.sim.voicemailMessageId = leaveVoicemail(ctx, {
    accountId: session.accountId,
    extensionId: mailbox.id,
    from: { ...caller.from },
    durationSeconds: 3,
  }).id;
  return leg;
}

const transfer: PartyAction = (ctx, session, party, req) => {
  const target = singleTarget(req, ["phoneNumber", "extensionNumber", "voicemail", "parkOrbit"]);
  if (isResponse(target)) return target;
  if (target.key === "parkOrbit")
    return apiError(400, "CMN-101", "Parameter [parkOrbit] value is invalid [Call park is not simulated]", "parkOrbit");
  if (party.status.code !== "Answered" && party.status.code !== "Hold") return invalidState("transfer", party);
  const resolved = targetOf(ctx, session, target.key, target.value);
  if (isResponse(resolved)) return resolved;
  if (target.key === "voicemail") {
    sendToVoicemail(ctx, session, party, resolved, "RccTransfer");
  } else {
    const leg = transferCall({ ctx, session }, party, resolved, "RccTransfer");
    answerLaterIfAuto(ctx, session, leg);
  }
  return { status: 200, json: restParty(party) };
};

const forward: PartyAction = (ctx, session, party, req) => {
  const target = singleTarget(req, ["phoneNumber", "extensionNumber", "voicemail"]);
  if (isResponse(target)) return target;
  if (party.direction !== "Inbound" || !isRinging(party)) return invalidState("forward", party);
  const resolved = targetOf(ctx, session, target.key, target.value);
  if (isResponse(resolved)) return resolved;
  if (target.key === "voicemail") {
    return { status: 200, json: restParty(sendToVoicemail(ctx, session, party, resolved, "CallRedirected")) };
  }
  const leg = transferCall({ ctx, session }, party, resolved, "CallRedirected");
  answerLaterIfAuto(ctx, session, leg);
  return { status: 200, json: restParty(leg) };
};

function declineRinging(
  action: string,
  reason: "Rejected" | "CallReplied" | undefined,
  missedCall: boolean,
): PartyAction {
  return (ctx, session, party) => {
    if (party.direction !== "Inbound" || !isRinging(party) || !party.extensionId) return invalidState(action, party);
    changeStatus(ctx, session, party, "Disconnected", { ...(reason ? { reason } : {}), missedCall });
    endIfNoExtensionLeft(ctx, session);
    return { status: 204 };
  };
}

const reject = declineRinging("reject", "Rejected", true);
const ignore = declineRinging("ignore", undefined, false);

const reply: PartyAction = (ctx, session, party, req) => {
  const body = jsonObject(req.body);
  if (typeof body.replyWithText !== "string" && body.replyWithPattern === undefined)
    return invalidValue("replyWithText");
  const response = declineRinging("reply", "CallReplied", false)(ctx, session, party, req);
  return response.status === 204 ? { status: 200, json: restParty(party) } : response;
};

const startPartyRecording: PartyAction = (ctx, session, party) => {
  if (party.status.code !== "Answered" && party.status.code !== "Hold") return invalidState("recordings", party);
  const recording = startRecording(ctx, {
    accountId: session.accountId,
    telephonySessionId: session.id,
    partyId: party.id,
    type: "OnDemand",
  });
  session.recordingIds.push(recording.id);
  party.recordings = [...(party.recordings ?? []), { id: recording.id, active: true }];
  emitParty(ctx, session, party);
  return { status: 201, json: { id: recording.id, active: true } };
};

const updatePartyRecording: PartyAction = (ctx, session, party, req) => {
  const entry = party.recordings?.find((r) => r.id === req.params.recordingId);
  if (!entry || !findRecording(ctx, entry.id)) return notFound("recordingId");
  const active = jsonObject(req.body).active;
  if (typeof active !== "boolean") return invalidValue("active");
  if (entry.active !== active) {
    entry.active = active;
    emitParty(ctx, session, party);
  }
  return { status: 200, json: { id: entry.id, active: entry.active } };
};

/**
 * Bridge ([REFERENCE] §4): the user's party on this session and their party on another session
 * (the body's) are joined: the user leaves both, each leg `Gone/AttendedTransfer` with `peerId`
 * naming who is left on the other session, as in the attended-transfer capture. The other session
 * must have someone connected besides the user.
 */
const bridge: PartyAction = (ctx, session, party, req) => {
  const body = jsonObject(req.body);
  if (typeof body.telephonySessionId !== "string" || body.telephonySessionId === "")
    return invalidValue("telephonySessionId");
  if (typeof body.partyId !== "string" || body.partyId === "") return invalidValue("partyId");
  const other = findSession(ctx, body.telephonySessionId);
  if (!other || other.endedAt || other === session) return notFound("telephonySessionId");
  const otherParty = other.parties.find((p) => p.id === body.partyId);
  if (!otherParty) return notFound("partyId");
  if (!party.extensionId || otherParty.extensionId !== party.extensionId)
    return apiError(400, "CMN-101", "Both parties must be the same extension's", "partyId");
  for (const own of [party, otherParty]) if (!CONNECTED_CODES.has(own.status.code)) return invalidState("bridge", own);
  const remaining = liveParties(session).find((p) => p !== party);
  const joined = liveParties(other).find((p) => p !== otherParty && CONNECTED_CODES.has(p.status.code));
  if (!remaining || !joined) return invalidState("bridge", otherParty);
  const peerOf = (s: SimSession, p: SimParty) => ({ sessionId: s.sessionId, telephonySessionId: s.id, partyId: p.id });
  changeStatus(ctx, session, party, "Gone", { reason: "AttendedTransfer", peerId: peerOf(other, joined) });
  changeStatus(ctx, other, otherParty, "Gone", { reason: "AttendedTransfer", peerId: peerOf(session, remaining) });
  return { status: 200, json: restParty(party) };
};

const CONNECTED_CODES = new Set(["Answered", "Hold"]);

/** The extension's devices: one online softphone, the device its calls are placed from. */
function listDevices(req: SimRequest, ctx: SimContext): SimResponse {
  const extension = extensionOf(req, ctx);
  const id = deviceIdOf(ctx, extension.id);
  const uri = `${ctx.baseUrl()}/restapi/v1.0/account/${req.params.accountId}/device/${id}`;
  return {
    status: 200,
    json: {
      uri: `${ctx.baseUrl()}${req.path}`,
      records: [
        { id, uri, type: "SoftPhone", status: "Online", name: "RingCentral Phone", extension: { id: extension.id } },
      ],
      paging: { page: 1, perPage: 100, pageStart: 0, pageEnd: 0, totalPages: 1, totalElements: 1 },
      navigation: {},
    },
  };
}

function dropSession(req: SimRequest, ctx: SimContext): SimResponse {
  const session = liveSessionFor(ctx, req);
  if (!session) return notFound("telephonySessionId");
  for (const party of liveParties(session)) changeStatus(ctx, session, party, "Disconnected");
  return { status: 204 };
}

// ---------------------------------------------------------------------------------------------
// Calls the app starts: RingOut and CallOut run the outbound script (capture C's legs).

/** Starts an app-initiated call: dial now, then the rest on its own (auto) or step by step (manual). */
function startAppCall(ctx: SimContext, scenario: Scenario): void {
  runNextStep(scenario);
  const settings = callControlState.of(ctx).settings;
  if (settings.progression === "auto") runRemainingStepsLater(scenario, settings.stepDelayMs);
}

function ringOutStatus(ringOut: RingOut) {
  const session = ringOut.scenario.session;
  const user = session.parties.find((p) => p.sim.role === "initiator");
  const callee = session.parties.find((p) => p.sim.role === "callee");
  const legStatus = (party: SimParty | undefined) =>
    party?.sim.answeredAt ? "Success" : party && isEnded(party.status.code) ? "NoAnswer" : "InProgress";
  const callerStatus = legStatus(user);
  const calleeStatus = legStatus(callee);
  const callStatus =
    callerStatus === "Success" && calleeStatus === "Success"
      ? "Success"
      : callerStatus === "NoAnswer" || calleeStatus === "NoAnswer"
        ? "NoAnswer"
        : "InProgress";
  return { callStatus, callerStatus, calleeStatus };
}

function ringOutView(ctx: SimContext, ringOut: RingOut) {
  return {
    id: ringOut.id,
    uri:
      `${ctx.baseUrl()}/restapi/v1.0/account/${ringOut.accountId}` +
      `/extension/${ringOut.extensionId}/ring-out/${ringOut.id}`,
    status: ringOutStatus(ringOut),
  };
}

function postRingOut(req: SimRequest, ctx: SimContext): SimResponse {
  if (!req.auth) return apiError(401, "CMN-405", "Login to extension required");
  const body = jsonObject(req.body);
  const from = jsonObject(body.from).phoneNumber;
  const to = jsonObject(body.to).phoneNumber;
  if (typeof from !== "string" || from === "")
    return apiError(400, "CMN-101", "Parameter [from] value is invalid.", "from");
  if (typeof to !== "string" || to === "") return apiError(400, "CMN-101", "Parameter [to] value is invalid.", "to");
  const extensionId = req.params.extensionId ?? req.auth.extensionId;
  const callerId = jsonObject(body.callerId).phoneNumber;
  const scenario = createScenario(ctx, "ring-out", {
    accountId: req.auth.accountId,
    extensionId,
    to,
    hangup: false,
    ...(typeof callerId === "string" && callerId ? { callerId } : {}),
  });
  const ringOut: RingOut = { id: scenario.session.sessionId, accountId: req.auth.accountId, extensionId, scenario };
  callControlState.of(ctx).ringOuts.set(ringOut.id, ringOut);
  startAppCall(ctx, scenario);
  return { status: 200, json: ringOutView(ctx, ringOut) };
}

function ringOutOfRequest(req: SimRequest, ctx: SimContext): RingOut | undefined {
  const ringOut = callControlState.of(ctx).ringOuts.get(req.params.ringoutId ?? "");
  return ringOut && (!req.auth || ringOut.accountId === req.auth.accountId) ? ringOut : undefined;
}

function getRingOut(req: SimRequest, ctx: SimContext): SimResponse {
  const ringOut = ringOutOfRequest(req, ctx);
  if (!ringOut) return notFound("ringoutId");
  return { status: 200, json: ringOutView(ctx, ringOut) };
}

function deleteRingOut(req: SimRequest, ctx: SimContext): SimResponse {
  const ringOut = ringOutOfRequest(req, ctx);
  if (!ringOut) return notFound("ringoutId");
  const session = ringOut.scenario.session;
  ringOut.scenario.nextStep = ringOut.scenario.steps.length; // nothing more happens on its own
  for (const party of liveParties(session)) changeStatus(ctx, session, party, "Disconnected");
  callControlState.of(ctx).ringOuts.delete(ringOut.id);
  return { status: 204 };
}

function postCallOut(req: SimRequest, ctx: SimContext): SimResponse {
  if (!req.auth) return apiError(401, "CMN-405", "Login to extension required");
  const body = jsonObject(req.body);
  const deviceId = jsonObject(body.from).deviceId;
  const to = jsonObject(body.to);
  if (typeof deviceId !== "string" || deviceId === "")
    return apiError(400, "CMN-101", "Parameter [from.deviceId] value is invalid.", "from.deviceId");
  const account = accountFor(ctx, req.auth.accountId);
  const common = {
    accountId: account.id,
    extensionId: req.auth.extensionId,
    deviceId,
    hangup: false as const,
    origin: "CallOut" as const,
  };
  let scenario: Scenario;
  if (typeof to.extensionNumber === "string") {
    const callee = extensionByNumber(account, to.extensionNumber);
    if (!callee) return notFound("to.extensionNumber");
    scenario = createScenario(ctx, "extension-to-extension", { ...common, toExtensionId: callee.id });
  } else if (typeof to.phoneNumber === "string" && to.phoneNumber !== "") {
    scenario = createScenario(ctx, "call-out", { ...common, to: to.phoneNumber });
  } else {
    return apiError(400, "CMN-101", "Parameter [to] value is invalid.", "to");
  }
  startAppCall(ctx, scenario);
  return { status: 201, json: { session: restSession(scenario.session) } };
}

// ---------------------------------------------------------------------------------------------
// Control routes

function listRequests(req: SimRequest, ctx: SimContext): SimResponse {
  const sessionId = req.query.get("telephonySessionId");
  const records = callControlState
    .of(ctx)
    .requests.filter((r) => !sessionId || r.params.telephonySessionId === sessionId);
  return { status: 200, json: { records } };
}

function clearRequests(_req: SimRequest, ctx: SimContext): SimResponse {
  callControlState.of(ctx).requests = [];
  return { status: 204 };
}

function getCallSettings(_req: SimRequest, ctx: SimContext): SimResponse {
  return { status: 200, json: callControlState.of(ctx).settings };
}

function putCallSettings(req: SimRequest, ctx: SimContext): SimResponse {
  const body = jsonObject(req.body);
  const settings = { ...callControlState.of(ctx).settings };
  if (body.progression !== undefined) {
    if (body.progression !== "auto" && body.progression !== "manual")
      return invalidValue("progression", "auto or manual");
    settings.progression = body.progression;
  }
  if (body.stepDelayMs !== undefined) {
    if (typeof body.stepDelayMs !== "number" || body.stepDelayMs < 0) return invalidValue("stepDelayMs");
    settings.stepDelayMs = body.stepDelayMs;
  }
  callControlState.of(ctx).settings = settings;
  return { status: 200, json: settings };
}

const sessionPath = "/restapi/v1.0/account/:accountId/telephony/sessions/:telephonySessionId";
const partyPath = `${sessionPath}/parties/:partyId`;
const ringOutPath = "/restapi/v1.0/account/:accountId/extension/:extensionId/ring-out";

export const callControlModule: RouteModule = {
  name: "call-control",
  routes: [
    { method: "DELETE", path: sessionPath, handler: recorded(dropSession), throttlingGroup: "Light" },
    { method: "PATCH", path: partyPath, handler: recorded(onParty(updateParty)), throttlingGroup: "Light" },
    { method: "DELETE", path: partyPath, handler: recorded(onParty(dropParty)), throttlingGroup: "Light" },
    { method: "POST", path: `${partyPath}/answer`, handler: recorded(onParty(answer)), throttlingGroup: "Light" },
    { method: "POST", path: `${partyPath}/hold`, handler: recorded(onParty(hold)), throttlingGroup: "Light" },
    { method: "POST", path: `${partyPath}/unhold`, handler: recorded(onParty(unhold)), throttlingGroup: "Light" },
    { method: "POST", path: `${partyPath}/transfer`, handler: recorded(onParty(transfer)), throttlingGroup: "Light" },
    { method: "POST", path: `${partyPath}/forward`, handler: recorded(onParty(forward)), throttlingGroup: "Light" },
    { method: "POST", path: `${partyPath}/reject`, handler: recorded(onParty(reject)), throttlingGroup: "Light" },
    { method: "POST", path: `${partyPath}/ignore`, handler: recorded(onParty(ignore)), throttlingGroup: "Light" },
    { method: "POST", path: `${partyPath}/reply`, handler: recorded(onParty(reply)), throttlingGroup: "Light" },
    { method: "POST", path: `${partyPath}/bridge`, handler: recorded(onParty(bridge)), throttlingGroup: "Light" },
    {
      method: "GET",
      path: "/restapi/v1.0/account/:accountId/extension/:extensionId/device",
      handler: listDevices,
      throttlingGroup: "Light",
    },
    {
      method: "POST",
      path: `${partyPath}/recordings`,
      handler: recorded(onParty(startPartyRecording)),
      throttlingGroup: "Light",
    },
    {
      method: "PATCH",
      path: `${partyPath}/recordings/:recordingId`,
      handler: recorded(onParty(updatePartyRecording)),
      throttlingGroup: "Light",
    },
    { method: "POST", path: ringOutPath, handler: recorded(postRingOut), throttlingGroup: "Heavy" },
    { method: "GET", path: `${ringOutPath}/:ringoutId`, handler: getRingOut, throttlingGroup: "Light" },
    { method: "DELETE", path: `${ringOutPath}/:ringoutId`, handler: recorded(deleteRingOut), throttlingGroup: "Heavy" },
    {
      method: "POST",
      path: "/restapi/v1.0/account/:accountId/telephony/call-out",
      handler: recorded(postCallOut),
      throttlingGroup: "Heavy",
    },
    { method: "GET", path: "/__sim/call-control-requests", handler: listRequests },
    { method: "DELETE", path: "/__sim/call-control-requests", handler: clearRequests },
    { method: "GET", path: "/__sim/calls/settings", handler: getCallSettings },
    { method: "PUT", path: "/__sim/calls/settings", handler: putCallSettings },
  ],
  reset(ctx) {
    callControlState.reset(ctx);
  },
};
