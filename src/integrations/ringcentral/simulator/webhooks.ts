// Webhook delivery ([REFERENCE] §2.2): the `Validation-Token` handshake on create (the receiver
// must answer 200 and echo the header within 3 s, else SUB-525), then one POST per notification
// carrying `Verification-Token` when the subscription set one. Deliveries to one subscription go
// out one at a time, in order. Consecutive failed deliveries (non-2xx, timeout, refused) past a
// threshold blacklist the subscription for good, as RingCentral does.

import { randomBytes } from "node:crypto";
import type { SimResponse } from "./core.ts";
import { apiError } from "./core.ts";
import type { NotificationEnvelope, SimSubscription, SubscriptionTransport } from "./subscriptions.ts";

export interface WebhookOptions {
  /** RingCentral: 3000 ms for the handshake. */
  validationTimeoutMs: number;
  deliveryTimeoutMs: number;
  /** Consecutive failed deliveries that blacklist a subscription. */
  failuresBeforeBlacklist: number;
}

export const DEFAULT_WEBHOOK_OPTIONS: WebhookOptions = {
  validationTimeoutMs: 3000,
  deliveryTimeoutMs: 3000,
  failuresBeforeBlacklist: 3,
};

export interface WebhookDelivery {
  subscriptionId: string;
  uuid: string;
  event: string;
  at: string;
  /** HTTP status from the receiver; absent when it never answered or a fault failed it. */
  status?: number;
  ok: boolean;
  error?: string;
}

const USER_AGENT = "RingCentral-Webhook/8.3";
const MAX_LOGGED_DELIVERIES = 1000;

export class WebhookDeliverer implements SubscriptionTransport {
  private readonly queues = new Map<string, Promise<void>>();
  private readonly log: WebhookDelivery[] = [];
  /** Fault injection: deliveries still to fail, optionally for one subscription only. */
  private forcedFailures: Array<{ subscriptionId: string | undefined; remaining: number }> = [];

  constructor(
    readonly options: WebhookOptions,
    private readonly now: () => Date,
  ) {}

  /** The handshake; undefined when the receiver passed it, else the error to answer with. */
  async validate(address: string): Promise<SimResponse | undefined> {
    const token = randomBytes(16).toString("hex");
    try {
      const response = await fetch(address, {
        method: "POST",
        headers: { "Validation-Token": token, "User-Agent": USER_AGENT },
        signal: AbortSignal.timeout(this.options.validationTimeoutMs),
      });
      await response.arrayBuffer();
      if (response.status === 200 && response.headers.get("validation-token") === token) return undefined;
    } catch {
      // Unreachable or too slow: the same answer as a wrong reply.
    }
    return apiError(400, "SUB-525", "WebHook server response is invalid", "deliveryMode.address");
  }

  /** SubscriptionTransport: queue a POST behind the subscription's earlier deliveries. */
  deliver(subscription: SimSubscription, envelope: NotificationEnvelope): void {
    const previous = this.queues.get(subscription.id) ?? Promise.resolve();
    const next = previous.then(() => this.deliverNow(subscription, envelope));
    this.queues.set(subscription.id, next);
    void next.finally(() => {
      if (this.queues.get(subscription.id) === next) this.queues.delete(subscription.id);
    });
  }

  /** Resolves when every queued delivery has been attempted. */
  async idle(): Promise<void> {
    while (this.queues.size > 0) await Promise.all(this.queues.values());
  }

  failNext(count: number, subscriptionId?: string): void {
    this.forcedFailures.push({ subscriptionId, remaining: count });
  }

  /** Forced delivery failures still to come. */
  pendingFailures(): Array<{ subscriptionId: string | null; remaining: number }> {
    return this.forcedFailures.map((f) => ({ subscriptionId: f.subscriptionId ?? null, remaining: f.remaining }));
  }

  clearFailures(): void {
    this.forcedFailures = [];
  }

  deliveries(subscriptionId?: string): WebhookDelivery[] {
    return subscriptionId ? this.log.filter((d) => d.subscriptionId === subscriptionId) : [...this.log];
  }

  reset(): void {
    this.forcedFailures = [];
    this.log.length = 0;
  }

  private async deliverNow(subscription: SimSubscription, envelope: NotificationEnvelope): Promise<void> {
    if (subscription.status !== "Active" || !subscription.address) return;
    const record: WebhookDelivery = {
      subscriptionId: subscription.id,
      uuid: envelope.uuid,
      event: envelope.event,
      at: this.now().toISOString(),
      ok: false,
    };
    if (this.takeForcedFailure(subscription.id)) {
      record.error = "failed by fault injection";
    } else {
      await this.post(subscription, envelope, record);
    }
    this.remember(record);
    if (record.ok) {
      subscription.deliveryFailures = 0;
      return;
    }
    subscription.deliveryFailures++;
    if (subscription.deliveryFailures >= this.options.failuresBeforeBlacklist) {
      subscription.status = "Blacklisted";
      subscription.blacklistedData = {
        reason: "Webhook delivery failed repeatedly",
        blacklistedAt: this.now().toISOString(),
      };
    }
  }

  private async post(
    subscription: SimSubscription,
    envelope: NotificationEnvelope,
    record: WebhookDelivery,
  ): Promise<void> {
    const headers: Record<string, string> = { "Content-Type": "application/json", "User-Agent": USER_AGENT };
    if (subscription.verificationToken) headers["Verification-Token"] = subscription.verificationToken;
    try {
      const response = await fetch(subscription.address!, {
        method: "POST",
        headers,
        body: JSON.stringify(envelope),
        signal: AbortSignal.timeout(this.options.deliveryTimeoutMs),
      });
      await response.arrayBuffer();
      record.status = response.status;
      record.ok = response.status >= 200 && response.status < 300;
    } catch (error) {
      record.error = error instanceof Error ? error.message : String(error);
    }
  }

  private takeForcedFailure(subscriptionId: string): boolean {
    const forced = this.forcedFailures.find(
      (f) => f.remaining > 0 && (f.subscriptionId === undefined || f.subscriptionId === subscriptionId),
    );
    if (!forced) return false;
    forced.remaining--;
    this.forcedFailures = this.forcedFailures.filter((f) => f.remaining > 0);
    return true;
  }

  private remember(record: WebhookDelivery): void {
    this.log.push(record);
    if (this.log.length > MAX_LOGGED_DELIVERIES) this.log.shift();
  }
}
