// R3.10 and R2.5 end to end: an agent controls their own call through their own RingCentral login —
// the simulator rings them, the mutations go through the real SDK to the simulator's Call Control
// API, and the new state comes back through the worker's subscription. Observed only through
// GraphQL (HTTP and graphql-ws) and the simulator's log of call-control requests — but for the hold
// log the analytics' hold time is compared with (it has no GraphQL field).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { globalId } from "./support/api.ts";
import { simControl } from "./support/simulator.ts";
import { startAnalyticsConsumer, type AnalyticsConsumer } from "../src/analytics/consumer.ts";
import { inProcessLeases } from "../src/integrations/ringcentral/lease.ts";
import { createLogger } from "../src/logger.ts";
import type { HoldLog } from "../src/domain/call-state.ts";
import {
  CALL_RESULT,
  CALL_UPDATED,
  CONVERSATION,
  EXT,
  INCOMING_CALL,
  callControlRequests,
  connectLogin,
  query,
  ringingCall,
  startVoiceWorld,
  stream,
  type VoiceWorld,
} from "./support/voice-agents.ts";

let world: VoiceWorld;
let updates: ReturnType<typeof stream>;
let aliceRings: ReturnType<typeof stream>;
let analytics: AnalyticsConsumer;

beforeAll(async () => {
  world = await startVoiceWorld({
    users: { alice: EXT.alice.email, bob: EXT.bob.email, outsider: "outsider@example.com" },
    inboxes: { Sales: ["alice", "bob"], Elsewhere: ["outsider"] },
    channels: { "+18003151571": "Sales" },
    logins: ["alice", "bob"],
  });
  updates = stream(world, world.admin.token, CALL_UPDATED, { inbox: world.inboxes.Sales!.globalId });
  aliceRings = stream(world, world.users.alice!.token, INCOMING_CALL);
  // The worker's analytics consumer, as `switchboard start` runs it beside the worker.
  analytics = startAnalyticsConsumer({
    prisma: world.api.app.db.prisma,
    pubsub: world.api.app.pubsub,
    log: createLogger("silent"),
    leases: inProcessLeases(),
  });
});
afterAll(async () => {
  updates?.close();
  aliceRings?.close();
  await analytics?.close();
  await world?.close();
});

const action = (field: string, extra = "") =>
  `mutation($id: ID!${extra.includes("$to") ? ", $to: String" : ""}) { ${field}(callId: $id${extra}) ${CALL_RESULT} }`;

/** Rings Alice with a call from `from`; resolves with the call's ids once she is told. */
async function ringAlice(from: string) {
  const scenario = await ringingCall(world, { from, extensionId: EXT.alice.id });
  const ring = await aliceRings.next((d) => d.incomingCall.callerNumber === from);
  return {
    scenario,
    callId: ring.incomingCall.call.id as string,
    conversationId: ring.incomingCall.conversation.id as string,
  };
}

const statusOf = (callId: string, status: string) => (d: any) =>
  d.callUpdated.call.id === callId && d.callUpdated.call.status === status;

async function act(
  field: string,
  callId: string,
  token = world.users.alice!.token,
  extra = "",
  variables: Record<string, unknown> = {},
) {
  return (await query(world, token, action(field, extra), { id: callId, ...variables }))[field];
}

const HOUR = 3_600_000;
const ANALYTICS = `query($from: DateTime!, $to: DateTime!) { analytics(filter: { from: $from, to: $to }, granularity: DAY) {
  totals { voice { answered hold { count averageSeconds medianSeconds p90Seconds } } } } }`;

describe("R3.10 call control on the agent's own call", () => {
  // First in the file: the only call the figures count.
  it("a hold through call control is logged on the agent's leg and counts in the analytics' hold time", async () => {
    const { scenario, callId } = await ringAlice("+14155550100");
    expect((await act("answerCall", callId)).__typename).toBe("CallControlPayload");
    await updates.next(statusOf(callId, "IN_PROGRESS"));
    expect((await act("holdCall", callId)).__typename).toBe("CallControlPayload");
    await updates.next(statusOf(callId, "ON_HOLD"));
    expect((await act("resumeCall", callId)).__typename).toBe("CallControlPayload");
    await updates.next(statusOf(callId, "IN_PROGRESS"));
    expect((await act("hangUpCall", callId)).__typename).toBe("CallControlPayload");
    await updates.next(statusOf(callId, "ENDED"));

    // Alice's leg as RingCentral notified it: rung, answered, held, answered again, gone.
    const leg = await world.api.app.db.prisma.callParty.findFirstOrThrow({
      where: { extensionId: EXT.alice.id, call: { telephonySessionId: scenario.telephonySessionId } },
    });
    const log = leg.holdLog as HoldLog;
    expect(log.map(([sequence]) => sequence)).toEqual(log.map(([sequence]) => sequence).sort((a, b) => a - b));
    expect(log.map(([, onHold]) => onHold).join("")).toMatch(/^0+10+$/);
    const held = log.findIndex(([, onHold]) => onHold === 1);
    const heldSeconds = Math.round((log[held + 1]![2] - log[held]![2]) / 1000);

    await analytics.drain();
    const now = Math.floor(Date.now() / HOUR) * HOUR;
    const range = { from: new Date(now - 24 * HOUR).toISOString(), to: new Date(now + 24 * HOUR).toISOString() };
    const voice = (await query(world, world.admin.token, ANALYTICS, range)).analytics.totals.voice;
    expect(voice).toEqual({
      answered: 1,
      hold: { count: 1, averageSeconds: heldSeconds, medianSeconds: heldSeconds, p90Seconds: heldSeconds },
    });
  });

  it("answers a ringing call (assigned to the agent, IN_PROGRESS), holds and resumes it, mutes and unmutes, and hangs up", async () => {
    const { scenario, callId, conversationId } = await ringAlice("+14155550101");

    const answered = await act("answerCall", callId);
    expect(answered).toEqual({ __typename: "CallControlPayload", call: { id: callId, status: "RINGING" } });
    const inProgress = await updates.next(statusOf(callId, "IN_PROGRESS"));
    expect(inProgress.callUpdated.call.answeredBy).toEqual({ email: EXT.alice.email });
    const conversation = (await query(world, world.admin.token, CONVERSATION, { id: conversationId })).node;
    expect(conversation.assignee).toEqual({ email: EXT.alice.email });

    expect((await act("holdCall", callId)).__typename).toBe("CallControlPayload");
    await updates.next(statusOf(callId, "ON_HOLD"));
    expect((await act("resumeCall", callId)).__typename).toBe("CallControlPayload");
    await updates.next(statusOf(callId, "IN_PROGRESS"));

    const aliceMuted = (muted: boolean) => (d: any) =>
      d.callUpdated.call.id === callId &&
      d.callUpdated.call.parties.some((p: any) => p.extensionId === EXT.alice.id && p.muted === muted);
    expect((await act("muteCall", callId)).__typename).toBe("CallControlPayload");
    await updates.next(aliceMuted(true));
    expect((await act("unmuteCall", callId)).__typename).toBe("CallControlPayload");
    await updates.next(aliceMuted(false));

    expect((await act("hangUpCall", callId)).__typename).toBe("CallControlPayload");
    await updates.next(statusOf(callId, "ENDED"));

    // Every request went out as Alice's own extension, on her own leg.
    const requests = await callControlRequests(world, scenario.telephonySessionId);
    const aliceLeg = conversation.calls.edges[0].node.parties.find((p: any) => p.extensionId === EXT.alice.id).partyId;
    expect(requests.map((r) => [r.method, r.path.split("/").slice(-1)[0], r.status])).toEqual([
      ["POST", "answer", 200],
      ["POST", "hold", 200],
      ["POST", "unhold", 200],
      ["PATCH", aliceLeg, 200],
      ["PATCH", aliceLeg, 200],
      ["DELETE", scenario.telephonySessionId, 204],
    ]);
    expect(requests.every((r) => r.extensionId === EXT.alice.id)).toBe(true);
    expect(requests.filter((r) => r.method === "PATCH").map((r) => r.body)).toEqual([
      { party: { muted: true } },
      { party: { muted: false } },
    ]);

    const ended = (await query(world, world.admin.token, CONVERSATION, { id: conversationId })).node;
    expect(ended.calls.edges).toHaveLength(1);
    expect(ended.calls.edges[0].node).toMatchObject({ status: "ENDED", answeredBy: { email: EXT.alice.email } });
    const activities = ended.timeline.edges.map((e: any) => e.node.type).filter(Boolean);
    expect(activities.filter((t: string) => t === "CALL_ENDED")).toHaveLength(1);
  });

  it("sends a ringing call to the agent's voicemail: the call ends as VOICEMAIL", async () => {
    const { scenario, callId } = await ringAlice("+14155550102");
    expect((await act("sendCallToVoicemail", callId)).__typename).toBe("CallControlPayload");
    await updates.next(statusOf(callId, "VOICEMAIL"));
    const requests = await callControlRequests(world, scenario.telephonySessionId);
    expect(requests.map((r) => [r.method, r.path.split("/").slice(-1)[0], r.body])).toEqual([
      ["POST", "forward", { voicemail: EXT.alice.id }],
    ]);
  });

  it("refuses actions the call's state does not allow, before asking RingCentral", async () => {
    const { scenario, callId } = await ringAlice("+14155550103");
    expect(await act("holdCall", callId)).toMatchObject({
      __typename: "ConflictError",
      code: "CONFLICT",
      message: "The call is not connected",
    });
    expect(
      await act("transferCall", callId, undefined, ", toExtensionNumber: $to", { to: EXT.bob.number }),
    ).toMatchObject({
      code: "CONFLICT",
      message: "Answer the call first",
    });
    expect(await callControlRequests(world, scenario.telephonySessionId)).toEqual([]);
    expect((await act("hangUpCall", callId)).__typename).toBe("CallControlPayload"); // declines it
    await updates.next(
      (d) => d.callUpdated.call.id === callId && ["MISSED", "ABANDONED", "ENDED"].includes(d.callUpdated.call.status),
    );
    expect(
      (await callControlRequests(world, scenario.telephonySessionId)).map((r) => r.path.split("/").slice(-1)[0]),
    ).toEqual(["reject"]);
    expect(await act("answerCall", callId)).toMatchObject({ code: "CONFLICT", message: "The call has ended" });
  });
});

describe("R3.10 errors", () => {
  it("an agent who is not on the call is told so, and nothing reaches RingCentral", async () => {
    const { scenario, callId } = await ringAlice("+14155550104");
    const result = await act("answerCall", callId, world.users.bob!.token);
    expect(result).toEqual({
      __typename: "ConflictError",
      code: "CONFLICT",
      message: "You are not on this call",
      field: undefined,
    });
    expect(await callControlRequests(world, scenario.telephonySessionId)).toEqual([]);
    await simControl(world.sim, "POST", `calls/${scenario.telephonySessionId}/hangup`, { by: "caller" });
    await updates.next((d) => d.callUpdated.call.id === callId && d.callUpdated.call.status === "ABANDONED");
  });

  it("a call the agent cannot see looks missing; unknown calls too", async () => {
    const { scenario, callId } = await ringAlice("+14155550105");
    for (const field of ["answerCall", "holdCall", "hangUpCall", "sendCallToVoicemail"]) {
      expect(await act(field, callId, world.users.outsider!.token)).toEqual({
        __typename: "NotFoundError",
        code: "NOT_FOUND",
        message: "Call not found",
      });
    }
    const missing = globalId("Call", "00000000-0000-4000-8000-000000000000");
    expect(await act("answerCall", missing)).toMatchObject({ __typename: "NotFoundError", code: "NOT_FOUND" });
    expect(await callControlRequests(world, scenario.telephonySessionId)).toEqual([]);
    await simControl(world.sim, "POST", `calls/${scenario.telephonySessionId}/hangup`, { by: "caller" });
    await updates.next((d) => d.callUpdated.call.id === callId && d.callUpdated.call.status === "ABANDONED");
  });

  it("without their own RingCentral login an agent gets RINGCENTRAL_LOGIN_REQUIRED", async () => {
    const { scenario, callId } = await ringAlice("+14155550106");
    // The admin sees every inbox but never connected a RingCentral login of their own.
    expect(await act("answerCall", callId, world.admin.token)).toMatchObject({
      __typename: "RingCentralLoginRequiredError",
      code: "RINGCENTRAL_LOGIN_REQUIRED",
    });
    expect(await callControlRequests(world, scenario.telephonySessionId)).toEqual([]);
    await simControl(world.sim, "POST", `calls/${scenario.telephonySessionId}/hangup`, { by: "caller" });
    await updates.next((d) => d.callUpdated.call.id === callId && d.callUpdated.call.status === "ABANDONED");
  });

  it("an invalid transfer number is BAD_USER_INPUT and nothing is sent", async () => {
    const { scenario, callId } = await ringAlice("+14155550107");
    expect((await act("answerCall", callId)).__typename).toBe("CallControlPayload");
    await updates.next(statusOf(callId, "IN_PROGRESS"));
    const before = await callControlRequests(world, scenario.telephonySessionId);
    const cases: [string, Record<string, unknown>, string][] = [
      [", toPhoneNumber: $to", { to: "12" }, "toPhoneNumber"],
      [", toPhoneNumber: $to", { to: "call me maybe" }, "toPhoneNumber"],
      [", toExtensionNumber: $to", { to: "11 03" }, "toExtensionNumber"],
      ["", {}, "toPhoneNumber"],
    ];
    for (const [extra, variables, field] of cases) {
      const result = (
        await query(world, world.users.alice!.token, action("transferCall", extra), { id: callId, ...variables })
      ).transferCall;
      expect(result).toMatchObject({ __typename: "InvalidInputError", code: "BAD_USER_INPUT", field });
    }
    const both =
      `mutation($id: ID!) { transferCall(callId: $id, toExtensionNumber: "11103", toPhoneNumber: ` +
      `"+14155550100") ${CALL_RESULT} }`;
    expect((await query(world, world.users.alice!.token, both, { id: callId })).transferCall).toMatchObject({
      code: "BAD_USER_INPUT",
    });
    expect(await callControlRequests(world, scenario.telephonySessionId)).toEqual(before);
    expect((await act("hangUpCall", callId)).__typename).toBe("CallControlPayload");
    await updates.next(statusOf(callId, "ENDED"));
  });

  it("R2.5: an expired session gives RINGCENTRAL_LOGIN_REQUIRED, shows EXPIRED, and the agent is told once on ringCentralLoginChanged", async () => {
    const alice = world.users.alice!;
    const notices = stream(
      world,
      alice.token,
      `subscription { ringCentralLoginChanged(after: "0") { cursor type state } }`,
    );
    const { scenario, callId } = await ringAlice("+14155550108");
    await simControl(world.sim, "POST", "faults/tokens", { action: "expire", kind: "all", extensionId: EXT.alice.id });

    const result = await act("answerCall", callId);
    expect(result).toMatchObject({ __typename: "RingCentralLoginRequiredError", code: "RINGCENTRAL_LOGIN_REQUIRED" });
    const notice = await notices.next(() => true);
    expect(notice.ringCentralLoginChanged).toMatchObject({ type: "RINGCENTRAL_LOGIN_EXPIRED", state: "EXPIRED" });
    expect((await query(world, alice.token, `{ viewer { ringCentralLogin } }`)).viewer.ringCentralLogin).toBe(
      "EXPIRED",
    );

    // Trying again: still refused, not announced a second time.
    expect(await act("answerCall", callId)).toMatchObject({ code: "RINGCENTRAL_LOGIN_REQUIRED" });
    expect((await callControlRequests(world, scenario.telephonySessionId)).filter((r) => r.status < 400)).toEqual([]);

    // Connecting again brings call control back; a resumed subscription replays the one notice.
    await connectLogin(world, "alice");
    expect((await act("answerCall", callId)).__typename).toBe("CallControlPayload");
    await updates.next(statusOf(callId, "IN_PROGRESS"));
    const replay = stream(world, alice.token, `subscription { ringCentralLoginChanged(after: "0") { cursor type } }`);
    const [only] = await replay.events.until(1);
    expect(only!.data).toMatchObject({ ringCentralLoginChanged: { type: "RINGCENTRAL_LOGIN_EXPIRED" } });
    expect(notices.events.received).toHaveLength(1);
    expect((await act("hangUpCall", callId)).__typename).toBe("CallControlPayload");
    await updates.next(statusOf(callId, "ENDED"));
    expect(replay.events.received).toHaveLength(1);
    notices.close();
    replay.close();
  });
});
