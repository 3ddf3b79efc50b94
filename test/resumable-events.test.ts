// A resumable stream ends as soon as its consumer returns (client unsubscribed or its socket
// closed), even while it waits for the next live event — otherwise an idle subscriber's listener,
// operation and context stay alive until an event happens to arrive (found by bench/memory.ts).
import { describe, expect, it } from "vitest";
import { createPubSub, type EventRecord } from "../src/pubsub.ts";
import { resumableEvents } from "../src/domain/events.ts";

const event = (sequence: string): EventRecord => ({ sequence, type: "T", conversationId: null, inboxIds: [], userIds: [], payload: {}, createdAt: "" });
const tick = (ms = 20) => new Promise((resolve) => setTimeout(resolve, ms));

describe("resumableEvents", () => {
  it("ends at once when returned while waiting for a live event, and stops listening", async () => {
    const pubsub = createPubSub();
    const stream = resumableEvents({ pubsub, prisma: null as never }, "user", "u1", {}, null);
    const waiting = stream.next();
    await tick();
    await expect(stream.return(undefined)).resolves.toEqual({ value: undefined, done: true });
    await expect(waiting).resolves.toEqual({ value: undefined, done: true });
    pubsub.publish("user", "u1", event("1"));
    await expect(stream.next()).resolves.toEqual({ value: undefined, done: true });
  });

  it("still delivers live events, and ends when returned before it started", async () => {
    const pubsub = createPubSub();
    const stream = resumableEvents({ pubsub, prisma: null as never }, "user", "u2", {}, null);
    const next = stream.next();
    await tick();
    pubsub.publish("user", "u2", event("7"));
    await expect(next).resolves.toEqual({ value: event("7"), done: false });
    await stream.return(undefined);

    const early = resumableEvents({ pubsub, prisma: null as never }, "user", "u3", {}, null);
    const first = early.next();
    await early.return(undefined);
    await expect(first).resolves.toEqual({ value: undefined, done: true });
  });
});
