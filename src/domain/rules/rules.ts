// Writing rules (admins, R6.3): every input is validated — shape (model.ts) and the ids it names —
// before anything is stored, so a bad rule changes nothing and the runner never meets one.
import type { PrismaClient, RuleTrigger } from "../../generated/prisma/client.ts";
import { InvalidInputError, NotFoundError } from "../errors.ts";
import { templateVariables } from "../message-templates.ts";
import { parseActions, parseConditions, RULE_TRIGGERS, type RuleAction, type RuleCondition } from "./model.ts";

export interface RuleInput {
  name: string;
  trigger: RuleTrigger;
  /** Empty or missing: every inbox. */
  inboxIds?: string[] | null;
  conditions?: unknown[] | null;
  actions: unknown[];
  enabled?: boolean | null;
}

export const MAX_RULE_NAME_LENGTH = 100;

function cleanName(name: string): string {
  const trimmed = name.trim();
  if (!trimmed || trimmed.length > MAX_RULE_NAME_LENGTH)
    throw new InvalidInputError(`A rule name needs 1 to ${MAX_RULE_NAME_LENGTH} characters`, "name");
  return trimmed;
}

/** Fails naming the first field whose id is not one of `found`. */
function requireFound(found: Set<string>, wanted: { field: string; id: string }[], entity: string) {
  const missing = wanted.find((w) => !found.has(w.id));
  if (missing) throw new InvalidInputError(`No ${entity} with this id`, missing.field);
}

/** Every id a rule names, with the field naming it. */
function referencedIds(inboxIds: string[], conditions: RuleCondition[], actions: RuleAction[]) {
  type Ref = { field: string; id: string };
  const refs = { inbox: [] as Ref[], tag: [] as Ref[], user: [] as Ref[], template: [] as Ref[] };
  const add = (list: Ref[], field: string, ids: readonly string[] | undefined) => {
    for (const [i, id] of (ids ?? []).entries()) list.push({ field: `${field}.${i}`, id });
  };
  add(refs.inbox, "inboxIds", inboxIds);
  for (const [n, c] of conditions.entries()) {
    if (c.type === "INBOX") add(refs.inbox, `conditions.${n}.inboxIds`, c.inboxIds);
    if (c.type === "TAG") add(refs.tag, `conditions.${n}.tagIds`, c.tagIds);
    if (c.type === "ASSIGNEE") add(refs.user, `conditions.${n}.userIds`, c.userIds);
  }
  for (const [n, a] of actions.entries()) {
    if (a.type === "TAG" || a.type === "UNTAG") refs.tag.push({ field: `actions.${n}.tagId`, id: a.tagId });
    if (a.type === "ASSIGN") refs.user.push({ field: `actions.${n}.userId`, id: a.userId });
    if (a.type === "SEND_SMS_TEMPLATE" || a.type === "SEND_CSAT_SURVEY")
      refs.template.push({ field: `actions.${n}.templateId`, id: a.templateId });
  }
  return refs;
}

async function requireReferences(
  prisma: PrismaClient,
  inboxIds: string[],
  conditions: RuleCondition[],
  actions: RuleAction[],
) {
  const refs = referencedIds(inboxIds, conditions, actions);
  const idsOf = (list: { id: string }[]) => [...new Set(list.map((r) => r.id))];
  const [inboxes, tags, users, templates] = await Promise.all([
    prisma.inbox.findMany({ where: { id: { in: idsOf(refs.inbox) } }, select: { id: true } }),
    prisma.tag.findMany({ where: { id: { in: idsOf(refs.tag) } }, select: { id: true } }),
    prisma.user.findMany({ where: { id: { in: idsOf(refs.user) } }, select: { id: true } }),
    prisma.messageTemplate.findMany({ where: { id: { in: idsOf(refs.template) } } }),
  ]);
  const set = (rows: { id: string }[]) => new Set(rows.map((r) => r.id));
  requireFound(set(inboxes), refs.inbox, "inbox");
  requireFound(set(tags), refs.tag, "tag");
  requireFound(set(users), refs.user, "user");
  requireFound(set(templates), refs.template, "message template");
  requireTemplateVariables(actions, templates);
}

/** Variables a rule can fill by itself; any other a template uses must be given in the action. */
export const RULE_TEMPLATE_VARIABLES = ["contact.name", "contact.phone", "agent.name", "agent.email", "channel.number"];

function requireTemplateVariables(actions: RuleAction[], templates: { id: string; body: string }[]) {
  actions.forEach((action, n) => {
    if (action.type !== "SEND_SMS_TEMPLATE" && action.type !== "SEND_CSAT_SURVEY") return;
    const body = templates.find((t) => t.id === action.templateId)!.body;
    const given = action.type === "SEND_SMS_TEMPLATE" ? Object.keys(action.variables ?? {}) : [];
    const missing = templateVariables(body).filter(
      (name) => !RULE_TEMPLATE_VARIABLES.includes(name) && !given.includes(name),
    );
    if (missing.length > 0)
      throw new InvalidInputError(`No value for {{${missing[0]}}}: give it in variables`, `actions.${n}.variables`);
  });
}

/** The input as a rule, every id it names checked; the first fault is an error naming its field. */
export async function validRule(prisma: PrismaClient, input: RuleInput) {
  const name = cleanName(input.name);
  if (!RULE_TRIGGERS.includes(input.trigger as (typeof RULE_TRIGGERS)[number]))
    throw new InvalidInputError("Unknown trigger", "trigger");
  const inboxIds = [...new Set(input.inboxIds ?? [])];
  const conditions = parseConditions(input.trigger, input.conditions ?? []);
  const actions = parseActions(input.actions);
  await requireReferences(prisma, inboxIds, conditions, actions);
  return { name, trigger: input.trigger, inboxIds, conditions, actions };
}

export async function createRule(prisma: PrismaClient, adminId: string, input: RuleInput) {
  const rule = await validRule(prisma, input);
  return prisma.rule.create({ data: { ...rule, enabled: input.enabled ?? false, updatedById: adminId } });
}

export async function requireRule(prisma: PrismaClient, ruleId: string) {
  const rule = await prisma.rule.findUnique({ where: { id: ruleId } });
  if (!rule) throw new NotFoundError("Rule");
  return rule;
}

/** Replaces the rule's definition (the whole of it, as `createRule` takes it). */
export async function updateRule(prisma: PrismaClient, adminId: string, ruleId: string, input: RuleInput) {
  await requireRule(prisma, ruleId);
  const rule = await validRule(prisma, input);
  return prisma.rule.update({
    where: { id: ruleId },
    data: { ...rule, ...(input.enabled == null ? {} : { enabled: input.enabled }), updatedById: adminId },
  });
}

export async function setRuleEnabled(prisma: PrismaClient, ruleId: string, enabled: boolean) {
  await requireRule(prisma, ruleId);
  return prisma.rule.update({ where: { id: ruleId }, data: { enabled } });
}

export async function deleteRule(prisma: PrismaClient, ruleId: string) {
  const rule = await requireRule(prisma, ruleId);
  await prisma.rule.delete({ where: { id: ruleId } });
  return rule;
}

/** How often a rule ran, by outcome, and when it last did. */
export async function ruleRunSummary(prisma: PrismaClient, ruleId: string) {
  const [groups, last] = await Promise.all([
    prisma.ruleRun.groupBy({ by: ["status"], where: { ruleId }, _count: { _all: true } }),
    prisma.ruleRun.findFirst({ where: { ruleId }, orderBy: { createdAt: "desc" } }),
  ]);
  const count = (status: string) => groups.find((g) => g.status === status)?._count._all ?? 0;
  return {
    done: count("DONE"),
    failed: count("FAILED"),
    running: count("RUNNING"),
    lastRunAt: last?.createdAt ?? null,
  };
}
