// Warm transfer started from the API (R3.8, R3.10) end to end: the agent consults a colleague while
// the customer holds (consultCall: hold, then a CallOut from the agent's phone), then hands the
// customer over (completeTransfer: RingCentral's Bridge) or takes them back (cancelConsultation).
// Through the agent's own RingCentral login, the real SDK and the simulator's Call Control API;
// observed through GraphQL and the simulator's log of call-control requests.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simControl } from "./support/simulator.ts";
import {
  CALL_RESULT,
  CALL_UPDATED,
  CONVERSATION,
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
let aliceRings: ReturnType<typeof stream>;
let statuses: ReturnType<typeof stream>;

beforeAll(async () => {
  world = await startVoiceWorld({
    users: { alice: EXT.alice.email, bob: EXT.bob.email, carol: "carol@example.com", outsider: "outsider@example.com" },
    inboxes: { Sales: ["alice", "bob", "carol"], Elsewhere: ["outsider"] },
    channels: { "+18003151571": "Sales" },
    logins: ["alice", "bob"],
  });
  updates = stream(world, world.admin.token, CALL_UPDATED, { inbox: world.inboxes.Sales!.globalId });
  aliceRings = stream(world, world.users.alice!.token, INCOMING_CALL);
  statuses = stream(
    world,
    world.admin.token,
    `subscription($inbox: ID!) { agentStatusChanged(inboxId: $inbox, after: "0") { status user { email } } }`,
    { inbox: world.inboxes.Sales!.globalId },
  );
});
afterAll(async () => {
  updates?.close();
  aliceRings?.close();
  statuses?.close();
  await world?.close();
});

const statusOf = (callId: string, status: string) => (d: any) =>
  d.callUpdated.call.id === callId && d.callUpdated.call.status === status;

async function act(field: string, callId: string, token = world.users.alice!.token, args = "") {
  const text = `mutation($id: ID!) { ${field}(callId: $id${args}) ${CALL_RESULT} }`;
  return (await query(world, token, text, { id: callId }))[field];
}

/** A customer's call Alice has answered through the API. */
async function aliceOnCallWith(from: string) {
  const scenario = await ringingCall(world, { from, extensionId: EXT.alice.id });
  const ring = await aliceRings.next((d) => d.incomingCall.callerNumber === from);
  const callId = ring.incomingCall.call.id as string;
  expect((await act("answerCall", callId)).__typename).toBe("CallControlPayload");
  await updates.next(statusOf(callId, "IN_PROGRESS"));
  return { scenario, callId, conversationId: ring.incomingCall.conversation.id as string };
}

/** Every call still up in the simulator (the customer's, the consultations), hung up from outside. */
async function hangUpEverything() {
  const { records } = await simControl<{ records: { telephonySessionIds: string[] }[] }>(world.sim, "GET", "scenarios");
  for (const id of records.flatMap((r) => r.telephonySessionIds))
    await simControl(world.sim, "POST", `calls/${id}/hangup`).catch(() => {});
}

describe("warm transfer through the API", () => {
  it("consults a colleague while the customer holds, then completes: one conversation, now the colleague's", async () => {
    const { callId, conversationId } = await aliceOnCallWith("+14155550601");
    const before = (await callControlRequests(world)).length;

    const consulted = await act("consultCall", callId, undefined, `, toExtensionNumber: "${EXT.bob.number}"`);
    // The payload reads the call as stored when it resolves: the worker may already have applied the hold.
    expect(consulted).toMatchObject({ __typename: "CallControlPayload", call: { id: callId } });
    expect(["IN_PROGRESS", "ON_HOLD"]).toContain(consulted.call.status);
    await updates.next(statusOf(callId, "ON_HOLD"));
    // Bob picks up the consultation (RingCentral's presence makes him BUSY).
    await statuses.next(
      (d) => d.agentStatusChanged.user.email === EXT.bob.email && d.agentStatusChanged.status === "BUSY",
    );

    expect((await act("completeTransfer", callId)).__typename).toBe("CallControlPayload");
    const assigned = await updates.next(
      (d) =>
        d.callUpdated.call.conversation.id === conversationId && d.callUpdated.call.answeredBy?.email === EXT.bob.email,
    );
    expect(assigned.callUpdated.call.id).not.toBe(callId); // the consultation, threaded in
    const conversation = (await query(world, world.admin.token, CONVERSATION, { id: conversationId })).node;
    expect(conversation.assignee).toEqual({ email: EXT.bob.email });
    expect(conversation.calls.edges).toHaveLength(2);
    const customerCall = conversation.calls.edges.find((e: any) => e.node.id === callId).node;
    expect(customerCall.parties.find((p: any) => p.extensionId === EXT.alice.id)).toMatchObject({
      status: "Gone",
      reason: "AttendedTransfer",
    });

    // What went to RingCentral, as Alice: hold the customer, the consultation from her phone, the bridge.
    const sent = (await callControlRequests(world)).slice(before);
    expect(sent.map((r) => [r.method, r.path.split("/").slice(-1)[0], r.status])).toEqual([
      ["POST", "hold", 200],
      ["POST", "call-out", 201],
      ["POST", "bridge", 200],
    ]);
    expect(sent.every((r) => r.extensionId === EXT.alice.id)).toBe(true);
    expect(sent[1]!.body).toMatchObject({
      from: { deviceId: expect.any(String) },
      to: { extensionNumber: EXT.bob.number },
    });
    expect((await act("completeTransfer", callId)).code).toBe("CONFLICT"); // done: nothing left to complete
    await hangUpEverything();
  });

  it("cancels a consultation of an outside number: it ends, and the customer is back with the agent", async () => {
    const { scenario, callId, conversationId } = await aliceOnCallWith("+14155550602");
    const consulted = await act("consultCall", callId, undefined, `, toPhoneNumber: "(650) 555-0177"`);
    expect(consulted.__typename).toBe("CallControlPayload");
    await updates.next(statusOf(callId, "ON_HOLD"));
    const callOut = (await callControlRequests(world)).filter((r) => r.path.endsWith("/call-out")).at(-1)!;
    expect(callOut.body).toMatchObject({ to: { phoneNumber: "+16505550177" } });

    const before = (await callControlRequests(world)).length;
    expect((await act("cancelConsultation", callId)).__typename).toBe("CallControlPayload");
    await updates.next(statusOf(callId, "IN_PROGRESS"));
    const sent = (await callControlRequests(world)).slice(before);
    expect(sent.map((r) => [r.method, r.status])).toEqual([
      ["DELETE", 204], // the consultation's session
      ["POST", 200], // unhold the customer
    ]);
    expect(sent[0]!.path).not.toContain(scenario.telephonySessionId);
    expect(sent[1]!.path).toContain(`${scenario.telephonySessionId}/parties/`);
    const conversation = (await query(world, world.admin.token, CONVERSATION, { id: conversationId })).node;
    expect(conversation.assignee).toEqual({ email: EXT.alice.email });
    expect(conversation.calls.edges).toHaveLength(1);
    await hangUpEverything();
  });

  it("refuses what cannot be done with the same typed errors as other call control, before anything is sent", async () => {
    const { callId } = await aliceOnCallWith("+14155550603");
    const before = (await callControlRequests(world)).length;
    const both = await act(
      "consultCall",
      callId,
      undefined,
      `, toExtensionNumber: "11103", toPhoneNumber: "+16505550177"`,
    );
    expect(both).toMatchObject({ __typename: "InvalidInputError", code: "BAD_USER_INPUT", field: "toExtensionNumber" });
    const badNumber = await act("consultCall", callId, undefined, `, toPhoneNumber: "12"`);
    expect(badNumber).toMatchObject({ code: "BAD_USER_INPUT", field: "toPhoneNumber" });
    expect((await act("completeTransfer", callId)).code).toBe("CONFLICT");
    expect((await act("cancelConsultation", callId)).code).toBe("CONFLICT");
    const notOnIt = await act(
      "consultCall",
      callId,
      world.users.bob!.token,
      `, toExtensionNumber: "${EXT.alice.number}"`,
    );
    expect(notOnIt).toMatchObject({ code: "CONFLICT", message: "You are not on this call" });
    const hidden = await act("consultCall", callId, world.users.outsider!.token, `, toExtensionNumber: "11103"`);
    expect(hidden.code).toBe("NOT_FOUND");
    const noLogin = await act("consultCall", callId, world.users.carol!.token, `, toExtensionNumber: "11103"`);
    expect(noLogin.code).toBe("RINGCENTRAL_LOGIN_REQUIRED");
    const unknownExtension = await act("consultCall", callId, undefined, `, toExtensionNumber: "99999"`);
    expect(unknownExtension.code).toBe("CONFLICT"); // RingCentral: no such extension (404), customer taken off hold
    await updates.next(statusOf(callId, "IN_PROGRESS"));
    const sent = (await callControlRequests(world)).slice(before);
    // Only the last one reached RingCentral: hold, the refused CallOut, unhold.
    expect(sent.map((r) => [r.path.split("/").slice(-1)[0], r.status])).toEqual([
      ["hold", 200],
      ["call-out", 404],
      ["unhold", 200],
    ]);
    await hangUpEverything();
  });
});
