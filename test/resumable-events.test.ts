// A resumable stream ends as soon as its consumer returns (client unsubscribed or its socket
// closed), even while it waits for the next live event — otherwise an idle subscriber's listener,
// operation and context stay alive until an event happens to arrive (found by bench/memory.ts).
import { describe, expect, it } from "vitest";
import type { EventRecord } from "../src/domain/events.ts";
import { createPubSub } from "../src/pubsub.ts";
import { resumableEvents, type LiveEventSource } from "../src/domain/event-log.ts";

const event = (sequence: string): EventRecord => ({
  sequence,
  type: "RINGCENTRAL_LOGIN_EXPIRED",
  conversationId: null,
  inboxIds: [],
  userIds: [],
  payload: { userId: "u-1", state: "EXPIRED" },
  createdAt: "",
});

/**
 * A live source over an in-memory pub/sub (one channel per topic and id) that says when a stream's
 * live subscription is active; `publish` sends an event to the stream.
 */
function watchedSource(): {
  source: LiveEventSource;
  publish(topic: string, id: string, event: EventRecord): void;
  subscribed: Promise<void>;
} {
  const pubsub = createPubSub();
  let markSubscribed!: () => void;
  const subscribed = new Promise<void>((resolve) => (markSubscribed = resolve));
  const source: LiveEventSource = {
    subscribe: async (topic, id) => {
      const subscription = await pubsub.subscribe("all", `${topic}:${id}`);
      markSubscribed();
      return subscription;
    },
  };
  return {
    source,
    publish: (topic, id, event) => pubsub.publish("all", `${topic}:${id}`, event),
    // The stream's own continuation after `subscribe` runs in microtasks: one event-loop turn later
    // it is parked on the live subscription.
    subscribed: subscribed.then(() => new Promise<void>((resolve) => setImmediate(resolve))),
  };
}

describe("resumableEvents", () => {
  it("ends at once when returned while waiting for a live event, and stops listening", async () => {
    const { source, publish, subscribed } = watchedSource();
    const stream = resumableEvents({ liveEvents: source, prisma: null as never }, "user", "u1", {}, null);
    const waiting = stream.next();
    await subscribed;
    await expect(stream.return(undefined)).resolves.toEqual({ value: undefined, done: true });
    await expect(waiting).resolves.toEqual({ value: undefined, done: true });
    publish("user", "u1", event("1"));
    await expect(stream.next()).resolves.toEqual({ value: undefined, done: true });
  });

  it("still delivers live events, and ends when returned before it started", async () => {
    const { source, publish, subscribed } = watchedSource();
    const stream = resumableEvents({ liveEvents: source, prisma: null as never }, "user", "u2", {}, null);
    const next = stream.next();
    await subscribed;
    publish("user", "u2", event("7"));
    await expect(next).resolves.toEqual({ value: event("7"), done: false });
    await stream.return(undefined);

    const early = resumableEvents({ liveEvents: source, prisma: null as never }, "user", "u3", {}, null);
    const first = early.next();
    await early.return(undefined);
    await expect(first).resolves.toEqual({ value: undefined, done: true });
  });
});
