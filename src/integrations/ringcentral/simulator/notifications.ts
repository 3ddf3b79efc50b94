// The path of a notification from `publish()` (feature modules) or `POST /__sim/notifications`
// (tests) to subscribers: fill in uuid/timestamp, pass the fault pipeline, address a copy to every
// matching subscription (filling subscriptionId and ownerId), hand it to the transport.

import { randomUUID } from "node:crypto";
import type { NotificationFaults } from "./faults.ts";
import type {
  PublishedNotification,
  SimSubscription,
  SubscriptionStore,
  SubscriptionTransport,
} from "./subscriptions.ts";

export interface NotificationInput {
  uuid?: string | undefined;
  event: string;
  timestamp?: string | undefined;
  body: unknown;
}

export interface NotificationRecord extends PublishedNotification {
  /** Subscriptions that matched when it was published (faults may still drop or delay it). */
  matchedSubscriptionIds: string[];
}

const MAX_RECORDED = 1000;

/** RingCentral's uuids are long decimal strings (captures: "4654793329359724763"). */
export function notificationUuid(): string {
  const hex = randomUUID().replace(/-/g, "").slice(0, 15);
  return BigInt(`0x${hex}`).toString();
}

export class NotificationHub {
  private readonly recorded: NotificationRecord[] = [];

  constructor(
    private readonly store: SubscriptionStore,
    private readonly transports: Record<SimSubscription["transportType"], SubscriptionTransport>,
    readonly faults: NotificationFaults,
    private readonly now: () => Date,
  ) {}

  publish(input: NotificationInput): NotificationRecord {
    const notification: PublishedNotification = {
      uuid: input.uuid ?? notificationUuid(),
      event: input.event,
      timestamp: input.timestamp ?? this.now().toISOString(),
      body: input.body,
    };
    const record: NotificationRecord = {
      ...notification,
      matchedSubscriptionIds: this.store.recipients(notification).map((r) => r.subscription.id),
    };
    this.recorded.push(record);
    if (this.recorded.length > MAX_RECORDED) this.recorded.shift();
    this.faults.apply(notification, (n) => this.fanOut(n));
    return record;
  }

  /** Releases notifications held by faults and clears the faults. */
  flushFaults(): void {
    this.faults.flush((n) => this.fanOut(n));
  }

  history(): NotificationRecord[] {
    return [...this.recorded];
  }

  reset(): void {
    this.recorded.length = 0;
    this.faults.reset();
  }

  private fanOut(notification: PublishedNotification): void {
    for (const { subscription, envelope } of this.store.recipients(notification)) {
      this.transports[subscription.transportType].deliver(subscription, envelope);
    }
  }
}
