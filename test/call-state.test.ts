// Unit tests of the pure call rules (R3.3–R3.6, R3.14): status from parties, milestones, talk time.
import { describe, expect, it } from "vitest";
import { applyPartyEvent, deriveCall, type PartyEvent, type PartyState } from "../src/domain/call-state.ts";

const t = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 12, 0, seconds));

function fold(events: PartyEvent[]): PartyState[] {
  const parties = new Map<string, PartyState>();
  for (const event of events) parties.set(event.partyId, applyPartyEvent(parties.get(event.partyId) ?? null, event));
  return [...parties.values()];
}

let sequence = 0;
function event(
  partyId: string,
  role: PartyEvent["role"],
  statusCode: string,
  at: number,
  extra: Partial<PartyEvent> = {},
): PartyEvent {
  sequence += 1;
  return {
    partyId,
    role,
    direction: role === "EXTERNAL" ? "Outbound" : "Inbound",
    extensionId: role === "EXTERNAL" ? null : `ext-${partyId}`,
    statusCode,
    reason: null,
    fromNumber: null,
    toNumber: null,
    muted: false,
    missedCall: false,
    queueCall: false,
    sequence,
    eventTime: t(at),
    ...extra,
  };
}

describe("call status from parties", () => {
  it("rings, is answered, held, resumed and ends with the talk time from answer to hang-up", () => {
    const caller = "caller";
    const steps: [PartyEvent, string][] = [
      [event(caller, "EXTERNAL", "Setup", 0), "RINGING"],
      [event("agent", "AGENT", "Proceeding", 1), "RINGING"],
      [event("agent", "AGENT", "Answered", 5), "IN_PROGRESS"],
      [event("agent", "AGENT", "Hold", 10), "ON_HOLD"],
      [event("agent", "AGENT", "Answered", 20), "IN_PROGRESS"],
      [event("agent", "AGENT", "Disconnected", 65), "IN_PROGRESS"],
      [event(caller, "EXTERNAL", "Disconnected", 65), "ENDED"],
    ];
    const seen: PartyEvent[] = [];
    for (const [e, status] of steps) {
      seen.push(e);
      expect(deriveCall(fold(seen), "INBOUND").status).toBe(status);
    }
    const derived = deriveCall(fold(seen), "INBOUND");
    expect(derived).toMatchObject({
      talkSeconds: 60,
      answeredAt: t(5),
      endedAt: t(65),
      answeredByExtensionId: "ext-agent",
    });
  });

  it("is MISSED when the rung agent times out, ABANDONED when the caller hangs up first", () => {
    const missed = fold([
      event("c", "EXTERNAL", "Setup", 0),
      event("a", "AGENT", "Proceeding", 1),
      event("a", "AGENT", "Disconnected", 30, { missedCall: true, reason: "Timeout" }),
      event("c", "EXTERNAL", "Disconnected", 31),
    ]);
    expect(deriveCall(missed, "INBOUND").status).toBe("MISSED");
    const abandoned = fold([
      event("c", "EXTERNAL", "Setup", 0),
      event("a", "AGENT", "Proceeding", 1),
      event("c", "EXTERNAL", "Disconnected", 5),
      event("a", "AGENT", "Disconnected", 5, { missedCall: true, reason: "Cancelled" }),
    ]);
    expect(deriveCall(abandoned, "INBOUND").status).toBe("ABANDONED");
  });

  it("is VOICEMAIL when the call went to voicemail, even after everyone left", () => {
    const parties = fold([
      event("c", "EXTERNAL", "Setup", 0),
      event("a", "AGENT", "Proceeding", 1),
      event("a", "AGENT", "VoiceMail", 20, { missedCall: true }),
      event("a", "AGENT", "Disconnected", 40, { missedCall: true }),
      event("c", "EXTERNAL", "Disconnected", 40),
    ]);
    expect(deriveCall(parties, "INBOUND").status).toBe("VOICEMAIL");
  });

  it("is QUEUED from the queue leg's start until an agent answers, then follows the answering agent", () => {
    const waiting = [
      event("c", "EXTERNAL", "Answered", 0),
      event("q", "QUEUE", "Setup", 2),
      event("a1", "AGENT", "Proceeding", 3, { queueCall: true }),
    ];
    const queued = deriveCall(fold(waiting), "INBOUND");
    expect(queued).toMatchObject({ status: "QUEUED", queuedAt: t(2), ringingExtensionIds: ["ext-a1"] });
    const answered = deriveCall(
      fold([...waiting, event("a2", "AGENT", "Answered", 9, { queueCall: true })]),
      "INBOUND",
    );
    expect(answered).toMatchObject({
      status: "IN_PROGRESS",
      answeredByExtensionId: "ext-a2",
      connectedExtensionIds: ["ext-a2"],
    });
  });

  it("keeps a cold transfer as one call and hands it to whoever picks up", () => {
    const beforePickup = [
      event("c", "EXTERNAL", "Answered", 0),
      event("a1", "AGENT", "Answered", 2),
      event("a1", "AGENT", "Disconnected", 10, { reason: "BlindTransfer" }),
      event("a2", "AGENT", "Proceeding", 11),
    ];
    expect(deriveCall(fold(beforePickup), "INBOUND")).toMatchObject({
      status: "IN_PROGRESS",
      ringingExtensionIds: ["ext-a2"],
    });
    const picked = deriveCall(fold([...beforePickup, event("a2", "AGENT", "Answered", 15)]), "INBOUND");
    expect(picked).toMatchObject({ status: "IN_PROGRESS", answeredByExtensionId: "ext-a2", answeredAt: t(2) });
  });

  it("uses the callee's answer for outbound calls, not the caller's own leg", () => {
    const agentLeg = (code: string, at: number) => event("me", "AGENT", code, at, { direction: "Outbound" });
    const customer = (code: string, at: number) => event("them", "EXTERNAL", code, at, { direction: "Inbound" });
    const ringing = fold([agentLeg("Setup", 0), customer("Proceeding", 1), agentLeg("Answered", 2)]);
    expect(deriveCall(ringing, "OUTBOUND").status).toBe("RINGING");
    const talking = fold([
      agentLeg("Setup", 0),
      customer("Proceeding", 1),
      agentLeg("Answered", 2),
      customer("Answered", 6),
    ]);
    expect(deriveCall(talking, "OUTBOUND")).toMatchObject({
      status: "IN_PROGRESS",
      answeredAt: t(6),
      answeredByExtensionId: "ext-me",
    });
  });

  it("applies a snapshot only when its sequence is newer, and keeps the earliest milestones", () => {
    const late = event("a", "AGENT", "Answered", 5);
    const early = { ...event("a", "AGENT", "Proceeding", 1), sequence: late.sequence - 1 };
    const state = applyPartyEvent(applyPartyEvent(null, late), early);
    expect(state).toMatchObject({ statusCode: "Answered", answeredAt: t(5), firstEventAt: t(1) });
  });

  it("keeps the newer snapshot's muted flag and numbers when an older one arrives late", () => {
    const snapshot = { muted: true, fromNumber: "+14155550100", toNumber: "+18005550100" };
    const newer = event("a", "AGENT", "Answered", 5, snapshot);
    const stale = event("a", "AGENT", "Answered", 4, { fromNumber: "+14155550199" });
    const older = { ...stale, sequence: newer.sequence - 1 };
    const state = applyPartyEvent(applyPartyEvent(null, newer), older);
    expect(state).toMatchObject({ ...snapshot, sequence: newer.sequence });
  });
});
