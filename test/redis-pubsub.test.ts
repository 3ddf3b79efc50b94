// The Redis pub/sub while Redis misbehaves (issue 13, point 1): a publish Redis refuses is held and
// retried, in order, until it goes through — what the event log committed is published once Redis
// answers again — and subscribing while Redis is away fails that subscription only, never the
// process (no unhandled rejection). On a private redis-server (test/drills/support/services.ts): the
// shared one is never reconfigured or stopped.
import { Writable } from "node:stream";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { EventRecord } from "../src/domain/events.ts";
import { createLogger } from "../src/logger.ts";
import { createPubSub } from "../src/pubsub.ts";
import { startPrivateRedis, type PrivateRedis } from "./drills/support/services.ts";

let redis: PrivateRedis;

beforeAll(async () => {
  redis = await startPrivateRedis();
});
afterAll(async () => {
  await redis?.destroy();
});

const event = (sequence: string): EventRecord => ({
  sequence,
  type: "RINGCENTRAL_LOGIN_EXPIRED",
  conversationId: null,
  inboxIds: [],
  userIds: [],
  payload: { userId: "u-1", state: "EXPIRED" },
  createdAt: "",
});

/** A logger whose lines the test reads. */
function capturedLogger() {
  const lines: { level: number; msg: string }[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().trim().split("\n")) lines.push(JSON.parse(line));
      done();
    },
  });
  return { log: createLogger("info", destination), lines };
}

describe("publishing while Redis refuses", () => {
  it("holds what it could not publish and publishes it, in order and once, when Redis accepts again", async () => {
    const admin = new Redis(redis.url);
    const listener = new Redis(redis.url);
    const received: string[] = [];
    listener.on("message", (_channel: string, message: string) => received.push(JSON.parse(message).sequence));
    await listener.subscribe("switchboard:all:*");
    const { log, lines } = capturedLogger();
    const pubsub = createPubSub(redis.url, log);
    try {
      pubsub.publish("all", "*", event("1"));
      await vi.waitFor(() => expect(received).toEqual(["1"]));

      await admin.call("ACL", "SETUSER", "default", "-publish");
      for (const sequence of ["2", "3", "4"]) pubsub.publish("all", "*", event(sequence));
      await vi.waitFor(() =>
        expect(lines.map((l) => l.msg)).toContain("could not publish events to Redis; holding them and retrying"),
      );
      expect(received).toEqual(["1"]);
      await admin.call("ACL", "SETUSER", "default", "+publish");
      pubsub.publish("all", "*", event("5"));
      await vi.waitFor(() => expect(received).toEqual(["1", "2", "3", "4", "5"]), { timeout: 10_000 });
    } finally {
      await admin.call("ACL", "SETUSER", "default", "+publish");
      await pubsub.close();
      admin.disconnect();
      listener.disconnect();
    }
  });
});

describe("subscribing while Redis is away", () => {
  it("fails the subscription, not the process, and subscribes again once Redis is back", async () => {
    const { log } = capturedLogger();
    const pubsub = createPubSub(redis.url, log);
    await pubsub.ping();
    await redis.stop();
    try {
      // An unhandled rejection (the event target's dropped SUBSCRIBE) would fail this test file.
      await expect(pubsub.subscribe("all", "away")).rejects.toThrow();
      await redis.start();
      await vi.waitFor(() => pubsub.ping(), { timeout: 10_000 });
      const subscription = await pubsub.subscribe("all", "away");
      pubsub.publish("all", "away", event("7"));
      const next = await subscription[Symbol.asyncIterator]().next();
      expect(next.value).toMatchObject({ sequence: "7" });
      subscription.close();
    } finally {
      await redis.start();
      await pubsub.close();
    }
  });
});
