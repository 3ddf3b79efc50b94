// Issue 14: writing rules through GraphQL — admins only, typed errors naming the field with nothing
// stored, the starter rule present and disabled, and what `rules` reports.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { globalId, startTestApi, type TestApi } from "./support/api.ts";
import { seedInbox } from "./support/seed.ts";

let api: TestApi;
let admin: Awaited<ReturnType<TestApi["createUser"]>>;
let agent: Awaited<ReturnType<TestApi["createUser"]>>;
let inboxId: string;
let tagId: string;

const RULE_FIELDS = `id name trigger enabled conditions actions inboxes { name } stats { done failed lastRunAt }`;
const CREATE = `mutation($input: RuleInput!) { createRule(input: $input) {
  __typename ... on RulePayload { rule { ${RULE_FIELDS} } }
  ... on Error { code message } ... on InvalidInputError { field } } }`;
const UPDATE = `mutation($id: ID!, $input: RuleInput!) { updateRule(ruleId: $id, input: $input) {
  __typename ... on RulePayload { rule { ${RULE_FIELDS} } } ... on Error { code } } }`;
const RULES = `{ rules { ${RULE_FIELDS} } }`;

beforeAll(async () => {
  api = await startTestApi({ redis: null });
  admin = await api.createUser("ADMIN", "rules-admin");
  agent = await api.createUser("AGENT", "rules-agent");
  const inbox = await seedInbox(api.app, "Support", [agent.id]);
  inboxId = inbox.globalId;
  const tag = await api.app.db.prisma.tag.create({ data: { name: "missed" } });
  tagId = globalId("Tag", tag.id);
});
afterAll(() => api.close());

const missedCallRule = () => ({
  name: "Tag missed calls",
  trigger: "CALL_ENDED",
  inboxIds: [inboxId],
  conditions: [{ type: "CALL_OUTCOME", outcomes: ["MISSED"] }],
  actions: [{ type: "TAG", tagId }, { type: "ASSIGN_ROUND_ROBIN" }],
});

async function storedRules() {
  return api.app.db.prisma.rule.count();
}

describe("rules API", () => {
  it("a new installation has the starter rule 'Archive abandoned calls', disabled", async () => {
    const result = await api.request<any, any>(RULES, {}, admin.token);
    expect(result.errors).toBeUndefined();
    const starter = result.data.rules.find((r: any) => r.name === "Archive abandoned calls");
    expect(starter).toMatchObject({
      trigger: "CALL_ENDED",
      enabled: false,
      conditions: [{ type: "CALL_OUTCOME", outcomes: ["ABANDONED"] }],
      actions: [{ type: "ARCHIVE" }],
      inboxes: [],
      stats: { done: 0, failed: 0, lastRunAt: null },
    });
  });

  it("an admin creates a rule (disabled by default); ids come back as global ids", async () => {
    const result = await api.request<any, any>(CREATE, { input: missedCallRule() }, admin.token);
    expect(result.data.createRule.__typename).toBe("RulePayload");
    expect(result.data.createRule.rule).toMatchObject({
      name: "Tag missed calls",
      enabled: false,
      inboxes: [{ name: "Support" }],
      actions: [{ type: "TAG", tagId }, { type: "ASSIGN_ROUND_ROBIN" }],
    });
  });

  it("every rule mutation is refused to agents, and nothing changes", async () => {
    const before = await api.app.db.prisma.rule.findMany({ orderBy: { id: "asc" } });
    const ruleId = globalId("Rule", before[0]!.id);
    const mutations: [string, object][] = [
      [CREATE, { input: missedCallRule() }],
      [UPDATE, { id: ruleId, input: missedCallRule() }],
      [`mutation($id: ID!) { enableRule(ruleId: $id) { __typename } }`, { id: ruleId }],
      [`mutation($id: ID!) { disableRule(ruleId: $id) { __typename } }`, { id: ruleId }],
      [`mutation($id: ID!) { deleteRule(ruleId: $id) { __typename } }`, { id: ruleId }],
    ];
    for (const [document, variables] of mutations) {
      const result = await api.request<any, any>(document, variables, agent.token);
      expect(result.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    }
    const runs = await api.request<any, any>(
      `query($id: ID!) { ruleRuns(ruleId: $id) { status } }`,
      { id: ruleId },
      agent.token,
    );
    expect(runs.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(await api.app.db.prisma.rule.findMany({ orderBy: { id: "asc" } })).toEqual(before);
  });

  const badInputs: [string, (rule: any) => any, string][] = [
    ["an empty name", (r) => ({ ...r, name: "  " }), "name"],
    ["no action", (r) => ({ ...r, actions: [] }), "actions"],
    ["an unknown action", (r) => ({ ...r, actions: [{ type: "EXPLODE" }] }), "actions.0.type"],
    ["an unknown condition", (r) => ({ ...r, conditions: [{ type: "MOON_PHASE" }] }), "conditions.0.type"],
    ["a condition the trigger cannot have", (r) => ({ ...r, trigger: "CONVERSATION_ASSIGNED" }), "conditions.0.type"],
    [
      "a bad outcome",
      (r) => ({ ...r, conditions: [{ type: "CALL_OUTCOME", outcomes: ["EXPLODED"] }] }),
      "conditions.0.outcomes.0",
    ],
    ["a tag id of another type", (r) => ({ ...r, actions: [{ type: "TAG", tagId: inboxId }] }), "actions.0.tagId"],
    [
      "a tag that does not exist",
      (r) => ({ ...r, actions: [{ type: "TAG", tagId: globalId("Tag", crypto.randomUUID()) }] }),
      "actions.0.tagId",
    ],
    ["an inbox that is not an inbox id", (r) => ({ ...r, inboxIds: [tagId] }), "inboxIds.0"],
    [
      "a template with a variable the rule cannot fill",
      (r) => ({ ...r, actions: [{ type: "SEND_SMS_TEMPLATE", templateId: "TEMPLATE" }] }),
      "actions.0.variables",
    ],
    ["a talk-time condition with no bound", (r) => ({ ...r, conditions: [{ type: "TALK_TIME" }] }), "conditions.0"],
  ];

  it("bad input: a typed error naming the field, nothing stored", async () => {
    const template = await api.app.db.prisma.messageTemplate.create({
      data: { name: "needs order", body: "Your order {{order}} is ready" },
    });
    const templateId = globalId("MessageTemplate", template.id);
    const count = await storedRules();
    for (const [what, change, field] of badInputs) {
      const input = JSON.parse(JSON.stringify(change(missedCallRule())).replaceAll('"TEMPLATE"', `"${templateId}"`));
      const result = await api.request<any, any>(CREATE, { input }, admin.token);
      expect(result.errors, what).toBeUndefined();
      expect(result.data.createRule, what).toMatchObject({ __typename: "InvalidInputError", field });
    }
    expect(await storedRules()).toBe(count);
  });

  it("updates, enables, disables and deletes a rule", async () => {
    const created = await api.request<any, any>(CREATE, { input: missedCallRule() }, admin.token);
    const id = created.data.createRule.rule.id;
    const updated = await api.request<any, any>(
      UPDATE,
      { id, input: { ...missedCallRule(), name: "Tag and archive", actions: [{ type: "ARCHIVE" }] } },
      admin.token,
    );
    expect(updated.data.updateRule.rule).toMatchObject({ name: "Tag and archive", actions: [{ type: "ARCHIVE" }] });
    const enable = await api.request<any, any>(
      `mutation($id: ID!) { enableRule(ruleId: $id) { ... on RulePayload { rule { enabled } } } }`,
      { id },
      admin.token,
    );
    expect(enable.data.enableRule.rule.enabled).toBe(true);
    const disable = await api.request<any, any>(
      `mutation($id: ID!) { disableRule(ruleId: $id) { ... on RulePayload { rule { enabled } } } }`,
      { id },
      admin.token,
    );
    expect(disable.data.disableRule.rule.enabled).toBe(false);
    const deleted = await api.request<any, any>(
      `mutation($id: ID!) { deleteRule(ruleId: $id) { ... on DeleteRulePayload { ruleId } } }`,
      { id },
      admin.token,
    );
    expect(deleted.data.deleteRule.ruleId).toBe(id);
    const gone = await api.request<any, any>(`query($id: ID!) { node(id: $id) { id } }`, { id }, admin.token);
    expect(gone.data.node).toBeNull();
  });
});
