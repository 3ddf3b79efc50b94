// Webhook mode (R9.3), for deployments with a public URL: RingCentral POSTs notifications to
// /webhooks/ringcentral. The first POST of a subscription is the validation handshake (echo the
// Validation-Token header); every delivery carries our verification token, compared in constant
// time. We answer 200 before applying anything (RingCentral wants 2xx within 3 s, REFERENCE §2.2)
// and apply in the background through the same dispatcher as the WebSocket path.
import type http from "node:http";
import { timingSafeEqual } from "node:crypto";
import type { RestApi } from "./rest.ts";
import type { Logger } from "../../logger.ts";
import type { IngestLimits } from "../../config.ts";
import type { Deps } from "../../domain/event-log.ts";
import type { CallDirectory, ExtensionInfo } from "../../domain/calls.ts";
import { NotificationDispatcher } from "./dispatcher.ts";
import { instantSmsHandler } from "./messaging.ts";
import { discardBody, readBodyUpTo } from "../../request-body.ts";

export const WEBHOOK_PATH = "/webhooks/ringcentral";
const MAX_BODY_BYTES = 1_000_000;

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Extensions cached on the connection by the worker, re-read at most once a minute. */
function cachedDirectory(deps: Deps, connectionId: string): CallDirectory & { refresh(): Promise<void> } {
  let byId = new Map<string, ExtensionInfo>();
  let loadedAt = 0;
  return {
    extension: (id) => byId.get(id),
    async refresh() {
      if (Date.now() - loadedAt < 60_000) return;
      const row = await deps.prisma.ringCentralConnection.findUnique({
        where: { id: connectionId },
        select: { extensionsCache: true },
      });
      byId = new Map(((row?.extensionsCache ?? []) as unknown as ExtensionInfo[]).map((e) => [e.id, e]));
      loadedAt = Date.now();
    },
  };
}

/**
 * The handler for POST /webhooks/ringcentral; false when the request is not for it. Message-store
 * changes need a RingCentral session to sync, which the worker holds: they are left to the
 * worker's periodic catch-up, while instant SMS and telephony apply here.
 */
export function webhookReceiver(deps: Deps & { log: Logger; ingest?: IngestLimits }) {
  const dispatchers = new Map<
    string,
    { dispatcher: NotificationDispatcher; directory: ReturnType<typeof cachedDirectory> }
  >();

  function dispatcherFor(connectionId: string) {
    let entry = dispatchers.get(connectionId);
    if (!entry) {
      const directory = cachedDirectory(deps, connectionId);
      const log = deps.log.child({ connectionId, via: "webhook" });
      const handlers = { "instant-sms": instantSmsHandler(deps, log) };
      entry = { directory, dispatcher: new NotificationDispatcher(deps, directory, log, handlers, deps.ingest) };
      dispatchers.set(connectionId, entry);
    }
    return entry;
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<boolean> {
    if (req.url?.split("?")[0] !== WEBHOOK_PATH) return false;
    // Every answer waits for the whole body (src/request-body.ts): answered early, a client still
    // sending it got a reset connection instead.
    if (req.method !== "POST") {
      await discardBody(req);
      res.writeHead(405, { allow: "POST" }).end();
      return true;
    }
    const validationToken = req.headers["validation-token"];
    if (typeof validationToken === "string") {
      await discardBody(req);
      res.writeHead(200, { "validation-token": validationToken }).end();
      return true;
    }
    const verificationToken = req.headers["verification-token"];
    const body = await readBodyUpTo(req, MAX_BODY_BYTES);
    if (!body) {
      deps.log.warn("refused an oversized RingCentral webhook delivery");
      res.writeHead(413).end();
      return true;
    }
    const connections = await deps.prisma.ringCentralConnection.findMany({
      where: { subscriptionMode: "WEBHOOK", webhookVerificationToken: { not: null } },
      select: { id: true, webhookVerificationToken: true },
    });
    const connection =
      typeof verificationToken === "string"
        ? connections.find((c) => sameSecret(verificationToken, c.webhookVerificationToken!))
        : undefined;
    if (!connection) {
      deps.log.warn(
        { hasToken: typeof verificationToken === "string" },
        "refused a RingCentral webhook delivery without a valid verification token",
      );
      res.writeHead(401).end();
      return true;
    }
    let envelope: unknown;
    try {
      envelope = JSON.parse(body.toString("utf8"));
    } catch {
      deps.log.warn("refused a RingCentral webhook delivery that is not JSON");
      res.writeHead(400).end();
      return true;
    }
    res.writeHead(200).end();
    const { dispatcher, directory } = dispatcherFor(connection.id);
    await directory.refresh();
    dispatcher.enqueue(envelope);
    return true;
  }

  return {
    handle,
    /** Resolves once the deliveries received so far are applied. */
    idle: async () => {
      await Promise.all([...dispatchers.values()].map((entry) => entry.dispatcher.idle()));
    },
  };
}

export interface WebhookSubscriptionOptions extends Deps {
  log: Logger;
  platform: RestApi;
  connectionId: string;
  address: string;
  eventFilters: string[];
  /** Seconds; RingCentral's default is 7 days. */
  expiresIn?: number;
}

interface SubscriptionInfo {
  id: string;
  status?: string;
  expiresIn?: number;
  expirationTime?: string;
}

async function createSubscription(
  options: WebhookSubscriptionOptions,
  verificationToken: string,
): Promise<SubscriptionInfo> {
  const response = await options.platform.post("/restapi/v1.0/subscription", {
    eventFilters: options.eventFilters,
    deliveryMode: { transportType: "WebHook", address: options.address, verificationToken },
    expiresIn: options.expiresIn ?? 604_800,
  });
  return (await response.json()) as SubscriptionInfo;
}

async function saveSubscription(
  options: WebhookSubscriptionOptions,
  info: SubscriptionInfo,
  verificationToken: string,
) {
  await options.prisma.ringCentralConnection.update({
    where: { id: options.connectionId },
    data: {
      subscriptionMode: "WEBHOOK",
      subscriptionId: info.id,
      subscriptionState: info.status ?? "Active",
      subscriptionExpiresAt: info.expirationTime ? new Date(info.expirationTime) : null,
      webhookVerificationToken: verificationToken,
    },
  });
}

/** Creates the webhook subscription (RingCentral validates the address first). */
export async function startWebhookSubscription(options: WebhookSubscriptionOptions): Promise<SubscriptionInfo> {
  const verificationToken = crypto.randomUUID().replaceAll("-", "");
  // Save the token first: RingCentral may deliver as soon as the subscription exists.
  await options.prisma.ringCentralConnection.update({
    where: { id: options.connectionId },
    data: { subscriptionMode: "WEBHOOK", webhookVerificationToken: verificationToken },
  });
  const info = await createSubscription(options, verificationToken);
  await saveSubscription(options, info, verificationToken);
  options.log.info({ subscriptionId: info.id }, "RingCentral webhook subscription active");
  return info;
}

export type WebhookHealth = "active" | "renewed" | "recreated";

/**
 * Keeps the webhook subscription alive: renews it when it nears expiry, recreates it when
 * RingCentral blacklisted or dropped it ("recreated" means events may have been lost: catch up).
 */
export async function maintainWebhookSubscription(
  options: WebhookSubscriptionOptions,
  renewWithinMs = 24 * 3600_000,
): Promise<WebhookHealth> {
  const connection = await options.prisma.ringCentralConnection.findUniqueOrThrow({
    where: { id: options.connectionId },
  });
  if (!connection.subscriptionId) {
    await startWebhookSubscription(options);
    return "recreated";
  }
  const info = await options.platform
    .get(`/restapi/v1.0/subscription/${connection.subscriptionId}`)
    .then((r) => r.json() as Promise<SubscriptionInfo>)
    .catch(() => null);
  if (!info || info.status === "Blacklisted" || info.status === "Suspended") {
    options.log.warn({ status: info?.status ?? "missing" }, "RingCentral webhook subscription lost; recreating it");
    if (info) await options.platform.delete(`/restapi/v1.0/subscription/${connection.subscriptionId}`).catch(() => {});
    await startWebhookSubscription(options);
    return "recreated";
  }
  const expiresAt = info.expirationTime ? new Date(info.expirationTime).getTime() : Infinity;
  if (expiresAt - Date.now() < renewWithinMs) {
    const renewed = (await (
      await options.platform.post(`/restapi/v1.0/subscription/${connection.subscriptionId}/renew`)
    ).json()) as SubscriptionInfo;
    await saveSubscription(options, renewed, connection.webhookVerificationToken!);
    return "renewed";
  }
  return "active";
}
