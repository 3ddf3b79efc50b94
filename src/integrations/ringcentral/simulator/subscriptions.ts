// Subscriptions ([REFERENCE] §2): the store shared by WebSocket and webhook subscriptions, the
// `/restapi/v1.0/subscription` REST routes, and event-filter matching. Matching follows the
// captures in ../shared/ringcentral/captures: one account-level subscription
// (`/restapi/v1.0/account/~/telephony/sessions`) receives both `/account/<id>/telephony/sessions`
// events (PSTN parties) and `/account/<id>/extension/<ext>/telephony/sessions` events
// (extension parties) under the same subscriptionId.

import { randomUUID } from "node:crypto";
import type { Route, RouteModule, SimContext, SimRequest, SimResponse } from "./core.ts";
import { apiError, invalidParameter, SimHttpError } from "./core.ts";

export interface NotificationEnvelope {
  uuid: string;
  event: string;
  timestamp: string;
  subscriptionId: string;
  ownerId: string;
  body: unknown;
}

/** A notification before it is addressed to a subscription. */
export type PublishedNotification = Omit<NotificationEnvelope, "subscriptionId" | "ownerId">;

export type SubscriptionStatus = "Active" | "Suspended" | "Blacklisted";

export interface SimSubscription {
  id: string;
  accountId: string;
  /** The extension that created it: the notifications' `ownerId`. */
  extensionId: string;
  /** Filters as created, with `~` rewritten to real ids (what RingCentral echoes back). */
  eventFilters: string[];
  transportType: "WebSocket" | "WebHook";
  address?: string;
  verificationToken?: string;
  /** The WS session the subscription lives on (WebSocket transport only). */
  wsSessionId?: string;
  status: SubscriptionStatus;
  creationTime: Date;
  expiresAt: Date;
  deliveryFailures: number;
  blacklistedData?: { reason: string; blacklistedAt: string };
}

/** Delivers one addressed envelope to one subscription. */
export interface SubscriptionTransport {
  deliver(subscription: SimSubscription, envelope: NotificationEnvelope): void;
}

export interface SubscriptionLimits {
  /** RingCentral allows 20 per user per app (SUB-505 beyond). */
  maxPerUser: number;
  /** Longest webhook lifetime ([DEFS] CreateSubscriptionRequest: 315360000 s). */
  maxWebhookExpiresIn: number;
  /** Lifetime when the request gives none (RingCentral: 604800 s for webhooks). */
  defaultWebhookExpiresIn: number;
}

export const DEFAULT_SUBSCRIPTION_LIMITS: SubscriptionLimits = {
  maxPerUser: 20,
  maxWebhookExpiresIn: 315360000,
  defaultWebhookExpiresIn: 604800,
};

/** WS subscriptions are renewed by the server; they always report about a day left. */
const WS_EXPIRES_IN = 86399;

// ---------------------------------------------------------------------------------------------
// Event filters

/** The filter shapes RingCentral accepts; `{a}` is an account id, `{e}` an extension id. */
const KNOWN_FILTERS: RegExp[] = [
  /^\/restapi\/v1\.0\/account\/[^/]+\/telephony\/sessions$/,
  /^\/restapi\/v1\.0\/account\/[^/]+\/extension\/[^/]+\/telephony\/sessions$/,
  /^\/restapi\/v1\.0\/account\/[^/]+\/extension\/[^/]+\/message-store(\/instant)?$/,
  /^\/restapi\/v1\.0\/account\/[^/]+\/extension\/[^/]+\/(voicemail|fax|missed-calls)$/,
  /^\/restapi\/v1\.0\/account\/[^/]+\/extension\/[^/]+\/(favorite|grant|incoming-call-pickup)$/,
  /^\/restapi\/v1\.0\/account\/[^/]+\/extension\/[^/]+\/presence(\/dnd|\/line|\/line\/presence)?$/,
  /^\/restapi\/v1\.0\/account\/[^/]+\/presence$/,
  /^\/restapi\/v1\.0\/account\/[^/]+\/extension(\/[^/]+)?$/,
  /^\/restapi\/v1\.0\/account\/[^/]+\/call-queues\/[^/]+\/presence$/,
  /^\/restapi\/v1\.0\/subscription\/~$/,
];

/** Filters whose account-wide form also delivers the per-extension events (see captures). */
const ACCOUNT_WIDE_SUFFIXES = ["/telephony/sessions", "/presence"];

export interface FilterOwner {
  accountId: string;
  extensionId: string;
}

interface ParsedFilter {
  path: string;
  query: URLSearchParams;
}

function parseFilter(filter: string, owner: FilterOwner): ParsedFilter {
  const [rawPath = "", rawQuery = ""] = filter.split("?", 2);
  const path = rawPath
    .replace(/\/+$/, "")
    .replace(/^(\/restapi\/v1\.0\/account)\/~(?=\/|$)/, `$1/${owner.accountId}`)
    .replace(/(\/extension)\/~(?=\/|$)/, `$1/${owner.extensionId}`);
  return { path, query: new URLSearchParams(rawQuery) };
}

/** The filter as RingCentral echoes it: `~` replaced by the subscriber's ids, query kept. */
export function expandFilter(filter: string, owner: FilterOwner): string {
  const { path, query } = parseFilter(filter, owner);
  const queryString = query.toString();
  return queryString ? `${path}?${queryString}` : path;
}

/** Why a filter is rejected (`SUB-508`/`SUB-406`), or undefined when it is fine. */
export function filterProblem(filter: unknown, owner: FilterOwner): SimResponse | undefined {
  if (typeof filter !== "string" || filter === "")
    return apiError(400, "SUB-508", "Event filters are invalid", "eventFilters");
  const { path } = parseFilter(filter, owner);
  if (!KNOWN_FILTERS.some((known) => known.test(path))) {
    return apiError(400, "SUB-508", `Event filter [${filter}] is invalid`, "eventFilters");
  }
  const account = /^\/restapi\/v1\.0\/account\/([^/]+)/.exec(path)?.[1];
  if (account !== undefined && account !== owner.accountId) {
    return apiError(403, "SUB-406", "Not allowed subscribe for events of other accounts", "eventFilters");
  }
  return undefined;
}

function pathsMatch(filterPath: string, eventPath: string): boolean {
  if (filterPath === eventPath) return true;
  for (const suffix of ACCOUNT_WIDE_SUFFIXES) {
    const accountWide = new RegExp(`^(/restapi/v1\\.0/account/[^/]+)${suffix.replace(/\//g, "\\/")}$`).exec(filterPath);
    if (!accountWide) continue;
    const perExtension = new RegExp(
      `^${accountWide[1]!.replace(/\./g, "\\.")}/extension/[^/]+${suffix.replace(/\//g, "\\/")}$`,
    );
    if (perExtension.test(eventPath)) return true;
  }
  return false;
}

function asRecord(value: unknown): Record<string, unknown> {
  return value && typeof value === "object" ? (value as Record<string, unknown>) : {};
}

/**
 * Query options that select events by their body when the event path does not carry them:
 * telephony (`direction`, `missedCall`, `statusCode`, `phoneNumber`) and message-store
 * (`type`, `direction`). Unknown options (`detailedTelephonyState`, `sipData`, `withRecordings`)
 * shape the payload rather than select it, so they never exclude an event.
 */
function bodySatisfies(path: string, name: string, value: string, body: unknown): boolean {
  const record = asRecord(body);
  if (path.endsWith("/telephony/sessions")) {
    const parties = Array.isArray(record.parties) ? record.parties.map(asRecord) : [];
    const anyParty = (test: (party: Record<string, unknown>) => boolean) => parties.some(test);
    switch (name) {
      case "direction":
        return anyParty((p) => p.direction === value);
      case "missedCall":
        return anyParty((p) => String(p.missedCall === true) === value);
      case "statusCode":
        return anyParty((p) => asRecord(p.status).code === value);
      case "phoneNumber":
        return anyParty((p) => asRecord(p.from).phoneNumber === value || asRecord(p.to).phoneNumber === value);
      default:
        return true;
    }
  }
  if (path.endsWith("/message-store") && name === "type") {
    const changes = Array.isArray(record.changes) ? record.changes.map(asRecord) : [];
    return changes.some((c) => c.type === value);
  }
  return true;
}

/** Whether a subscription filter (as created or expanded) selects a notification. */
export function filterMatches(filter: string, event: string, body: unknown, owner: FilterOwner): boolean {
  const wanted = parseFilter(filter, owner);
  const actual = parseFilter(event, owner);
  if (!pathsMatch(wanted.path, actual.path)) return false;
  for (const [name, value] of wanted.query) {
    const carried = actual.query.get(name);
    if (carried !== null) {
      if (carried.toLowerCase() !== value.toLowerCase()) return false;
    } else if (!bodySatisfies(actual.path, name, value, body)) {
      return false;
    }
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// The store and fan-out

export class SubscriptionStore {
  private readonly subscriptions = new Map<string, SimSubscription>();

  constructor(
    readonly limits: SubscriptionLimits,
    private readonly now: () => Date,
  ) {}

  all(): SimSubscription[] {
    this.dropExpired();
    return [...this.subscriptions.values()];
  }

  get(id: string): SimSubscription | undefined {
    this.dropExpired();
    return this.subscriptions.get(id);
  }

  add(subscription: SimSubscription): void {
    this.subscriptions.set(subscription.id, subscription);
  }

  delete(id: string): boolean {
    return this.subscriptions.delete(id);
  }

  /** WS subscriptions of a session that ended for good. */
  deleteForWsSession(wsSessionId: string): void {
    for (const [id, subscription] of this.subscriptions)
      if (subscription.wsSessionId === wsSessionId) this.subscriptions.delete(id);
  }

  countFor(accountId: string, extensionId: string): number {
    return this.all().filter((s) => s.accountId === accountId && s.extensionId === extensionId).length;
  }

  /** Active subscriptions whose filters select the event, with the envelope addressed to each. */
  recipients(
    notification: PublishedNotification,
  ): Array<{ subscription: SimSubscription; envelope: NotificationEnvelope }> {
    const out: Array<{ subscription: SimSubscription; envelope: NotificationEnvelope }> = [];
    for (const subscription of this.all()) {
      if (subscription.status !== "Active") continue;
      const owner = { accountId: subscription.accountId, extensionId: subscription.extensionId };
      if (!subscription.eventFilters.some((f) => filterMatches(f, notification.event, notification.body, owner)))
        continue;
      out.push({
        subscription,
        envelope: {
          uuid: notification.uuid,
          event: notification.event,
          timestamp: notification.timestamp,
          subscriptionId: subscription.id,
          ownerId: subscription.extensionId,
          body: notification.body,
        },
      });
    }
    return out;
  }

  clear(): void {
    this.subscriptions.clear();
  }

  /** RingCentral forgets expired webhook subscriptions (SUB-507 afterwards). */
  private dropExpired(): void {
    const now = this.now().getTime();
    for (const [id, subscription] of this.subscriptions) {
      if (subscription.transportType === "WebHook" && subscription.expiresAt.getTime() <= now)
        this.subscriptions.delete(id);
    }
  }
}

export function subscriptionJson(ctx: SimContext, subscription: SimSubscription, now: Date) {
  // Whole seconds left, rounded up: a subscription renewed for 7200 s reads 7200 in the response
  // even when a millisecond passed between the renewal and the reply.
  const expiresIn =
    subscription.transportType === "WebSocket"
      ? WS_EXPIRES_IN
      : Math.max(0, Math.ceil((subscription.expiresAt.getTime() - now.getTime()) / 1000));
  const expirationTime =
    subscription.transportType === "WebSocket"
      ? new Date(now.getTime() + WS_EXPIRES_IN * 1000)
      : subscription.expiresAt;
  const deliveryMode: Record<string, unknown> = { transportType: subscription.transportType, encryption: false };
  if (subscription.address) deliveryMode.address = subscription.address;
  const json: Record<string, unknown> = {
    uri: `${ctx.baseUrl()}/restapi/v1.0/subscription/${subscription.id}`,
    id: subscription.id,
    creationTime: subscription.creationTime.toISOString(),
    status: subscription.status,
    eventFilters: subscription.eventFilters,
    expirationTime: expirationTime.toISOString(),
    expiresIn,
    deliveryMode,
  };
  if (subscription.blacklistedData) json.blacklistedData = subscription.blacklistedData;
  return json;
}

// ---------------------------------------------------------------------------------------------
// REST routes

/** What the routes need besides the store: the webhook handshake. */
export interface SubscriptionRouteDeps {
  store: SubscriptionStore;
  /** Sends the `Validation-Token` request; resolves to an error response when the receiver fails it. */
  validateWebhook(address: string): Promise<SimResponse | undefined>;
}

interface CreateInput {
  eventFilters: string[];
  transportType: "WebSocket" | "WebHook";
  address?: string;
  verificationToken?: string;
  expiresIn?: number;
}

function requireCaller(req: SimRequest): FilterOwner {
  if (!req.auth) throw new SimHttpError(apiError(401, "AGW-401", "Authorization header is not specified"));
  return req.auth;
}

function parseFilters(value: unknown, owner: FilterOwner): string[] {
  if (!Array.isArray(value) || value.length === 0)
    throw new SimHttpError(apiError(400, "SUB-508", "Event filters are required", "eventFilters"));
  for (const filter of value) {
    const problem = filterProblem(filter, owner);
    if (problem) throw new SimHttpError(problem);
  }
  return [...new Set((value as string[]).map((f) => expandFilter(f, owner)))];
}

function parseExpiresIn(value: unknown, limits: SubscriptionLimits): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value <= 0)
    throw new SimHttpError(invalidParameter("expiresIn"));
  return Math.min(value, limits.maxWebhookExpiresIn);
}

function parseCreate(req: SimRequest, limits: SubscriptionLimits): CreateInput {
  const owner = requireCaller(req);
  const body = req.body;
  if (!body || typeof body !== "object" || Array.isArray(body))
    throw new SimHttpError(invalidParameter("body", "Request body is invalid"));
  const record = body as Record<string, unknown>;
  const deliveryMode = asRecord(record.deliveryMode);
  const transportType = deliveryMode.transportType;
  if (transportType !== "WebSocket" && transportType !== "WebHook") {
    throw new SimHttpError(invalidParameter("deliveryMode.transportType"));
  }
  const input: CreateInput = { eventFilters: parseFilters(record.eventFilters, owner), transportType };
  const expiresIn = parseExpiresIn(record.expiresIn, limits);
  if (expiresIn !== undefined) input.expiresIn = expiresIn;
  if (transportType === "WebHook") {
    const address = deliveryMode.address;
    if (typeof address !== "string" || !/^https?:\/\/[^\s]+$/.test(address)) {
      throw new SimHttpError(invalidParameter("deliveryMode.address"));
    }
    input.address = address;
    if (deliveryMode.verificationToken !== undefined) {
      if (typeof deliveryMode.verificationToken !== "string")
        throw new SimHttpError(invalidParameter("deliveryMode.verificationToken"));
      input.verificationToken = deliveryMode.verificationToken;
    }
  }
  return input;
}

export function subscriptionModule(deps: SubscriptionRouteDeps, now: () => Date): RouteModule {
  const { store } = deps;

  function ownedSubscription(req: SimRequest): SimSubscription {
    const caller = requireCaller(req);
    const subscription = store.get(req.params.subscriptionId ?? "");
    if (!subscription || subscription.accountId !== caller.accountId) {
      throw new SimHttpError(apiError(404, "SUB-507", "Subscription not found or expired", "subscriptionId"));
    }
    return subscription;
  }

  async function create(req: SimRequest, ctx: SimContext): Promise<SimResponse> {
    const caller = requireCaller(req);
    const input = parseCreate(req, store.limits);
    if (input.transportType === "WebSocket" && !req.wsSessionId) {
      return apiError(
        400,
        "SUB-521",
        "WebSocket subscriptions can only be created over a WebSocket connection",
        "deliveryMode.transportType",
      );
    }
    if (input.transportType === "WebSocket") {
      // One subscription per WebSocket connection: a new one replaces the old.
      for (const existing of store.all()) if (existing.wsSessionId === req.wsSessionId) store.delete(existing.id);
    }
    if (store.countFor(caller.accountId, caller.extensionId) >= store.limits.maxPerUser) {
      return apiError(403, "SUB-505", "Subscriptions limit exceeded");
    }
    if (input.transportType === "WebHook") {
      const failure = await deps.validateWebhook(input.address!);
      if (failure) return failure;
    }
    const created = now();
    const lifetime =
      input.transportType === "WebHook" ? (input.expiresIn ?? store.limits.defaultWebhookExpiresIn) : WS_EXPIRES_IN;
    const subscription: SimSubscription = {
      id: randomUUID(),
      accountId: caller.accountId,
      extensionId: caller.extensionId,
      eventFilters: input.eventFilters,
      transportType: input.transportType,
      status: "Active",
      creationTime: created,
      expiresAt: new Date(created.getTime() + lifetime * 1000),
      deliveryFailures: 0,
    };
    if (input.address) subscription.address = input.address;
    if (input.verificationToken) subscription.verificationToken = input.verificationToken;
    if (req.wsSessionId && input.transportType === "WebSocket") subscription.wsSessionId = req.wsSessionId;
    store.add(subscription);
    return {
      status: 200,
      json: subscriptionJson(ctx, subscription, created),
      headers: { "WSG-SubscriptionId": subscription.id },
    };
  }

  function list(req: SimRequest, ctx: SimContext): SimResponse {
    const caller = requireCaller(req);
    const records = store
      .all()
      .filter((s) => s.accountId === caller.accountId && s.extensionId === caller.extensionId)
      .map((s) => subscriptionJson(ctx, s, now()));
    return { status: 200, json: { uri: `${ctx.baseUrl()}/restapi/v1.0/subscription`, records } };
  }

  function get(req: SimRequest, ctx: SimContext): SimResponse {
    return { status: 200, json: subscriptionJson(ctx, ownedSubscription(req), now()) };
  }

  /** PUT: new filters and/or lifetime; an empty body just renews. */
  function update(req: SimRequest, ctx: SimContext): SimResponse {
    const subscription = ownedSubscription(req);
    const record = asRecord(req.body);
    if (req.body !== undefined && req.body !== null && (typeof req.body !== "object" || Array.isArray(req.body))) {
      return invalidParameter("body", "Request body is invalid");
    }
    if (record.eventFilters !== undefined) {
      subscription.eventFilters = parseFilters(record.eventFilters, subscription);
    }
    renew(subscription, parseExpiresIn(record.expiresIn, store.limits));
    return { status: 200, json: subscriptionJson(ctx, subscription, now()) };
  }

  function renewRoute(req: SimRequest, ctx: SimContext): SimResponse {
    const subscription = ownedSubscription(req);
    renew(subscription, undefined);
    return { status: 200, json: subscriptionJson(ctx, subscription, now()) };
  }

  function renew(subscription: SimSubscription, expiresIn: number | undefined): void {
    if (subscription.transportType !== "WebHook") return;
    const lifetime =
      expiresIn ??
      Math.max(1, Math.round((subscription.expiresAt.getTime() - subscription.creationTime.getTime()) / 1000));
    subscription.expiresAt = new Date(now().getTime() + lifetime * 1000);
  }

  function remove(req: SimRequest): SimResponse {
    store.delete(ownedSubscription(req).id);
    return { status: 204, body: "" };
  }

  const routes: Route[] = [
    { method: "POST", path: "/restapi/v1.0/subscription", handler: create, throttlingGroup: "Medium" },
    { method: "GET", path: "/restapi/v1.0/subscription", handler: list, throttlingGroup: "Light" },
    { method: "GET", path: "/restapi/v1.0/subscription/:subscriptionId", handler: get, throttlingGroup: "Light" },
    { method: "PUT", path: "/restapi/v1.0/subscription/:subscriptionId", handler: update, throttlingGroup: "Medium" },
    {
      method: "DELETE",
      path: "/restapi/v1.0/subscription/:subscriptionId",
      handler: remove,
      throttlingGroup: "Medium",
    },
    {
      method: "POST",
      path: "/restapi/v1.0/subscription/:subscriptionId/renew",
      handler: renewRoute,
      throttlingGroup: "Light",
    },
  ];
  return { name: "subscriptions", routes, reset: () => store.clear() };
}
