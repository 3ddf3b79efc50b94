// Scripted call scenarios. A scenario is a list of named steps; each step moves one or more
// parties and so emits one or more notifications. Scenarios run at once or step by step on
// command (POST /__sim/scenarios/:id/step), optionally with a delay between steps for demos.
//
// The three captured calls (inbound PSTN → IVR → user, user → PSTN, extension → extension) are
// reproduced notification for notification; the other flows are modelled on REFERENCE §3.3.
// Steps check the current state before acting, so a scenario keeps working when the app changes
// the call in between through call control (a later "answer" step is skipped if the app already
// answered, "hangup" only disconnects parties still up).

import { notFound, type RouteModule, type SimAccount, type SimContext, type SimExtension, type SimRequest, type SimResponse } from "./core.ts";
import { leaveVoicemail } from "./messages.ts";
import { startRecording } from "./recordings.ts";
import { invalidValue, jsonObject, simulatorScoped } from "./scoped-state.ts";
import {
  accountFor,
  addParty,
  changeStatus,
  createSession,
  deviceIdOf,
  directNumberOf,
  emitParty,
  extensionById,
  extensionByNumber,
  extensionForNumber,
  findSession,
  isEnded,
  isRinging,
  liveParties,
  settleQueueAfterAnswer,
  type StatusChange,
  type PartyEndpoint,
  type PartyStatusReason,
  type SessionOrigin,
  type SimParty,
  type SimSession,
} from "./telephony.ts";

export const scenarioTypes = [
  "inbound",
  "ivr",
  "queue",
  "missed",
  "abandoned",
  "voicemail",
  "cold-transfer",
  "attended-transfer",
  "outbound",
  "ring-out",
  "call-out",
  "extension-to-extension",
] as const;
export type ScenarioType = (typeof scenarioTypes)[number];

/** Options of POST /__sim/scenarios (all optional; defaults come from the seeded account). */
export interface ScenarioOptions {
  accountId?: string;
  /** PSTN caller of inbound calls. */
  from?: string;
  /** Outbound: the number shown to the callee (RingOut `callerId`); default the user's direct number. */
  callerId?: string;
  callerName?: string;
  /** The company number dialled (inbound) or the PSTN number called (outbound). */
  to?: string;
  /** The user extension that answers (inbound) or places the call (outbound). */
  extensionId?: string;
  /** Extension-to-extension: the extension called. */
  toExtensionId?: string;
  /** Queue scenarios: the call queue (Department) and the agent who answers. */
  queueExtensionId?: string;
  answeredBy?: string;
  /** Cold transfer target: an extension (id or number) or an external number. */
  transferTo?: { extensionId?: string; extensionNumber?: string; phoneNumber?: string };
  /** Whether a user answers; false leaves the call ringing for the app to answer or for a hangup. */
  answer?: boolean;
  hold?: boolean;
  mute?: boolean;
  record?: boolean;
  /** Who hangs up at the end; false keeps the call up (end it with call control or /__sim/calls/:id/hangup). */
  hangup?: "agent" | "caller" | false;
  /** Voicemail scenarios. */
  voicemailSeconds?: number;
  transcription?: string;
  /** Call-out: the device placing the call. */
  deviceId?: string;
  /** Milliseconds between steps when running at once; 0 runs every step synchronously. */
  stepDelayMs?: number;
  /** Session origin override (call-out to an extension is an extension-to-extension call). */
  origin?: SessionOrigin;
}

interface Step {
  name: string;
  run(): void;
  done: boolean;
}

export interface Scenario {
  id: string;
  type: ScenarioType;
  accountId: string;
  /** The main session; attended transfers add the consultation session to `telephonySessionIds`. */
  session: SimSession;
  sessions: SimSession[];
  steps: Step[];
  nextStep: number;
  stepDelayMs: number;
  createdAt: Date;
}

interface ScenarioState {
  scenarios: Map<string, Scenario>;
  count: number;
}

const scenarioState = simulatorScoped<ScenarioState>(() => ({ scenarios: new Map(), count: 0 }));

/** Everything a step needs: the simulator, the account and the call being scripted. */
interface Call {
  ctx: SimContext;
  account: SimAccount;
  session: SimSession;
  options: ScenarioOptions;
}

class ScenarioInputError extends Error {
  constructor(
    readonly parameterName: string,
    message: string,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------------
// Party moves shared by the scripts. Each is a no-op when the party already left the call, so a
// script survives the app changing the call through call control.

function move(call: Call, party: SimParty | undefined, code: SimParty["status"]["code"], change: StatusChange = {}): void {
  if (!party || isEnded(party.status.code) || party.status.code === code) return;
  changeStatus(call.ctx, call.session, party, code, change);
}

function answer(call: Call, party: SimParty | undefined): void {
  if (!party || !isRinging(party)) return;
  if (call.options.record && party.extensionId) {
    const recording = startRecording(call.ctx, {
      accountId: call.account.id,
      telephonySessionId: call.session.id,
      partyId: party.id,
      type: "Automatic",
    });
    party.recordings = [{ id: recording.id, active: true }];
    call.session.recordingIds.push(recording.id);
  }
  changeStatus(call.ctx, call.session, party, "Answered");
}

function hold(call: Call, party: SimParty | undefined): void {
  if (party?.status.code === "Answered") changeStatus(call.ctx, call.session, party, "Hold");
}

function unhold(call: Call, party: SimParty | undefined): void {
  if (party?.status.code === "Hold") changeStatus(call.ctx, call.session, party, "Answered");
}

function setMuted(call: Call, party: SimParty | undefined, muted: boolean): void {
  if (!party || isEnded(party.status.code) || party.muted === muted) return;
  party.muted = muted;
  emitParty(call.ctx, call.session, party);
}

function disconnect(call: Call, party: SimParty | undefined, change: { reason?: PartyStatusReason; missedCall?: boolean } = {}): void {
  move(call, party, "Disconnected", change);
}

/** Ends the call: the side that hangs up leaves first, then everyone still on the call. */
function hangUp(call: Call, first: SimParty | undefined): void {
  disconnect(call, first);
  for (const party of liveParties(call.session)) disconnect(call, party);
}

// ---------------------------------------------------------------------------------------------
// Endpoints as they appear in the captures

function pstnCallerEndpoint(options: ScenarioOptions): PartyEndpoint {
  return { phoneNumber: options.from ?? "+14155550100" };
}

function callerName(options: ScenarioOptions): string {
  return options.callerName ?? "WIRELESS CALLER";
}

function extensionEndpoint(ext: SimExtension, phoneNumber: string): PartyEndpoint {
  return { phoneNumber, name: ext.name, extensionId: ext.id };
}

/** The PSTN caller's leg (account level, Outbound, `to` = the dialled company number). */
function addPstnCaller(call: Call, dialled: string): SimParty {
  return addParty(call.ctx, call.session, {
    role: "caller",
    direction: "Outbound",
    to: { phoneNumber: dialled },
    from: pstnCallerEndpoint(call.options),
  });
}

/** An inbound leg on an extension (IVR, queue, agent or transfer target). */
function addInboundExtensionLeg(
  call: Call,
  ext: SimExtension,
  dialled: string,
  role: SimParty["sim"]["role"],
  from: PartyEndpoint,
  extra: { queue?: SimExtension } = {},
): SimParty {
  return addParty(call.ctx, call.session, {
    role,
    direction: "Inbound",
    extensionId: ext.id,
    to: extensionEndpoint(ext, dialled),
    from,
    ...(extra.queue
      ? {
          queueCall: true,
          queueExtensionId: extra.queue.id,
          uiCallInfo: {
            primary: { type: "QueueName", value: extra.queue.name },
            additional: { type: "CallerIdName", value: callerName(call.options) },
          },
        }
      : {}),
  });
}

/** Caller-ID name lookup completes once the call reaches a user (capture: from.name appears then). */
function namedCaller(call: Call): PartyEndpoint {
  return { ...pstnCallerEndpoint(call.options), name: callerName(call.options) };
}

// ---------------------------------------------------------------------------------------------
// Defaults from the seeded account

function users(account: SimAccount): SimExtension[] {
  return account.extensions.filter((e) => e.type === "User" && e.status === "Enabled");
}

function requireExtension(account: SimAccount, extensionId: string | undefined, fallback: () => SimExtension | undefined, parameterName: string): SimExtension {
  const ext = extensionId ? extensionById(account, extensionId) : fallback();
  if (!ext) throw new ScenarioInputError(parameterName, extensionId ? "No such extension" : "The account has no suitable extension");
  return ext;
}

function defaultAgent(account: SimAccount): SimExtension | undefined {
  return users(account).find((u) => !u.admin) ?? users(account)[0];
}

function numberRoutedTo(account: SimAccount, extensionId: string): string | undefined {
  return account.phoneNumbers.find((n) => n.extensionId === extensionId)?.phoneNumber;
}

function agentFor(call: Call): SimExtension {
  return requireExtension(call.account, call.options.extensionId, () => defaultAgent(call.account), "extensionId");
}

// ---------------------------------------------------------------------------------------------
// Scripts. Each returns the steps of one scenario type.

type StepList = { name: string; run: () => void }[];

/** Optional middle of a connected call: hold/unhold and mute/unmute by `party()`. */
function midCallSteps(call: Call, party: () => SimParty | undefined): StepList {
  const steps: StepList = [];
  if (call.options.hold) {
    steps.push({ name: "hold", run: () => hold(call, party()) });
    steps.push({ name: "unhold", run: () => unhold(call, party()) });
  }
  if (call.options.mute) {
    steps.push({ name: "mute", run: () => setMuted(call, party(), true) });
    steps.push({ name: "unmute", run: () => setMuted(call, party(), false) });
  }
  return steps;
}

function hangupSteps(call: Call, agent: () => SimParty | undefined, caller: () => SimParty | undefined): StepList {
  if (call.options.hangup === false) return [];
  const first = call.options.hangup === "caller" ? caller : agent;
  return [{ name: "hangup", run: () => hangUp(call, first()) }];
}

/** PSTN → user directly. Ordering as capture B: the caller's leg is answered before the user. */
function directInboundSteps(call: Call, agentExt: SimExtension, dialled: string): { steps: StepList; caller: () => SimParty | undefined; agent: () => SimParty | undefined } {
  let caller: SimParty | undefined;
  let agent: SimParty | undefined;
  const steps: StepList = [
    {
      name: "dial",
      run: () => {
        caller = addPstnCaller(call, dialled);
        agent = addInboundExtensionLeg(call, agentExt, dialled, "agent", namedCaller(call));
        caller.to = extensionEndpoint(agentExt, dialled);
        caller.from = namedCaller(call);
        move(call, caller, "Answered");
      },
    },
    { name: "ring", run: () => move(call, agent, "Proceeding") },
  ];
  return { steps, caller: () => caller, agent: () => agent };
}

function inboundScript(call: Call): StepList {
  const dialled = call.options.to ?? defaultInboundNumber(call.account, call.options);
  const routed = extensionForNumber(call.account, dialled);
  if (!call.options.extensionId && routed?.type === "IvrMenu") return ivrScript(call);
  if (!call.options.extensionId && routed?.type === "Department") {
    return queueScript({ ...call, options: { ...call.options, queueExtensionId: routed.id } });
  }
  const agentExt = call.options.extensionId || routed?.type !== "User" ? agentFor(call) : routed;
  const direct = directInboundSteps(call, agentExt, dialled);
  if (call.options.answer === false) return direct.steps;
  return [
    ...direct.steps,
    { name: "answer", run: () => answer(call, direct.agent()) },
    ...midCallSteps(call, direct.agent),
    ...hangupSteps(call, direct.agent, direct.caller),
  ];
}

function defaultInboundNumber(account: SimAccount, options: ScenarioOptions): string {
  const agentId = options.extensionId ?? defaultAgent(account)?.id;
  return (agentId && numberRoutedTo(account, agentId)) ?? account.mainNumber;
}

/** Capture A: PSTN → IVR → user, answered (hold/resume with `hold: true`), hung up by the user. */
function ivrScript(call: Call): StepList {
  const ivrExt = requireExtension(call.account, undefined, () => call.account.extensions.find((e) => e.type === "IvrMenu"), "ivr");
  const agentExt = agentFor(call);
  const dialled = call.options.to ?? numberRoutedTo(call.account, ivrExt.id) ?? call.account.mainNumber;
  let caller: SimParty | undefined;
  let ivr: SimParty | undefined;
  let agent: SimParty | undefined;
  const steps: StepList = [
    {
      name: "dial",
      run: () => {
        caller = addPstnCaller(call, dialled);
        ivr = addInboundExtensionLeg(call, ivrExt, dialled, "ivr", pstnCallerEndpoint(call.options));
      },
    },
    {
      name: "ivr-answers",
      run: () => {
        if (caller) caller.to = extensionEndpoint(ivrExt, dialled);
        move(call, caller, "Answered");
      },
    },
    {
      name: "caller-selects-extension",
      run: () => {
        if (!caller || isEnded(caller.status.code)) return;
        disconnect(call, ivr);
        caller.from = namedCaller(call);
        agent = addInboundExtensionLeg(call, agentExt, dialled, "agent", namedCaller(call));
      },
    },
    { name: "ring", run: () => move(call, agent, "Proceeding") },
  ];
  if (call.options.answer === false) return steps;
  return [
    ...steps,
    { name: "answer", run: () => answer(call, agent) },
    ...midCallSteps(call, () => agent),
    ...hangupSteps(call, () => agent, () => caller),
  ];
}

interface QueueCall {
  steps: StepList;
  caller: () => SimParty | undefined;
  queue: () => SimParty | undefined;
  agents: () => SimParty[];
}

/** Caller → call queue: the queue answers (caller hears music), every member rings. */
function queueRingingSteps(call: Call): QueueCall {
  const queueExt = requireExtension(
    call.account,
    call.options.queueExtensionId,
    () => call.account.extensions.find((e) => e.type === "Department"),
    "queueExtensionId",
  );
  const members = (queueExt.members ?? [])
    .map((id) => extensionById(call.account, id))
    .filter((e): e is SimExtension => e !== undefined && e.type === "User" && e.status === "Enabled");
  if (members.length === 0) throw new ScenarioInputError("queueExtensionId", "The call queue has no enabled members");
  const dialled = call.options.to ?? numberRoutedTo(call.account, queueExt.id) ?? call.account.mainNumber;
  let caller: SimParty | undefined;
  let queue: SimParty | undefined;
  const agents: SimParty[] = [];
  const steps: StepList = [
    {
      name: "dial",
      run: () => {
        caller = addPstnCaller(call, dialled);
        queue = addInboundExtensionLeg(call, queueExt, dialled, "queue", pstnCallerEndpoint(call.options));
      },
    },
    {
      name: "queue-answers",
      run: () => {
        if (caller) caller.to = extensionEndpoint(queueExt, dialled);
        move(call, caller, "Answered");
        move(call, queue, "Answered");
      },
    },
    {
      name: "agents-ring",
      run: () => {
        if (!caller || isEnded(caller.status.code)) return;
        caller.from = namedCaller(call);
        for (const member of members) {
          agents.push(addInboundExtensionLeg(call, member, dialled, "agent", namedCaller(call), { queue: queueExt }));
        }
        for (const agent of agents) move(call, agent, "Proceeding");
      },
    },
  ];
  return { steps, caller: () => caller, queue: () => queue, agents: () => agents };
}

function queueScript(call: Call): StepList {
  const queueCall = queueRingingSteps(call);
  if (call.options.answer === false) return queueCall.steps;
  const winner = (): SimParty | undefined =>
    queueCall.agents().find((a) => a.extensionId === call.options.answeredBy) ?? queueCall.agents()[0];
  return [
    ...queueCall.steps,
    {
      name: "agent-answers",
      run: () => {
        const answering = winner();
        if (!answering || !isRinging(answering)) return;
        answer(call, answering);
        settleQueueAfterAnswer(call.ctx, call.session, answering);
      },
    },
    ...midCallSteps(call, winner),
    ...hangupSteps(call, winner, queueCall.caller),
  ];
}

/** The user's phone rings out; nobody answers and the caller gives up. */
function missedScript(call: Call): StepList {
  const agentExt = agentFor(call);
  const dialled = call.options.to ?? numberRoutedTo(call.account, agentExt.id) ?? call.account.mainNumber;
  const direct = directInboundSteps(call, agentExt, dialled);
  return [
    ...direct.steps,
    { name: "ring-timeout", run: () => disconnect(call, direct.agent(), { reason: "Timeout", missedCall: true }) },
    { name: "caller-hangs-up", run: () => disconnect(call, direct.caller()) },
  ];
}

/** The caller hangs up while waiting: in a queue when the account has one, else while ringing. */
function abandonedScript(call: Call): StepList {
  const hasQueue = call.options.queueExtensionId || call.account.extensions.some((e) => e.type === "Department");
  if (!hasQueue || call.options.extensionId) {
    const agentExt = agentFor(call);
    const dialled = call.options.to ?? numberRoutedTo(call.account, agentExt.id) ?? call.account.mainNumber;
    const direct = directInboundSteps(call, agentExt, dialled);
    return [
      ...direct.steps,
      {
        name: "caller-hangs-up",
        run: () => {
          disconnect(call, direct.caller());
          disconnect(call, direct.agent(), { reason: "Cancelled", missedCall: true });
        },
      },
    ];
  }
  const queueCall = queueRingingSteps(call);
  return [
    ...queueCall.steps,
    {
      name: "caller-hangs-up",
      run: () => {
        disconnect(call, queueCall.caller());
        for (const agent of queueCall.agents()) disconnect(call, agent, { reason: "Cancelled", missedCall: true });
        disconnect(call, queueCall.queue(), { reason: "Cancelled" });
      },
    },
  ];
}

/** Nobody answers, the call goes to the user's voicemail, then the message lands in the store. */
function voicemailScript(call: Call): StepList {
  const agentExt = agentFor(call);
  const dialled = call.options.to ?? numberRoutedTo(call.account, agentExt.id) ?? call.account.mainNumber;
  const direct = directInboundSteps(call, agentExt, dialled);
  return [
    ...direct.steps,
    { name: "to-voicemail", run: () => move(call, direct.agent(), "VoiceMail", { missedCall: true }) },
    {
      name: "caller-leaves-message",
      run: () => {
        const agent = direct.agent();
        if (!agent || agent.status.code !== "VoiceMail") return;
        disconnect(call, direct.caller());
        disconnect(call, agent);
        const message = leaveVoicemail(call.ctx, {
          accountId: call.account.id,
          extensionId: agentExt.id,
          from: namedCaller(call),
          durationSeconds: call.options.voicemailSeconds ?? 3,
          transcription: call.options.transcription,
        });
        agent.sim.voicemailMessageId = message.id;
      },
    },
  ];
}

/** The agent answers, then blind-transfers to an extension or an external number. */
function coldTransferScript(call: Call): StepList {
  const agentExt = agentFor(call);
  const dialled = call.options.to ?? numberRoutedTo(call.account, agentExt.id) ?? call.account.mainNumber;
  const target = resolveTransferTarget(call.account, call.options.transferTo);
  const direct = directInboundSteps(call, agentExt, dialled);
  let targetParty: SimParty | undefined;
  return [
    ...direct.steps,
    { name: "answer", run: () => answer(call, direct.agent()) },
    {
      name: "transfer",
      run: () => {
        const agent = direct.agent();
        if (!agent || agent.status.code !== "Answered") return;
        targetParty = transferCall(call, agent, target, "BlindTransfer");
      },
    },
    { name: "target-answers", run: () => answer(call, targetParty) },
    ...hangupSteps(call, () => targetParty, direct.caller),
  ];
}

export interface TransferTarget {
  extension?: SimExtension;
  phoneNumber?: string;
}

export function resolveTransferTarget(account: SimAccount, spec: ScenarioOptions["transferTo"]): TransferTarget {
  if (spec?.phoneNumber) return { phoneNumber: spec.phoneNumber };
  const ext = spec?.extensionId
    ? extensionById(account, spec.extensionId)
    : spec?.extensionNumber
      ? extensionByNumber(account, spec.extensionNumber)
      : users(account).filter((u) => u !== defaultAgent(account))[0];
  if (!ext) throw new ScenarioInputError("transferTo", "No transfer target extension");
  return { extension: ext };
}

/**
 * Moves the call from `from` to a new leg: `from` leaves with the transfer reason, the target rings.
 * Shared with call control (reason RccTransfer there).
 */
export function transferCall(
  call: { ctx: SimContext; session: SimSession },
  from: SimParty,
  target: TransferTarget,
  reason: PartyStatusReason,
): SimParty {
  const caller = call.session.parties.find((p) => p.sim.role === "caller" || p.sim.role === "initiator");
  const callerEndpoint = caller?.from ?? from.from;
  const dialled = from.to.phoneNumber ?? "";
  from.sim.transferredTo = target.extension ? extensionEndpoint(target.extension, target.extension.extensionNumber) : { phoneNumber: target.phoneNumber };
  changeStatus(call.ctx, call.session, from, "Disconnected", { reason });
  if (target.extension) {
    const leg = addParty(call.ctx, call.session, {
      role: "transfer-target",
      direction: "Inbound",
      extensionId: target.extension.id,
      to: extensionEndpoint(target.extension, dialled),
      from: { ...callerEndpoint },
    });
    changeStatus(call.ctx, call.session, leg, "Proceeding");
    return leg;
  }
  // An external target is a PSTN leg: like the callee in the outbound capture it starts Proceeding.
  return addParty(
    call.ctx,
    call.session,
    { role: "transfer-target", direction: "Inbound", to: { phoneNumber: target.phoneNumber }, from: { ...callerEndpoint } },
    "Proceeding",
  );
}

/** The agent consults a colleague on a second call, then completes the transfer (both legs Gone). */
function attendedTransferScript(call: Call, scenarioSessions: SimSession[]): StepList {
  const agentExt = agentFor(call);
  const dialled = call.options.to ?? numberRoutedTo(call.account, agentExt.id) ?? call.account.mainNumber;
  const target = resolveTransferTarget(call.account, call.options.transferTo);
  if (!target.extension) throw new ScenarioInputError("transferTo", "An attended transfer needs an extension target");
  const targetExt = target.extension;
  const direct = directInboundSteps(call, agentExt, dialled);
  let consult: Call | undefined;
  let agentOnConsult: SimParty | undefined;
  let colleague: SimParty | undefined;
  return [
    ...direct.steps,
    { name: "answer", run: () => answer(call, direct.agent()) },
    { name: "hold-caller", run: () => hold(call, direct.agent()) },
    {
      name: "consult-dial",
      run: () => {
        consult = { ...call, session: createSession(call.ctx, call.account.id, "Call") };
        scenarioSessions.push(consult.session);
        const legs = dialExtension(consult, agentExt, targetExt);
        agentOnConsult = legs.caller;
        colleague = legs.callee;
      },
    },
    { name: "consult-ring", run: () => consult && move(consult, colleague, "Proceeding") },
    { name: "consult-answer", run: () => consult && answer(consult, colleague) },
    {
      name: "complete-transfer",
      run: () => {
        const agent = direct.agent();
        const caller = direct.caller();
        if (!consult || !agent || !caller || !agentOnConsult || !colleague) return;
        move(call, agent, "Gone", {
          reason: "AttendedTransfer",
          peerId: { sessionId: consult.session.sessionId, telephonySessionId: consult.session.id, partyId: colleague.id },
        });
        move(consult, agentOnConsult, "Gone", {
          reason: "AttendedTransfer",
          peerId: { sessionId: call.session.sessionId, telephonySessionId: call.session.id, partyId: caller.id },
        });
      },
    },
    ...(call.options.hangup === false
      ? []
      : [
          {
            name: "hangup",
            run: () => {
              if (consult) disconnect(consult, colleague);
              disconnect(call, direct.caller());
            },
          },
        ]),
  ];
}

/** Capture B's first notifications: caller Setup, callee Setup, caller Answered (before the callee). */
function dialExtension(call: Call, callerExt: SimExtension, calleeExt: SimExtension): { caller: SimParty; callee: SimParty } {
  const deviceId = deviceIdOf(call.ctx, callerExt.id);
  const caller = addParty(call.ctx, call.session, {
    role: "initiator",
    direction: "Outbound",
    extensionId: callerExt.id,
    to: { phoneNumber: calleeExt.extensionNumber },
    from: { phoneNumber: directNumberOf(call.account, callerExt.id), extensionId: callerExt.id, deviceId },
  });
  const callee = addParty(call.ctx, call.session, {
    role: "callee",
    direction: "Inbound",
    extensionId: calleeExt.id,
    to: extensionEndpoint(calleeExt, calleeExt.extensionNumber),
    from: { phoneNumber: callerExt.extensionNumber, name: callerExt.name, extensionId: callerExt.id, deviceId },
  });
  caller.to = extensionEndpoint(calleeExt, calleeExt.extensionNumber);
  caller.from = { phoneNumber: caller.from.phoneNumber, name: callerExt.name, extensionId: callerExt.id, deviceId };
  changeStatus(call.ctx, call.session, caller, "Answered");
  return { caller, callee };
}

/** Capture B: extension → extension, answered, held by the caller (`hold: true`), caller hangs up. */
function extensionToExtensionScript(call: Call): StepList {
  const callerExt = agentFor(call);
  const calleeExt = requireExtension(
    call.account,
    call.options.toExtensionId,
    () => users(call.account).find((u) => u.id !== callerExt.id),
    "toExtensionId",
  );
  let caller: SimParty | undefined;
  let callee: SimParty | undefined;
  const steps: StepList = [
    {
      name: "dial",
      run: () => {
        ({ caller, callee } = dialExtension(call, callerExt, calleeExt));
      },
    },
    { name: "ring", run: () => move(call, callee, "Proceeding") },
  ];
  if (call.options.answer === false) return steps;
  return [
    ...steps,
    { name: "answer", run: () => answer(call, callee) },
    ...midCallSteps(call, () => caller),
    ...hangupSteps(call, () => caller, () => callee),
  ];
}

/**
 * Capture C: user → PSTN. The user's leg starts (Setup), the PSTN callee appears ringing
 * (Proceeding), the user's leg rings back, the callee answers, then the user's leg is answered.
 * RingOut and CallOut run the same legs with their own origin.
 */
function outboundScript(call: Call): StepList {
  const userExt = agentFor(call);
  const callee = call.options.to ?? "+14155550123";
  // RingOut's callerId (a company number) is what the callee sees and what the legs report.
  const fromNumber = call.options.callerId ?? directNumberOf(call.account, userExt.id);
  let user: SimParty | undefined;
  let pstn: SimParty | undefined;
  const steps: StepList = [
    {
      name: "dial",
      run: () => {
        user = addParty(call.ctx, call.session, {
          role: "initiator",
          direction: "Outbound",
          extensionId: userExt.id,
          to: { phoneNumber: callee },
          from: { phoneNumber: fromNumber, extensionId: userExt.id, deviceId: call.options.deviceId ?? deviceIdOf(call.ctx, userExt.id) },
        });
      },
    },
    {
      name: "ring",
      run: () => {
        if (!user || isEnded(user.status.code)) return;
        pstn = addParty(
          call.ctx,
          call.session,
          { role: "callee", direction: "Inbound", to: { phoneNumber: callee }, from: { phoneNumber: fromNumber, name: userExt.name, extensionId: userExt.id } },
          "Proceeding",
        );
        move(call, user, "Proceeding");
      },
    },
  ];
  if (call.options.answer === false) return steps;
  return [
    ...steps,
    {
      name: "answer",
      run: () => {
        if (!pstn || isEnded(pstn.status.code)) return;
        move(call, pstn, "Answered");
        answer(call, user);
      },
    },
    ...midCallSteps(call, () => user),
    ...hangupSteps(call, () => user, () => pstn),
  ];
}

// ---------------------------------------------------------------------------------------------
// Scenario lifecycle

const originOf: Record<ScenarioType, SessionOrigin> = {
  inbound: "Call",
  ivr: "Call",
  queue: "Call",
  missed: "Call",
  abandoned: "Call",
  voicemail: "Call",
  "cold-transfer": "Call",
  "attended-transfer": "Call",
  outbound: "Call",
  "ring-out": "RingOut",
  "call-out": "CallOut",
  "extension-to-extension": "Call",
};

function scriptFor(type: ScenarioType, call: Call, sessions: SimSession[]): StepList {
  switch (type) {
    case "inbound":
      return inboundScript(call);
    case "ivr":
      return ivrScript(call);
    case "queue":
      return queueScript(call);
    case "missed":
      return missedScript(call);
    case "abandoned":
      return abandonedScript(call);
    case "voicemail":
      return voicemailScript(call);
    case "cold-transfer":
      return coldTransferScript(call);
    case "attended-transfer":
      return attendedTransferScript(call, sessions);
    case "outbound":
    case "ring-out":
    case "call-out":
      return outboundScript(call);
    case "extension-to-extension":
      return extensionToExtensionScript(call);
  }
}

/** Builds a scenario (no step run yet). Throws ScenarioInputError on unusable options. */
export function createScenario(ctx: SimContext, type: ScenarioType, options: ScenarioOptions = {}): Scenario {
  const account = accountFor(ctx, options.accountId);
  const session = createSession(ctx, account.id, options.origin ?? originOf[type]);
  const sessions = [session];
  const steps = scriptFor(type, { ctx, account, session, options }, sessions);
  const state = scenarioState.of(ctx);
  state.count += 1;
  const scenario: Scenario = {
    id: `scn-${state.count}`,
    type,
    accountId: account.id,
    session,
    sessions,
    steps: steps.map((s) => ({ ...s, done: false })),
    nextStep: 0,
    stepDelayMs: options.stepDelayMs ?? 0,
    createdAt: ctx.now(),
  };
  state.scenarios.set(scenario.id, scenario);
  return scenario;
}

export function runNextStep(scenario: Scenario): boolean {
  const step = scenario.steps[scenario.nextStep];
  if (!step) return false;
  step.run();
  step.done = true;
  scenario.nextStep += 1;
  return true;
}

/** Runs the remaining steps: synchronously, or one per `stepDelayMs` in the background. */
export function runRemainingSteps(scenario: Scenario): void {
  if (scenario.stepDelayMs <= 0) {
    while (runNextStep(scenario));
    return;
  }
  const tick = (): void => {
    if (runNextStep(scenario) && scenario.nextStep < scenario.steps.length) setTimeout(tick, scenario.stepDelayMs);
  };
  setTimeout(tick, scenario.stepDelayMs);
}

/** Runs the remaining steps after the current request finished, `delayMs` apart (calls the app started). */
export function runRemainingStepsLater(scenario: Scenario, delayMs: number): void {
  const tick = (): void => {
    if (runNextStep(scenario) && scenario.nextStep < scenario.steps.length) setTimeout(tick, delayMs).unref();
  };
  setTimeout(tick, delayMs).unref();
}

export function findScenario(ctx: SimContext, id: string): Scenario | undefined {
  return scenarioState.of(ctx).scenarios.get(id);
}

export function scenarioView(scenario: Scenario) {
  return {
    id: scenario.id,
    type: scenario.type,
    accountId: scenario.accountId,
    telephonySessionId: scenario.session.id,
    sessionId: scenario.session.sessionId,
    telephonySessionIds: scenario.sessions.map((s) => s.id),
    steps: scenario.steps.map((s, index) => ({ index, name: s.name, done: s.done })),
    nextStep: scenario.steps[scenario.nextStep]?.name ?? null,
    finished: scenario.nextStep >= scenario.steps.length,
    parties: scenario.sessions.flatMap((s) =>
      s.parties.map((p) => ({
        telephonySessionId: s.id,
        partyId: p.id,
        role: p.sim.role,
        extensionId: p.extensionId ?? null,
        direction: p.direction,
        status: p.status.code,
      })),
    ),
  };
}

// ---------------------------------------------------------------------------------------------
// Control routes

function isScenarioType(value: unknown): value is ScenarioType {
  return typeof value === "string" && (scenarioTypes as readonly string[]).includes(value);
}

function postScenario(req: SimRequest, ctx: SimContext): SimResponse {
  const body = jsonObject(req.body);
  if (!isScenarioType(body.type)) {
    return invalidValue("type", `one of ${scenarioTypes.join(", ")}`);
  }
  const mode = body.mode ?? "all";
  if (mode !== "all" && mode !== "step") return invalidValue("mode", "all or step");
  let scenario: Scenario;
  try {
    scenario = createScenario(ctx, body.type, body as ScenarioOptions);
  } catch (error) {
    if (error instanceof ScenarioInputError) return invalidValue(error.parameterName, error.message);
    throw error;
  }
  if (mode === "all") runRemainingSteps(scenario);
  return { status: 201, json: scenarioView(scenario) };
}

function postStep(req: SimRequest, ctx: SimContext): SimResponse {
  const scenario = findScenario(ctx, req.params.id ?? "");
  if (!scenario) return notFound("scenarioId");
  const count = Number(jsonObject(req.body).count ?? 1);
  if (!Number.isInteger(count) || count < 1) return invalidValue("count");
  if (scenario.nextStep >= scenario.steps.length) {
    return { status: 409, json: { errorCode: "SIM-409", message: "The scenario has no steps left", errors: [] } };
  }
  for (let i = 0; i < count && runNextStep(scenario); i++);
  return { status: 200, json: scenarioView(scenario) };
}

function postRun(req: SimRequest, ctx: SimContext): SimResponse {
  const scenario = findScenario(ctx, req.params.id ?? "");
  if (!scenario) return notFound("scenarioId");
  runRemainingSteps(scenario);
  return { status: 200, json: scenarioView(scenario) };
}

function getScenario(req: SimRequest, ctx: SimContext): SimResponse {
  const scenario = findScenario(ctx, req.params.id ?? "");
  if (!scenario) return notFound("scenarioId");
  return { status: 200, json: scenarioView(scenario) };
}

function listScenarios(_req: SimRequest, ctx: SimContext): SimResponse {
  return { status: 200, json: { records: [...scenarioState.of(ctx).scenarios.values()].map(scenarioView) } };
}

/** Ends a call from the outside: the caller (default) or everyone hangs up. */
function postHangup(req: SimRequest, ctx: SimContext): SimResponse {
  const session = findSession(ctx, req.params.telephonySessionId ?? "");
  if (!session || session.endedAt) return notFound("telephonySessionId");
  const account = accountFor(ctx, session.accountId);
  const call: Call = { ctx, account, session, options: {} };
  const by = jsonObject(req.body).by ?? "caller";
  const first =
    by === "caller"
      ? session.parties.find((p) => p.sim.role === "caller" || p.sim.role === "callee")
      : session.parties.find((p) => p.extensionId && !isEnded(p.status.code));
  hangUp(call, first);
  return { status: 200, json: { telephonySessionId: session.id, parties: session.parties.map((p) => ({ id: p.id, status: p.status.code })) } };
}

export const scenariosModule: RouteModule = {
  name: "scenarios",
  routes: [
    { method: "POST", path: "/__sim/scenarios", handler: postScenario },
    { method: "GET", path: "/__sim/scenarios", handler: listScenarios },
    { method: "GET", path: "/__sim/scenarios/:id", handler: getScenario },
    { method: "POST", path: "/__sim/scenarios/:id/step", handler: postStep },
    { method: "POST", path: "/__sim/scenarios/:id/run", handler: postRun },
    { method: "POST", path: "/__sim/calls/:telephonySessionId/hangup", handler: postHangup },
  ],
  reset(ctx) {
    scenarioState.reset(ctx);
  },
};
