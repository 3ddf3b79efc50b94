// Hold time of a party (src/domain/call-state.ts): the hold log folded from party events, and the
// seconds read from it, are the same for any permutation or duplication of the same events, and
// equal the hold segments of the timeline those events report.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  applyPartyEvent,
  holdSeconds,
  withHoldEntry,
  type HoldLog,
  type PartyEvent,
  type PartyState,
} from "../src/domain/call-state.ts";

const T0 = Date.UTC(2026, 0, 1, 12);

function event(statusCode: string, sequence: number, atMs: number, muted = false): PartyEvent {
  return {
    partyId: "agent",
    role: "AGENT",
    direction: "Inbound",
    extensionId: "101",
    statusCode,
    reason: null,
    fromNumber: null,
    toNumber: null,
    muted,
    missedCall: false,
    queueCall: false,
    sequence,
    eventTime: new Date(T0 + atMs),
  };
}

const fold = (events: PartyEvent[]) => events.reduce<PartyState | null>((state, e) => applyPartyEvent(state, e), null)!;

/**
 * A leg's life as spans of one status each: the span starts with a notification showing it, may see
 * more (a mute toggled: same status) at some thousandths of its duration, and lasts until the next
 * span's first notification. The last span has no end yet: it lasts until its latest notification.
 */
const span = fc.record({
  statusCode: fc.constantFrom("Proceeding", "Answered", "Hold", "Hold", "Parked", "Disconnected"),
  durationMs: fc.integer({ min: 0, max: 600_000 }),
  repeats: fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 2 }),
});
type Span = { statusCode: string; durationMs: number; repeats: number[] };

/** When the span's later notifications come, from its start, in time order. */
const repeatOffsets = (s: Span) => s.repeats.map((r) => Math.floor((s.durationMs * r) / 1000)).sort((a, b) => a - b);

/** The notifications of the spans, sequences increasing with gaps (other parties' notifications). */
function eventsOf(spans: Span[], gaps: number[]): PartyEvent[] {
  const events: PartyEvent[] = [];
  let sequence = 0;
  let at = 0;
  for (const [i, s] of spans.entries()) {
    const next = () => {
      sequence += 1 + (gaps[events.length % gaps.length] ?? 0);
      return sequence;
    };
    events.push(event(s.statusCode, next(), at));
    for (const [k, offset] of repeatOffsets(s).entries())
      events.push(event(s.statusCode, next(), at + offset, k % 2 === 0));
    if (i < spans.length - 1) at += s.durationMs;
  }
  return events;
}

/** The hold a person reads off the spans: every Hold span, the last one as far as it was reported. */
function expectedHoldSeconds(spans: Span[]): number {
  const last = spans[spans.length - 1]!;
  const ended = spans.slice(0, -1).reduce((sum, s) => sum + (s.statusCode === "Hold" ? s.durationMs : 0), 0);
  const open = last.statusCode === "Hold" ? (repeatOffsets(last).at(-1) ?? 0) : 0;
  return (ended + open) / 1000;
}

/** Shuffled by the seeds, some events delivered twice. */
function shuffledWithDuplicates(events: PartyEvent[], twice: boolean[], keys: number[]): PartyEvent[] {
  const all = events.flatMap((e, i) => (twice[i % twice.length] ? [e, { ...e }] : [e]));
  return all
    .map((e, i) => ({ e, key: keys[i % keys.length]! + i / 1e6 }))
    .sort((a, b) => a.key - b.key)
    .map(({ e }) => e);
}

describe("a party's hold log and hold seconds", () => {
  it("any permutation with duplicates folds to the in-order state, whose hold is the ended Hold spans", () => {
    fc.assert(
      fc.property(
        fc.array(span, { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 5 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 7 }),
        fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 30 }),
        (spans, gaps, twice, keys) => {
          const events = eventsOf(spans, gaps);
          const inOrder = fold(events);
          expect(inOrder.holdLog.map(([sequence]) => sequence)).toEqual(events.map((e) => e.sequence));
          expect(holdSeconds(inOrder.holdLog)).toBeCloseTo(expectedHoldSeconds(spans), 9);
          const shuffled = fold(shuffledWithDuplicates(events, twice, keys));
          expect(shuffled).toEqual(inOrder);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("an open hold counts nothing until the leg's next notification, which closes it whatever it shows", () => {
    const answered = event("Answered", 4, 0);
    const held = event("Hold", 7, 5_000);
    const open = fold([answered, held]);
    expect(open.holdLog).toEqual([
      [4, 0, T0],
      [7, 1, T0 + 5_000],
    ]);
    expect(holdSeconds(open.holdLog)).toBe(0);
    // Still on hold at 35 s (a mute toggled): 30 s so far; hung up at 50 s: 45 s in all.
    const stillHeld = applyPartyEvent(open, event("Hold", 9, 35_000, true));
    expect(holdSeconds(stillHeld.holdLog)).toBe(30);
    expect(holdSeconds(applyPartyEvent(stillHeld, event("Disconnected", 12, 50_000)).holdLog)).toBe(45);
  });

  it("a late notification between two others splits the span it falls in", () => {
    const log = fold([event("Answered", 2, 0), event("Hold", 5, 10_000), event("Answered", 11, 70_000)]).holdLog;
    expect(holdSeconds(log)).toBe(60);
    // Seq 8 arrives last: the agent had taken the caller off hold at 40 s.
    const late = withHoldEntry(log, [8, 0, T0 + 40_000]);
    expect(late.map(([sequence]) => sequence)).toEqual([2, 5, 8, 11]);
    expect(holdSeconds(late)).toBe(30);
  });

  it("a sequence already logged changes nothing; a log is never changed in place", () => {
    const log: HoldLog = [
      [3, 1, T0],
      [6, 0, T0 + 1_000],
    ];
    expect(withHoldEntry(log, [3, 1, T0])).toBe(log);
    const before = structuredClone(log);
    withHoldEntry(log, [4, 0, T0 + 500]);
    withHoldEntry(log, [1, 0, T0 - 500]);
    expect(log).toEqual(before);
    expect(withHoldEntry(log, [1, 0, T0 - 500]).map(([sequence]) => sequence)).toEqual([1, 3, 6]);
  });
});
