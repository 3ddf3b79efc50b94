// Notification faults: what a worker must survive on the way from RingCentral to it ([REFERENCE]
// §7: duplicates, reordering, delays, losses). Each fault applies to the next `count` published
// notifications, before they are addressed to subscriptions, so every matching subscription sees
// the same mischief. Socket, token, webhook and 429 faults live with the parts they break
// (websocket.ts, auth.ts, webhooks.ts, rate-limits.ts); control.ts exposes them all.

import type { PublishedNotification } from "./subscriptions.ts";

export type NotificationFault =
  | { type: "drop"; count: number }
  /** Deliver each affected notification `copies` extra times (same uuid, as a replay would). */
  | { type: "duplicate"; count: number; copies?: number }
  | { type: "delay"; count: number; ms: number }
  /** Hold the next `count` notifications, then deliver them newest first. */
  | { type: "reorder"; count: number };

export const NOTIFICATION_FAULT_TYPES = ["drop", "duplicate", "delay", "reorder"] as const;

interface ActiveFault {
  fault: NotificationFault;
  remaining: number;
  held: PublishedNotification[];
}

type Deliver = (notification: PublishedNotification) => void;

export class NotificationFaults {
  private active: ActiveFault[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();

  add(fault: NotificationFault): void {
    this.active.push({ fault, remaining: fault.count, held: [] });
  }

  /** Faults still waiting for notifications. */
  pending(): Array<NotificationFault & { remaining: number }> {
    return this.active.map((a) => ({ ...a.fault, remaining: a.remaining }));
  }

  /** Passes a notification through the first fault that still applies, or straight to `deliver`. */
  apply(notification: PublishedNotification, deliver: Deliver): void {
    const active = this.active.find((a) => a.remaining > 0);
    if (!active) {
      deliver(notification);
      return;
    }
    active.remaining--;
    const { fault } = active;
    switch (fault.type) {
      case "drop":
        break;
      case "duplicate":
        for (let i = 0; i <= (fault.copies ?? 1); i++) deliver(notification);
        break;
      case "delay":
        this.later(fault.ms, () => deliver(notification));
        break;
      case "reorder":
        active.held.push(notification);
        if (active.remaining === 0) for (const held of active.held.splice(0).reverse()) deliver(held);
        break;
    }
    this.active = this.active.filter((a) => a.remaining > 0 || a.held.length > 0);
  }

  /** Releases notifications a reorder fault still holds (in arrival order) and forgets all faults. */
  flush(deliver: Deliver): void {
    for (const active of this.active) for (const held of active.held.splice(0)) deliver(held);
    this.active = [];
  }

  reset(): void {
    this.active = [];
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private later(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      run();
    }, ms);
    this.timers.add(timer);
  }
}

/** Parses a control-API fault body; returns an error message when it is not a notification fault. */
export function parseNotificationFault(input: Record<string, unknown>): NotificationFault | string {
  const type = input.type;
  const count = input.count ?? 1;
  if (typeof count !== "number" || !Number.isInteger(count) || count < 1) return "count must be a positive integer";
  switch (type) {
    case "drop":
    case "reorder":
      return { type, count };
    case "duplicate": {
      const copies = input.copies ?? 1;
      if (typeof copies !== "number" || !Number.isInteger(copies) || copies < 1)
        return "copies must be a positive integer";
      return { type, count, copies };
    }
    case "delay": {
      const ms = input.ms;
      if (typeof ms !== "number" || ms < 0) return "ms must be a non-negative number";
      return { type, count, ms };
    }
    default:
      return `type must be one of ${NOTIFICATION_FAULT_TYPES.join(", ")}`;
  }
}
