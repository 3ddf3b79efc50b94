// Regions (R5.1): a national number is read in the country of the channel it comes through or goes
// out of, whichever way it arrives (a call, a text, the API); the installation's region
// (DEFAULT_REGION) only where no channel applies. The installation here is French, so neither the
// UK nor the German line can borrow it: "07911 123456" is +44 7911 123456 on the London line,
// +49 7911 123456 on the Berlin line, and +33 7 91 12 34 56 where no channel applies.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simControl } from "./support/simulator.ts";
import { EXT, query, startVoiceWorld, stream, type VoiceWorld } from "./support/voice-agents.ts";

const LONDON_LINE = "+442079460958"; // the admin's (who sends texts): VOICE and SMS channels of "London"
const BERLIN_LINE = "+493012345678"; // Bob's direct number: the VOICE channel of "Berlin"
const NATIONAL = "07911 123456";
const UK_CUSTOMER = "+447911123456";
const DE_CUSTOMER = "+497911123456";

let world: VoiceWorld;
const channels: Record<string, string> = {};

async function connect(number: string, type: "VOICE" | "SMS", inbox: string): Promise<string> {
  const data = await query(
    world,
    world.admin.token,
    "mutation($n: String!, $t: ChannelType!, $i: ID!) { connectChannel(number: $n, type: $t, inboxId: $i) { " +
      "__typename ... on Error { message } ... on ChannelPayload { channel { id } } } }",
    { n: number, t: type, i: world.inboxes[inbox]!.globalId },
  );
  expect(data.connectChannel.__typename).toBe("ChannelPayload");
  return data.connectChannel.channel.id;
}

beforeAll(async () => {
  world = await startVoiceWorld({
    inboxes: { London: ["alice"], Berlin: ["bob"] },
    channels: {},
    users: { alice: EXT.alice.email, bob: EXT.bob.email },
    logins: [],
    env: { DEFAULT_REGION: "FR" },
  });
  await simControl(world.sim, "POST", "phone-numbers", { phoneNumber: LONDON_LINE, extensionId: EXT.admin.id });
  await simControl(world.sim, "POST", "phone-numbers", { phoneNumber: BERLIN_LINE, extensionId: EXT.bob.id });
  channels.londonVoice = await connect(LONDON_LINE, "VOICE", "London");
  channels.londonSms = await connect(LONDON_LINE, "SMS", "London");
  channels.berlinVoice = await connect(BERLIN_LINE, "VOICE", "Berlin");
  await world.worker.reconcile();
});
afterAll(() => world?.close());

const CALL_ENDED =
  "subscription($inbox: ID!, $after: String) { callUpdated(inboxId: $inbox, after: $after) { call { status fromNumber conversation { contact { id " +
  "phoneNumbers { number } } } } } }";

/** Resume events from here: what happens next, none of what came before. */
async function latestCursor(): Promise<string> {
  const last = await world.api.app.db.prisma.event.findFirst({
    orderBy: { sequence: "desc" },
    select: { sequence: true },
  });
  return String(last?.sequence ?? 0);
}

/** A customer calls `line` (ringing `extensionId`, who answers; the caller hangs up); the call as it ended. */
async function callFrom(from: string, line: string, extensionId: string, inbox: string) {
  const updates = stream(world, world.admin.token, CALL_ENDED, {
    inbox: world.inboxes[inbox]!.globalId,
    after: await latestCursor(),
  });
  await simControl(world.sim, "POST", "scenarios", { type: "inbound", from, to: line, extensionId, hangup: "caller" });
  const ended = await updates.next((d) => d.callUpdated.call.status === "ENDED");
  updates.close();
  return ended.callUpdated.call;
}

describe("national numbers in the channel's region", () => {
  let ukContactId: string;

  it("a national number calling the London line is the UK customer", async () => {
    const call = await callFrom(NATIONAL, LONDON_LINE, EXT.alice.id, "London");
    expect(call.fromNumber).toBe(UK_CUSTOMER);
    expect(call.conversation.contact.phoneNumbers).toEqual([{ number: UK_CUSTOMER }]);
    ukContactId = call.conversation.contact.id;
  });

  it("the same customer texting in international format, and a text sent to the national number, are the same contact", async () => {
    const added = stream(
      world,
      world.admin.token,
      "subscription($inbox: ID!, $after: String) { messageAdded(inboxId: $inbox, after: $after) { message { direction " +
        "conversation { contact { id } } } } }",
      { inbox: world.inboxes.London!.globalId, after: await latestCursor() },
    );
    await simControl(world.sim, "POST", "sms/inbound", { from: UK_CUSTOMER, to: LONDON_LINE, text: "Still waiting" });
    const inbound = await added.next((d) => d.messageAdded.message.direction === "INBOUND");
    added.close();
    expect(inbound.messageAdded.message.conversation.contact.id).toBe(ukContactId);

    const sent = await query(
      world,
      world.admin.token,
      'mutation($c: ID!, $to: String!) { sendMessage(channelId: $c, to: $to, text: "On our way") { __typename ' +
        "... on MessagePayload { message { toNumber } conversation { contact { id } } } ... on Error { reason: message } } }",
      { c: channels.londonSms, to: NATIONAL },
    );
    expect(sent.sendMessage).toMatchObject({
      __typename: "MessagePayload",
      message: { toNumber: UK_CUSTOMER },
      conversation: { contact: { id: ukContactId } },
    });
  });

  it("a voicemail the caller left from the national number joins their call on the London line", async () => {
    const events = stream(
      world,
      world.admin.token,
      "subscription($inbox: ID!, $after: String) { conversationEvents(inboxId: $inbox, after: $after) { type payload " +
        "conversation { contact { id } } } }",
      { inbox: world.inboxes.London!.globalId, after: await latestCursor() },
    );
    await simControl(world.sim, "POST", "scenarios", {
      type: "voicemail",
      from: NATIONAL,
      to: LONDON_LINE,
      extensionId: EXT.alice.id,
    });
    const added = await events.next((d) => d.conversationEvents.type === "RECORDING_ADDED");
    events.close();
    expect(added.conversationEvents.payload.kind).toBe("VOICEMAIL");
    expect(added.conversationEvents.conversation.contact.id).toBe(ukContactId);
    const call = await world.api.app.db.prisma.call.findUniqueOrThrow({
      where: { id: added.conversationEvents.payload.callId },
    });
    expect(call).toMatchObject({ fromNumber: UK_CUSTOMER, status: "VOICEMAIL" });
  });

  it("the same national digits calling the Berlin line are a German number: one contact however it is written", async () => {
    const national = await callFrom(NATIONAL, BERLIN_LINE, EXT.bob.id, "Berlin");
    expect(national.fromNumber).toBe(DE_CUSTOMER);
    expect(national.conversation.contact.id).not.toBe(ukContactId);
    const international = await callFrom(DE_CUSTOMER, BERLIN_LINE, EXT.bob.id, "Berlin");
    expect(international.conversation.contact.id).toBe(national.conversation.contact.id);
    expect(international.conversation.contact.phoneNumbers).toEqual([{ number: DE_CUSTOMER }]);
  });

  it("where no channel applies (contacts and their search) national numbers are read in the installation's region", async () => {
    const created = await query(
      world,
      world.admin.token,
      'mutation { createContact(name: "Amélie", phoneNumbers: [{ number: "06 12 34 56 78" }]) { __typename ' +
        "... on ContactPayload { contact { id phoneNumbers { number } } } } }",
    );
    expect(created.createContact.contact.phoneNumbers).toEqual([{ number: "+33612345678" }]);
    const found = await query(
      world,
      world.admin.token,
      'query { contacts(search: "06.12.34.56.78") { edges { node { id } } } }',
    );
    expect(found.contacts.edges).toEqual([{ node: { id: created.createContact.contact.id } }]);
  });
});
