// Analytics (issue 16): random histories of calls (notifications shuffled and duplicated; answered
// calls sometimes put on hold) and texts generated through the domain → the analytics equal a naive
// count of the same timeline done here, for random ranges, granularities and time zones (the calls
// straddle the end of daylight saving in Europe and the US); a rebuild equals the incrementally kept
// figures; an agent sees only their inboxes' figures.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { startTestApi, type TestApi } from "./support/api.ts";
import { seedInbox } from "./support/seed.ts";
import { ingestTelephonyNotification, type TelephonyNotification } from "../src/domain/calls.ts";
import { notificationsOf, type CallSpec } from "./support/call-timelines.ts";
import { ingestInboundMessage } from "../src/domain/sms/inbound.ts";
import { archiveConversation } from "../src/domain/conversations.ts";
import { startAnalyticsConsumer, type AnalyticsConsumer } from "../src/analytics/consumer.ts";
import { inProcessLeases } from "../src/integrations/ringcentral/lease.ts";
import { analytics, type AnalyticsResult, type Figures } from "../src/domain/analytics/query.ts";
import { rebuildAnalytics } from "../src/domain/analytics/refresh.ts";
import { createLogger } from "../src/logger.ts";
import type { Viewer } from "../src/domain/access.ts";
import { analyticsSnapshot, bucketLabel, percentile, type Granularity } from "./support/analytics.ts";

const VOICE_X = "+18005550101";
const VOICE_Y = "+18005550202";
const SMS_X = "+18005550303";
const HOUR = 3_600_000;
/** Calls happen from here on, for 10 days: Europe (Oct 25) and the US (Nov 1) leave daylight saving. */
const WINDOW_START = Date.UTC(2026, 9, 23, 0);
const WINDOW_DAYS = 10;
const ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "America/Sao_Paulo"];

let api: TestApi;
let consumer: AnalyticsConsumer;
let agents: { id: string; ext: string; email: string }[];
let inboxX: { id: string };
let inboxY: { id: string };
let agentViewer: Viewer;
const admin: Viewer = { id: "00000000-0000-0000-0000-00000000000a", role: "ADMIN", inboxIds: null };

const deps = () => ({ prisma: api.app.db.prisma, pubsub: api.app.pubsub });
const directory = {
  extension: (id: string) => {
    const agent = agents.find((a) => a.ext === id);
    return agent ? { id, type: "User", email: agent.email } : undefined;
  },
};

beforeAll(async () => {
  api = await startTestApi({ redis: null });
  agents = [];
  for (const [i, ext] of ["201", "202", "203"].entries()) {
    const user = await api.createUser("AGENT", `analytics-agent-${i}`);
    agents.push({ id: user.id, ext, email: user.email });
  }
  inboxX = await seedInbox(api.app, "Analytics X", [agents[0]!.id]);
  inboxY = await seedInbox(api.app, "Analytics Y");
  await api.app.db.prisma.channel.createMany({
    data: [
      { type: "VOICE", phoneNumber: VOICE_X, inboxId: inboxX.id },
      { type: "VOICE", phoneNumber: VOICE_Y, inboxId: inboxY.id },
      { type: "SMS", phoneNumber: SMS_X, inboxId: inboxX.id },
    ],
  });
  // The account's extensions as the worker caches them: how analytics know whose leg a leg is.
  await api.app.db.prisma.ringCentralConnection.create({
    data: {
      serverUrl: "http://rc.invalid",
      clientId: "c",
      encryptedCredentials: "x",
      accountId: "analytics",
      ownerExtensionId: "1",
      extensionsCache: agents.map((a) => ({ id: a.ext, type: "User", email: a.email })),
    },
  });
  agentViewer = { id: agents[0]!.id, role: "AGENT", inboxIds: [inboxX.id] };
  // Small batches: every drain reads the log to its end through several transactions.
  consumer = startAnalyticsConsumer({ ...deps(), log: createLogger("silent"), leases: inProcessLeases(), batch: 7 });
});
afterAll(async () => {
  await consumer.close();
  await api.close();
});

// --- the timeline, as generated and as a person counts it -----------------------------------------

type Kind = CallSpec["kind"];

const callSpec = fc
  .record({
    inbox: fc.constantFrom("X" as const, "Y" as const),
    startMinute: fc.integer({ min: 0, max: WINDOW_DAYS * 24 * 60 - 60 }),
    kind: fc.constantFrom<Kind>("ANSWERED", "ANSWERED", "MISSED", "ABANDONED", "VOICEMAIL", "OUTBOUND"),
    rung: fc.uniqueArray(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 3 }),
    waitSeconds: fc.integer({ min: 0, max: 90 }),
    talkSeconds: fc.integer({ min: 1, max: 900 }),
    // About half the answered calls are held once; one as long as the talk is held until the end.
    hold: fc.option(fc.integer({ min: 1, max: 900 }), { freq: 2 }),
    seed: fc.integer(),
  })
  .map(
    ({ hold, ...spec }): CallSpec => ({
      ...spec,
      ...(hold === null ? {} : { holdSeconds: Math.min(hold, spec.talkSeconds) }),
    }),
  );

let callCount = 0;

/** Shuffled, with some notifications delivered twice (same uuid). */
function reorderedWithDuplicates(notifications: TelephonyNotification[], seed: number): TelephonyNotification[] {
  let state = seed >>> 0 || 1;
  const random = () => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    return state / 2 ** 32;
  };
  const doubled = notifications.flatMap((n) => (random() < 0.25 ? [n, n] : [n]));
  return doubled
    .map((n) => ({ n, key: random() }))
    .sort((a, b) => a.key - b.key)
    .map(({ n }) => n);
}

/** What a person counts for one call on the timeline. */
interface CountedCall {
  spec: CallSpec;
  start: number;
}
const counted: CountedCall[] = [];

interface SmsSpec {
  minute: number;
  archive: boolean;
}
const smsSpec = fc.record({ minute: fc.integer({ min: 0, max: WINDOW_DAYS * 24 * 60 - 1 }), archive: fc.boolean() });
const texts: { at: number; conversationId: string }[] = [];
let textCount = 0;

async function addHistory(calls: CallSpec[], sms: SmsSpec[]) {
  for (const spec of calls) {
    const session = `s-analytics-${callCount++}`;
    const start = WINDOW_START + spec.startMinute * 60_000;
    const customer = `+1415555${String(1000 + (callCount % 9000)).padStart(4, "0")}`;
    const extensions = agents.map((a) => a.ext);
    const notifications = notificationsOf(spec, session, { X: VOICE_X, Y: VOICE_Y }, extensions, start, customer);
    for (const notification of reorderedWithDuplicates(notifications, spec.seed)) {
      await ingestTelephonyNotification(deps(), directory, notification);
    }
    counted.push({ spec, start: WINDOW_START + spec.startMinute * 60_000 });
  }
  for (const spec of sms) {
    const at = WINDOW_START + spec.minute * 60_000;
    const message = await ingestInboundMessage(deps(), {
      ringCentralId: `analytics-sms-${textCount}`,
      channelNumber: SMS_X,
      from: `+1650555${String(1000 + textCount++).padStart(4, "0")}`,
      text: "hello",
      attachments: [],
      createdAt: new Date(at),
    });
    texts.push({ at, conversationId: message!.conversationId });
    if (spec.archive) await archiveConversation(deps(), null, message!.conversationId);
  }
  await consumer.drain();
}

// --- the naive count --------------------------------------------------------------------------------

interface Naive {
  inbound: number;
  outbound: number;
  answered: number;
  missed: number;
  abandoned: number;
  voicemail: number;
  withinSl: number;
  abandonedAfter: number;
  waits: number[];
  talks: number[];
  holds: number[];
  agentAnswered: number[];
  agentMissed: number[];
  agentElsewhere: number[];
  textsIn: number;
}

function naive(calls: CountedCall[], smsTimes: number[], sl: number, ab: number): Naive {
  const tally: Naive = {
    inbound: 0,
    outbound: 0,
    answered: 0,
    missed: 0,
    abandoned: 0,
    voicemail: 0,
    withinSl: 0,
    abandonedAfter: 0,
    waits: [],
    talks: [],
    holds: [],
    agentAnswered: [0, 0, 0],
    agentMissed: [0, 0, 0],
    agentElsewhere: [0, 0, 0],
    textsIn: smsTimes.length,
  };
  for (const { spec } of calls) {
    if (spec.kind === "OUTBOUND") {
      tally.outbound++;
      tally.talks.push(spec.talkSeconds);
      tally.holds.push(spec.holdSeconds ?? 0);
      continue;
    }
    tally.inbound++;
    if (spec.kind === "ANSWERED") {
      tally.answered++;
      tally.waits.push(spec.waitSeconds);
      tally.talks.push(spec.talkSeconds);
      tally.holds.push(spec.holdSeconds ?? 0);
      if (spec.waitSeconds <= sl) tally.withinSl++;
      tally.agentAnswered[spec.rung[0]!]!++;
      for (const other of spec.rung.slice(1)) tally.agentElsewhere[other]!++;
      continue;
    }
    if (spec.kind === "MISSED") tally.missed++;
    if (spec.kind === "VOICEMAIL") tally.voicemail++;
    if (spec.kind === "ABANDONED") {
      tally.abandoned++;
      if (spec.waitSeconds >= ab) tally.abandonedAfter++;
    }
    for (const agent of spec.rung) tally.agentMissed[agent]!++;
  }
  return tally;
}

function expectFigures(figures: Figures, n: Naive, label: string) {
  const average = (v: number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : null);
  const ended = n.answered + n.missed + n.abandoned + n.voicemail;
  const offered = n.answered + n.missed + n.voicemail + n.abandonedAfter;
  expect({ label, ...figures.voice }).toMatchObject({
    label,
    inbound: n.inbound,
    outbound: n.outbound,
    answered: n.answered,
    missed: n.missed,
    abandoned: n.abandoned,
    voicemail: n.voicemail,
    answerRate: ended ? n.answered / ended : null,
    answeredWithinServiceLevel: n.withinSl,
    serviceLevel: offered ? n.withinSl / offered : null,
    abandonedAfterThreshold: n.abandonedAfter,
    wait: {
      count: n.waits.length,
      averageSeconds: average(n.waits),
      medianSeconds: percentile(n.waits, 0.5),
      p90Seconds: percentile(n.waits, 0.9),
    },
    talk: { count: n.talks.length, averageSeconds: average(n.talks), p90Seconds: percentile(n.talks, 0.9) },
    hold: {
      count: n.holds.length,
      averageSeconds: average(n.holds),
      medianSeconds: percentile(n.holds, 0.5),
      p90Seconds: percentile(n.holds, 0.9),
    },
    transfers: 0,
    agentAnswered: n.agentAnswered.reduce((a, b) => a + b, 0),
    agentMissed: n.agentMissed.reduce((a, b) => a + b, 0),
    agentAnsweredElsewhere: n.agentElsewhere.reduce((a, b) => a + b, 0),
  });
  expect({ label, inbound: figures.sms.inbound }).toEqual({ label, inbound: n.textsIn });
}

const query = fc.record({
  fromHour: fc.integer({ min: -48, max: WINDOW_DAYS * 24 }),
  hours: fc.integer({ min: 1, max: 60 * 24 }),
  granularity: fc.constantFrom<Granularity>("HOUR", "DAY", "WEEK"),
  timeZone: fc.constantFrom(...ZONES),
  sl: fc.integer({ min: 0, max: 60 }),
  ab: fc.integer({ min: 0, max: 30 }),
});

async function checkQuery(q: {
  fromHour: number;
  hours: number;
  granularity: Granularity;
  timeZone: string;
  sl: number;
  ab: number;
}) {
  const hours = q.granularity === "HOUR" ? Math.min(q.hours, 31 * 24) : q.hours;
  const from = WINDOW_START + q.fromHour * HOUR;
  const to = from + hours * HOUR;
  const request = {
    from: new Date(from),
    to: new Date(to),
    timeZone: q.timeZone,
    granularity: q.granularity,
    serviceLevelSeconds: q.sl,
    abandonAfterSeconds: q.ab,
  };
  const result: AnalyticsResult = await analytics(api.app.db.prisma, admin, request);
  const inRange = (t: number) => t >= from && t < to;
  const calls = counted.filter((c) => inRange(c.start));
  const smsTimes = texts.map((t) => t.at).filter(inRange);
  expectFigures(result.totals, naive(calls, smsTimes, q.sl, q.ab), "totals");
  // Every bucket, labelled the way a person reads the calendar in that zone.
  const labels = result.series.map((b) => bucketLabel(b.start.getTime(), q.timeZone, q.granularity));
  expect(new Set(labels).size).toBe(labels.length);
  for (const [i, bucket] of result.series.entries()) {
    const label = labels[i]!;
    const own = (t: number) => bucketLabel(t, q.timeZone, q.granularity) === label;
    expectFigures(
      bucket.figures,
      naive(
        calls.filter((c) => own(c.start)),
        smsTimes.filter(own),
        q.sl,
        q.ab,
      ),
      `${q.granularity} ${q.timeZone} ${label}`,
    );
  }
  // Every counted timestamp falls in one of the series' buckets.
  for (const c of calls) expect(labels).toContain(bucketLabel(c.start, q.timeZone, q.granularity));
  for (const inbox of ["X", "Y"] as const) {
    const id = inbox === "X" ? inboxX.id : inboxY.id;
    const row = result.byInbox.find((r) => r.inboxId === id);
    const n = naive(
      calls.filter((c) => c.spec.inbox === inbox),
      inbox === "X" ? smsTimes : [],
      q.sl,
      q.ab,
    );
    if (row) expectFigures(row.figures, n, `inbox ${inbox}`);
    else expect(n.inbound + n.outbound + n.textsIn).toBe(0);
  }
  // A filter on one inbox, channel or agent gives that breakdown row's figures as its totals.
  const filtered = async (filter: { inboxIds?: string[]; channelIds?: string[]; agentIds?: string[] }) =>
    (await analytics(api.app.db.prisma, admin, { ...request, ...filter })).totals;
  for (const row of result.byInbox.filter((r) => r.inboxId))
    expect(await filtered({ inboxIds: [row.inboxId!] })).toEqual(row.figures);
  for (const row of result.byChannel.filter((r) => r.channelId))
    expect(await filtered({ channelIds: [row.channelId!] })).toEqual(row.figures);
  for (const row of result.byAgent.filter((r) => r.agentId))
    expect(await filtered({ agentIds: [row.agentId!] })).toEqual(row.figures);
  for (const [i, agent] of agents.entries()) {
    const row = result.byAgent.find((r) => r.agentId === agent.id);
    const all = naive(calls, [], q.sl, q.ab);
    expect({
      agent: i,
      answered: row?.figures.voice.agentAnswered ?? 0,
      missed: row?.figures.voice.agentMissed ?? 0,
    }).toEqual({ agent: i, answered: all.agentAnswered[i], missed: all.agentMissed[i] });
  }
}

describe("analytics agree with a count by hand", () => {
  it("random histories (shuffled, duplicated notifications) and random ranges, granularities and zones", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(callSpec, { maxLength: 6 }),
        fc.array(smsSpec, { maxLength: 3 }),
        fc.array(query, { minLength: 1, maxLength: 3 }),
        async (calls, sms, queries) => {
          await addHistory(calls, sms);
          for (const q of queries) await checkQuery(q);
        },
      ),
      { numRuns: 20 },
    );
    expect(counted.length).toBeGreaterThan(20);
  }, 300_000);

  it("conversations opened and closed, and resolution times, as the conversations' own times say", async () => {
    const now = Date.now();
    const from = Math.floor(now / HOUR) * HOUR - 24 * HOUR;
    const to = from + 48 * HOUR;
    const result = await analytics(api.app.db.prisma, admin, {
      from: new Date(from),
      to: new Date(to),
      granularity: "DAY",
    });
    const conversations = await api.app.db.prisma.conversation.findMany({
      where: { id: { in: texts.map((t) => t.conversationId) } },
    });
    const closed = conversations.filter((c) => c.status === "ARCHIVED" && c.archivedAt);
    const resolutions = closed.map((c) => Math.round((c.archivedAt!.getTime() - c.createdAt.getTime()) / 1000));
    expect(result.totals.sms.conversationsOpened).toBe(conversations.length);
    expect(result.totals.sms.conversationsClosed).toBe(closed.length);
    expect(result.totals.sms.resolution.count).toBe(closed.length);
    expect(result.totals.sms.resolution.p90Seconds).toBe(percentile(resolutions, 0.9));
  });

  it("a rebuild from the stored history equals the figures the consumer kept", async () => {
    const snapshot = () => analyticsSnapshot(api.app.db.prisma);
    const incremental = await snapshot();
    expect(incremental.calls.length).toBe(counted.length);
    await rebuildAnalytics(api.app.db.prisma);
    expect(await snapshot()).toEqual(incremental);
  });

  it("an agent's figures cover only their inboxes, whatever inboxes they ask for", async () => {
    const range = {
      from: new Date(WINDOW_START - 48 * HOUR),
      to: new Date(WINDOW_START + 40 * 24 * HOUR),
      granularity: "WEEK" as const,
    };
    const all = await analytics(api.app.db.prisma, admin, range);
    const mine = await analytics(api.app.db.prisma, agentViewer, range);
    const asked = await analytics(api.app.db.prisma, agentViewer, { ...range, inboxIds: [inboxX.id, inboxY.id] });
    const x = all.byInbox.find((r) => r.inboxId === inboxX.id)!;
    expect(all.byInbox.some((r) => r.inboxId === inboxY.id)).toBe(true);
    expect(mine.totals).toEqual(x.figures);
    expect(mine.byInbox.map((r) => r.inboxId)).toEqual([inboxX.id]);
    expect(asked.totals).toEqual(x.figures);
  });
});
