// Telephony sessions: the state of every call the simulator knows about and the notifications
// RingCentral sends as it changes. The shapes follow the real captures in
// ../shared/ringcentral/captures: an account-level subscription receives ONE party per
// notification, the event path is scoped to that party (account level for PSTN parties, extension
// level for extension parties), `sequence` increases per session, and every party notification
// carries the party's full snapshot.

import { randomUUID } from "node:crypto";
type CallParty = import("@rc-ex/core/lib/definitions/CallParty").default;
type CallSessionObject = import("@rc-ex/core/lib/definitions/CallSessionObject").default;
type CallStatusInfo = import("@rc-ex/core/lib/definitions/CallStatusInfo").default;
type UiCallInfo = import("@rc-ex/core/lib/definitions/UiCallInfo").default;
import {
  notFound,
  type RouteModule,
  type SimAccount,
  type SimContext,
  type SimExtension,
  type SimRequest,
  type SimResponse,
} from "./core.ts";
import { numericId, simulatorScoped } from "./scoped-state.ts";
import { presenceBookOf, type TelephonyStatus } from "./presence.ts";

export type PartyStatusCode = NonNullable<CallStatusInfo["code"]>;
export type PartyStatusReason = NonNullable<CallStatusInfo["reason"]>;
export type SessionOrigin = "Call" | "RingOut" | "CallOut";

/** A `to`/`from` of a party, as in the captures (deviceId appears on RingCentral devices). */
export interface PartyEndpoint {
  phoneNumber?: string;
  name?: string;
  extensionId?: string;
  deviceId?: string;
}

/** What the party is in the call; the simulator's own bookkeeping, never sent. */
export type PartyRole =
  | "caller" // the PSTN caller of an inbound call
  | "ivr"
  | "queue"
  | "agent" // a user extension receiving the call (directly, from a queue or by transfer)
  | "initiator" // the user extension placing an outbound call
  | "callee" // the PSTN or extension party being called
  | "transfer-target";

export interface PartyStatus {
  code: PartyStatusCode;
  reason?: PartyStatusReason;
  peerId?: { sessionId: string; telephonySessionId: string; partyId: string };
  mobilePickupData?: MobilePickupData;
  rcc: boolean;
}

/** Captured spelling (`srvLvl`), which differs from @rc-ex/core's `srvlvl`. */
export interface MobilePickupData {
  ccMailboxes: string[];
  to: string;
  sid: string;
  srvLvl: string;
  srvLvlExt: string;
}

export interface SimParty {
  id: string;
  accountId: string;
  extensionId?: string;
  direction: "Inbound" | "Outbound";
  to: PartyEndpoint;
  from: PartyEndpoint;
  status: PartyStatus;
  missedCall: boolean;
  standAlone: boolean;
  muted: boolean;
  queueCall?: boolean;
  uiCallInfo?: UiCallInfo;
  recordings?: { id: string; active: boolean }[];
  sim: PartyBookkeeping;
}

export interface PartyBookkeeping {
  role: PartyRole;
  createdAt: Date;
  answeredAt?: Date;
  endedAt?: Date;
  /** The voicemail message left on this party's mailbox, for the call log. */
  voicemailMessageId?: string;
  /** Where this party transferred the call, for call-log legs. */
  transferredTo?: PartyEndpoint;
  /** The queue this agent leg came from. */
  queueExtensionId?: string;
}

export interface SimSession {
  /** `telephonySessionId` (`s-<hex>`). */
  id: string;
  /** The numeric legacy `sessionId`. */
  sessionId: string;
  serverId: string;
  accountId: string;
  origin: SessionOrigin;
  createdAt: Date;
  parties: SimParty[];
  lastSequence: number;
  /** Set once every party is Disconnected or Gone. */
  endedAt?: Date;
  /** Order in which sessions ended, for call-log sync tokens. */
  endOrder?: number;
  recordingIds: string[];
}

interface TelephonyState {
  sessions: Map<string, SimSession>;
  endedSessions: number;
  deviceIds: Map<string, string>;
}

const telephonyState = simulatorScoped<TelephonyState>(() => ({
  sessions: new Map(),
  endedSessions: 0,
  deviceIds: new Map(),
}));

// ---------------------------------------------------------------------------------------------
// Account lookups used by every call feature

export function accountFor(ctx: SimContext, accountId?: string): SimAccount {
  if (accountId) {
    const account = ctx.accounts.get(accountId);
    if (account) return account;
  }
  const first = ctx.accounts.values().next().value;
  if (!first) throw new Error("The simulator has no account");
  return first;
}

export function extensionById(account: SimAccount, extensionId: string): SimExtension | undefined {
  return account.extensions.find((e) => e.id === extensionId);
}

export function extensionByNumber(account: SimAccount, extensionNumber: string): SimExtension | undefined {
  return account.extensions.find((e) => e.extensionNumber === extensionNumber);
}

/** The number a user dials out with: their direct number, else the company's main number. */
export function directNumberOf(account: SimAccount, extensionId: string): string {
  const direct = account.phoneNumbers.find((n) => n.extensionId === extensionId && n.usageType === "DirectNumber");
  return direct?.phoneNumber ?? account.mainNumber;
}

/** The extension a dialled company number routes to. */
export function extensionForNumber(account: SimAccount, phoneNumber: string): SimExtension | undefined {
  const number = account.phoneNumbers.find((n) => n.phoneNumber === phoneNumber);
  return number?.extensionId ? extensionById(account, number.extensionId) : undefined;
}

/** A stable softphone device id per extension (the captures show one on extension-placed calls). */
export function deviceIdOf(ctx: SimContext, extensionId: string): string {
  const devices = telephonyState.of(ctx).deviceIds;
  let deviceId = devices.get(extensionId);
  if (!deviceId) {
    deviceId = numericId();
    devices.set(extensionId, deviceId);
  }
  return deviceId;
}

// ---------------------------------------------------------------------------------------------
// Sessions and parties

export function createSession(ctx: SimContext, accountId: string, origin: SessionOrigin): SimSession {
  const hex = randomUUID().replaceAll("-", "");
  const session: SimSession = {
    id: `s-${hex}`,
    sessionId: numericId(),
    serverId: "10.13.22.27.TAM",
    accountId,
    origin,
    createdAt: ctx.now(),
    parties: [],
    // The captures start at sequence 2: RingCentral does not deliver sequence 1 to subscribers.
    lastSequence: 1,
    recordingIds: [],
  };
  telephonyState.of(ctx).sessions.set(session.id, session);
  return session;
}

export function findSession(ctx: SimContext, telephonySessionId: string): SimSession | undefined {
  return telephonyState.of(ctx).sessions.get(telephonySessionId);
}

export function allSessions(ctx: SimContext): SimSession[] {
  return [...telephonyState.of(ctx).sessions.values()];
}

export interface NewParty {
  role: PartyRole;
  direction: "Inbound" | "Outbound";
  extensionId?: string;
  to: PartyEndpoint;
  from: PartyEndpoint;
  queueCall?: boolean;
  uiCallInfo?: UiCallInfo;
  queueExtensionId?: string;
}

/** Adds a party (ids `p-<session hex>-N`, one per leg) and emits its first status. */
export function addParty(
  ctx: SimContext,
  session: SimSession,
  spec: NewParty,
  firstStatus: PartyStatusCode = "Setup",
): SimParty {
  const party: SimParty = {
    id: `p-${session.id.slice(2)}-${session.parties.length + 1}`,
    accountId: session.accountId,
    ...(spec.extensionId ? { extensionId: spec.extensionId } : {}),
    direction: spec.direction,
    to: { ...spec.to },
    from: { ...spec.from },
    status: { code: firstStatus, rcc: false },
    missedCall: false,
    standAlone: false,
    muted: false,
    ...(spec.queueCall ? { queueCall: true } : {}),
    ...(spec.uiCallInfo ? { uiCallInfo: spec.uiCallInfo } : {}),
    sim: { role: spec.role, createdAt: ctx.now(), queueExtensionId: spec.queueExtensionId },
  };
  session.parties.push(party);
  if (firstStatus === "Proceeding" && ringsOnRingCentral(party)) party.status.mobilePickupData = pickupDataFor(party);
  emitParty(ctx, session, party);
  return party;
}

export interface StatusChange {
  reason?: PartyStatusReason;
  peerId?: PartyStatus["peerId"];
  missedCall?: boolean;
}

/** Moves a party to a new status and emits the notification. */
export function changeStatus(
  ctx: SimContext,
  session: SimSession,
  party: SimParty,
  code: PartyStatusCode,
  change: StatusChange = {},
): void {
  const previous = party.status;
  party.status = { code, rcc: false };
  if (change.reason) party.status.reason = change.reason;
  if (change.peerId) party.status.peerId = change.peerId;
  // Ringing carries mobile pickup data, and the Answered right after ringing keeps it (captures);
  // later statuses (Hold, the Answered after unhold, Disconnected) do not.
  if (code === "Proceeding" && ringsOnRingCentral(party)) party.status.mobilePickupData = pickupDataFor(party);
  if (code === "Answered" && previous.code === "Proceeding" && previous.mobilePickupData) {
    party.status.mobilePickupData = previous.mobilePickupData;
  }
  if (change.missedCall !== undefined) party.missedCall = change.missedCall;
  if (code === "Answered" && !party.sim.answeredAt) party.sim.answeredAt = ctx.now();
  if (isEnded(code)) {
    party.sim.endedAt = ctx.now();
    for (const recording of party.recordings ?? []) recording.active = false;
  }
  emitParty(ctx, session, party);
  recordEndIfOver(ctx, session);
}

/** Emits the party's current snapshot again (e.g. after mute or a recording started). */
export function emitParty(ctx: SimContext, session: SimSession, party: SimParty): void {
  session.lastSequence += 1;
  const body = {
    sequence: session.lastSequence,
    sessionId: session.sessionId,
    telephonySessionId: session.id,
    serverId: session.serverId,
    eventTime: ctx.now().toISOString(),
    parties: [partySnapshot(party)],
    origin: { type: session.origin },
  };
  ctx.publish(partyEventPath(party), body);
  if (party.extensionId) reportPresence(ctx, session.accountId, party.extensionId);
}

/** An extension's telephony status across its live legs, as its presence shows it ([REFERENCE] §3.6). */
function telephonyStatusOf(ctx: SimContext, extensionId: string): { status: TelephonyStatus; legs: SimLeg[] } {
  const legs = allSessions(ctx).flatMap((session) =>
    liveParties(session)
      .filter((p) => p.extensionId === extensionId)
      .map((party) => ({ session, party })),
  );
  const shown = new Set(legs.map((l) => PRESENCE_OF_CODE[l.party.status.code]));
  const status = PRESENCE_PRIORITY.find((candidate) => shown.has(candidate)) ?? "NoCall";
  return { status, legs };
}

interface SimLeg {
  session: SimSession;
  party: SimParty;
}

const PRESENCE_OF_CODE: Partial<Record<PartyStatusCode, TelephonyStatus>> = {
  Answered: "CallConnected",
  Hold: "OnHold",
  Parked: "ParkedCall",
  Setup: "Ringing",
  Proceeding: "Ringing",
};

/** The status shown when an extension has several legs: the first of these it has. */
const PRESENCE_PRIORITY: TelephonyStatus[] = ["CallConnected", "OnHold", "ParkedCall", "Ringing"];

/** Tells the extension's presence when a leg change changed its telephony status (as RingCentral does). */
function reportPresence(ctx: SimContext, accountId: string, extensionId: string): void {
  const book = presenceBookOf(ctx);
  if (!book) return;
  const { status, legs } = telephonyStatusOf(ctx, extensionId);
  if (book.get(extensionId).telephonyStatus === status) return;
  const activeCalls = legs.map(({ session, party }) => ({
    id: session.sessionId,
    direction: party.direction,
    from: party.from.phoneNumber ?? party.from.extensionId ?? "",
    to: party.to.phoneNumber ?? party.to.extensionId ?? "",
    telephonyStatus: PRESENCE_OF_CODE[party.status.code] ?? "NoCall",
    sessionId: session.sessionId,
    telephonySessionId: session.id,
    partyId: party.id,
  }));
  book.setTelephony(ctx, accountId, extensionId, status, activeCalls);
}

export function partyEventPath(party: Pick<SimParty, "accountId" | "extensionId">): string {
  return party.extensionId
    ? `/restapi/v1.0/account/${party.accountId}/extension/${party.extensionId}/telephony/sessions`
    : `/restapi/v1.0/account/${party.accountId}/telephony/sessions`;
}

export function isEnded(code: PartyStatusCode): boolean {
  return code === "Disconnected" || code === "Gone";
}

export function isRinging(party: SimParty): boolean {
  return party.status.code === "Setup" || party.status.code === "Proceeding";
}

export function liveParties(session: SimSession): SimParty[] {
  return session.parties.filter((p) => !isEnded(p.status.code));
}

/**
 * Once one agent answers a queue call, the other agents stop ringing and the queue leg drops out
 * without a reason, like the IVR leg in the inbound capture.
 */
export function settleQueueAfterAnswer(ctx: SimContext, session: SimSession, answering: SimParty): void {
  const queueId = answering.sim.queueExtensionId;
  if (!queueId) return;
  for (const other of session.parties) {
    if (other !== answering && other.sim.queueExtensionId === queueId && isRinging(other)) {
      changeStatus(ctx, session, other, "Disconnected", { reason: "Cancelled" });
    }
  }
  for (const queueLeg of session.parties) {
    if (queueLeg.sim.role === "queue" && queueLeg.extensionId === queueId && !isEnded(queueLeg.status.code)) {
      changeStatus(ctx, session, queueLeg, "Disconnected");
    }
  }
}

function recordEndIfOver(ctx: SimContext, session: SimSession): void {
  if (session.endedAt || liveParties(session).length > 0) return;
  const state = telephonyState.of(ctx);
  state.endedSessions += 1;
  session.endedAt = ctx.now();
  session.endOrder = state.endedSessions;
}

/** Only inbound extension legs ring RingCentral devices (the outbound capture's Proceeding has none). */
function ringsOnRingCentral(party: SimParty): boolean {
  return party.direction === "Inbound" && party.extensionId !== undefined;
}

function pickupDataFor(party: SimParty): MobilePickupData {
  return {
    ccMailboxes: party.extensionId ? [party.extensionId] : [],
    to: `#${party.id.slice(-4).replace("-", "")}016@sip.ringcentral.com:5060`,
    sid: numericId(),
    srvLvl: "-149699523",
    srvLvlExt: "406",
  };
}

/** The notification's party object, keys in the captures' order. */
export function partySnapshot(party: SimParty): Record<string, unknown> {
  return {
    accountId: party.accountId,
    ...(party.extensionId ? { extensionId: party.extensionId } : {}),
    id: party.id,
    direction: party.direction,
    to: { ...party.to },
    from: { ...party.from },
    status: { ...party.status },
    park: {},
    missedCall: party.missedCall,
    standAlone: party.standAlone,
    muted: party.muted,
    ...(party.queueCall ? { queueCall: true } : {}),
    ...(party.uiCallInfo ? { uiCallInfo: party.uiCallInfo } : {}),
    ...(party.recordings?.length ? { recordings: party.recordings.map((r) => ({ ...r })) } : {}),
  };
}

/** The REST `CallParty` (call control responses and GET session). */
export function restParty(party: SimParty): CallParty {
  const status: CallParty["status"] = { code: party.status.code };
  if (party.status.reason) status.reason = party.status.reason;
  if (party.status.peerId) status.peerId = party.status.peerId;
  return {
    id: party.id,
    status,
    muted: party.muted,
    standAlone: party.standAlone,
    park: {},
    from: { ...party.from },
    to: { ...party.to },
    owner: { accountId: party.accountId, ...(party.extensionId ? { extensionId: party.extensionId } : {}) },
    direction: party.direction,
    ...(party.recordings?.length ? { recordings: party.recordings.map((r) => ({ ...r })) } : {}),
  };
}

export function restSession(session: SimSession): CallSessionObject {
  return {
    id: session.id,
    origin: { type: session.origin },
    voiceCallToken: `vct-${session.sessionId}`,
    parties: session.parties.map(restParty),
    creationTime: session.createdAt.toISOString(),
  };
}

// ---------------------------------------------------------------------------------------------
// REST: reading sessions (call control lives in call-control.ts)

/** A live session of the caller's account; ended sessions are gone from the API (404), as on RingCentral. */
export function liveSessionFor(ctx: SimContext, req: SimRequest): SimSession | undefined {
  const session = findSession(ctx, req.params.telephonySessionId ?? "");
  if (!session || session.endedAt) return undefined;
  if (req.auth && session.accountId !== req.auth.accountId) return undefined;
  return session;
}

function getSession(req: SimRequest, ctx: SimContext): SimResponse {
  const session = liveSessionFor(ctx, req);
  if (!session) return notFound("telephonySessionId");
  return { status: 200, json: restSession(session) };
}

function getParty(req: SimRequest, ctx: SimContext): SimResponse {
  const session = liveSessionFor(ctx, req);
  if (!session) return notFound("telephonySessionId");
  const party = session.parties.find((p) => p.id === req.params.partyId);
  if (!party) return notFound("partyId");
  return { status: 200, json: restParty(party) };
}

export const telephonyModule: RouteModule = {
  name: "telephony",
  routes: [
    {
      method: "GET",
      path: "/restapi/v1.0/account/:accountId/telephony/sessions/:telephonySessionId",
      handler: getSession,
      throttlingGroup: "Light",
    },
    {
      method: "GET",
      path: "/restapi/v1.0/account/:accountId/telephony/sessions/:telephonySessionId/parties/:partyId",
      handler: getParty,
      throttlingGroup: "Light",
    },
  ],
  reset(ctx) {
    telephonyState.reset(ctx);
  },
};
