// R3.9 end to end: an agent places a call with `placeCall` from a connected VOICE channel to a
// phone number or a contact, through their own RingCentral login (RingOut: RingCentral rings the
// agent's phone first and shows the channel's number to the customer). The call comes back through
// the worker as an OUTBOUND conversation in the channel's inbox, assigned to the agent. Observed
// only through GraphQL and the simulator's log of RingOut requests.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { globalId } from "./support/api.ts";
import {
  CALL_RESULT,
  CALL_UPDATED,
  CONVERSATION,
  CONVERSATION_EVENTS,
  EXT,
  callControlRequests,
  query,
  startVoiceWorld,
  stream,
  type VoiceWorld,
} from "./support/voice-agents.ts";

let world: VoiceWorld;
let updates: ReturnType<typeof stream>;
let events: ReturnType<typeof stream>;

// A company number (the Support line, no user's own): RingOut rings Alice's phone and shows the
// customer this number as `callerId`, which is also the number the call's legs report.
const CHANNEL_NUMBER = "+16505550199";

beforeAll(async () => {
  world = await startVoiceWorld({
    users: { alice: EXT.alice.email, bob: EXT.bob.email, outsider: "outsider@example.com" },
    inboxes: { "Alice line": ["alice", "bob"], Elsewhere: ["outsider"] },
    channels: { [CHANNEL_NUMBER]: "Alice line" },
    logins: ["alice"],
  });
  updates = stream(world, world.admin.token, CALL_UPDATED, { inbox: world.inboxes["Alice line"]!.globalId });
  events = stream(world, world.admin.token, CONVERSATION_EVENTS, { inbox: world.inboxes["Alice line"]!.globalId });
});
afterAll(async () => {
  updates?.close();
  events?.close();
  await world?.close();
});

const PLACE = `mutation($channel: ID!, $to: String, $contact: ID) {
  placeCall(channelId: $channel, toPhoneNumber: $to, contactId: $contact) {
    __typename ... on Error { code message } ... on InvalidInputError { field }
    ... on PlaceCallPayload { toNumber ringOutId channel { phoneNumber } }
  }
}`;

const channelId = () => world.channels[CHANNEL_NUMBER]!;

async function place(token: string, variables: { to?: string; contact?: string; channel?: string }) {
  return (
    await query(world, token, PLACE, {
      channel: variables.channel ?? channelId(),
      to: variables.to ?? null,
      contact: variables.contact ?? null,
    })
  ).placeCall;
}

const ringOuts = async () => (await callControlRequests(world)).filter((r) => r.path.endsWith("/ring-out"));

/** Waits for the outbound call to `to` to be connected; returns its call and conversation ids. */
async function connectedCallTo(to: string) {
  const event = await updates.next(
    (d) => d.callUpdated.call.direction === "OUTBOUND" && d.callUpdated.call.status === "IN_PROGRESS",
  );
  const conversation = (
    await query(world, world.admin.token, CONVERSATION, { id: event.callUpdated.call.conversation.id })
  ).node;
  expect(conversation.calls.edges[0].node.toNumber).toBe(to);
  return { callId: event.callUpdated.call.id as string, conversation };
}

describe("R3.9 outbound calls from a connected number", () => {
  it("to a phone number: RingOut shows the channel's number; an OUTBOUND conversation in the channel's inbox, assigned to the agent", async () => {
    const placed = await place(world.users.alice!.token, { to: "(415) 555-0401" });
    expect(placed).toEqual({
      __typename: "PlaceCallPayload",
      toNumber: "+14155550401",
      ringOutId: expect.any(String),
      channel: { phoneNumber: CHANNEL_NUMBER },
    });
    const [ringOut] = await ringOuts();
    expect(ringOut).toMatchObject({
      method: "POST",
      status: 200,
      extensionId: EXT.alice.id,
      body: {
        from: { phoneNumber: EXT.alice.direct },
        to: { phoneNumber: "+14155550401" },
        callerId: { phoneNumber: CHANNEL_NUMBER },
        playPrompt: false,
      },
    });

    const created = await events.next((d) => d.conversationEvents.type === "CONVERSATION_CREATED");
    const { callId, conversation } = await connectedCallTo("+14155550401");
    expect(conversation.id).toBe(created.conversationEvents.conversation.id);
    expect(conversation).toMatchObject({
      status: "OPEN",
      assignee: { email: EXT.alice.email },
      inboxes: [{ name: "Alice line" }],
      contact: { phoneNumbers: [{ number: "+14155550401" }] },
    });
    expect(conversation.calls.edges[0].node).toMatchObject({
      direction: "OUTBOUND",
      fromNumber: CHANNEL_NUMBER,
      toNumber: "+14155550401",
    });

    // The agent ends it with call control.
    const hangUp = await query(
      world,
      world.users.alice!.token,
      `mutation($id: ID!) { hangUpCall(callId: $id) ${CALL_RESULT} }`,
      { id: callId },
    );
    expect(hangUp.hangUpCall.__typename).toBe("CallControlPayload");
    await updates.next((d) => d.callUpdated.call.id === callId && d.callUpdated.call.status === "ENDED");
  });

  it("to a contact: their number is called", async () => {
    const created = await query(
      world,
      world.admin.token,
      `mutation { createContact(name: "Dana", phoneNumbers: [{ number: "415.555.0402" }]) { __typename ... on ` +
        "ContactPayload { contact { id } } } }",
    );
    const placed = await place(world.users.alice!.token, { contact: created.createContact.contact.id });
    expect(placed).toMatchObject({ __typename: "PlaceCallPayload", toNumber: "+14155550402" });
    const { callId, conversation } = await connectedCallTo("+14155550402");
    expect(conversation).toMatchObject({
      assignee: { email: EXT.alice.email },
      contact: { phoneNumbers: [{ number: "+14155550402" }] },
    });
    const hangUp = await query(
      world,
      world.users.alice!.token,
      `mutation($id: ID!) { hangUpCall(callId: $id) ${CALL_RESULT} }`,
      { id: callId },
    );
    expect(hangUp.hangUpCall.__typename).toBe("CallControlPayload");
    await updates.next((d) => d.callUpdated.call.id === callId && d.callUpdated.call.status === "ENDED");
  });

  it("refuses bad input, hidden channels and agents without a RingCentral login before anything reaches RingCentral", async () => {
    const before = await ringOuts();
    const alice = world.users.alice!.token;
    expect(await place(alice, { to: "555" })).toMatchObject({
      __typename: "InvalidInputError",
      code: "BAD_USER_INPUT",
      field: "toPhoneNumber",
    });
    expect(await place(alice, { to: "not a number" })).toMatchObject({
      code: "BAD_USER_INPUT",
      field: "toPhoneNumber",
    });
    expect(await place(alice, {})).toMatchObject({ code: "BAD_USER_INPUT", field: "toPhoneNumber" });
    expect(await place(alice, { to: CHANNEL_NUMBER })).toMatchObject({
      code: "BAD_USER_INPUT",
      field: "toPhoneNumber",
    });
    expect(
      await place(alice, { to: "+14155550404", contact: globalId("Contact", "00000000-0000-4000-8000-000000000000") }),
    ).toMatchObject({
      code: "BAD_USER_INPUT",
    });
    expect(await place(alice, { contact: globalId("Contact", "00000000-0000-4000-8000-000000000000") })).toMatchObject({
      __typename: "NotFoundError",
    });
    expect(
      await place(alice, { to: "+14155550404", channel: globalId("Channel", "00000000-0000-4000-8000-000000000000") }),
    ).toMatchObject({
      __typename: "NotFoundError",
      code: "NOT_FOUND",
    });
    // An agent outside the channel's inbox: it looks missing.
    expect(await place(world.users.outsider!.token, { to: "+14155550404" })).toEqual({
      __typename: "NotFoundError",
      code: "NOT_FOUND",
      message: "Channel not found",
    });
    // Bob may use the channel but has not connected his own RingCentral login.
    expect(await place(world.users.bob!.token, { to: "+14155550404" })).toMatchObject({
      __typename: "RingCentralLoginRequiredError",
      code: "RINGCENTRAL_LOGIN_REQUIRED",
    });
    expect(await ringOuts()).toEqual(before);
  });
});
