import { encodeGlobalID } from "@pothos/plugin-relay";
import { builder } from "../schema/builder.ts";
import { viewerOf } from "../schema/viewer.ts";
import { InboxRef } from "../schema/inboxes.ts";
import { decodeIds, RuleInput, RuleRef, ruleJsonFromClient } from "../schema/rules.ts";
import { visibleRules } from "../domain/access.ts";
import {
  createRule,
  deleteRule,
  requireRule,
  setRuleEnabled,
  updateRule,
  validRule,
  type RuleInput as DomainRuleInput,
} from "../domain/rules/rules.ts";
import { dryRunRule } from "../domain/rules/dry-run.ts";
import { ruleDefinition } from "../domain/rules/model.ts";
import { InvalidInputError } from "../domain/errors.ts";
import { ConversationRef } from "../schema/conversations.ts";

type RuleRow = { id: string };

const RulePayload = builder.objectRef<{ rule: RuleRow }>("RulePayload").implement({
  description: "A rule after a change.",
  fields: (t) => ({
    rule: t.field({
      type: RuleRef as never,
      description: "The rule after the change.",
      resolve: (p) => p.rule as never,
    }),
  }),
});

const DeleteRulePayload = builder.objectRef<{ ruleId: string }>("DeleteRulePayload").implement({
  description: "A deleted rule.",
  fields: (t) => ({ ruleId: t.exposeID("ruleId", { description: "The global id the rule had." }) }),
});

type RuleInputArg = typeof RuleInput.$inferInput;

/** The client's input with global ids turned into database ids (a wrong id names its field). */
function domainInput(input: RuleInputArg): DomainRuleInput {
  return {
    name: input.name,
    trigger: input.trigger,
    inboxIds: decodeIds("Inbox", input.inboxIds ?? [], "inboxIds"),
    conditions: ruleJsonFromClient(input.conditions ?? [], "conditions"),
    actions: ruleJsonFromClient(input.actions, "actions"),
    enabled: input.enabled,
  };
}

const DryRunMatchRef = builder
  .objectRef<{ conversationId: string; eventSequence: string; at: Date; actions: string[] }>("RuleDryRunMatch")
  .implement({
    description: "A past conversation a rule would have acted on, and what it would have done.",
    fields: (t) => ({
      conversation: t.field({
        type: ConversationRef as never,
        nullable: true,
        description: "The conversation.",
        resolve: (match, _args, ctx) =>
          ctx.prisma.conversation.findUnique({ where: { id: match.conversationId } }) as never,
      }),
      eventCursor: t.exposeString("eventSequence", { description: "The event-log cursor of the triggering event." }),
      at: t.expose("at", { type: "DateTime", description: "When the trigger happened." }),
      actions: t.exposeStringList("actions", { description: "What each action would do, in order." }),
    }),
  });

builder.queryFields((t) => ({
  dryRunRule: t.field({
    type: [DryRunMatchRef],
    description:
      "Admins: which past conversations a rule (a stored one, or a definition not saved yet) would have acted on " +
      "since a time, and the actions it would take — read from the event log, changing nothing.",
    authScopes: { admin: true },
    args: {
      ruleId: t.arg.globalID({ for: RuleRef, required: false, description: "A stored rule." }),
      input: t.arg({ type: RuleInput, required: false, description: "Or a rule definition." }),
      since: t.arg({ type: "DateTime", required: true, description: "From when to look back." }),
    },
    resolve: async (_root, args, ctx) => {
      if (!args.ruleId === !args.input) throw new InvalidInputError("Give ruleId or input", "ruleId");
      const rule = args.ruleId
        ? ruleDefinition(await requireRule(ctx.prisma, args.ruleId.id))
        : await validRule(ctx.prisma, domainInput(args.input!));
      return dryRunRule(ctx.prisma, rule, args.since);
    },
  }),
  rules: t.prismaField({
    type: ["Rule"],
    description: "Automation rules that apply to inboxes you can see (and to every inbox), by name.",
    args: {
      inboxId: t.arg.globalID({
        for: InboxRef,
        required: false,
        description: "Only the rules of this inbox (and global ones).",
      }),
    },
    resolve: (query, _root, args, ctx) => {
      const viewer = viewerOf(ctx);
      return ctx.prisma.rule.findMany({
        ...query,
        where: {
          AND: [
            visibleRules(viewer),
            args.inboxId ? { OR: [{ inboxIds: { isEmpty: true } }, { inboxIds: { has: args.inboxId.id } }] } : {},
          ],
        },
        orderBy: [{ name: "asc" }, { id: "asc" }],
      });
    },
  }),
  ruleRuns: t.prismaField({
    type: ["RuleRun"],
    description:
      "Admins: what a rule did, newest first: to which conversation, each action's outcome, or why it failed.",
    authScopes: { admin: true },
    args: {
      ruleId: t.arg.globalID({ for: RuleRef, required: true, description: "The rule." }),
      first: t.arg.int({ required: false, description: "At most this many (default 50, max 200)." }),
    },
    resolve: (query, _root, args, ctx) =>
      ctx.prisma.ruleRun.findMany({
        ...query,
        where: { ruleId: args.ruleId.id },
        orderBy: [{ createdAt: "desc" }, { id: "desc" }],
        take: Math.min(Math.max(args.first ?? 50, 1), 200),
      }),
  }),
}));

builder.mutationFields((t) => ({
  createRule: t.field({
    type: RulePayload,
    description: "Admins: create a rule (disabled unless `enabled: true`).",
    authScopes: { admin: true },
    errors: {},
    args: { input: t.arg({ type: RuleInput, required: true, description: "The rule." }) },
    resolve: async (_root, args, ctx) => ({
      rule: await createRule(ctx.prisma, viewerOf(ctx).id, domainInput(args.input)),
    }),
  }),
  updateRule: t.field({
    type: RulePayload,
    description: "Admins: replace a rule's definition.",
    authScopes: { admin: true },
    errors: {},
    args: {
      ruleId: t.arg.globalID({ for: RuleRef, required: true, description: "The rule." }),
      input: t.arg({ type: RuleInput, required: true, description: "Its new definition." }),
    },
    resolve: async (_root, args, ctx) => ({
      rule: await updateRule(ctx.prisma, viewerOf(ctx).id, args.ruleId.id, domainInput(args.input)),
    }),
  }),
  enableRule: t.field({
    type: RulePayload,
    description: "Admins: turn a rule on; it acts on what happens from now on.",
    authScopes: { admin: true },
    errors: {},
    args: { ruleId: t.arg.globalID({ for: RuleRef, required: true, description: "The rule." }) },
    resolve: async (_root, args, ctx) => ({ rule: await setRuleEnabled(ctx.prisma, args.ruleId.id, true) }),
  }),
  disableRule: t.field({
    type: RulePayload,
    description: "Admins: turn a rule off.",
    authScopes: { admin: true },
    errors: {},
    args: { ruleId: t.arg.globalID({ for: RuleRef, required: true, description: "The rule." }) },
    resolve: async (_root, args, ctx) => ({ rule: await setRuleEnabled(ctx.prisma, args.ruleId.id, false) }),
  }),
  deleteRule: t.field({
    type: DeleteRulePayload,
    description: "Admins: delete a rule and its run history.",
    authScopes: { admin: true },
    errors: {},
    args: { ruleId: t.arg.globalID({ for: RuleRef, required: true, description: "The rule." }) },
    resolve: async (_root, args, ctx) => {
      await deleteRule(ctx.prisma, args.ruleId.id);
      return { ruleId: encodeGlobalID("Rule", args.ruleId.id) };
    },
  }),
}));
