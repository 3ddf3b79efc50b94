// A resumable stream ends as soon as its consumer returns (client unsubscribed or its socket
// closed), even while it waits for the next live event — otherwise an idle subscriber's listener,
// operation and context stay alive until an event happens to arrive (found by bench/memory.ts).
import { describe, expect, it } from "vitest";
import type { EventRecord } from "../src/domain/events.ts";
import { createPubSub, type PubSub } from "../src/pubsub.ts";
import { resumableEvents } from "../src/domain/event-log.ts";

const event = (sequence: string): EventRecord => ({
  sequence,
  type: "RINGCENTRAL_LOGIN_EXPIRED",
  conversationId: null,
  inboxIds: [],
  userIds: [],
  payload: { userId: "u-1", state: "EXPIRED" },
  createdAt: "",
});

/** An in-memory pub/sub that says when a stream's live subscription is active. */
function watchedPubSub(): { pubsub: PubSub; subscribed: Promise<void> } {
  const inner = createPubSub();
  let markSubscribed!: () => void;
  const subscribed = new Promise<void>((resolve) => (markSubscribed = resolve));
  const pubsub: PubSub = {
    ...inner,
    subscribe: async (topic, id) => {
      const subscription = await inner.subscribe(topic, id);
      markSubscribed();
      return subscription;
    },
  };
  // The stream's own continuation after `subscribe` runs in microtasks: one event-loop turn later
  // it is parked on the live subscription.
  return { pubsub, subscribed: subscribed.then(() => new Promise<void>((resolve) => setImmediate(resolve))) };
}

describe("resumableEvents", () => {
  it("ends at once when returned while waiting for a live event, and stops listening", async () => {
    const { pubsub, subscribed } = watchedPubSub();
    const stream = resumableEvents({ liveEvents: pubsub, prisma: null as never }, "user", "u1", {}, null);
    const waiting = stream.next();
    await subscribed;
    await expect(stream.return(undefined)).resolves.toEqual({ value: undefined, done: true });
    await expect(waiting).resolves.toEqual({ value: undefined, done: true });
    pubsub.publish("user", "u1", event("1"));
    await expect(stream.next()).resolves.toEqual({ value: undefined, done: true });
  });

  it("still delivers live events, and ends when returned before it started", async () => {
    const { pubsub, subscribed } = watchedPubSub();
    const stream = resumableEvents({ liveEvents: pubsub, prisma: null as never }, "user", "u2", {}, null);
    const next = stream.next();
    await subscribed;
    pubsub.publish("user", "u2", event("7"));
    await expect(next).resolves.toEqual({ value: event("7"), done: false });
    await stream.return(undefined);

    const early = resumableEvents({ liveEvents: pubsub, prisma: null as never }, "user", "u3", {}, null);
    const first = early.next();
    await early.return(undefined);
    await expect(first).resolves.toEqual({ value: undefined, done: true });
  });
});
