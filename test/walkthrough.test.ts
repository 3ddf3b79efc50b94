// The README walkthrough with the production wiring (`switchboard start`: API + worker), against
// the simulator through the real SDK, observed only through GraphQL HTTP and graphql-ws: an admin
// connects a simulated account's numbers to an inbox (R2.1–R2.3), a call rings the agent on a
// subscription and is assigned to whoever answers (R3.1–R3.3), an SMS threads in and is answered,
// with its delivery status tracked (R4.1, R4.3, R4.4).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, subscribe, type TestApi } from "./support/api.ts";
import { simControl, startTestSimulator, type Simulator } from "./support/simulator.ts";

let sim: Simulator;
let api: TestApi;
let admin: Awaited<ReturnType<TestApi["createUser"]>>;
let inboxId: string;

const MAIN_NUMBER = "+18003151571";
const SMS_NUMBER = "+19043014558";

beforeAll(async () => {
  sim = await startTestSimulator();
  api = await startTestApi({ worker: true, env: { ENCRYPTION_KEY: "a".repeat(64) } });
  admin = await api.createUser("ADMIN", "babji");
  // The admin's email is the simulator admin extension's: calls to it ring this user (R1.3).
  await api.app.db.prisma.user.update({ where: { id: admin.id }, data: { email: "admin@switchboard.test" } });
});
afterAll(async () => {
  await api?.close();
  await sim?.close();
});

const gql = async (query: string, variables?: Record<string, unknown>) => {
  const result = await api.request<any, any>(query, variables, admin.token);
  expect(result.errors).toBeUndefined();
  return result.data;
};

describe("walkthrough", () => {
  it("connects the simulated account's numbers to an inbox", async () => {
    const { clientId, clientSecret, jwt } = sim.credentials();
    const verified = await gql(
      `mutation($server: String!, $id: String!, $secret: String!, $jwt: String!) {
        verifyRingCentralCredentials(serverUrl: $server, clientId: $id, clientSecret: $secret, jwt: $jwt) {
          __typename ... on VerifyRingCentralCredentialsPayload { numbers { phoneNumber canSendSms } } ... on ` +
        `Error { code message } } }`,
      { server: sim.url, id: clientId, secret: clientSecret, jwt },
    );
    expect(verified.verifyRingCentralCredentials.__typename).toBe("VerifyRingCentralCredentialsPayload");
    expect(verified.verifyRingCentralCredentials.numbers.map((n: any) => n.phoneNumber)).toEqual(
      expect.arrayContaining([MAIN_NUMBER, SMS_NUMBER]),
    );
    inboxId = (await gql(`mutation { createInbox(name: "Front desk") { ... on InboxPayload { inbox { id } } } }`))
      .createInbox.inbox.id;
    await gql(`mutation($inbox: ID!, $user: ID!) { addInboxMember(inboxId: $inbox, userId: $user) { __typename } }`, {
      inbox: inboxId,
      user: admin.globalId,
    });
    for (const [number, type] of [
      [MAIN_NUMBER, "VOICE"],
      [SMS_NUMBER, "SMS"],
    ]) {
      const connected = await gql(
        "mutation($number: String!, $type: ChannelType!, $inbox: ID!) { connectChannel(number: $number, type: " +
          "$type, inboxId: $inbox) { __typename ... on Error { code message } } }",
        { number, type, inbox: inboxId },
      );
      expect(connected.connectChannel.__typename).toBe("ChannelPayload");
    }
    await api.app.worker!.reconcile();
  });

  it("rings the agent when a customer calls, and assigns the conversation to them when they answer", async () => {
    const rings = subscribe(
      api.wsClient(admin.token),
      `subscription { incomingCall(after: "0") { callerNumber conversation { id } } }`,
    );
    const updates = subscribe(
      api.wsClient(admin.token),
      `subscription($inbox: ID!) { callUpdated(inboxId: $inbox, after: "0") { call { status } } }`,
      { inbox: inboxId },
    );
    await simControl(sim, "POST", "scenarios", { type: "ivr", extensionId: "809646016", from: "+14085550123" });
    const [ring] = await rings.until(1);
    expect((ring!.data as any).incomingCall.callerNumber).toBe("+14085550123");
    for (let n = 1; !(await updates.until(n)).some((e) => (e.data as any).callUpdated.call.status === "ENDED"); n += 1);
    const conversationId = (ring!.data as any).incomingCall.conversation.id;
    const conversation = await gql(
      `query($id: ID!) { node(id: $id) { ... on Conversation { assignee { email } lastCall { status direction } } } }`,
      { id: conversationId },
    );
    expect(conversation.node).toEqual({
      assignee: { email: "admin@switchboard.test" },
      lastCall: { status: "ENDED", direction: "INBOUND" },
    });
    rings.unsubscribe();
    updates.unsubscribe();
  });

  it("threads an inbound SMS into the inbox and tracks the reply to delivered", async () => {
    const messages = subscribe(
      api.wsClient(admin.token),
      `subscription($inbox: ID!) { messageAdded(inboxId: $inbox, after: "0") { cursor } }`,
      { inbox: inboxId },
    );
    await simControl(sim, "POST", "sms/inbound", {
      from: "+14085550177",
      to: SMS_NUMBER,
      text: "Is the shop open on Sunday? ☀️",
    });
    await messages.until(1);
    const list = await gql(
      "query($inbox: ID!) { node(id: $inbox) { ... on Inbox { conversations(first: 10) { edges { node { id " +
        "lastMessage { text direction } } } } } } }",
      { inbox: inboxId },
    );
    const sms = list.node.conversations.edges
      .map((e: any) => e.node)
      .find((c: any) => c.lastMessage?.direction === "INBOUND");
    expect(sms.lastMessage.text).toBe("Is the shop open on Sunday? ☀️");

    const reply = await gql(
      `mutation($id: ID!) { replyToConversation(conversationId: $id, text: "Yes, 10–4 🙂") { __typename ... on ` +
        "MessagePayload { message { id status } } ... on Error { code reason: message } } }",
      { id: sms.id },
    );
    expect(reply.replyToConversation.__typename).toBe("MessagePayload");
    const sent = await simControl<{ records: { text?: string; to?: { phoneNumber: string }[] }[] }>(
      sim,
      "GET",
      "sent-messages",
    );
    expect(sent.records.map((r) => r.text)).toContain("Yes, 10–4 🙂");
    // Delivery progress arrives as message-store changes the worker syncs; wait for DELIVERED.
    for (let n = 2; ; n += 1) {
      await messages.until(n);
      const now = await gql(`query($id: ID!) { node(id: $id) { ... on Message { status } } }`, {
        id: reply.replyToConversation.message.id,
      });
      if (now.node.status === "DELIVERED") break;
    }
    messages.unsubscribe();
  });
});
