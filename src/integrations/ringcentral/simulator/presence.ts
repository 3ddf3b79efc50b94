// Presence and DND ([REFERENCE] §3.6, §4): GET/PUT `/account/~/extension/{id}/presence`, and on
// every change the notifications RingCentral sends: detailed presence
// (`.../presence?detailedTelephonyState=true`), plain presence (`.../presence`) and, when DND
// changed, `.../presence/dnd`. Telephony state (`telephonyStatus`, `activeCalls`) can be set by
// call scenarios through `PresenceBook.setTelephony`.

import type { Route, RouteModule, SimContext, SimExtension, SimRequest, SimResponse } from "./core.ts";
import { invalidParameter, SimHttpError } from "./core.ts";
import { accountOf, extensionOf } from "./account.ts";

export const USER_STATUSES = ["Offline", "Busy", "Available"] as const;
export const DND_STATUSES = [
  "TakeAllCalls",
  "DoNotAcceptDepartmentCalls",
  "TakeDepartmentCallsOnly",
  "DoNotAcceptAnyCalls",
] as const;
export const TELEPHONY_STATUSES = ["NoCall", "CallConnected", "Ringing", "OnHold", "ParkedCall"] as const;

export type TelephonyStatus = (typeof TELEPHONY_STATUSES)[number];

export interface PresenceState {
  userStatus: (typeof USER_STATUSES)[number];
  dndStatus: (typeof DND_STATUSES)[number];
  telephonyStatus: TelephonyStatus;
  message: string;
  allowSeeMyPresence: boolean;
  ringOnMonitoredCall: boolean;
  pickUpCallsOnHold: boolean;
  activeCalls: Array<Record<string, unknown>>;
  sequence: number;
}

function initialPresence(): PresenceState {
  return {
    userStatus: "Available",
    dndStatus: "TakeAllCalls",
    telephonyStatus: "NoCall",
    message: "",
    allowSeeMyPresence: true,
    ringOnMonitoredCall: false,
    pickUpCallsOnHold: false,
    activeCalls: [],
    sequence: 1,
  };
}

/** `presenceStatus` is derived: busy on a call or with DND, else the user's own status. */
function presenceStatusOf(state: PresenceState): (typeof USER_STATUSES)[number] {
  if (state.userStatus === "Offline") return "Offline";
  if (state.telephonyStatus !== "NoCall" || state.dndStatus === "DoNotAcceptAnyCalls") return "Busy";
  return state.userStatus;
}

export class PresenceBook {
  private readonly states = new Map<string, PresenceState>();

  get(extensionId: string): PresenceState {
    let state = this.states.get(extensionId);
    if (!state) {
      state = initialPresence();
      this.states.set(extensionId, state);
    }
    return state;
  }

  /** For call scenarios: the extension's call state, then the presence notifications. */
  setTelephony(
    ctx: SimContext,
    accountId: string,
    extensionId: string,
    telephonyStatus: TelephonyStatus,
    activeCalls: Array<Record<string, unknown>>,
  ): void {
    const state = this.get(extensionId);
    state.telephonyStatus = telephonyStatus;
    state.activeCalls = activeCalls.slice(0, 7);
    state.sequence++;
    publishPresence(ctx, accountId, extensionId, state, false);
  }

  reset(): void {
    this.states.clear();
  }
}

const booksByContext = new WeakMap<SimContext, PresenceBook>();

/** Lets feature modules reach the platform's presence (e.g. telephony setting `Ringing`/`CallConnected`). */
export function presenceBookOf(ctx: SimContext): PresenceBook | undefined {
  return booksByContext.get(ctx);
}

export function registerPresenceBook(ctx: SimContext, book: PresenceBook): void {
  booksByContext.set(ctx, book);
}

function detailedBody(extensionId: string, state: PresenceState) {
  return {
    extensionId,
    telephonyStatus: state.telephonyStatus,
    activeCalls: state.activeCalls,
    sequence: state.sequence,
    presenceStatus: presenceStatusOf(state),
    userStatus: state.userStatus,
    meetingStatus: "Disconnected",
    dndStatus: state.dndStatus,
    allowSeeMyPresence: state.allowSeeMyPresence,
    ringOnMonitoredCall: state.ringOnMonitoredCall,
    pickUpCallsOnHold: state.pickUpCallsOnHold,
    totalActiveCalls: state.activeCalls.length,
  };
}

function publishPresence(
  ctx: SimContext,
  accountId: string,
  extensionId: string,
  state: PresenceState,
  dndChanged: boolean,
): void {
  const base = `/restapi/v1.0/account/${accountId}/extension/${extensionId}/presence`;
  const detailed = detailedBody(extensionId, state);
  ctx.publish(`${base}?detailedTelephonyState=true`, detailed);
  const { activeCalls: _calls, totalActiveCalls: _total, ...plain } = detailed;
  ctx.publish(base, plain);
  if (dndChanged) ctx.publish(`${base}/dnd`, { extensionId, dndStatus: state.dndStatus });
}

function presenceJson(
  ctx: SimContext,
  accountId: string,
  extension: SimExtension,
  state: PresenceState,
  detailed: boolean,
) {
  const json: Record<string, unknown> = {
    uri: `${ctx.baseUrl()}/restapi/v1.0/account/${accountId}/extension/${extension.id}/presence`,
    extension: {
      id: Number(extension.id),
      uri: `${ctx.baseUrl()}/restapi/v1.0/account/${accountId}/extension/${extension.id}`,
      extensionNumber: extension.extensionNumber,
    },
    presenceStatus: presenceStatusOf(state),
    telephonyStatus: state.telephonyStatus,
    userStatus: state.userStatus,
    dndStatus: state.dndStatus,
    message: state.message,
    allowSeeMyPresence: state.allowSeeMyPresence,
    ringOnMonitoredCall: state.ringOnMonitoredCall,
    pickUpCallsOnHold: state.pickUpCallsOnHold,
    meetingStatus: "Disconnected",
  };
  if (detailed) json.activeCalls = state.activeCalls;
  return json;
}

function pickEnum<T extends string>(body: Record<string, unknown>, name: string, allowed: readonly T[]): T | undefined {
  const value = body[name];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !allowed.includes(value as T)) throw new SimHttpError(invalidParameter(name));
  return value as T;
}

function pickBoolean(body: Record<string, unknown>, name: string): boolean | undefined {
  const value = body[name];
  if (value === undefined) return undefined;
  if (typeof value !== "boolean") throw new SimHttpError(invalidParameter(name));
  return value;
}

export function presenceModule(book: PresenceBook): RouteModule {
  function read(req: SimRequest, ctx: SimContext): SimResponse {
    const account = accountOf(req, ctx);
    const extension = extensionOf(req, ctx);
    const detailed = req.query.get("detailedTelephonyState") === "true";
    return { status: 200, json: presenceJson(ctx, account.id, extension, book.get(extension.id), detailed) };
  }

  function update(req: SimRequest, ctx: SimContext): SimResponse {
    const account = accountOf(req, ctx);
    const extension = extensionOf(req, ctx);
    if (!req.body || typeof req.body !== "object" || Array.isArray(req.body))
      throw new SimHttpError(invalidParameter("body", "Request body is invalid"));
    const body = req.body as Record<string, unknown>;
    const userStatus = pickEnum(body, "userStatus", USER_STATUSES);
    const dndStatus = pickEnum(body, "dndStatus", DND_STATUSES);
    const allowSeeMyPresence = pickBoolean(body, "allowSeeMyPresence");
    const ringOnMonitoredCall = pickBoolean(body, "ringOnMonitoredCall");
    const pickUpCallsOnHold = pickBoolean(body, "pickUpCallsOnHold");
    if (body.message !== undefined && (typeof body.message !== "string" || body.message.length > 75))
      throw new SimHttpError(invalidParameter("message"));
    const state = book.get(extension.id);
    const dndChanged = dndStatus !== undefined && dndStatus !== state.dndStatus;
    if (userStatus) state.userStatus = userStatus;
    if (dndStatus) state.dndStatus = dndStatus;
    if (typeof body.message === "string") state.message = body.message;
    if (allowSeeMyPresence !== undefined) state.allowSeeMyPresence = allowSeeMyPresence;
    if (ringOnMonitoredCall !== undefined) state.ringOnMonitoredCall = ringOnMonitoredCall;
    if (pickUpCallsOnHold !== undefined) state.pickUpCallsOnHold = pickUpCallsOnHold;
    state.sequence++;
    publishPresence(ctx, account.id, extension.id, state, dndChanged);
    return { status: 200, json: presenceJson(ctx, account.id, extension, state, false) };
  }

  const path = "/restapi/v1.0/account/:accountId/extension/:extensionId/presence";
  const routes: Route[] = [
    { method: "GET", path, handler: read, throttlingGroup: "Light" },
    { method: "PUT", path, handler: update, throttlingGroup: "Medium" },
  ];
  return { name: "presence", routes, reset: () => book.reset() };
}
