// Issue 14: rule triggers, conditions and actions on texts and conversations, end to end — customers
// text through the simulator (RingCentral), rules send SMS back through it, teammates act through
// GraphQL, and the rule runner acts as the worker process runs it. Also: the fixed depth that stops
// two rules triggering each other, rule actions on `conversationEvents` with the rule as actor, and
// setInboxBusinessHours' typed errors.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SDK } from "@ringcentral/sdk";
import { applyMessageStatus } from "../src/domain/sms/delivery-status.ts";
import { ingestInboundMessage } from "../src/domain/sms/inbound.ts";
import { MAX_RULE_DEPTH } from "../src/domain/rules/triggers.ts";
import { createSmsSender, deliveryStatusOf } from "../src/integrations/ringcentral/sms.ts";
import { inProcessLeases } from "../src/integrations/ringcentral/lease.ts";
import { createLogger } from "../src/logger.ts";
import { startRuleRunner, type RuleRunner } from "../src/rules/runner.ts";
import { globalId, subscribe, type TestApi } from "./support/api.ts";
import { seedInbox } from "./support/seed.ts";
import {
  receiveSmsFromSimulator,
  sentToRingCentral,
  SIM_SMS_NUMBER,
  simControl,
  startSmsSimulator,
  startSmsTestApi,
} from "./support/sms.ts";
import type { Simulator } from "../src/integrations/ringcentral/simulator/index.ts";

type User = Awaited<ReturnType<TestApi["createUser"]>>;
let sim: Simulator;
let sdk: SDK;
let api: TestApi;
let admin: User;
let ana: User;
let bo: User;
let inbox: Awaited<ReturnType<typeof seedInbox>>;
let runner: RuleRunner;
let events: ReturnType<typeof subscribe>;
const tags: Record<string, string> = {};

const deps = () => ({ prisma: api.app.db.prisma, pubsub: api.app.pubsub });
const dbId = (id: string) => Buffer.from(id, "base64").toString().split(":")[1]!;

beforeAll(async () => {
  ({ sim, sdk } = await startSmsSimulator());
  api = await startSmsTestApi({ sim }); // connected: teammates reply by SMS through GraphQL
  admin = await api.createUser("ADMIN", "rules-admin");
  ana = await api.createUser("AGENT", "ana");
  bo = await api.createUser("AGENT", "bo");
  inbox = await seedInbox(api.app, "Texts", [admin.id, ana.id, bo.id]);
  await api.app.db.prisma.channel.create({ data: { type: "SMS", phoneNumber: SIM_SMS_NUMBER, inboxId: inbox.id } });
  for (const name of ["followup", "unowned"])
    tags[name] = globalId("Tag", (await api.app.db.prisma.tag.create({ data: { name } })).id);
  const last = await api.app.db.prisma.event.findFirst({ orderBy: { sequence: "desc" } });
  events = subscribe(
    api.wsClient(admin.token),
    `subscription($inbox: ID!, $after: String) { conversationEvents(inboxId: $inbox, after: $after) {
      type payload conversation { id } } }`,
    { inbox: inbox.globalId, after: String(last?.sequence ?? 0) },
  );
  runner = startRuleRunner({
    ...deps(),
    log: createLogger(process.env.TEST_LOG_LEVEL ?? "silent"),
    leases: inProcessLeases(),
    smsSender: async () => createSmsSender(sdk.platform()),
    pollMs: 3_600_000, // the tests drain it
  });
  await runner.drain();
});
afterAll(async () => {
  events?.unsubscribe();
  await runner?.close();
  await api?.close();
  await sim?.close();
});

async function gql(query: string, variables: Record<string, unknown> = {}, token = admin.token) {
  const result = await api.request<any, any>(query, variables, token);
  expect(result.errors).toBeUndefined();
  return result.data;
}

/** Creates an enabled rule; `use` runs with its id, and the rule is disabled after. */
async function withRule(input: Record<string, unknown>, use: (id: string) => Promise<void>) {
  const data = await gql(
    `mutation($input: RuleInput!) { createRule(input: $input) {
      __typename ... on RulePayload { rule { id } } ... on Error { message } } }`,
    { input: { enabled: true, ...input } },
  );
  expect(data.createRule.__typename).toBe("RulePayload");
  const id = data.createRule.rule.id as string;
  try {
    await use(id);
  } finally {
    await gql(`mutation($id: ID!) { disableRule(ruleId: $id) { __typename } }`, { id });
  }
}

async function text(from: string, body: string) {
  const input = await receiveSmsFromSimulator(sim, { from, to: SIM_SMS_NUMBER, text: body });
  return (await ingestInboundMessage(deps(), input))!;
}

const conversationMutation = (mutation: string, conversationId: string, extra: Record<string, string> = {}) => {
  const args = Object.keys(extra).map((k) => `, ${k}: $${k}`);
  const vars = Object.keys(extra).map((k) => `, $${k}: ID!`);
  return gql(`mutation($id: ID!${vars.join("")}) { ${mutation}(conversationId: $id${args.join("")}) { __typename } }`, {
    id: globalId("Conversation", conversationId),
    ...extra,
  });
};

const runsOf = async (ruleId: string) =>
  (await gql(`query($id: ID!) { ruleRuns(ruleId: $id) { status actions conversation { id } } }`, { id: ruleId }))
    .ruleRuns;

const conversation = async (id: string) =>
  (
    await gql(
      `query($id: ID!) { node(id: $id) { ... on Conversation { status assignee { id } tags { name }
        timeline(first: 50) { edges { node { __typename
          ... on Comment { body author { id } mentions { id } rule { name } } } } } } } }`,
      { id: globalId("Conversation", id) },
    )
  ).node;

describe("triggers, conditions and actions on texts", () => {
  it("MESSAGE_RECEIVED with 'message text contains' and 'contact is new': a template SMS with variables", async () => {
    const template = await api.app.db.prisma.messageTemplate.create({
      data: { name: "order", body: "Hi {{contact.phone}}, order {{order}} ships today from {{channel.number}}" },
    });
    await withRule(
      {
        name: "Answer order questions",
        trigger: "MESSAGE_RECEIVED",
        conditions: [
          { type: "MESSAGE_TEXT", contains: "order" },
          { type: "CONTACT", known: false },
        ],
        actions: [
          {
            type: "SEND_SMS_TEMPLATE",
            templateId: globalId("MessageTemplate", template.id),
            variables: { order: "A-17" },
          },
        ],
      },
      async (ruleId) => {
        const stranger = "+14155550921";
        const known = "+14155550922";
        await api.app.db.prisma.contact.create({ data: { name: "Kim", phones: { create: { e164: known } } } });
        const asked = await text(stranger, "Where is my ORDER?");
        await text(stranger, "hello again"); // no "order": no answer
        await text(known, "my order please"); // a known contact: no answer
        await runner.drain();
        const sent = (await sentToRingCentral(sim)).filter((m: any) => m.text.startsWith("Hi "));
        expect(sent.map((m: any) => ({ to: m.to.map((t: any) => t.phoneNumber ?? t), text: m.text }))).toEqual([
          { to: [stranger], text: `Hi ${stranger}, order A-17 ships today from ${SIM_SMS_NUMBER}` },
        ]);
        const runs = await runsOf(ruleId);
        expect(runs).toEqual([
          {
            status: "DONE",
            actions: [{ type: "SEND_SMS_TEMPLATE", outcome: "DONE", detail: `sent to ${stranger}` }],
            conversation: { id: globalId("Conversation", asked.conversationId) },
          },
        ]);
      },
    );
  });

  it("CONVERSATION_ASSIGNED with an assignee condition: a comment @mentioning the assignee, by the rule", async () => {
    await withRule(
      {
        name: "Remind Ana",
        trigger: "CONVERSATION_ASSIGNED",
        conditions: [{ type: "ASSIGNEE", assigned: true, userIds: [ana.globalId] }],
        actions: [{ type: "COMMENT", body: "@ana please call back within the hour" }],
      },
      async () => {
        const toBo = await text("+14155550931", "call me");
        const toAna = await text("+14155550932", "call me too");
        await conversationMutation("assignConversation", toBo.conversationId, { assigneeId: bo.globalId });
        await conversationMutation("assignConversation", toAna.conversationId, { assigneeId: ana.globalId });
        await runner.drain();
        const comments = async (id: string) =>
          (await conversation(id)).timeline.edges
            .map((e: any) => e.node)
            .filter((n: any) => n.__typename === "Comment");
        expect(await comments(toBo.conversationId)).toEqual([]);
        expect(await comments(toAna.conversationId)).toEqual([
          {
            __typename: "Comment",
            body: "@ana please call back within the hour",
            author: { id: admin.globalId }, // in the name of the admin who saved the rule
            mentions: [{ id: ana.globalId }],
            rule: { name: "Remind Ana" },
          },
        ]);
      },
    );
  });

  it("CONVERSATION_ARCHIVED with 'tag present' and 'unassigned': reopen, untag, unassign — on conversationEvents with the rule as actor", async () => {
    const followUp = {
      name: "Follow-ups stay open",
      trigger: "CONVERSATION_ARCHIVED",
      conditions: [{ type: "TAG", tagIds: [tags.followup], present: true }],
      actions: [{ type: "REOPEN" }, { type: "UNTAG", tagId: tags.followup }, { type: "UNASSIGN" }],
    };
    const unowned = {
      name: "Mark unowned archives",
      trigger: "CONVERSATION_ARCHIVED",
      conditions: [{ type: "ASSIGNEE", assigned: false }],
      actions: [{ type: "TAG", tagId: tags.unowned }],
    };
    await withRule(followUp, (followUpId) =>
      withRule(unowned, async (unownedId) => {
        const kept = await text("+14155550941", "please follow up");
        const plain = await text("+14155550942", "all good");
        await conversationMutation("tagConversation", kept.conversationId, { tagId: tags.followup! });
        await conversationMutation("assignConversation", kept.conversationId, { assigneeId: bo.globalId });
        await conversationMutation("archiveConversation", kept.conversationId);
        await conversationMutation("archiveConversation", plain.conversationId);
        await runner.drain();

        expect(await conversation(kept.conversationId)).toMatchObject({ status: "OPEN", assignee: null, tags: [] });
        expect(await conversation(plain.conversationId)).toMatchObject({
          status: "ARCHIVED",
          tags: [{ name: "unowned" }],
        });

        // The subscriber saw each rule action as it happened, with the rule (not a person) as actor.
        const keptId = globalId("Conversation", kept.conversationId);
        const plainId = globalId("Conversation", plain.conversationId);
        const byRule = (seen: any[]) =>
          seen
            .map((e) => e.data.conversationEvents)
            .filter((e) => e.payload.ruleId)
            .map((e) => ({
              type: e.type,
              id: e.conversation.id,
              actorId: e.payload.actorId,
              ruleId: e.payload.ruleId,
            }));
        const expected = [
          { type: "CONVERSATION_REOPENED", id: keptId, actorId: null, ruleId: dbId(followUpId) },
          { type: "CONVERSATION_UNTAGGED", id: keptId, actorId: null, ruleId: dbId(followUpId) },
          { type: "CONVERSATION_UNASSIGNED", id: keptId, actorId: null, ruleId: dbId(followUpId) },
          { type: "CONVERSATION_TAGGED", id: plainId, actorId: null, ruleId: dbId(unownedId) },
        ];
        for (let seen = events.received.length; ; seen += 1) {
          const ours = byRule(await events.until(seen)).filter((e) => e.id === keptId || e.id === plainId);
          if (ours.length >= expected.length) {
            expect(ours).toEqual(expected);
            break;
          }
        }
      }),
    );
  });

  it("OUTBOUND_MESSAGE_FAILED with 'message text contains': RingCentral fails a reply's delivery, the rule tags it", async () => {
    const failedReply = {
      name: "Tag undelivered replies",
      trigger: "OUTBOUND_MESSAGE_FAILED",
      conditions: [{ type: "MESSAGE_TEXT", contains: "call us back" }],
      actions: [{ type: "TAG", tagId: tags.followup }],
    };
    const otherText = {
      ...failedReply,
      name: "Tag other failures",
      conditions: [{ type: "MESSAGE_TEXT", contains: "never sent" }],
    };
    await withRule(failedReply, (failedId) =>
      withRule(otherText, async (otherId) => {
        const customer = "+14155550951";
        const inbound = await text(customer, "is anyone there?");
        await simControl(sim, "PUT", "/__sim/sms/settings", { progression: "manual", failingNumbers: [customer] });
        const reply = await gql(
          `mutation($id: ID!, $text: String) { replyToConversation(conversationId: $id, text: $text) { __typename } }`,
          { id: globalId("Conversation", inbound.conversationId), text: "Please call us back" },
          ana.token,
        );
        expect(reply.replyToConversation.__typename).toBe("MessagePayload");
        const sent = await api.app.db.prisma.message.findFirstOrThrow({
          where: { toNumber: customer, direction: "OUTBOUND" },
        });
        await runner.drain();
        expect(await runsOf(failedId)).toEqual([]); // queued, not failed: nothing yet
        // RingCentral reports the delivery failing; the status is read back from it and applied.
        for (const step of ["Sent", "DeliveryFailed"]) {
          await simControl(sim, "POST", `/__sim/messages/${sent.ringCentralId}/status`, { messageStatus: step });
          const stored = await (
            await sdk.platform().get(`/restapi/v1.0/account/~/extension/~/message-store/${sent.ringCentralId}`)
          ).json();
          await applyMessageStatus(deps(), {
            ringCentralId: sent.ringCentralId!,
            status: deliveryStatusOf(stored.messageStatus)!,
            at: new Date(stored.lastModifiedTime),
          });
        }
        await runner.drain();
        expect(await runsOf(failedId)).toEqual([
          {
            status: "DONE",
            actions: [{ type: "TAG", outcome: "DONE" }],
            conversation: { id: globalId("Conversation", inbound.conversationId) },
          },
        ]);
        expect(await runsOf(otherId)).toEqual([]);
        expect((await conversation(inbound.conversationId)).tags).toEqual([{ name: "followup" }]);
        await simControl(sim, "PUT", "/__sim/sms/settings", { progression: "auto", failingNumbers: [] });
      }),
    );
  });

  it(`two rules that would trigger each other stop at depth ${MAX_RULE_DEPTH}`, async () => {
    const handOver = (from: User, to: User) => ({
      name: `${from.email} hands over`,
      trigger: "CONVERSATION_ASSIGNED",
      conditions: [{ type: "ASSIGNEE", assigned: true, userIds: [from.globalId] }],
      actions: [{ type: "ASSIGN", userId: to.globalId }],
    });
    await withRule(handOver(ana, bo), (anaToBo) =>
      withRule(handOver(bo, ana), async (boToAna) => {
        const ping = await text("+14155550951", "anyone?");
        await conversationMutation("assignConversation", ping.conversationId, { assigneeId: ana.globalId });
        await runner.drain();
        await runner.drain(); // nothing is left to do
        const assignments = await api.app.db.prisma.event.findMany({
          where: { conversationId: ping.conversationId, type: "CONVERSATION_ASSIGNED" },
          orderBy: { sequence: "asc" },
        });
        // The teammate's assignment (depth 0), then one per rule action up to the fixed depth.
        expect(assignments.map((e) => [e.ruleDepth, (e.payload as { assigneeId: string }).assigneeId])).toEqual([
          [0, ana.id],
          [1, bo.id],
          [2, ana.id],
          [3, bo.id],
        ]);
        expect(await runsOf(anaToBo)).toHaveLength(2);
        expect(await runsOf(boToAna)).toHaveLength(1);
        expect((await conversation(ping.conversationId)).assignee).toEqual({ id: bo.globalId });
      }),
    );
  });
});

describe("setInboxBusinessHours", () => {
  const SET = `mutation($inbox: ID!, $tz: String!, $schedule: [JSONObject!], $holidays: [String!]) {
    setInboxBusinessHours(inboxId: $inbox, timeZone: $tz, schedule: $schedule, holidays: $holidays) {
      __typename ... on InboxPayload { inbox { id } } ... on Error { code } ... on InvalidInputError { field } } }`;
  const open = [{ day: 1, start: "09:00", end: "17:00" }];

  it("bad input: a typed error naming the field, nothing changed; refused to agents", async () => {
    const before = await api.app.db.prisma.inbox.findUniqueOrThrow({ where: { id: inbox.id } });
    const cases: [Record<string, unknown>, string][] = [
      [{ tz: "Mars/Olympus_Mons", schedule: open }, "timeZone"],
      [{ tz: "Europe/Paris", schedule: [{ day: 8, start: "09:00", end: "17:00" }] }, "schedule.0.day"],
      [{ tz: "Europe/Paris", schedule: [{ day: 1, start: "9am", end: "17:00" }] }, "schedule.0.start"],
      [{ tz: "Europe/Paris", schedule: [{ day: 1, start: "17:00", end: "09:00" }] }, "schedule.0"],
      [{ tz: "Europe/Paris", schedule: open, holidays: ["2026-12-25", "Christmas"] }, "holidays.1"],
    ];
    for (const [variables, field] of cases) {
      const data = await gql(SET, { inbox: inbox.globalId, ...variables });
      expect(data.setInboxBusinessHours, field).toEqual({
        __typename: "InvalidInputError",
        code: "BAD_USER_INPUT",
        field,
      });
    }
    const refused = await api.request<any, any>(SET, { inbox: inbox.globalId, tz: "Europe/Paris" }, ana.token);
    expect(refused.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(await api.app.db.prisma.inbox.findUniqueOrThrow({ where: { id: inbox.id } })).toEqual(before);

    const done = await gql(SET, { inbox: inbox.globalId, tz: "Europe/Paris", schedule: open, holidays: [] });
    expect(done.setInboxBusinessHours.__typename).toBe("InboxPayload");
  });
});
