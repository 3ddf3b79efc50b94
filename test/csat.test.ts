// Issue 14, CSAT (R6.4): a rule surveys the customer when a conversation is archived; the SMS goes
// to the simulator (RingCentral); replies come back from it. Observed through GraphQL.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SDK } from "@ringcentral/sdk";
import { ingestInboundMessage } from "../src/domain/sms/inbound.ts";
import { parseCsatScore } from "../src/domain/csat.ts";
import { createSmsSender } from "../src/integrations/ringcentral/sms.ts";
import { inProcessLeases } from "../src/integrations/ringcentral/lease.ts";
import { createLogger } from "../src/logger.ts";
import { startRuleRunner, type RuleRunner } from "../src/rules/runner.ts";
import { globalId, type TestApi } from "./support/api.ts";
import { seedInbox } from "./support/seed.ts";
import {
  receiveSmsFromSimulator,
  sentToRingCentral,
  SIM_SMS_NUMBER,
  startSmsSimulator,
  startSmsTestApi,
} from "./support/sms.ts";
import type { Simulator } from "../src/integrations/ringcentral/simulator/index.ts";

let sim: Simulator;
let sdk: SDK;
let api: TestApi;
let admin: Awaited<ReturnType<TestApi["createUser"]>>;
let runner: RuleRunner;
let ruleId: string;

const deps = () => ({ prisma: api.app.db.prisma, pubsub: api.app.pubsub });

beforeAll(async () => {
  ({ sim, sdk } = await startSmsSimulator());
  api = await startSmsTestApi();
  admin = await api.createUser("ADMIN", "csat-admin");
  const inbox = await seedInbox(api.app, "Texts", [admin.id]);
  await api.app.db.prisma.channel.create({ data: { type: "SMS", phoneNumber: SIM_SMS_NUMBER, inboxId: inbox.id } });
  const template = await api.app.db.prisma.messageTemplate.create({
    data: { name: "csat", body: "How did we do? Reply 1-5" },
  });
  const created = await api.request<any, any>(
    `mutation($input: RuleInput!) { createRule(input: $input) { ... on RulePayload { rule { id } } } }`,
    {
      input: {
        name: "Measure customer satisfaction",
        trigger: "CONVERSATION_ARCHIVED",
        actions: [{ type: "SEND_CSAT_SURVEY", templateId: globalId("MessageTemplate", template.id), windowHours: 24 }],
        enabled: true,
      },
    },
    admin.token,
  );
  ruleId = created.data.createRule.rule.id;
  runner = startRuleRunner({
    ...deps(),
    log: createLogger(process.env.TEST_LOG_LEVEL ?? "silent"),
    leases: inProcessLeases(),
    smsSender: async () => createSmsSender(sdk.platform()),
    pollMs: 3_600_000,
  });
  await runner.drain();
});
afterAll(async () => {
  await runner?.close();
  await api?.close();
  await sim?.close();
});

async function text(from: string, body: string) {
  const input = await receiveSmsFromSimulator(sim, { from, to: SIM_SMS_NUMBER, text: body });
  return (await ingestInboundMessage(deps(), input))!;
}

async function gql(query: string, variables: Record<string, unknown>) {
  const result = await api.request<any, any>(query, variables, admin.token);
  expect(result.errors).toBeUndefined();
  return result.data;
}

const archive = (conversationId: string) =>
  gql(`mutation($id: ID!) { archiveConversation(conversationId: $id) { __typename } }`, {
    id: globalId("Conversation", conversationId),
  });
const reopen = (conversationId: string) =>
  gql(`mutation($id: ID!) { reopenConversation(conversationId: $id) { __typename } }`, {
    id: globalId("Conversation", conversationId),
  });

const conversation = async (id: string) =>
  (
    await gql(
      `query($id: ID!) { node(id: $id) { ... on Conversation { status csat { score answeredAt }
        timeline(first: 50) { edges { node { __typename ... on Message { text direction } } } } } } }`,
      { id: globalId("Conversation", id) },
    )
  ).node;

const surveysTo = async (number: string) =>
  (await sentToRingCentral(sim)).filter((m: any) => m.to.includes(number) && m.text === "How did we do? Reply 1-5");

describe("CSAT surveys", () => {
  it("reads 1–5 replies, tolerating spaces, punctuation and words", () => {
    expect(["5", " 4 ", "5!", "five", "Three."].map(parseCsatScore)).toEqual([5, 4, 5, 5, 3]);
    expect(["thanks!", "6", "0", "5 stars", ""].map(parseCsatScore)).toEqual([null, null, null, null, null]);
  });

  it("sends one survey per window; '5' is recorded without reopening; 'thanks!' is an ordinary message", async () => {
    const customer = "+14155550901";
    const first = await text(customer, "my order is late");
    await archive(first.conversationId);
    await runner.drain();
    expect(await surveysTo(customer)).toHaveLength(1);

    const reply = await text(customer, " 5! ");
    expect(reply.conversationId).toBe(first.conversationId);
    const answered = await conversation(first.conversationId);
    expect(answered.status).toBe("ARCHIVED");
    expect(answered.csat).toMatchObject([{ score: 5 }]);
    expect(answered.timeline.edges.map((e: any) => e.node.text)).toContain(" 5! ");

    // Archived again within the window: no second survey.
    await reopen(first.conversationId);
    await archive(first.conversationId);
    await runner.drain();
    expect(await surveysTo(customer)).toHaveLength(1);
    const runs = await gql(`query($id: ID!) { ruleRuns(ruleId: $id) { actions } }`, { id: ruleId });
    expect(runs.ruleRuns[0].actions).toEqual([
      { type: "SEND_CSAT_SURVEY", outcome: "SKIPPED", detail: "a survey was already sent within the window" },
    ]);

    const thanks = await text(customer, "thanks!");
    expect(thanks.conversationId).toBe(first.conversationId);
    const after = await conversation(first.conversationId);
    expect(after.status).toBe("OPEN"); // an ordinary message reopens, as any message does
    expect(after.csat).toMatchObject([{ score: 5 }]);
  });

  it("sends no survey to a number that replied STOP", async () => {
    const customer = "+14155550902";
    const first = await text(customer, "hello");
    await text(customer, "STOP");
    await archive(first.conversationId);
    await runner.drain();
    expect(await surveysTo(customer)).toHaveLength(0);
    const runs = await gql(`query($id: ID!) { ruleRuns(ruleId: $id) { actions } }`, { id: ruleId });
    expect(runs.ruleRuns[0].actions).toEqual([
      { type: "SEND_CSAT_SURVEY", outcome: "SKIPPED", detail: "the customer replied STOP" },
    ]);
  });
});
