// R3.7 end to end: an agent cold-transfers their call with `transferCall` (RingCentral's Call
// Control API through their own login). To another extension: the same conversation, a new leg,
// reassigned to whoever picks up. To a number connected as another VOICE channel: the
// conversation shows in both inboxes. To a number that is not connected: only where it was.
// Observed only through GraphQL.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simControl } from "./support/simulator.ts";
import {
  CALL_RESULT,
  CALL_UPDATED,
  CONVERSATION,
  CONVERSATION_EVENTS,
  EXT,
  INCOMING_CALL,
  callControlRequests,
  query,
  ringingCall,
  startVoiceWorld,
  stream,
  type VoiceWorld,
} from "./support/voice-agents.ts";

let world: VoiceWorld;
let updates: ReturnType<typeof stream>;
let salesEvents: ReturnType<typeof stream>;
let supportEvents: ReturnType<typeof stream>;
let aliceRings: ReturnType<typeof stream>;

const SUPPORT_LINE = EXT.bob.direct; // connected as the Support inbox's VOICE channel
const OUTSIDE_NUMBER = "+14155550199"; // not connected anywhere

beforeAll(async () => {
  world = await startVoiceWorld({
    users: { alice: EXT.alice.email, bob: EXT.bob.email },
    inboxes: { Sales: ["alice", "bob"], Support: ["bob"] },
    channels: { "+18003151571": "Sales", [SUPPORT_LINE]: "Support" },
    logins: ["alice", "bob"],
  });
  updates = stream(world, world.admin.token, CALL_UPDATED, { inbox: world.inboxes.Sales!.globalId });
  salesEvents = stream(world, world.admin.token, CONVERSATION_EVENTS, { inbox: world.inboxes.Sales!.globalId });
  supportEvents = stream(world, world.admin.token, CONVERSATION_EVENTS, { inbox: world.inboxes.Support!.globalId });
  aliceRings = stream(world, world.users.alice!.token, INCOMING_CALL);
});
afterAll(async () => {
  for (const s of [updates, salesEvents, supportEvents, aliceRings]) s?.close();
  await world?.close();
});

const statusOf = (callId: string, status: string) => (d: any) =>
  d.callUpdated.call.id === callId && d.callUpdated.call.status === status;

/** Alice takes a call from `from` through call control; resolves once it is IN_PROGRESS. */
async function aliceOnACall(from: string) {
  const scenario = await ringingCall(world, { from, extensionId: EXT.alice.id });
  const ring = await aliceRings.next((d) => d.incomingCall.callerNumber === from);
  const callId = ring.incomingCall.call.id as string;
  const answer = await query(
    world,
    world.users.alice!.token,
    `mutation($id: ID!) { answerCall(callId: $id) ${CALL_RESULT} }`,
    { id: callId },
  );
  expect(answer.answerCall.__typename).toBe("CallControlPayload");
  await updates.next(statusOf(callId, "IN_PROGRESS"));
  return { scenario, callId, conversationId: ring.incomingCall.conversation.id as string };
}

async function transfer(callId: string, target: { toExtensionNumber?: string; toPhoneNumber?: string }) {
  const result = await query(
    world,
    world.users.alice!.token,
    "mutation($id: ID!, $ext: String, $phone: String) { transferCall(callId: $id, toExtensionNumber: $ext, " +
      `toPhoneNumber: $phone) ${CALL_RESULT} }`,
    { id: callId, ext: target.toExtensionNumber ?? null, phone: target.toPhoneNumber ?? null },
  );
  expect(result.transferCall).toMatchObject({ __typename: "CallControlPayload", call: { id: callId } });
}

const conversation = async (id: string) => (await query(world, world.admin.token, CONVERSATION, { id })).node;

describe("R3.7 cold transfer through call control", () => {
  it("to another extension: same conversation, a new leg, reassigned to whoever picks up", async () => {
    const { scenario, callId, conversationId } = await aliceOnACall("+14155550301");
    expect((await conversation(conversationId)).assignee).toEqual({ email: EXT.alice.email });

    await transfer(callId, { toExtensionNumber: EXT.bob.number });
    const assigned = await salesEvents.next(
      (d) =>
        d.conversationEvents.type === "CONVERSATION_ASSIGNED" &&
        d.conversationEvents.conversation?.id === conversationId &&
        d.conversationEvents.payload.assigneeId === world.users.bob!.id,
    );
    expect(assigned.conversationEvents.payload.callId).toBeTruthy();
    const requests = await callControlRequests(world, scenario.telephonySessionId);
    expect(requests.map((r) => [r.path.split("/").slice(-1)[0], r.body, r.status])).toEqual([
      ["answer", {}, 200],
      ["transfer", { extensionNumber: EXT.bob.number }, 200],
    ]);

    // Bob, who picked up, hangs up through call control too.
    const bobHangsUp = await query(
      world,
      world.users.bob!.token,
      `mutation($id: ID!) { hangUpCall(callId: $id) ${CALL_RESULT} }`,
      { id: callId },
    );
    expect(bobHangsUp.hangUpCall.__typename).toBe("CallControlPayload");
    await updates.next(statusOf(callId, "ENDED"));

    const after = await conversation(conversationId);
    expect(after.assignee).toEqual({ email: EXT.bob.email });
    expect(after.inboxes).toEqual([{ name: "Sales" }]);
    expect(after.calls.edges).toHaveLength(1);
    const call = after.calls.edges[0].node;
    expect(call).toMatchObject({ id: callId, status: "ENDED", answeredBy: { email: EXT.bob.email } });
    // Alice's leg ended by the transfer; Bob's is the new leg (its own final state may still be on its way).
    const legs = call.parties.filter((p: any) => p.extensionId);
    expect(legs.find((p: any) => p.extensionId === EXT.alice.id)).toMatchObject({
      status: "Disconnected",
      reason: "RccTransfer",
    });
    expect(legs.find((p: any) => p.extensionId === EXT.bob.id)).toMatchObject({ direction: "INBOUND", reason: null });
    const assignments = after.timeline.edges.map((e: any) => e.node).filter((n: any) => n.type === "ASSIGNED");
    expect(assignments.map((a: any) => a.data.assigneeId)).toEqual([
      world.users.alice!.globalId,
      world.users.bob!.globalId,
    ]);
  });

  it("to a number connected as another VOICE channel: the same conversation appears in both inboxes", async () => {
    const { scenario, callId, conversationId } = await aliceOnACall("+14155550302");
    await transfer(callId, { toPhoneNumber: "(650) 555-0112" }); // the Support line, in national format
    const added = await supportEvents.next((d) => d.conversationEvents.type === "CONVERSATION_INBOX_ADDED");
    expect(added.conversationEvents.conversation.id).toBe(conversationId);
    await simControl(world.sim, "POST", `calls/${scenario.telephonySessionId}/hangup`, { by: "caller" });
    await updates.next(statusOf(callId, "ENDED"));

    const after = await conversation(conversationId);
    expect(after.inboxes.map((i: any) => i.name).sort()).toEqual(["Sales", "Support"]);
    expect(after.calls.edges).toHaveLength(1);
    const transferRequest = (await callControlRequests(world, scenario.telephonySessionId)).find((r) =>
      r.path.endsWith("/transfer"),
    );
    expect(transferRequest?.body).toEqual({ phoneNumber: SUPPORT_LINE });
    // Bob sees it in Support (a member there), as the same conversation.
    const bobView = await query(world, world.users.bob!.token, `query($id: ID!) { node(id: $id) { id } }`, {
      id: conversationId,
    });
    expect(bobView.node).toEqual({ id: conversationId });
  });

  it("to a number that is not connected: the conversation stays only where it was", async () => {
    const { scenario, callId, conversationId } = await aliceOnACall("+14155550303");
    await transfer(callId, { toPhoneNumber: OUTSIDE_NUMBER });
    // The call ends after the transfer; by then every notification before it has been applied.
    await simControl(world.sim, "POST", `calls/${scenario.telephonySessionId}/hangup`, { by: "caller" });
    await updates.next(statusOf(callId, "ENDED"));
    const after = await conversation(conversationId);
    expect(after.inboxes).toEqual([{ name: "Sales" }]);
    expect(after.calls.edges[0].node.parties.map((p: any) => p.reason)).toContain("RccTransfer");
    expect(after.calls.edges[0].node.parties.some((p: any) => p.extensionId === null && p.partyId !== undefined)).toBe(
      true,
    );
  });
});
