// Automation rules and CSAT (R6.3, R6.4): rules, what they did (runs), their inputs, and CSAT
// answers. Conditions and actions travel as JSON objects whose ids are global ids, like every other
// id of the API; the database keeps database ids (converted here, both ways).
import { decodeGlobalID, encodeGlobalID } from "@pothos/plugin-relay";
import { builder } from "./builder.ts";
import { ActivityRef, CommentRef, ConversationRef } from "./conversations.ts";
import { visibleConversations, visibleRules } from "../domain/access.ts";
import { InvalidInputError } from "../domain/errors.ts";
import { ruleRunSummary } from "../domain/rules/rules.ts";
import { viewerOf } from "./viewer.ts";

export const RuleTriggerEnum = builder.enumType("RuleTrigger", {
  description: "What sets a rule off.",
  values: {
    CALL_ENDED: {
      description:
        "A call ended, once its outcome is settled (never on a passing state of out-of-order notifications).",
    },
    INBOUND_CALL_STARTED: { description: "An inbound call started ringing (once per call)." },
    MESSAGE_RECEIVED: { description: "A customer's text or MMS arrived." },
    OUTBOUND_MESSAGE_FAILED: { description: "A message sent to a customer could not be delivered." },
    CONVERSATION_ARCHIVED: {
      description: "A conversation was archived (by a teammate, a rule or the inactivity timer).",
    },
    CONVERSATION_ASSIGNED: { description: "A conversation was assigned." },
  } as const,
});

/** The node type of every id key conditions and actions may hold. */
const RULE_ID_KEYS: Record<string, string> = {
  inboxIds: "Inbox",
  channelIds: "Channel",
  tagIds: "Tag",
  tagId: "Tag",
  userIds: "User",
  userId: "User",
  templateId: "MessageTemplate",
};

type Json = Record<string, unknown>;

function mapIds(value: Json, map: (typename: string, id: unknown, field: string) => unknown, at: string): Json {
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => {
      const typename = Object.hasOwn(RULE_ID_KEYS, key) ? RULE_ID_KEYS[key]! : null;
      if (!typename) return [key, v];
      return [
        key,
        Array.isArray(v) ? v.map((id, i) => map(typename, id, `${at}.${key}.${i}`)) : map(typename, v, `${at}.${key}`),
      ];
    }),
  );
}

/** A global id of `typename` → its database id; anything else is an error naming `field`. */
function decodeIdOf(typename: string, id: unknown, field: string): unknown {
  if (typeof id !== "string") return id; // the model's validation names it
  try {
    const decoded = decodeGlobalID(id);
    if (decoded.typename === typename) return decoded.id;
  } catch {
    // not a global id: reported below
  }
  throw new InvalidInputError(`Not a ${typename} id`, field);
}

/** Global ids of `typename` → database ids, each error naming `field.<index>`. */
export function decodeIds(typename: string, ids: readonly unknown[], field: string): string[] {
  return ids.map((id, i) => decodeIdOf(typename, id, `${field}.${i}`) as string);
}

/** Conditions or actions as clients write them (global ids) → as stored (database ids). */
export function ruleJsonFromClient(values: Json[], field: string): Json[] {
  return values.map((value, index) => mapIds(value, decodeIdOf, `${field}.${index}`));
}

function ruleJsonForClient(values: unknown): Json[] {
  if (!Array.isArray(values)) return [];
  return values.map((value: Json) =>
    mapIds(value, (typename, id) => (typeof id === "string" ? encodeGlobalID(typename, id) : id), ""),
  );
}

const RuleRunStatusEnum = builder.enumType("RuleRunStatus", {
  description: "How a rule run ended.",
  values: {
    RUNNING: { description: "Its actions were under way (a run the runner stopped in is never repeated)." },
    DONE: { description: "Every action was done (or had nothing to do: see each action's outcome)." },
    FAILED: { description: "An action failed; `reason` says why, and later actions did not run." },
  } as const,
});

const RuleStatsRef = builder.objectRef<Awaited<ReturnType<typeof ruleRunSummary>>>("RuleStats").implement({
  description: "How often a rule ran.",
  fields: (t) => ({
    done: t.exposeInt("done", { description: "Runs that completed." }),
    failed: t.exposeInt("failed", { description: "Runs that failed." }),
    lastRunAt: t.expose("lastRunAt", { type: "DateTime", nullable: true, description: "When it last ran." }),
  }),
});

export const RuleRef = builder.prismaNode("Rule", {
  nullable: true,
  description: "An automation rule: when its trigger fires and all its conditions hold, its actions run in order.",
  id: { field: "id", description: "Global id." },
  findUnique: (id, ctx) => ({ id, AND: [visibleRules(viewerOf(ctx))] }),
  fields: (t) => ({
    name: t.exposeString("name", { description: "What it is for, e.g. *archive abandoned calls*." }),
    inboxes: t.prismaField({
      type: ["Inbox"],
      description: "The inboxes it applies to; empty for every inbox.",
      resolve: (query, rule, _args, ctx) =>
        ctx.prisma.inbox.findMany({ ...query, where: { id: { in: rule.inboxIds } }, orderBy: { name: "asc" } }),
    }),
    trigger: t.expose("trigger", { type: RuleTriggerEnum, description: "What sets it off." }),
    conditions: t.field({
      type: ["JSONObject"],
      description:
        "Conditions, all of which must hold, each `{type, …}` (ids are global ids): see the README's Rules section.",
      resolve: (rule) => ruleJsonForClient(rule.conditions),
    }),
    actions: t.field({
      type: ["JSONObject"],
      description: "Actions in order, each `{type, …}` (ids are global ids): see the README's Rules section.",
      resolve: (rule) => ruleJsonForClient(rule.actions),
    }),
    enabled: t.exposeBoolean("enabled", { description: "Whether it runs." }),
    stats: t.field({
      type: RuleStatsRef,
      description: "How often it ran and when it last did.",
      resolve: (rule, _args, ctx) => ruleRunSummary(ctx.prisma, rule.id),
    }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it was created." }),
    updatedAt: t.expose("updatedAt", { type: "DateTime", description: "When it was last changed." }),
  }),
});

builder.prismaObject("RuleRun", {
  description: "One rule acting on one trigger: what it did, to which conversation, or why it failed.",
  fields: (t) => ({
    status: t.expose("status", { type: RuleRunStatusEnum, description: "How it ended." }),
    conversation: t.prismaField({
      type: "Conversation",
      nullable: true,
      description: "The conversation it acted on.",
      resolve: (query, run, _args, ctx) =>
        run.conversationId
          ? ctx.prisma.conversation.findFirst({
              ...query,
              where: { AND: [{ id: run.conversationId }, visibleConversations(viewerOf(ctx))] },
            })
          : null,
    }),
    actions: t.field({
      type: ["JSONObject"],
      description: "Each action in order: `{type, outcome: DONE | SKIPPED | FAILED, detail}`.",
      resolve: (run) => (Array.isArray(run.actions) ? run.actions : []) as Json[],
    }),
    reason: t.exposeString("reason", { nullable: true, description: "Why it failed." }),
    eventCursor: t.string({
      description: "The event-log cursor of the event that triggered it.",
      resolve: (run) => run.eventSequence.toString(),
    }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it started." }),
    finishedAt: t.expose("finishedAt", { type: "DateTime", nullable: true, description: "When it ended." }),
  }),
});

export const RuleInput = builder.inputType("RuleInput", {
  description: "A rule's whole definition.",
  fields: (t) => ({
    name: t.string({ required: true, description: "What it is for (1 to 100 characters)." }),
    trigger: t.field({ type: RuleTriggerEnum, required: true, description: "What sets it off." }),
    inboxIds: t.idList({ required: false, description: "Inboxes it applies to (global ids); empty for every inbox." }),
    conditions: t.field({
      type: ["JSONObject"],
      required: false,
      description: "Conditions, all of which must hold, each `{type, …}`.",
    }),
    actions: t.field({ type: ["JSONObject"], required: true, description: "At least one action, each `{type, …}`." }),
    enabled: t.boolean({ required: false, description: "Whether it runs (new rules: disabled unless true)." }),
  }),
});

builder.prismaObject("CsatResponse", {
  description: "A customer-satisfaction survey sent by a rule, and its answer.",
  fields: (t) => ({
    score: t.exposeInt("score", { nullable: true, description: "The customer's reply, 1–5; null until they answer." }),
    surveyedAt: t.expose("surveyedAt", { type: "DateTime", description: "When the survey was sent." }),
    answeredAt: t.expose("answeredAt", {
      type: "DateTime",
      nullable: true,
      description: "When the customer answered.",
    }),
    expiresAt: t.expose("expiresAt", {
      type: "DateTime",
      nullable: true,
      description: "Replies after this are ordinary messages.",
    }),
    agent: t.prismaField({
      type: "User",
      nullable: true,
      description: "The agent the conversation was assigned to when the survey went out.",
      resolve: (query, csat, _args, ctx) =>
        csat.assigneeId ? ctx.prisma.user.findUnique({ ...query, where: { id: csat.assigneeId } }) : null,
    }),
  }),
});

builder.prismaObjectField(ConversationRef, "csat", (t) =>
  t.relation("csat", {
    description: "CSAT surveys of this conversation, oldest first.",
    query: { orderBy: { surveyedAt: "asc" } },
  }),
);

/** The rule that did something (its actor), when one did: the timeline says "Rule X archived this". */
function ruleActor(ref: typeof ActivityRef | typeof CommentRef, what: string) {
  builder.prismaObjectField(ref, "rule", (t) =>
    t.prismaField({
      type: "Rule",
      nullable: true,
      description: `The rule that ${what}; null when a person or Switchboard itself did.`,
      resolve: (query, row, _args, ctx) =>
        row.ruleId
          ? ctx.prisma.rule.findFirst({ ...query, where: { AND: [{ id: row.ruleId }, visibleRules(viewerOf(ctx))] } })
          : null,
    }),
  );
}
ruleActor(ActivityRef, "did it");
ruleActor(CommentRef, "wrote this comment (in the name of its author, the admin who last saved the rule)");
