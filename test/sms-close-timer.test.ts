// R4.2 end to end: SMS channels connected through GraphQL with a close timer, customers texting
// through the simulator, and the running worker's own inactivity sweep — its clock moved forward
// (the worker's `clock` option) instead of waiting hours. Each conversation is archived once its
// channel's period has passed, not before; the customer's next text starts a new conversation.
// Observed through GraphQL and the conversationEvents stream.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { subscribe } from "./support/api.ts";
import { seedInbox } from "./support/seed.ts";
import { simControl, startTestSimulator, workerFor, type Simulator } from "./support/simulator.ts";
import { SIM_SMS_NUMBER, startSmsTestApi, type SmsTestApi } from "./support/sms.ts";
import { CONVERSATION_EVENTS, waitForEvent, type ConversationEvent } from "./support/recordings.ts";

const HOUR = 3600;
/** Closes after an hour of inactivity. */
const HOURLY_NUMBER = SIM_SMS_NUMBER;
/** Closes after two hours. */
const TWO_HOUR_NUMBER = "+17203861294";
const CUSTOMER = "+14155550181";
const OTHER_CUSTOMER = "+14155550182";

let sim: Simulator;
let api: SmsTestApi;
let worker: ReturnType<typeof workerFor>;
let admin: Awaited<ReturnType<SmsTestApi["createUser"]>>;
let inbox: { id: string; globalId: string };
let events: ReturnType<typeof subscribe>;
let messages: ReturnType<typeof subscribe>;
/** How far the worker's clock is ahead of the system's. */
let aheadMs = 0;

async function connectSms(number: string, closeAfterSeconds: number) {
  const result = await api.request<any, any>(
    `mutation($number: String!, $inbox: ID!, $close: Int) {
      connectChannel(number: $number, type: SMS, inboxId: $inbox, closeAfterSeconds: $close) { __typename } }`,
    { number, inbox: inbox.globalId, close: closeAfterSeconds },
    admin.token,
  );
  expect(result.data.connectChannel.__typename).toBe("ChannelPayload");
}

beforeAll(async () => {
  sim = await startTestSimulator();
  api = await startSmsTestApi({ sim });
  admin = await api.createUser("ADMIN", "timer");
  inbox = await seedInbox(api.app, "Texts", [admin.id]);
  await connectSms(HOURLY_NUMBER, HOUR);
  await connectSms(TWO_HOUR_NUMBER, 2 * HOUR);
  // The sweep runs on its own timer, often (the default is a minute), against the moved clock.
  worker = workerFor(api.app, sim, { sweepIntervalMs: 100, clock: () => new Date(Date.now() + aheadMs) });
  await worker.reconcile();
  events = subscribe(api.wsClient(admin.token), CONVERSATION_EVENTS, { inbox: inbox.globalId });
  messages = subscribe(api.wsClient(admin.token), MESSAGE_EVENTS, { inbox: inbox.globalId });
});
afterAll(async () => {
  events?.unsubscribe();
  messages?.unsubscribe();
  await worker?.close();
  await api?.close();
  await sim?.close();
});

const CONVERSATION = `query($id: ID!) { node(id: $id) { ... on Conversation { id status archivedAt
  timeline(first: 20) { edges { node { __typename ... on Message { text } ... on Activity { type data } } } } } } }`;

async function conversation(id: string) {
  const result = await api.request<any, any>(CONVERSATION, { id: globalConversationId(id) }, admin.token);
  expect(result.errors).toBeUndefined();
  const { timeline, ...rest } = result.data.node;
  return { ...rest, timeline: timeline.edges.map((e: any) => e.node) };
}

const globalConversationId = (id: string) => Buffer.from(`Conversation:${id}`).toString("base64");

const MESSAGE_EVENTS = `subscription($inbox: ID!) { messageAdded(inboxId: $inbox, after: "0") {
  type message { text } conversation { id } } }`;

/** A customer texts one of our numbers; resolves with the (global) id of the conversation it landed in. */
async function customerTexts(from: string, to: string, text: string): Promise<string> {
  await simControl(sim, "POST", "sms/inbound", { from, to, text });
  type Added = { messageAdded: { type: string; message: { text: string }; conversation: { id: string } } };
  const landed = () =>
    messages.received
      .map((r) => (r.data as Added).messageAdded)
      .find((e) => e.type === "MESSAGE_ADDED" && e.message.text === text);
  while (!landed()) await messages.until(messages.received.length + 1);
  return landed()!.conversation.id;
}

const archivedEvent = (conversationId: string) => (e: ConversationEvent) =>
  e.type === "CONVERSATION_AUTO_ARCHIVED" && e.conversation?.id === globalConversationId(conversationId);

/** Moves the worker's clock `seconds` ahead; the conversation is archived by its sweep, dated by that clock. */
async function expectArchivedWithClockAt(seconds: number, conversationId: string) {
  aheadMs = seconds * 1000;
  const movedTo = Date.now() + aheadMs;
  await waitForEvent(events, archivedEvent(decode(conversationId)));
  const archived = await conversation(decode(conversationId));
  expect(archived.status).toBe("ARCHIVED");
  expect(new Date(archived.archivedAt).getTime()).toBeGreaterThanOrEqual(movedTo);
}

describe("R4.2 the close timer in the running worker", () => {
  it("archives each conversation once its channel's inactivity period has passed on the worker's clock, not before", async () => {
    const hourly = await customerTexts(CUSTOMER, HOURLY_NUMBER, "Is my order ready?");
    const twoHourly = await customerTexts(OTHER_CUSTOMER, TWO_HOUR_NUMBER, "Hi there");
    expect(hourly).not.toBe(twoHourly);

    // An hour and a half later: only the hourly channel's conversation has been inactive long enough.
    await expectArchivedWithClockAt(1.5 * HOUR, hourly);
    const closed = await conversation(decode(hourly));
    expect(closed.timeline.filter((e: any) => e.__typename === "Activity")).toContainEqual({
      __typename: "Activity",
      type: "AUTO_ARCHIVED",
      data: { closeAfterSeconds: HOUR },
    });
    // Two and a half hours on, the two-hour channel's closes too — archived by that clock, not the earlier one.
    await expectArchivedWithClockAt(2.5 * HOUR, twoHourly);
    // Archived once each, whatever number of sweeps ran.
    const archives = events.received
      .map((r) => (r.data as { conversationEvents: ConversationEvent }).conversationEvents)
      .filter((e) => e.type === "CONVERSATION_AUTO_ARCHIVED");
    expect(archives.map((e) => e.conversation?.id).sort()).toEqual([hourly, twoHourly].sort());
  });

  it("starts a new conversation when the customer texts after the archive, leaving the archived one as it was", async () => {
    const before = await api.app.db.prisma.conversation.findMany({
      where: { channel: { phoneNumber: HOURLY_NUMBER } },
    });
    expect(before).toHaveLength(1);
    // Back to the present, so the new conversation is not already past its period.
    aheadMs = 0;
    const fresh = await conversation(decode(await customerTexts(CUSTOMER, HOURLY_NUMBER, "Hello again")));
    expect(fresh.id).not.toBe(globalConversationId(before[0]!.id));
    expect(fresh.status).toBe("OPEN");
    expect(fresh.timeline.filter((e: any) => e.__typename === "Message")).toEqual([
      { __typename: "Message", text: "Hello again" },
    ]);
    const old = await conversation(before[0]!.id);
    expect(old.status).toBe("ARCHIVED");
    expect(old.timeline.filter((e: any) => e.__typename === "Message")).toEqual([
      { __typename: "Message", text: "Is my order ready?" },
    ]);
  });
});

function decode(globalId: string): string {
  return Buffer.from(globalId, "base64").toString().replace("Conversation:", "");
}
