// Outbound status progression: Queued → Sent → Delivered | DeliveryFailed | SendingFailed, each step
// a message-store change notification (the only filter that reports outbound SMS).

import type { SimContext } from "../core.ts";
import {
  publishStoreChange,
  store,
  touch,
  type DeliverySettings,
  type MessageStatus,
  type StoredMessage,
} from "./store.ts";

export function setMessageStatus(
  ctx: SimContext,
  m: StoredMessage,
  status: MessageStatus,
  deliveryErrorCode?: string,
): void {
  m.messageStatus = status;
  for (const recipient of m.to) recipient.messageStatus = status;
  if (status === "Sent") m.smsSendingAttemptsCount = 1;
  if (status === "Delivered") m.smsDeliveryTime = ctx.now();
  if (status === "DeliveryFailed") m.deliveryErrorCode = deliveryErrorCode ?? "SMS-CAR-411";
  if (status === "SendingFailed") m.deliveryErrorCode = deliveryErrorCode ?? "SMS-RC-413";
  touch(ctx, m);
  publishStoreChange(ctx, m, "updated");
}

function outcomeFor(settings: DeliverySettings, m: StoredMessage): DeliverySettings["outcome"] {
  const failing = m.to.some((t) => t.phoneNumber && settings.failingNumbers.includes(t.phoneNumber));
  return failing ? "DeliveryFailed" : settings.outcome;
}

export function later(delayMs: number, action: () => void): void {
  setTimeout(action, delayMs).unref();
}

/** Queued → Sent → outcome, one step per `stepDelayMs`, after the send response went out. */
export function progressOutbound(ctx: SimContext, m: StoredMessage): void {
  const settings = store(ctx).settings;
  if (settings.progression !== "auto") return;
  const outcome = outcomeFor(settings, m);
  const stillQueued = (): boolean => m.messageStatus === "Queued";
  later(settings.stepDelayMs, () => {
    if (!stillQueued()) return;
    if (outcome === "SendingFailed") return setMessageStatus(ctx, m, "SendingFailed");
    setMessageStatus(ctx, m, "Sent");
    later(settings.stepDelayMs, () => {
      if (m.messageStatus === "Sent") setMessageStatus(ctx, m, outcome);
    });
  });
}
