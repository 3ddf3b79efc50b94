// R9.4 for texts and voicemail: while no worker listens (stopped, or its webhook blacklisted), a
// customer texts three times, two of our texts change delivery status (one is delivered, one
// fails) and a caller leaves a voicemail. Once the worker is back, each is applied exactly once and
// in the order it happened, no status is lost, and catching up again changes nothing. Observed
// through GraphQL (queries and the resumable conversationEvents stream).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { globalId, subscribe } from "./support/api.ts";
import { seedInbox } from "./support/seed.ts";
import { simControl, startTestSimulator, workerFor, type Simulator } from "./support/simulator.ts";
import { SIM_SMS_NUMBER, startSmsTestApi, type SmsTestApi } from "./support/sms.ts";
import { CONVERSATION_EVENTS, eventsOf, waitForEvent } from "./support/recordings.ts";

/** The admin extension: owns the SMS number and the mailbox its direct number's calls go to. */
const MAILBOX = "809646016";

type Worker = ReturnType<typeof workerFor>;
type Mode = "stopped worker" | "blacklisted webhook";

interface Line {
  sim: Simulator;
  api: SmsTestApi;
  worker: Worker;
  admin: Awaited<ReturnType<SmsTestApi["createUser"]>>;
  inbox: { id: string; globalId: string };
  channelId: string;
  close(): Promise<void>;
}

/** The simulator, the API connected to it, the number connected for SMS and voice, and a worker. */
async function startLine(mode: Mode): Promise<Line> {
  const sim = await startTestSimulator();
  const api = await startSmsTestApi({ sim });
  const admin = await api.createUser("ADMIN", "texts");
  // The mailbox's owner is a teammate: the voicemails of the gap are read for their extension.
  await api.app.db.prisma.user.update({ where: { id: admin.id }, data: { email: "admin@switchboard.test" } });
  const inbox = await seedInbox(api.app, "Texts", [admin.id]);
  const connection = await api.app.db.prisma.ringCentralConnection.findFirstOrThrow();
  const sms = await api.app.db.prisma.channel.create({
    data: { type: "SMS", phoneNumber: SIM_SMS_NUMBER, inboxId: inbox.id, connectionId: connection.id },
  });
  await api.app.db.prisma.channel.create({
    data: { type: "VOICE", phoneNumber: SIM_SMS_NUMBER, inboxId: inbox.id, connectionId: connection.id },
  });
  const webhook =
    mode === "blacklisted webhook"
      ? { address: `${api.url}/webhooks/ringcentral`, maintainIntervalMs: 3_600_000, expiresInSeconds: 3600 }
      : undefined;
  const worker = workerFor(api.app, sim, { webhook });
  await worker.reconcile();
  // Our texts stay Queued until the test moves them.
  await simControl(sim, "PUT", "sms/settings", { progression: "manual", failingNumbers: [] });
  const line: Line = {
    sim,
    api,
    worker,
    admin,
    inbox,
    channelId: globalId("Channel", sms.id),
    async close() {
      await line.worker.close();
      await api.close();
      await sim.close();
    },
  };
  return line;
}

const CUSTOMER = "+14155550171";
const OTHER_CUSTOMER = "+14155550172";
const CALLER = "+14155550173";

const TIMELINES = `query($inbox: ID!) { node(id: $inbox) { ... on Inbox { conversations(first: 20) { edges { node {
  id contact { phoneNumbers { number } }
  timeline(first: 50) { edges { node { __typename
    ... on Message { id direction text status }
    ... on Call { id callStatus: status fromNumber recordings { kind state } } } } }
} } } } } }`;

type TimelineEntry = {
  __typename: string;
  id: string;
  direction?: string;
  text?: string;
  status?: string;
  callStatus?: string;
  fromNumber?: string;
  recordings?: { kind: string; state: string }[];
};

async function timelineWith(line: Line, number: string): Promise<TimelineEntry[]> {
  const result = await line.api.request<any, any>(TIMELINES, { inbox: line.inbox.globalId }, line.admin.token);
  expect(result.errors).toBeUndefined();
  const conversations = result.data.node.conversations.edges
    .map((e: any) => e.node)
    .filter((c: any) => c.contact?.phoneNumbers.some((p: any) => p.number === number));
  expect(conversations).toHaveLength(1);
  return conversations[0].timeline.edges.map((e: any) => e.node);
}

async function sendText(line: Line, to: string, text: string): Promise<{ messageId: string; ringCentralId: string }> {
  const result = await line.api.request<any, any>(
    `mutation($channel: ID!, $to: String!, $text: String!) { sendMessage(channelId: $channel, to: $to, text: $text) {
      __typename ... on MessagePayload { message { id status } } } }`,
    { channel: line.channelId, to, text },
    line.admin.token,
  );
  expect(result.data.sendMessage).toMatchObject({ __typename: "MessagePayload", message: { status: "QUEUED" } });
  const stored = await line.api.app.db.prisma.message.findFirstOrThrow({ where: { toNumber: to, text } });
  return { messageId: stored.id, ringCentralId: stored.ringCentralId! };
}

/** How many catch-ups the worker made: each reads the call log. */
async function callLogSyncs(line: Line): Promise<number> {
  return (await simControl<{ records: unknown[] }>(line.sim, "GET", "requests?path=call-log-sync")).records.length;
}

async function customerTexts(line: Line, from: string, text: string): Promise<void> {
  await simControl(line.sim, "POST", "sms/inbound", { from, to: SIM_SMS_NUMBER, text });
}

const MESSAGE_EVENTS = `subscription($inbox: ID!) { messageAdded(inboxId: $inbox, after: "0") {
  type status message { id text } } }`;

type MessageEvent = { type: string; status: string; message: { id: string; text: string } };

/** The inbox's events, from the first, up to the MESSAGE_ADDED of the text `marker` (sent last). */
async function eventsUntilText(line: Line, marker: string) {
  const client = line.api.wsClient(line.admin.token);
  const messages = subscribe(client, MESSAGE_EVENTS, { inbox: line.inbox.globalId });
  const conversations = subscribe(client, CONVERSATION_EVENTS, { inbox: line.inbox.globalId });
  try {
    const received = () => messages.received.map((r) => (r.data as { messageAdded: MessageEvent }).messageAdded);
    while (!received().some((e) => e.type === "MESSAGE_ADDED" && e.message.text === marker))
      await messages.until(messages.received.length + 1);
    const all = received();
    const markerEvent = all.find((e) => e.type === "MESSAGE_ADDED" && e.message.text === marker)!;
    const markerId = Buffer.from(markerEvent.message.id, "base64").toString().replace("Message:", "");
    const last = await waitForEvent(
      conversations,
      (e) => e.type === "MESSAGE_ADDED" && e.payload.messageId === markerId,
    );
    const log = eventsOf(conversations);
    return {
      messages: all.slice(0, all.indexOf(markerEvent) + 1).map((e) => [e.type, e.message.text, e.status]),
      log: log.slice(0, log.indexOf(last) + 1),
    };
  } finally {
    messages.unsubscribe();
    conversations.unsubscribe();
  }
}

describe.each<Mode>(["stopped worker", "blacklisted webhook"])("catch-up of texts and voicemail: %s", (mode) => {
  let line: Line;
  let delivered: { messageId: string; ringCentralId: string };
  let failed: { messageId: string; ringCentralId: string };
  let before: Awaited<ReturnType<typeof eventsUntilText>>;

  beforeAll(async () => {
    line = await startLine(mode);
    // Live before the gap: a customer's first text arrives, we text two customers.
    await customerTexts(line, CUSTOMER, "Hello, are you open?");
    delivered = await sendText(line, CUSTOMER, "Yes, until 6.");
    failed = await sendText(line, OTHER_CUSTOMER, "Your order shipped.");
    await customerTexts(line, OTHER_CUSTOMER, "before the gap");
    before = await eventsUntilText(line, "before the gap");
  });
  afterAll(() => line?.close());

  it("applies every text, status change and voicemail of the gap once, in order", async () => {
    // The gap.
    if (mode === "stopped worker") {
      await line.worker.idle();
      await line.worker.close();
    } else {
      // Every delivery fails until RingCentral blacklists the subscription.
      await simControl(line.sim, "POST", "faults/webhooks", { failNext: 100 });
    }
    await customerTexts(line, CUSTOMER, "I'd like to change my order");
    await simControl(line.sim, "POST", `messages/${delivered.ringCentralId}/status`, { messageStatus: "Sent" });
    await customerTexts(line, CUSTOMER, "to two boxes 📦📦");
    await simControl(line.sim, "POST", `messages/${delivered.ringCentralId}/status`, { messageStatus: "Delivered" });
    await simControl(line.sim, "POST", `messages/${failed.ringCentralId}/status`, { messageStatus: "Sent" });
    await simControl(line.sim, "POST", `messages/${failed.ringCentralId}/status`, { messageStatus: "DeliveryFailed" });
    await customerTexts(line, CUSTOMER, "thanks!");
    await simControl(line.sim, "POST", "scenarios", { type: "voicemail", extensionId: MAILBOX, from: CALLER });
    if (mode === "blacklisted webhook") {
      const connection = await line.api.app.db.prisma.ringCentralConnection.findFirstOrThrow();
      const subscriptions = await simControl<{ records: { id: string; status: string }[] }>(
        line.sim,
        "GET",
        "subscriptions",
      );
      expect(subscriptions.records.find((s) => s.id === connection.subscriptionId)?.status).toBe("Blacklisted");
    }
    // Nothing of the gap is here yet.
    expect((await timelineWith(line, CUSTOMER)).map((e) => e.text)).toEqual(["Hello, are you open?", "Yes, until 6."]);

    // The worker is back: a new worker starts, or the webhook's upkeep finds it blacklisted.
    if (mode === "stopped worker") {
      line.worker = workerFor(line.api.app, line.sim);
      await line.worker.reconcile();
    } else {
      await simControl(line.sim, "DELETE", "faults");
      await line.worker.maintainWebhooks();
    }
    await line.worker.idle();

    const customer = await timelineWith(line, CUSTOMER);
    expect(customer.filter((e) => e.__typename === "Message").map((e) => [e.direction, e.text, e.status])).toEqual([
      ["INBOUND", "Hello, are you open?", "RECEIVED"],
      ["OUTBOUND", "Yes, until 6.", "DELIVERED"],
      ["INBOUND", "I'd like to change my order", "RECEIVED"],
      ["INBOUND", "to two boxes 📦📦", "RECEIVED"],
      ["INBOUND", "thanks!", "RECEIVED"],
    ]);
    const other = await timelineWith(line, OTHER_CUSTOMER);
    expect(other.filter((e) => e.__typename === "Message").map((e) => [e.direction, e.status])).toEqual([
      ["OUTBOUND", "FAILED"],
      ["INBOUND", "RECEIVED"],
    ]);
    const voicemail = (await timelineWith(line, CALLER)).filter((e) => e.__typename === "Call");
    expect(voicemail).toEqual([
      expect.objectContaining({ callStatus: "VOICEMAIL", recordings: [{ kind: "VOICEMAIL", state: "AVAILABLE" }] }),
    ]);

    // The event streams: each text of the gap added once, in order; each final status reached once.
    await customerTexts(line, OTHER_CUSTOMER, "after the gap");
    const after = await eventsUntilText(line, "after the gap");
    const messageEvents = after.messages.slice(before.messages.length);
    expect(messageEvents.filter(([type]) => type === "MESSAGE_ADDED")).toEqual([
      ["MESSAGE_ADDED", "I'd like to change my order", "RECEIVED"],
      ["MESSAGE_ADDED", "to two boxes 📦📦", "RECEIVED"],
      ["MESSAGE_ADDED", "thanks!", "RECEIVED"],
      ["MESSAGE_ADDED", "after the gap", "RECEIVED"],
    ]);
    const statusEvents = messageEvents.filter(([type]) => type !== "MESSAGE_ADDED");
    expect(statusEvents).toContainEqual(["MESSAGE_STATUS_CHANGED", "Yes, until 6.", "DELIVERED"]);
    expect(statusEvents).toContainEqual(["MESSAGE_FAILED", "Your order shipped.", "FAILED"]);
    // Statuses only move forward, each reported once: nothing twice, nothing after DELIVERED or FAILED.
    expect(new Set(statusEvents.map((e) => JSON.stringify(e))).size).toBe(statusEvents.length);
    for (const text of ["Yes, until 6.", "Your order shipped."])
      expect(["DELIVERED", "FAILED"]).toContain(statusEvents.filter(([, t]) => t === text).at(-1)![2]);
    const gap = after.log.slice(before.log.length);
    expect(gap.filter((e) => e.type === "RECORDING_ADDED")).toHaveLength(1);
    expect(gap.filter((e) => e.type === "CONVERSATION_CALL_ENDED")).toHaveLength(1);
    before = after;
  });

  it("changes nothing when it catches up again", async () => {
    const catchUps = await callLogSyncs(line);
    if (mode === "stopped worker") {
      await line.worker.close();
      line.worker = workerFor(line.api.app, line.sim);
      await line.worker.reconcile();
    } else {
      // RingCentral lets the subscription expire: the upkeep recreates it and catches up again.
      await simControl(line.sim, "POST", "faults/subscriptions", { action: "expire" });
      await line.worker.maintainWebhooks();
    }
    await line.worker.idle();
    expect(await callLogSyncs(line)).toBeGreaterThan(catchUps);
    await customerTexts(line, OTHER_CUSTOMER, "once more");
    const again = await eventsUntilText(line, "once more");
    expect(again.log.slice(before.log.length).map((e) => e.type)).toEqual(["MESSAGE_ADDED"]);
    expect(again.messages.slice(before.messages.length)).toEqual([["MESSAGE_ADDED", "once more", "RECEIVED"]]);
  });
});
