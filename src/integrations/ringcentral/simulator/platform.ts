// What the control API (control.ts) drives: the parts of the running platform it inspects and
// faults. server.ts's `SimulatorPlatform` implements it; control.ts depends on this interface
// rather than on server.ts, which mounts the control module (so neither imports the other).

import type { SimAccount, SimContext, SimExtension } from "./core.ts";
import type { NewExtension } from "./account.ts";
import type { TokenStore } from "./auth.ts";
import type { NotificationHub } from "./notifications.ts";
import type { RateLimiter } from "./rate-limits.ts";
import type { RequestHolds } from "./request-holds.ts";
import type { RequestLog } from "./request-log.ts";
import type { SubscriptionStore } from "./subscriptions.ts";
import type { WebhookDeliverer } from "./webhooks.ts";
import type { WebSocketGateway } from "./websocket.ts";

export interface SimulatorCredentials {
  server: string;
  clientId: string;
  clientSecret: string;
  /** JWT credential of the admin extension. */
  jwt: string;
}

export interface ControllablePlatform {
  readonly tokens: TokenStore;
  readonly rateLimiter: RateLimiter;
  readonly subscriptions: SubscriptionStore;
  readonly webhooks: WebhookDeliverer;
  readonly gateway: WebSocketGateway;
  readonly hub: NotificationHub;
  readonly requestLog: RequestLog;
  readonly holds: RequestHolds;
  readonly ctx: SimContext;
  defaultAccount(): SimAccount;
  addExtension(account: SimAccount, input: NewExtension): { extension: SimExtension; jwt: string | undefined };
  credentials(): SimulatorCredentials;
  /** Account data back to the seed, no subscriptions, faults, logs or module state. */
  reset(options?: { tokens?: boolean }): void;
}
