// The order statistics the analytics compute from rollup value lists equal a sort of the values,
// on both paths: the histogram (values close together) and quickselect (values spread wide); the
// lists keep every value exactly through the rollups (varints in PostgreSQL, decoded by the query),
// and an hour whose rows lost values is recounted from the facts rather than moved by difference.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { summarize } from "../src/domain/analytics/percentiles.ts";
import type { Database } from "../src/db.ts";
import {
  figuresPerAgent,
  figuresPerBucket,
  recountRollups,
  replaceFactsInRollups,
  VALUE_LISTS,
} from "../src/store/analytics.ts";
import type { CallFact } from "../src/domain/analytics/facts.ts";
import { openTestDatabase } from "./support/database.ts";
import { percentile } from "./support/analytics.ts";

const startOfDay = (t: Date) => new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate()));

function bySorting(values: number[], limit: number) {
  return {
    count: values.length,
    median: percentile(values, 0.5),
    p90: percentile(values, 0.9),
    atMost: values.filter((v) => v <= limit).length,
  };
}

const lists = (max: number) => fc.array(fc.array(fc.integer({ min: 0, max }), { maxLength: 40 }), { maxLength: 8 });

describe("order statistics of value lists", () => {
  it("equal a sort of all the values, close together or spread over days, whatever the limit", () => {
    for (const max of [5, 900, 400_000]) {
      fc.assert(
        fc.property(lists(max), fc.integer({ min: -1, max: max + 1 }), (parts, limit) => {
          const expected = bySorting(parts.flat(), limit);
          expect(
            summarize(
              parts.map((p) => Int32Array.from(p)),
              limit,
            ),
          ).toEqual(expected);
          // The histogram is reused: a second call gives the same answer.
          expect(
            summarize(
              parts.map((p) => Int32Array.from(p)),
              limit,
            ),
          ).toEqual(expected);
        }),
        { numRuns: 200 },
      );
    }
  });
});

describe("value lists in the rollups", () => {
  let db: Database;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ db, close } = await openTestDatabase());
  });
  afterAll(() => close());

  it("keep every value exactly, one byte or five (varints), as the query reads them back", async () => {
    const hour = new Date(Date.UTC(2026, 10, 2, 9));
    const talks = [0, 1, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152, 268_435_455, 268_435_456, 2_147_483_647];
    await db.prisma.analyticsCall.createMany({
      data: talks.map((talkSeconds, i) => ({
        callId: crypto.randomUUID(),
        startedAt: new Date(hour.getTime() + i * 1000),
        direction: "OUTBOUND" as const,
        outcome: "ENDED" as const,
        talkSeconds,
      })),
    });
    await recountRollups(db.prisma, [hour]);
    const range = {
      from: hour,
      to: new Date(hour.getTime() + 3_600_000),
      timeZone: "UTC",
      granularity: "HOUR" as const,
      inboxIds: null,
      channelIds: null,
      agentIds: null,
    };
    const [row] = await figuresPerBucket(db.prisma, range);
    expect([...row!.lists[VALUE_LISTS.indexOf("talks")]!].sort((a, b) => a - b)).toEqual(talks);
    const [agentRow] = await figuresPerAgent(db.prisma, range, { from: range.to, to: range.to });
    expect([...agentRow!.lists[VALUE_LISTS.indexOf("talks")]!].sort((a, b) => a - b)).toEqual(talks);
  });

  // Each rollup on its own: the per-agent hours, the hours per channel, the agents' days.
  const rollups = [
    {
      name: "a per-agent hour",
      talks: (hour: Date) => db.prisma.analyticsAgentHour.findMany({ where: { hour } }),
      lose: (hour: Date) => db.prisma.analyticsAgentHour.updateMany({ where: { hour }, data: { talks: null } }),
    },
    {
      name: "an hour per channel",
      talks: (hour: Date) => db.prisma.analyticsHour.findMany({ where: { hour } }),
      lose: (hour: Date) => db.prisma.analyticsHour.updateMany({ where: { hour }, data: { talks: null } }),
    },
    {
      name: "an agent's day",
      talks: (hour: Date) => db.prisma.analyticsAgentDay.findMany({ where: { day: startOfDay(hour) } }),
      lose: (hour: Date) =>
        db.prisma.analyticsAgentDay.updateMany({ where: { day: startOfDay(hour) }, data: { talks: null } }),
    },
  ];

  it.each(rollups.map((r, i) => [r.name, i] as const))(
    "%s that lost a value is recounted from the facts when a change moves it",
    async (_, index) => {
      const rollup = rollups[index]!;
      const hour = new Date(Date.UTC(2026, 10, 3 + index, 14));
      const fact = (talkSeconds: number): CallFact => ({
        callId: "",
        startedAt: new Date(hour.getTime() + 60_000),
        inboxId: null,
        channelId: null,
        direction: "OUTBOUND",
        outcome: "ENDED",
        waitSeconds: null,
        talkSeconds,
        holdSeconds: null,
        transfers: 0,
        agentId: null,
      });
      const ids = [crypto.randomUUID(), crypto.randomUUID()];
      const nothing = { messageIds: [], conversationIds: [], csatIds: [] };
      const facts = (calls: CallFact[]) => ({ calls, callAgents: [], messages: [], conversations: [], csat: [] });
      const talksOf = async () => (await rollup.talks(hour)).map((r) => r.talks);
      await replaceFactsInRollups(
        db.prisma,
        { callIds: ids, ...nothing },
        facts([
          { ...fact(30), callId: ids[0]! },
          { ...fact(45), callId: ids[1]! },
        ]),
      );
      // The row no longer holds the talk times its facts have (a lost write, a hand edit)…
      await rollup.lose(hour);
      // …so taking the first call's old 30 s out cannot work: its hour is recounted from the facts.
      await replaceFactsInRollups(
        db.prisma,
        { callIds: [ids[0]!], ...nothing },
        facts([{ ...fact(60), callId: ids[0]! }]),
      );
      const moved = await talksOf();
      await recountRollups(db.prisma, [hour]);
      expect(moved).toEqual(await talksOf());
      expect(moved).toHaveLength(1);
      expect(moved[0]).not.toBeNull();
    },
  );
});
