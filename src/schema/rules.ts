// Automation rules and CSAT (R6.3, R6.4): the read side. Rules are evaluated by the rules engine
// (not built yet); their triggers, conditions and actions are stored as validated JSON.
import { builder } from "./builder.ts";
import { ConversationRef } from "./conversations.ts";
import { visibleRules } from "../domain/access.ts";
import { viewerOf } from "./viewer.ts";

export const RuleTriggerEnum = builder.enumType("RuleTrigger", {
  description: "What sets a rule off.",
  values: {
    CALL_EVENT: { description: "A call event is received." },
    MESSAGE_RECEIVED: { description: "A message is received." },
    CONVERSATION_ARCHIVED: { description: "A conversation is archived." },
  } as const,
});

builder.prismaNode("Rule", {
  nullable: true,
  description: "An automation rule: when its trigger fires and its conditions hold, its actions run.",
  id: { field: "id", description: "Global id." },
  findUnique: (id, ctx) => ({ id, AND: [visibleRules(viewerOf(ctx))] }),
  fields: (t) => ({
    name: t.exposeString("name", { description: "What it is for, e.g. *archive abandoned calls*." }),
    inbox: t.relation("inbox", { nullable: true, description: "The inbox it applies to; null for every inbox." }),
    trigger: t.expose("trigger", { type: RuleTriggerEnum, description: "What sets it off." }),
    conditions: t.field({
      type: "JSONObject",
      description: "Conditions on call status, direction, inbox, tags.",
      resolve: (rule) => rule.conditions,
    }),
    actions: t.field({
      type: ["JSONObject"],
      description: "Actions in order: archive, tag, assign, send an SMS template, send a CSAT survey.",
      resolve: (rule) => (Array.isArray(rule.actions) ? rule.actions : []) as Record<string, unknown>[],
    }),
    enabled: t.exposeBoolean("enabled", { description: "Whether it runs." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it was created." }),
  }),
});

builder.prismaObject("CsatResponse", {
  description: "A customer-satisfaction survey sent after a conversation was archived, and its answer.",
  fields: (t) => ({
    score: t.exposeInt("score", { nullable: true, description: "The customer's reply, 1–5; null until they answer." }),
    surveyedAt: t.expose("surveyedAt", { type: "DateTime", description: "When the survey was sent." }),
    answeredAt: t.expose("answeredAt", {
      type: "DateTime",
      nullable: true,
      description: "When the customer answered.",
    }),
  }),
});

builder.prismaObjectField(ConversationRef, "csat", (t) =>
  t.relation("csat", {
    description: "CSAT surveys of this conversation, oldest first.",
    query: { orderBy: { surveyedAt: "asc" } },
  }),
);
