// Each scenario type emits a plausible sequence per REFERENCE §3.3 (modelled flows: queue, missed,
// abandoned, voicemail, transfers), one party per notification with per-session sequences, and
// scenarios can be run step by step.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Simulator } from "../../src/integrations/ringcentral/simulator/index.ts";
import { startTestSimulator } from "./platform-harness.ts";
import { control, partyLine, publishedFor, seeded, startScenario, step, type Notification } from "./feature-support.ts";

let sim: Simulator;

beforeAll(async () => {
  sim = await startTestSimulator();
});

afterAll(async () => {
  await sim.close();
});

async function run(body: Record<string, unknown>): Promise<{ scenario: any; events: Notification[] }> {
  const scenario = await startScenario(sim, body);
  return { scenario, events: await publishedFor(sim, scenario.telephonySessionId) };
}

function expectSequencesInOrder(events: Notification[]): void {
  expect(events.map((n) => n.body.sequence)).toEqual(events.map((_, i) => i + 2));
  expect(events.every((n) => n.body.parties.length === 1)).toBe(true);
}

function party(events: Notification[], line: string): any {
  return events.find((n) => partyLine(n) === line)?.body.parties[0];
}

describe("scenario types", () => {
  it("queue: the queue answers, every member rings, one agent answers, the others stop", async () => {
    const { events } = await run({ type: "queue", answeredBy: seeded.alice });
    expect(events.map(partyLine)).toEqual([
      "p1 Outbound Setup",
      "p2 Inbound Setup",
      "p1 Outbound Answered",
      "p2 Inbound Answered",
      "p3 Inbound Setup",
      "p4 Inbound Setup",
      "p5 Inbound Setup",
      "p3 Inbound Proceeding",
      "p4 Inbound Proceeding",
      "p5 Inbound Proceeding",
      "p4 Inbound Answered",
      "p3 Inbound Disconnected/Cancelled",
      "p5 Inbound Disconnected/Cancelled",
      "p2 Inbound Disconnected",
      "p4 Inbound Disconnected",
      "p1 Outbound Disconnected",
    ]);
    expectSequencesInOrder(events);
    const queueLeg = party(events, "p2 Inbound Setup");
    expect(queueLeg).toMatchObject({
      extensionId: seeded.queue,
      to: { name: "Support", phoneNumber: seeded.queueNumber },
    });
    const winner = party(events, "p4 Inbound Answered");
    expect(winner).toMatchObject({
      extensionId: seeded.alice,
      queueCall: true,
      uiCallInfo: { primary: { type: "QueueName", value: "Support" } },
    });
  });

  it("inbound to the queue's number runs the queue flow; to the main number, the IVR flow", async () => {
    const toQueue = await run({ type: "inbound", to: seeded.queueNumber });
    expect(party(toQueue.events, "p2 Inbound Setup").extensionId).toBe(seeded.queue);
    const toMain = await run({ type: "inbound", to: seeded.mainNumber });
    expect(party(toMain.events, "p2 Inbound Setup").extensionId).toBe(seeded.ivr);
  });

  it("missed: the user's phone rings out with missedCall, then the caller leaves", async () => {
    const { events } = await run({ type: "missed", extensionId: seeded.alice });
    expect(events.map(partyLine)).toEqual([
      "p1 Outbound Setup",
      "p2 Inbound Setup",
      "p1 Outbound Answered",
      "p2 Inbound Proceeding",
      "p2 Inbound Disconnected/Timeout",
      "p1 Outbound Disconnected",
    ]);
    expect(party(events, "p2 Inbound Disconnected/Timeout").missedCall).toBe(true);
    expect(events.some((n) => n.body.parties[0].status.code === "Answered" && n.body.parties[0].extensionId)).toBe(
      false,
    );
  });

  it("abandoned: the caller hangs up while the queue rings its agents", async () => {
    const { events } = await run({ type: "abandoned" });
    const lines = events.map(partyLine);
    expect(lines.slice(-5)).toEqual([
      "p1 Outbound Disconnected",
      "p3 Inbound Disconnected/Cancelled",
      "p4 Inbound Disconnected/Cancelled",
      "p5 Inbound Disconnected/Cancelled",
      "p2 Inbound Disconnected/Cancelled",
    ]);
    expect(
      lines.filter((l) => l.includes("Answered") && l !== "p1 Outbound Answered" && l !== "p2 Inbound Answered"),
    ).toEqual([]);
  });

  it("abandoned while ringing a user directly", async () => {
    const { events } = await run({ type: "abandoned", extensionId: seeded.bob });
    expect(events.map(partyLine).slice(-2)).toEqual(["p1 Outbound Disconnected", "p2 Inbound Disconnected/Cancelled"]);
  });

  it("voicemail: VoiceMail status, then a voicemail and a message-store notification with the message", async () => {
    const { scenario, events } = await run({
      type: "voicemail",
      extensionId: seeded.alice,
      from: "+14155550177",
      callerName: "JANE DOE",
    });
    expect(events.map(partyLine)).toEqual([
      "p1 Outbound Setup",
      "p2 Inbound Setup",
      "p1 Outbound Answered",
      "p2 Inbound Proceeding",
      "p2 Inbound VoiceMail",
      "p1 Outbound Disconnected",
      "p2 Inbound Disconnected",
    ]);
    expect(party(events, "p2 Inbound VoiceMail").missedCall).toBe(true);
    const history = (await control(sim, "GET", "/__sim/notifications")).json.records as Notification[];
    const voicemail = history.find(
      (n) => n.event === `/restapi/v1.0/account/${scenario.accountId}/extension/${seeded.alice}/voicemail`,
    );
    expect(voicemail?.body).toMatchObject({
      type: "VoiceMail",
      direction: "Inbound",
      messageStatus: "Received",
      readStatus: "Unread",
      from: { phoneNumber: "+14155550177", name: "JANE DOE" },
      vmTranscriptionStatus: "NotAvailable",
      attachments: [{ type: "AudioRecording", contentType: "audio/x-wav", vmDuration: 3 }],
    });
    const storeChange = history.find(
      (n) =>
        n.event.endsWith(`/extension/${seeded.alice}/message-store`) &&
        n.body.changes[0].newMessageIds?.[0] === Number(voicemail?.body.id),
    );
    expect(storeChange?.body.changes).toEqual([
      { type: "VoiceMail", newCount: 1, updatedCount: 0, newMessageIds: [Number(voicemail?.body.id)] },
    ]);
  });

  it("cold transfer to an extension: the agent leaves with BlindTransfer, the target rings and answers", async () => {
    const { events } = await run({
      type: "cold-transfer",
      extensionId: seeded.alice,
      transferTo: { extensionId: seeded.bob },
    });
    expect(events.map(partyLine)).toEqual([
      "p1 Outbound Setup",
      "p2 Inbound Setup",
      "p1 Outbound Answered",
      "p2 Inbound Proceeding",
      "p2 Inbound Answered",
      "p2 Inbound Disconnected/BlindTransfer",
      "p3 Inbound Setup",
      "p3 Inbound Proceeding",
      "p3 Inbound Answered",
      "p3 Inbound Disconnected",
      "p1 Outbound Disconnected",
    ]);
    expect(party(events, "p3 Inbound Setup")).toMatchObject({
      extensionId: seeded.bob,
      to: { extensionId: seeded.bob },
    });
  });

  it("cold transfer to an external number: a PSTN leg appears ringing and answers", async () => {
    const { events } = await run({
      type: "cold-transfer",
      extensionId: seeded.alice,
      transferTo: { phoneNumber: "+14155550999" },
    });
    expect(events.map(partyLine).slice(5)).toEqual([
      "p2 Inbound Disconnected/BlindTransfer",
      "p3 Inbound Proceeding",
      "p3 Inbound Answered",
      "p3 Inbound Disconnected",
      "p1 Outbound Disconnected",
    ]);
    const target = party(events, "p3 Inbound Proceeding");
    expect(target.extensionId).toBeUndefined();
    expect(target.to).toEqual({ phoneNumber: "+14155550999" });
    expect(events.find((n) => partyLine(n) === "p3 Inbound Proceeding")?.event).toBe(
      `/restapi/v1.0/account/${seeded.admin}/telephony/sessions`,
    );
  });

  it("attended transfer: a consultation session, then both agent legs Gone with peerIds", async () => {
    const { scenario, events } = await run({
      type: "attended-transfer",
      extensionId: seeded.alice,
      transferTo: { extensionId: seeded.bob },
    });
    expect(scenario.telephonySessionIds).toHaveLength(2);
    const consultId = scenario.telephonySessionIds[1];
    const consult = await publishedFor(sim, consultId);
    expect(events.map(partyLine)).toEqual([
      "p1 Outbound Setup",
      "p2 Inbound Setup",
      "p1 Outbound Answered",
      "p2 Inbound Proceeding",
      "p2 Inbound Answered",
      "p2 Inbound Hold",
      "p2 Inbound Gone/AttendedTransfer",
      "p1 Outbound Disconnected",
    ]);
    expect(consult.map(partyLine)).toEqual([
      "p1 Outbound Setup",
      "p2 Inbound Setup",
      "p1 Outbound Answered",
      "p2 Inbound Proceeding",
      "p2 Inbound Answered",
      "p1 Outbound Gone/AttendedTransfer",
      "p2 Inbound Disconnected",
    ]);
    expectSequencesInOrder(events);
    expectSequencesInOrder(consult);
    const gone = party(events, "p2 Inbound Gone/AttendedTransfer");
    expect(gone.status.peerId).toEqual({
      sessionId: consult[0]!.body.sessionId,
      telephonySessionId: consultId,
      partyId: party(consult, "p2 Inbound Setup").id,
    });
    expect(party(consult, "p1 Outbound Gone/AttendedTransfer").status.peerId.telephonySessionId).toBe(
      scenario.telephonySessionId,
    );
  });

  it("mute and recording options show on the answering party", async () => {
    const { events } = await run({ type: "inbound", extensionId: seeded.alice, mute: true, record: true });
    const mutedEvents = events
      .filter((n) => n.body.parties[0].extensionId === seeded.alice)
      .map((n) => n.body.parties[0].muted);
    expect(mutedEvents).toEqual([false, false, false, true, false, false]);
    const answered = party(events, "p2 Inbound Answered");
    expect(answered.recordings).toEqual([{ id: expect.any(String), active: true }]);
    expect(party(events, "p2 Inbound Disconnected").recordings[0].active).toBe(false);
  });

  it("ring-out and call-out scenarios carry their origin", async () => {
    const ringOut = await run({ type: "ring-out", extensionId: seeded.alice, to: "+14155550123" });
    expect(new Set(ringOut.events.map((n) => n.body.origin.type))).toEqual(new Set(["RingOut"]));
    const callOut = await run({ type: "call-out", extensionId: seeded.alice, to: "+14155550123" });
    expect(new Set(callOut.events.map((n) => n.body.origin.type))).toEqual(new Set(["CallOut"]));
  });
});

describe("running step by step", () => {
  it("emits nothing until stepped, one step's notifications per step, then the rest at once", async () => {
    const scenario = await startScenario(sim, { type: "inbound", extensionId: seeded.bob, mode: "step", hold: true });
    expect(scenario.steps.map((s: any) => s.name)).toEqual(["dial", "ring", "answer", "hold", "unhold", "hangup"]);
    expect(await publishedFor(sim, scenario.telephonySessionId)).toEqual([]);

    const afterDial = await step(sim, scenario.id);
    expect(afterDial.nextStep).toBe("ring");
    expect((await publishedFor(sim, scenario.telephonySessionId)).map(partyLine)).toEqual([
      "p1 Outbound Setup",
      "p2 Inbound Setup",
      "p1 Outbound Answered",
    ]);

    await step(sim, scenario.id, 2);
    expect((await publishedFor(sim, scenario.telephonySessionId)).map(partyLine).slice(3)).toEqual([
      "p2 Inbound Proceeding",
      "p2 Inbound Answered",
    ]);

    const finished = (await control(sim, "POST", `/__sim/scenarios/${scenario.id}/run`)).json;
    expect(finished.finished).toBe(true);
    expect(finished.parties.map((p: any) => p.status)).toEqual(["Disconnected", "Disconnected"]);
    expect((await control(sim, "POST", `/__sim/scenarios/${scenario.id}/step`)).status).toBe(409);
    expect((await control(sim, "GET", `/__sim/scenarios/${scenario.id}`)).json.steps.every((s: any) => s.done)).toBe(
      true,
    );
  });

  it("a call left up (hangup: false) ends through /__sim/calls/:id/hangup, caller first", async () => {
    const scenario = await startScenario(sim, { type: "inbound", extensionId: seeded.bob, hangup: false });
    const ended = await control(sim, "POST", `/__sim/calls/${scenario.telephonySessionId}/hangup`, { by: "caller" });
    expect(ended.status).toBe(200);
    expect((await publishedFor(sim, scenario.telephonySessionId)).map(partyLine).slice(-2)).toEqual([
      "p1 Outbound Disconnected",
      "p2 Inbound Disconnected",
    ]);
    expect((await control(sim, "POST", `/__sim/calls/${scenario.telephonySessionId}/hangup`)).status).toBe(404);
  });
});

describe("bad control input", () => {
  it("rejects unknown types, extensions and ids with RingCentral's error shape", async () => {
    const unknownType = await control(sim, "POST", "/__sim/scenarios", { type: "teleport" });
    expect(unknownType.status).toBe(400);
    expect(unknownType.json).toMatchObject({ errorCode: "CMN-101", errors: [{ parameterName: "type" }] });
    const unknownExtension = await control(sim, "POST", "/__sim/scenarios", { type: "inbound", extensionId: "404" });
    expect(unknownExtension.status).toBe(400);
    expect(unknownExtension.json.errors[0].parameterName).toBe("extensionId");
    expect((await control(sim, "POST", "/__sim/scenarios/scn-nope/step")).status).toBe(404);
    expect((await control(sim, "GET", "/__sim/scenarios/scn-nope")).json.errorCode).toBe("CMN-102");
  });
});
