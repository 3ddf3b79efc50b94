// When an event-log follower with a settle time (the analytics consumer's) runs its passes: a burst
// of events is one pass, once the log has been quiet for the settle time; a steady stream still gets
// a pass at most maxSettleMs after its first event; a drain runs at once and takes the place of the
// pass that was settling. The in-memory event bus (the embedded mode's) and a fake clock: the
// schedule is the subject, in milliseconds.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { followEventLog, type EventLogFollower } from "../src/event-log-follower.ts";
import { createPubSub, type PubSub } from "../src/pubsub.ts";
import { inProcessLeases } from "../src/integrations/ringcentral/lease.ts";
import { createLogger } from "../src/logger.ts";
import type { EventRecord } from "../src/domain/events.ts";

const SETTLE = 1000;
const MAX_SETTLE = 5000;

describe("an event-log follower with a settle time", () => {
  let pubsub: PubSub;
  let follower: EventLogFollower;
  /** When each pass ran, in ms since the follower started. */
  let passes: number[];
  let started: number;

  const publish = () => pubsub.publish("all", pubsub.eventLog, {} as EventRecord);
  const at = (ms: number) => vi.advanceTimersByTimeAsync(started + ms - performance.now());

  beforeEach(async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "performance"] });
    pubsub = createPubSub();
    passes = [];
    started = performance.now();
    follower = followEventLog({
      name: "settling",
      pubsub,
      log: createLogger("silent"),
      leases: inProcessLeases(),
      pollMs: 3_600_000,
      settleMs: SETTLE,
      maxSettleMs: MAX_SETTLE,
      pass: async () => {
        passes.push(performance.now() - started);
      },
    });
    // The first pass (at start) settles like any other.
    await at(SETTLE);
    expect(passes).toEqual([SETTLE]);
  });

  afterEach(async () => {
    await follower.close();
    await pubsub.close();
    vi.useRealTimers();
  });

  it("runs one pass for a burst, a settle time after its last event", async () => {
    for (const t of [2000, 2300, 2600, 2900]) {
      await at(t);
      publish();
    }
    await at(2900 + SETTLE - 1);
    expect(passes).toEqual([SETTLE]);
    await at(2900 + SETTLE);
    expect(passes).toEqual([SETTLE, 2900 + SETTLE]);
    await at(10_000);
    expect(passes).toHaveLength(2);
  });

  it("runs a pass at most maxSettleMs after the first event when events keep coming", async () => {
    // An event every 400 ms, never a quiet second, from 2000 to 11600.
    for (let t = 2000; t <= 11_600; t += 400) {
      await at(t);
      publish();
    }
    // 2000 + 5000; the next waits from 7200 (the first event after that pass) to 12200 at most.
    await at(12_200 - 1);
    expect(passes).toEqual([SETTLE, 2000 + MAX_SETTLE]);
    await at(20_000);
    expect(passes).toEqual([SETTLE, 2000 + MAX_SETTLE, 7200 + MAX_SETTLE]);
  });

  it("runs a drain at once, in place of the pass settling", async () => {
    await at(2000);
    publish();
    await at(2200);
    await follower.drain();
    expect(passes).toEqual([SETTLE, 2200]);
    await at(10_000);
    expect(passes).toEqual([SETTLE, 2200]);
  });
});
