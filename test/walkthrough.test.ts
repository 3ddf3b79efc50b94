// The README, executed: its quick-start, walkthrough and tour operations, taken from README.md's own
// ```graphql blocks (test/support/documented-operations.ts), run in the README's order with the
// variables they name, against the production wiring (`switchboard start`: API + worker) and the
// simulator through the real SDK, observed only through GraphQL HTTP and graphql-ws: an admin
// connects a simulated account's numbers to an inbox (R2.1–R2.3), creates the agent the calls ring,
// a call rings her on a subscription and she answers it through her own RingCentral login (R3.1–R3.3,
// R3.10), an SMS threads in and is answered, with its delivery status tracked (R4.1, R4.3, R4.4).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, subscribe, type TestApi } from "./support/api.ts";
import { readmeOperation } from "./support/documented-operations.ts";
import { simControl, startTestSimulator, type Simulator } from "./support/simulator.ts";

let sim: Simulator;
let api: TestApi;
let admin: Awaited<ReturnType<TestApi["createUser"]>>;
let inboxId: string;
let aliceToken: string;
let callConversationId: string;

const ALICE_EXTENSION = "62264425016";
const CUSTOMER = "+16505550100";

beforeAll(async () => {
  sim = await startTestSimulator();
  api = await startTestApi({ worker: true, env: { ENCRYPTION_KEY: "a".repeat(64) } });
  admin = await api.createUser("ADMIN", "babji");
});
afterAll(async () => {
  await api?.close();
  await sim?.close();
});

/** Runs the README operation `name`; it must not fail at the request level. */
const readme = async (name: string, variables: Record<string, unknown> = {}, token = admin.token) => {
  const result = await api.request<any, any>(readmeOperation(name), variables, token);
  expect(result.errors).toBeUndefined();
  return result.data;
};

describe("the README's quick start", () => {
  it("creates an agent and a token for them as the admin", async () => {
    const created = await readme("CreateAgent");
    expect(created.createUser.__typename).toBe("UserPayload");
    const token = await readme("CreateToken", { user: created.createUser.user.id });
    const viewer = await api.request<any, any>("{ viewer { email role } }", {}, token.createApiToken.token);
    expect(viewer.data).toEqual({ viewer: { email: "ana@example.com", role: "AGENT" } });
  });
});

describe("the README's walkthrough", () => {
  it("connects the simulated account, creates the inbox, routes the numbers to it, creates the agent", async () => {
    const { clientId, clientSecret, jwt } = sim.credentials();
    const verified = await readme("Connect", { server: sim.url, clientId, secret: clientSecret, jwt });
    expect(verified.verifyRingCentralCredentials.__typename).toBe("VerifyRingCentralCredentialsPayload");
    const numbers = verified.verifyRingCentralCredentials.numbers.map((n: any) => n.phoneNumber);
    expect(numbers).toEqual(expect.arrayContaining(["+18003151571", "+19043014558"]));

    inboxId = (await readme("CreateInbox")).createInbox.inbox.id;
    expect((await readme("ConnectVoice", { inbox: inboxId })).connectChannel.__typename).toBe("ChannelPayload");
    expect((await readme("ConnectSms", { inbox: inboxId })).connectChannel.__typename).toBe("ChannelPayload");

    const alice = (await readme("CreateAlice")).createUser.user.id;
    expect((await readme("AddAlice", { inbox: inboxId, user: alice })).addInboxMember.__typename).toBe("InboxPayload");
    aliceToken = (await readme("AliceToken", { user: alice })).createApiToken.token;
    await api.app.worker!.reconcile();
  });

  it("rings Alice when a customer calls; she connects her RingCentral login and answers", async () => {
    const rings = subscribe(api.wsClient(aliceToken), readmeOperation("IncomingCalls"), { after: "0" });
    const updates = subscribe(
      api.wsClient(admin.token),
      `subscription($inbox: ID!) { callUpdated(inboxId: $inbox, after: "0") { call { status answeredBy { email } } } }`,
      { inbox: inboxId },
    );
    const scenario = await simControl<{ telephonySessionId: string }>(sim, "POST", "scenarios", {
      type: "ivr",
      extensionId: ALICE_EXTENSION,
      answer: false,
      from: "+14085550123",
    });
    const ring = (await rings.until(1))[0]!.data as any;
    expect(ring.incomingCall.callerNumber).toBe("+14085550123");
    expect(ring.incomingCall.call.status).toBe("RINGING");
    callConversationId = ring.incomingCall.conversation.id;

    const account = await simControl<{ extensions: { id: string; jwt?: string }[] }>(sim, "GET", "account");
    const jwt = account.extensions.find((e) => e.id === ALICE_EXTENSION)!.jwt;
    const login = await readme("ConnectLogin", { jwt }, aliceToken);
    expect(login.connectRingCentralLogin).toEqual({
      __typename: "UserPayload",
      user: { ringCentralLogin: "CONNECTED" },
    });
    const answered = await readme("AnswerCall", { call: ring.incomingCall.call.id }, aliceToken);
    expect(answered.answerCall.__typename).toBe("CallControlPayload");

    const statusReached = async (status: string) => {
      for (let n = 1; ; n += 1) {
        const event = (await updates.until(n))[n - 1]!.data as any;
        if (event.callUpdated.call.status === status) return event.callUpdated.call;
      }
    };
    expect((await statusReached("IN_PROGRESS")).answeredBy).toEqual({ email: "alice@switchboard.test" });
    await simControl(sim, "POST", `calls/${scenario.telephonySessionId}/hangup`, {});
    await statusReached("ENDED");
    rings.unsubscribe();
    updates.unsubscribe();
  });

  it("threads an inbound SMS into the inbox and tracks the reply to delivered", async () => {
    const messages = subscribe(
      api.wsClient(admin.token),
      `subscription($inbox: ID!) { messageAdded(inboxId: $inbox, after: "0") { cursor } }`,
      { inbox: inboxId },
    );
    await simControl(sim, "POST", "sms/inbound", { from: CUSTOMER, to: "+19043014558", text: "Open on Sunday? ☀️" });
    await messages.until(1);
    const inbox = await readme("InboxConversations", { inbox: inboxId });
    const rows = inbox.node.conversations.edges.map((e: any) => e.node);
    const sms = rows.find((c: any) => c.lastMessage?.text === "Open on Sunday? ☀️");
    expect(sms.contact.phoneNumbers).toEqual([{ number: CUSTOMER }]);
    expect(rows.find((c: any) => c.id === callConversationId).lastCall).toMatchObject({ status: "ENDED" });

    const reply = await readme("Reply", { conversation: sms.id }, aliceToken);
    expect(reply.replyToConversation.__typename).toBe("MessagePayload");
    const sent = await simControl<{ records: { text?: string }[] }>(sim, "GET", "sent-messages");
    expect(sent.records.map((r) => r.text)).toContain("Yes, we open at 10.");
    // Delivery progress arrives as message-store changes the worker syncs; wait for DELIVERED.
    for (let n = 2; ; n += 1) {
      await messages.until(n);
      const status = `query($id: ID!) { node(id: $id) { ... on Message { status } } }`;
      const now = await api.request<any, any>(status, { id: reply.replyToConversation.message.id }, admin.token);
      if (now.data.node.status === "DELIVERED") break;
    }
    messages.unsubscribe();
  });
});

describe("the README's tour", () => {
  it("reads a conversation's timeline, finds a contact by a number in another format, resumes events", async () => {
    const timeline = await readme("Timeline", { conversation: callConversationId });
    const entries = timeline.node.timeline.edges.map((e: any) => e.node);
    const call = { __typename: "Call", callStatus: "ENDED", callDirection: "INBOUND" };
    expect(entries).toContainEqual(expect.objectContaining(call));

    const found = await readme("FindContact");
    expect(found.contacts.edges.map((e: any) => e.node.phoneNumbers)).toEqual([[{ number: CUSTOMER }]]);

    const events = subscribe(api.wsClient(admin.token), readmeOperation("ConversationEvents"), {
      inbox: inboxId,
      after: "0",
    });
    const [first] = await events.until(1);
    expect((first!.data as any).conversationEvents).toMatchObject({ type: "CONVERSATION_CREATED" });
    events.unsubscribe();
  });
});

describe("the README's rules", () => {
  it("lists the starter rule, dry-runs it changing nothing, and creates a rule", async () => {
    const rules = await readme("Rules");
    expect(rules.rules.find((r: any) => r.name === "Archive abandoned calls")).toMatchObject({ enabled: false });
    const events = await api.app.db.prisma.event.count();
    const dry = await readme("DryRunRule", { since: "2020-01-01T00:00:00Z" });
    expect(Array.isArray(dry.dryRunRule)).toBe(true);
    expect(await api.app.db.prisma.event.count()).toBe(events);
    const created = await readme("CreateRule", { inbox: inboxId });
    expect(created.createRule).toMatchObject({ __typename: "RulePayload", rule: { enabled: true } });
  });
});
