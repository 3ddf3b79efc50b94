// The analytics definitions on their own (src/domain/analytics/facts.ts): what the README says a
// first response, a resolution, a CSAT answer, a queue ring and hold time count as.
import { describe, expect, it } from "vitest";
import { callAgentFacts, callFact, conversationFact, csatFact } from "../src/domain/analytics/facts.ts";
import type { HoldLogEntry } from "../src/domain/call-state.ts";

const at = (minute: number) => new Date(Date.UTC(2026, 2, 1, 9, minute));

/** An inbound call that was answered, with its times and who answered. */
const answeredCall = (fields: {
  answeredAt: Date;
  endedAt: Date;
  talkSeconds: number;
  answeredById: string;
  createdAt: Date;
}) => ({
  id: "call",
  direction: "INBOUND" as const,
  status: "ENDED" as const,
  channelId: "ch",
  inboxId: "in",
  ...fields,
});

describe("analytics facts", () => {
  it("first response: the first message a person sent after the customer's first, not a rule's", () => {
    const fact = conversationFact({
      id: "c",
      status: "ARCHIVED",
      createdAt: at(0),
      archivedAt: at(90),
      assigneeId: "agent-a",
      channelId: "ch",
      inboxId: "in",
      messages: [
        { direction: "OUTBOUND", createdAt: at(0), sentById: "agent-b" }, // before the customer wrote: not a reply
        { direction: "INBOUND", createdAt: at(1), sentById: null },
        { direction: "OUTBOUND", createdAt: at(2), sentById: null }, // a rule's auto-reply
        { direction: "OUTBOUND", createdAt: at(11), sentById: "agent-c" },
      ],
    });
    expect(fact).toMatchObject({
      firstInboundAt: at(1),
      firstResponseSeconds: 600,
      responderId: "agent-c",
      closedAt: at(90),
      resolutionSeconds: 5400,
    });
  });

  it("an open conversation is not closed; one never answered has no first response", () => {
    const fact = conversationFact({
      id: "c",
      status: "OPEN",
      createdAt: at(0),
      archivedAt: at(30), // archived once, reopened since
      assigneeId: null,
      channelId: "ch",
      inboxId: "in",
      messages: [{ direction: "INBOUND", createdAt: at(0), sentById: null }],
    });
    expect(fact).toMatchObject({ closedAt: null, resolutionSeconds: null, firstResponseSeconds: null });
  });

  it("a survey counts once answered, for the agent assigned when it was sent", () => {
    const base = { id: "r", assigneeId: "agent-a", channelId: "ch", inboxId: "in" };
    expect(csatFact({ ...base, score: null, answeredAt: null })).toBeNull();
    expect(csatFact({ ...base, score: 4, answeredAt: at(5) })).toMatchObject({ agentId: "agent-a", score: 4 });
  });

  it("a queue ringing three agents, one answering: one answer, two answered elsewhere, no miss", () => {
    const call = answeredCall({
      answeredAt: at(1),
      endedAt: at(5),
      talkSeconds: 240,
      answeredById: "b",
      createdAt: at(3),
    });
    const leg = (userId: string, answeredAt: Date | null) => ({
      role: "AGENT",
      direction: "INBOUND" as const,
      userId,
      firstEventAt: at(0),
      answeredAt,
      holdLog: [[1, 0, at(0).getTime()] as HoldLogEntry],
    });
    const parties = [leg("a", null), leg("b", at(1)), leg("c", null), leg("a", null)];
    const fact = callFact(call, parties);
    expect(fact).toMatchObject({ startedAt: at(0), outcome: "ENDED", waitSeconds: 60, agentId: "b", transfers: 0 });
    expect(callAgentFacts(fact, parties).map((f) => [f.agentId, f.answered, f.missed, f.answeredElsewhere])).toEqual([
      ["a", false, false, true],
      ["b", true, false, false],
      ["c", false, false, true],
    ]);
    // Nobody answered: every agent rung missed it, once each.
    const rangOut = parties.map((p) => ({ ...p, answeredAt: null }));
    const unanswered = callFact({ ...call, status: "MISSED", answeredAt: null, answeredById: null }, rangOut);
    expect(callAgentFacts(unanswered, rangOut).filter((f) => f.missed)).toHaveLength(3);
  });

  it("hold time: the agents' legs' holds summed (a consultation's too), the customer's own not; answered calls only", () => {
    const call = answeredCall({
      answeredAt: at(1),
      endedAt: at(10),
      talkSeconds: 540,
      answeredById: "a",
      createdAt: at(0),
    });
    const ms = (minute: number, second = 0) => at(minute).getTime() + second * 1000;
    const party = (role: string, holdLog: HoldLogEntry[], firstEventAt = new Date(holdLog[0]?.[2] ?? ms(0))) => ({
      role,
      direction: "INBOUND" as const,
      userId: role === "AGENT" ? "a" : null,
      firstEventAt,
      answeredAt: at(1),
      holdLog,
    });
    const parties = [
      // Held 1:30, resumed, held again while consulting a colleague for 2:00 until the leg left (a transfer).
      party("AGENT", [
        [3, 0, ms(1)],
        [5, 1, ms(2)],
        [6, 0, ms(3, 30)],
        [9, 1, ms(4)],
        [12, 1, ms(5)],
        [14, 0, ms(6)],
      ]),
      // The colleague's leg: one hold of 0:20.5 (rounded once, on the call's total), and one still open.
      party("AGENT", [
        [13, 0, ms(6)],
        [15, 1, ms(7)],
        [16, 0, ms(7, 20.5)],
        [18, 1, ms(9)],
      ]),
      // The customer's leg on hold is not an agent holding them.
      party("EXTERNAL", [
        [1, 0, ms(0)],
        [2, 1, ms(0, 10)],
        [4, 0, ms(1)],
      ]),
    ];
    expect(callFact(call, parties).holdSeconds).toBe(90 + 120 + 21);
    expect(callFact(call, parties.slice(2)).holdSeconds).toBe(0);
    expect(callFact({ ...call, status: "ABANDONED", answeredAt: null }, parties).holdSeconds).toBeNull();
    // Unknown: an agent leg stored before hold logs were kept (no entry, or none from its first event
    // on: it was updated since), or a call known from the call log only.
    expect(callFact(call, [...parties, party("AGENT", [])]).holdSeconds).toBeNull();
    expect(callFact(call, [...parties, party("AGENT", [[20, 0, ms(8)]], at(7))]).holdSeconds).toBeNull();
    expect(callFact(call, []).holdSeconds).toBeNull();
  });
});
