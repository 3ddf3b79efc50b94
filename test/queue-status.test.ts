// queueStatus (issue 16): a wallboard's subscription on one API instance follows calls ingested by
// another (Redis, the event log's channel): a call starting to wait, being answered, ending, and a
// call abandoned — each awaited as the pushed value, no timing thresholds. At the inbox's local
// midnight (an API whose clock is moved to just before it) today's counts start again and are pushed
// with no event at all; the day's end is DST-correct; an unsubscribed stream's midnight timer is gone.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, subscribe, type TestApi } from "./support/api.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { seedInbox } from "./support/seed.ts";
import { readmeOperation } from "./support/documented-operations.ts";
import { notificationsOf, type CallSpec } from "./support/call-timelines.ts";
import { ingestTelephonyNotification, type TelephonyNotification } from "../src/domain/calls.ts";
import { queueStatus, queueStatusUpdates, type QueueStatus } from "../src/domain/queue-status.ts";
import { QueuedEvents } from "../src/pubsub.ts";
import type { Client } from "graphql-ws";

const VOICE = "+18005550333";

let database: TestDatabase;
let writer: TestApi;
let reader: TestApi;
/** An API whose clock runs `aheadMs` ahead of the system's. */
let clocked: TestApi;
let aheadMs = 0;
const clock = () => new Date(Date.now() + aheadMs);
let agent: Awaited<ReturnType<TestApi["createUser"]>>;
let inbox: { id: string; globalId: string };
const directory = { extension: (id: string) => (id === "401" ? { id, type: "User", email: agent.email } : undefined) };

beforeAll(async () => {
  database = await createTestDatabase();
  writer = await startTestApi({ database });
  reader = await startTestApi({ database });
  clocked = await startTestApi({ database, clock });
  agent = await writer.createUser("AGENT", "wallboard-agent");
  inbox = await seedInbox(writer.app, "Support");
  await writer.app.db.prisma.inboxMember.create({ data: { inboxId: inbox.id, userId: agent.id } });
  await writer.app.db.prisma.channel.create({ data: { type: "VOICE", phoneNumber: VOICE, inboxId: inbox.id } });
}, 60_000);
afterAll(async () => {
  await clocked?.close();
  await reader?.close();
  await writer?.close();
  await database?.drop();
});

const ingest = async (notifications: TelephonyNotification[]) => {
  for (const n of notifications) {
    await ingestTelephonyNotification({ prisma: writer.app.db.prisma, pubsub: writer.app.pubsub }, directory, n);
  }
};

function timeline(kind: CallSpec["kind"], session: string, start = Date.now() - 60_000, number = VOICE) {
  const spec: CallSpec = { inbox: "X", startMinute: 0, kind, rung: [0], waitSeconds: 3, talkSeconds: 30, seed: 0 };
  return notificationsOf(spec, session, { X: number, Y: number }, ["401"], start, "+14155550444");
}

/** The local hour (0–23) of an instant in a zone. */
const localHour = (t: number, timeZone: string) =>
  Number(new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", hourCycle: "h23" }).format(t));

/** The first whole hour after `t` that is midnight in the zone (zones whose midnight is a whole UTC hour). */
function nextMidnight(t: number, timeZone: string): number {
  let hour = Math.floor(t / 3_600_000) * 3_600_000 + 3_600_000;
  while (localHour(hour, timeZone) !== 0) hour += 3_600_000;
  return hour;
}

/** Subscribes `client` to the inbox's queue just before a midnight, and sees today's counts reset. */
async function untilMidnightPushed(client: Client, inboxId: string, timeZone: string, number: string) {
  // The clock is moved to `leadMs` before a midnight, after a call answered a minute before it. Should
  // the first figures be read after midnight already (a slow machine), the next midnight is tried
  // with a longer lead.
  let midnight = nextMidnight(Date.now(), timeZone);
  for (const [attempt, leadMs] of [2_000, 15_000].entries()) {
    await ingest(timeline("ANSWERED", `s-night-${attempt}`, midnight - 60_000, number));
    aheadMs = midnight - leadMs - Date.now();
    const sub = subscribe<any, any>(client, readmeOperation("QueueStatus"), { inbox: inboxId });
    try {
      const before = (await sub.until(1))[0]!.data!.queueStatus;
      if (Date.parse(before.at) >= midnight && attempt === 0) {
        midnight = nextMidnight(midnight + 3_600_000, timeZone);
        continue;
      }
      expect(Date.parse(before.at)).toBeLessThan(midnight);
      expect(before).toMatchObject({ answeredToday: 1, missedToday: 0, abandonedToday: 0 });
      // Nothing is ingested: the next push is midnight's.
      const after = (await sub.until(2))[1]!.data!.queueStatus;
      expect(Date.parse(after.at)).toBeGreaterThanOrEqual(midnight);
      expect(after).toMatchObject({ answeredToday: 0, missedToday: 0, abandonedToday: 0, waiting: 0 });
      return;
    } finally {
      sub.unsubscribe();
    }
  }
  throw new Error("the figures were never read before midnight");
}

describe("queueStatus", { timeout: 60_000 }, () => {
  it("pushes a call waiting, answered, ended and an abandoned call, across API instances", async () => {
    const client = reader.wsClient(agent.token);
    const sub = subscribe<any, any>(client, readmeOperation("QueueStatus"), { inbox: inbox.globalId });
    let seen = 0;
    /** The next pushed figures that satisfy `wanted` (earlier pushes are intermediate states). */
    const pushed = async (wanted: (status: any) => boolean) => {
      for (;;) {
        const received = await sub.until(seen + 1);
        const status = received[seen++]!.data!.queueStatus;
        if (wanted(status)) return status;
      }
    };
    try {
      expect(await pushed(() => true)).toMatchObject({ waiting: 0, inProgress: 0, available: 1, answeredToday: 0 });

      const answered = timeline("ANSWERED", "s-wallboard-1");
      await ingest(answered.slice(0, 2));
      const waiting = await pushed((s) => s.waiting === 1);
      expect(waiting.longestWaitingSince).toBe(answered[0]!.eventTime.toISOString());
      expect(waiting.longestWaitSeconds).toBeGreaterThanOrEqual(60);

      await ingest(answered.slice(2, 4));
      expect(await pushed((s) => s.inProgress === 1)).toMatchObject({ waiting: 0, longestWaitingSince: null });

      await ingest(answered.slice(4));
      expect(await pushed((s) => s.answeredToday === 1)).toMatchObject({ waiting: 0, inProgress: 0 });

      const abandoned = timeline("ABANDONED", "s-wallboard-2");
      await ingest(abandoned.slice(0, 2));
      await pushed((s) => s.waiting === 1);
      await ingest(abandoned.slice(2));
      expect(await pushed((s) => s.abandonedToday === 1)).toMatchObject({ waiting: 0, answeredToday: 1 });
    } finally {
      sub.unsubscribe();
      await client.dispose();
    }
  });

  it("is refused for an inbox the agent is not a member of", async () => {
    const other = await seedInbox(writer.app, "Elsewhere");
    const client = reader.wsClient(agent.token);
    const sub = subscribe<any, any>(client, readmeOperation("QueueStatus"), { inbox: other.globalId });
    await sub.finished;
    const failure = sub.received[0]?.errors?.[0] ?? (sub.error as any)?.[0];
    expect(failure?.extensions?.code).toBe("NOT_FOUND");
    await client.dispose();
  });

  it("pushes today's counts back to 0 at the inbox's local midnight, with no event", async () => {
    const NIGHT_VOICE = "+18005550334";
    const night = await seedInbox(writer.app, "Night shift", [agent.id]);
    const timeZone = "America/New_York";
    await writer.app.db.prisma.inbox.update({ where: { id: night.id }, data: { timeZone } });
    await writer.app.db.prisma.channel.create({ data: { type: "VOICE", phoneNumber: NIGHT_VOICE, inboxId: night.id } });
    const client = clocked.wsClient(agent.token);
    try {
      await untilMidnightPushed(client, night.globalId, timeZone, NIGHT_VOICE);
    } finally {
      await client.dispose();
    }
  });

  it("ends the inbox's day at its next local midnight, however long daylight saving makes the day", async () => {
    const prisma = writer.app.db.prisma;
    const inboxDay = await seedInbox(writer.app, "Days");
    const dayEnd = async (timeZone: string, at: string) => {
      await prisma.inbox.update({ where: { id: inboxDay.id }, data: { timeZone } });
      return (await queueStatus(prisma, inboxDay.id, new Date(at))).todayEndsAt?.toISOString();
    };
    // Berlin's 25-hour day (clocks go back) and 23-hour day (forward).
    expect(await dayEnd("Europe/Berlin", "2026-10-25T00:30:00Z")).toBe("2026-10-25T23:00:00.000Z");
    expect(await dayEnd("Europe/Berlin", "2026-03-29T12:00:00Z")).toBe("2026-03-29T22:00:00.000Z");
    expect(await dayEnd("America/New_York", "2026-11-01T04:30:00Z")).toBe("2026-11-02T05:00:00.000Z");
    expect(await dayEnd("America/New_York", "2026-11-01T03:59:59Z")).toBe("2026-11-01T04:00:00.000Z");
    // Santiago's clocks jump from midnight to 01:00: the day starts at 01:00, local.
    expect(await dayEnd("America/Santiago", "2026-09-05T15:00:00Z")).toBe("2026-09-06T04:00:00.000Z");
    expect(await dayEnd("Asia/Kolkata", "2026-10-25T12:00:00Z")).toBe("2026-10-25T18:30:00.000Z");
  });

  it("clears an unsubscribed stream's midnight timer", async () => {
    const prisma = writer.app.db.prisma;
    const timeZone = "Asia/Tokyo";
    const inboxMidnight = await seedInbox(writer.app, "Timers");
    await prisma.inbox.update({ where: { id: inboxMidnight.id }, data: { timeZone } });
    const midnight = nextMidnight(Date.now(), timeZone);
    const reads: string[] = [];
    const offsets = new Map<string, number>();
    /** How often each stream looked at its clock: a midnight timer that fires does. */
    const clockReads = new Map<string, number>();
    /** A stream with its own clock: an hour before midnight until the test moves it. */
    const stream = (name: string) => {
      offsets.set(name, midnight - 3_600_000 - Date.now());
      const changes = new QueuedEvents<unknown>(() => {})[Symbol.asyncIterator]();
      return queueStatusUpdates(
        async (now) => {
          reads.push(name);
          return queueStatus(prisma, inboxMidnight.id, now);
        },
        changes,
        {
          now: () => {
            clockReads.set(name, (clockReads.get(name) ?? 0) + 1);
            return new Date(Date.now() + offsets.get(name)!);
          },
        },
      );
    };
    const [cancelled, kept] = [stream("cancelled"), stream("kept")];
    const firsts = await Promise.all([cancelled.next(), kept.next()]);
    expect(firsts.map((r) => r.value!.todayEndsAt!.getTime())).toEqual([midnight, midnight]);
    // Midnight comes sooner for the cancelled stream (its timer is armed when the next value is asked for).
    offsets.set("cancelled", midnight - 200 - Date.now());
    offsets.set("kept", midnight - 400 - Date.now());
    const [cancelledNext, keptNext] = [cancelled.next(), kept.next()];
    await cancelled.return(undefined);
    expect(await cancelledNext).toEqual({ value: undefined, done: true });
    const cancelledClockReads = clockReads.get("cancelled");
    // Once the kept stream has pushed its midnight, the cancelled one's timer would have fired before
    // it — had it not been cleared.
    const pushed = (await keptNext).value as QueueStatus;
    expect(pushed.todayEndsAt!.getTime()).toBe(nextMidnight(midnight, timeZone));
    expect(reads).toEqual(["cancelled", "kept", "kept"]);
    expect(clockReads.get("cancelled")).toBe(cancelledClockReads);
    await kept.return(undefined);
  });
});
