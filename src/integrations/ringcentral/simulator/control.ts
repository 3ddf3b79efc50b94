// The control API under `/__sim/` (JSON, no auth): read the account and its credentials, add
// extensions and numbers, inject notifications, faults, inspect subscriptions and what the app
// sent, and reset. Documented with examples in docs/simulator.md.

import type { Route, RouteModule, SimContext, SimRequest, SimResponse, ThrottlingGroup } from "./core.ts";
import { invalidParameter, SimHttpError } from "./core.ts";
import { addPhoneNumber, type NewExtension, type NewPhoneNumber } from "./account.ts";
import { parseNotificationFault } from "./faults.ts";
import type { NotificationInput } from "./notifications.ts";
import type { ControllablePlatform } from "./platform.ts";

function objectBody(req: SimRequest): Record<string, unknown> {
  if (req.body === undefined) return {};
  if (!req.body || typeof req.body !== "object" || Array.isArray(req.body))
    throw new SimHttpError(invalidParameter("body", "Request body must be a JSON object"));
  return req.body as Record<string, unknown>;
}

function optionalString(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw new SimHttpError(invalidParameter(name));
  return value;
}

function optionalCount(body: Record<string, unknown>, name: string, fallback: number): number {
  const value = body[name] ?? fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1)
    throw new SimHttpError(invalidParameter(name, `${name} must be a positive integer`));
  return value;
}

const ok = (json: unknown, status = 200): SimResponse => ({ status, json });

export function controlModule(platform: ControllablePlatform): RouteModule {
  function accountView(ctx: SimContext) {
    const account = platform.defaultAccount();
    const { clientId, clientSecret, jwt } = platform.credentials();
    return {
      accountId: account.id,
      server: ctx.baseUrl(),
      clientId,
      clientSecret,
      jwt,
      mainNumber: account.mainNumber,
      extensions: account.extensions.map((e) => ({ ...e, jwt: platform.tokens.jwtFor(e.id) })),
      phoneNumbers: account.phoneNumbers,
    };
  }

  function getAccount(_req: SimRequest, ctx: SimContext): SimResponse {
    return ok(accountView(ctx));
  }

  function createExtension(req: SimRequest): SimResponse {
    const body = objectBody(req);
    const { extension, jwt } = platform.addExtension(platform.defaultAccount(), body as unknown as NewExtension);
    return ok({ ...extension, jwt }, 201);
  }

  function createPhoneNumber(req: SimRequest, ctx: SimContext): SimResponse {
    const number = addPhoneNumber(platform.defaultAccount(), objectBody(req) as unknown as NewPhoneNumber, ctx);
    return ok(number, 201);
  }

  function parseNotification(value: unknown, index: number | undefined): NotificationInput {
    const where = index === undefined ? "" : `[${index}]`;
    if (!value || typeof value !== "object" || Array.isArray(value))
      throw new SimHttpError(invalidParameter(`body${where}`, "A notification must be an object"));
    const record = value as Record<string, unknown>;
    if (typeof record.event !== "string" || !record.event.startsWith("/restapi/")) {
      throw new SimHttpError(invalidParameter(`event${where}`, "event must be a /restapi/... path"));
    }
    if (!("body" in record)) throw new SimHttpError(invalidParameter(`body${where}.body`, "body is required"));
    for (const name of ["uuid", "timestamp"]) {
      if (record[name] !== undefined && typeof record[name] !== "string")
        throw new SimHttpError(invalidParameter(`${name}${where}`));
    }
    return {
      uuid: record.uuid as string | undefined,
      event: record.event,
      timestamp: record.timestamp as string | undefined,
      body: record.body,
    };
  }

  /** One envelope, or an array delivered in order. */
  function postNotifications(req: SimRequest): SimResponse {
    const inputs = Array.isArray(req.body)
      ? req.body.map((n, i) => parseNotification(n, i))
      : [parseNotification(req.body, undefined)];
    const published = inputs.map((input) => platform.hub.publish(input));
    return ok(Array.isArray(req.body) ? { notifications: published } : published[0], 202);
  }

  function listNotifications(): SimResponse {
    return ok({ records: platform.hub.history() });
  }

  function listSubscriptions(): SimResponse {
    const records = platform.subscriptions.all().map((s) => ({
      ...s,
      creationTime: s.creationTime.toISOString(),
      expiresAt: s.expiresAt.toISOString(),
    }));
    return ok({ records });
  }

  function webhookDeliveries(req: SimRequest): SimResponse {
    return ok({ records: platform.webhooks.deliveries(req.query.get("subscriptionId") ?? undefined) });
  }

  function wsSessions(): SimResponse {
    return ok({ records: platform.gateway.summaries() });
  }

  function socketFault(req: SimRequest): SimResponse {
    const body = objectBody(req);
    const extensionId = optionalString(body, "extensionId");
    if (body.action === "drop") return ok({ affected: platform.gateway.dropSockets({ extensionId }) });
    if (body.action === "stall") {
      const closeAfterMs = body.closeAfterMs;
      if (closeAfterMs !== undefined && (typeof closeAfterMs !== "number" || closeAfterMs < 0))
        throw new SimHttpError(invalidParameter("closeAfterMs"));
      return ok({
        affected: platform.gateway.stallSockets({ extensionId, closeAfterMs: closeAfterMs as number | undefined }),
      });
    }
    if (body.action === "refuse" || body.action === "accept") {
      const outage = platform.gateway.currentOutage();
      platform.gateway.refuseConnections(body.action === "refuse");
      // Ending an outage reports how many connections it refused.
      return ok({ outage: platform.gateway.currentOutage() ?? outage });
    }
    throw new SimHttpError(invalidParameter("action", "action must be drop, stall, refuse or accept"));
  }

  function notificationFault(req: SimRequest): SimResponse {
    const fault = parseNotificationFault(objectBody(req));
    if (typeof fault === "string") throw new SimHttpError(invalidParameter("type", fault));
    platform.hub.faults.add(fault);
    return ok({ pending: platform.hub.faults.pending() });
  }

  function tokenFault(req: SimRequest): SimResponse {
    const body = objectBody(req);
    const extensionId = optionalString(body, "extensionId");
    if (body.action === "revoke") return ok({ affected: platform.tokens.revokeSessions(extensionId) });
    if (body.action === "expire") {
      const kind = body.kind ?? "all";
      if (kind !== "access" && kind !== "refresh" && kind !== "all")
        throw new SimHttpError(invalidParameter("kind", "kind must be access, refresh or all"));
      return ok({ affected: platform.tokens.expireTokens(kind, extensionId) });
    }
    throw new SimHttpError(invalidParameter("action", "action must be expire or revoke"));
  }

  function webhookFault(req: SimRequest): SimResponse {
    const body = objectBody(req);
    platform.webhooks.failNext(optionalCount(body, "failNext", 1), optionalString(body, "subscriptionId"));
    return ok({ failNext: body.failNext ?? 1 });
  }

  function rateLimitFault(req: SimRequest): SimResponse {
    const body = objectBody(req);
    const group = optionalString(body, "group") as ThrottlingGroup | undefined;
    if (group !== undefined && !["Light", "Medium", "Heavy", "Auth"].includes(group))
      throw new SimHttpError(invalidParameter("group"));
    const count = optionalCount(body, "count", 1);
    const retryAfterSeconds = optionalCount(body, "retryAfterSeconds", 60);
    platform.rateLimiter.force(group, count, retryAfterSeconds);
    return ok({ group: group ?? null, count, retryAfterSeconds });
  }

  /** Makes webhook subscriptions expire now (RingCentral then forgets them: SUB-507). */
  function subscriptionFault(req: SimRequest): SimResponse {
    const body = objectBody(req);
    if (body.action !== "expire") throw new SimHttpError(invalidParameter("action", "action must be expire"));
    const subscriptionId = optionalString(body, "subscriptionId");
    const now = platform.ctx.now();
    let affected = 0;
    for (const subscription of platform.subscriptions.all()) {
      if (subscription.transportType !== "WebHook" || (subscriptionId && subscription.id !== subscriptionId)) continue;
      subscription.expiresAt = now;
      affected++;
    }
    return ok({ affected });
  }

  function holdFault(req: SimRequest): SimResponse {
    const body = objectBody(req);
    const path = optionalString(body, "path");
    if (!path) throw new SimHttpError(invalidParameter("path", "path is required"));
    const count = optionalCount(body, "count", 2);
    platform.holds.add(path, count);
    return ok({ path, count });
  }

  function pendingFaults(): SimResponse {
    return ok({
      notifications: platform.hub.faults.pending(),
      rateLimits: platform.rateLimiter.pendingForced(),
      webhookFailures: platform.webhooks.pendingFailures(),
      webSocketOutage: platform.gateway.currentOutage(),
      heldRequests: platform.holds.pending(),
    });
  }

  /** Clears pending faults; notifications a reorder fault still holds are delivered in arrival order. */
  function clearFaults(): SimResponse {
    platform.hub.flushFaults();
    platform.rateLimiter.clearForced();
    platform.webhooks.clearFailures();
    platform.gateway.refuseConnections(false);
    platform.holds.clear();
    return pendingFaults();
  }

  function listRequests(req: SimRequest): SimResponse {
    const since = req.query.get("since");
    return ok({
      records: platform.requestLog.find({
        pathContains: req.query.get("path"),
        method: req.query.get("method"),
        since: since ? Number(since) : undefined,
      }),
    });
  }

  function clearRequests(): SimResponse {
    platform.requestLog.clear();
    return { status: 204, body: "" };
  }

  function reset(req: SimRequest): SimResponse {
    const body = objectBody(req);
    platform.reset({ tokens: body.tokens === true });
    return ok({ reset: true });
  }

  const routes: Route[] = [
    { method: "GET", path: "/__sim/account", handler: getAccount },
    { method: "POST", path: "/__sim/extensions", handler: createExtension },
    { method: "POST", path: "/__sim/phone-numbers", handler: createPhoneNumber },
    { method: "POST", path: "/__sim/notifications", handler: postNotifications },
    { method: "GET", path: "/__sim/notifications", handler: listNotifications },
    { method: "GET", path: "/__sim/subscriptions", handler: listSubscriptions },
    { method: "GET", path: "/__sim/webhooks/deliveries", handler: webhookDeliveries },
    { method: "GET", path: "/__sim/ws/sessions", handler: wsSessions },
    { method: "POST", path: "/__sim/faults/socket", handler: socketFault },
    { method: "POST", path: "/__sim/faults/notifications", handler: notificationFault },
    { method: "POST", path: "/__sim/faults/tokens", handler: tokenFault },
    { method: "POST", path: "/__sim/faults/webhooks", handler: webhookFault },
    { method: "POST", path: "/__sim/faults/rate-limit", handler: rateLimitFault },
    { method: "POST", path: "/__sim/faults/subscriptions", handler: subscriptionFault },
    { method: "POST", path: "/__sim/faults/hold", handler: holdFault },
    { method: "GET", path: "/__sim/faults", handler: pendingFaults },
    { method: "DELETE", path: "/__sim/faults", handler: clearFaults },
    { method: "GET", path: "/__sim/requests", handler: listRequests },
    { method: "DELETE", path: "/__sim/requests", handler: clearRequests },
    { method: "POST", path: "/__sim/reset", handler: reset },
  ];
  return { name: "control", routes };
}
