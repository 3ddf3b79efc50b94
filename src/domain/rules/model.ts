// What a rule is (R6.3): one trigger, conditions that must all hold, ordered actions. Stored as JSON
// in the Rule row and validated here on every write, so the runner reads only well-formed rules.
// A bad value is an InvalidInputError naming its field (`conditions.0.outcomes`, `actions.1.templateId`).
import { z } from "zod";
import type { RuleTrigger } from "../../generated/prisma/enums.ts";
import { InvalidInputError } from "../errors.ts";

export const RULE_TRIGGERS = [
  "CALL_ENDED",
  "INBOUND_CALL_STARTED",
  "MESSAGE_RECEIVED",
  "OUTBOUND_MESSAGE_FAILED",
  "CONVERSATION_ARCHIVED",
  "CONVERSATION_ASSIGNED",
] as const satisfies readonly RuleTrigger[];

const CALL_TRIGGERS: readonly RuleTrigger[] = ["CALL_ENDED", "INBOUND_CALL_STARTED"];
const MESSAGE_TRIGGERS: readonly RuleTrigger[] = ["MESSAGE_RECEIVED", "OUTBOUND_MESSAGE_FAILED"];

const id = z.uuid();
const ids = z.array(id).min(1).max(100);
const seconds = z
  .number()
  .int()
  .min(0)
  .max(7 * 24 * 3600);
const range = z
  .object({ atLeastSeconds: seconds.optional(), atMostSeconds: seconds.optional() })
  .refine((r) => r.atLeastSeconds !== undefined || r.atMostSeconds !== undefined, {
    message: "Give atLeastSeconds, atMostSeconds or both",
  });

/** Every condition, and the triggers it can be asked of (null: all). */
const CONDITIONS = {
  INBOX: { shape: z.object({ type: z.literal("INBOX"), inboxIds: ids }), triggers: null },
  CHANNEL: {
    shape: z.object({
      type: z.literal("CHANNEL"),
      channelType: z.enum(["VOICE", "SMS"]).optional(),
      channelIds: ids.optional(),
    }),
    triggers: null,
  },
  CALL_OUTCOME: {
    shape: z.object({
      type: z.literal("CALL_OUTCOME"),
      outcomes: z.array(z.enum(["ENDED", "MISSED", "ABANDONED", "VOICEMAIL"])).min(1),
    }),
    triggers: ["CALL_ENDED"],
  },
  CALL_DIRECTION: {
    shape: z.object({ type: z.literal("CALL_DIRECTION"), direction: z.enum(["INBOUND", "OUTBOUND"]) }),
    triggers: CALL_TRIGGERS,
  },
  QUEUED: { shape: z.object({ type: z.literal("QUEUED"), queued: z.boolean() }), triggers: CALL_TRIGGERS },
  TALK_TIME: { shape: z.object({ type: z.literal("TALK_TIME") }).and(range), triggers: ["CALL_ENDED"] },
  WAIT_TIME: { shape: z.object({ type: z.literal("WAIT_TIME") }).and(range), triggers: ["CALL_ENDED"] },
  CONTACT: { shape: z.object({ type: z.literal("CONTACT"), known: z.boolean() }), triggers: null },
  MESSAGE_TEXT: {
    shape: z.object({ type: z.literal("MESSAGE_TEXT"), contains: z.string().trim().min(1).max(200) }),
    triggers: MESSAGE_TRIGGERS,
  },
  TAG: { shape: z.object({ type: z.literal("TAG"), tagIds: ids, present: z.boolean() }), triggers: null },
  ASSIGNEE: {
    shape: z.object({ type: z.literal("ASSIGNEE"), assigned: z.boolean(), userIds: ids.optional() }),
    triggers: null,
  },
  BUSINESS_HOURS: {
    shape: z.object({ type: z.literal("BUSINESS_HOURS"), inside: z.boolean() }),
    triggers: null,
  },
} as const;

const ACTIONS = {
  ARCHIVE: z.object({ type: z.literal("ARCHIVE") }),
  REOPEN: z.object({ type: z.literal("REOPEN") }),
  ASSIGN: z.object({ type: z.literal("ASSIGN"), userId: id }),
  ASSIGN_ROUND_ROBIN: z.object({ type: z.literal("ASSIGN_ROUND_ROBIN") }),
  UNASSIGN: z.object({ type: z.literal("UNASSIGN") }),
  TAG: z.object({ type: z.literal("TAG"), tagId: id }),
  UNTAG: z.object({ type: z.literal("UNTAG"), tagId: id }),
  COMMENT: z.object({ type: z.literal("COMMENT"), body: z.string().trim().min(1).max(10_000) }),
  SEND_SMS_TEMPLATE: z.object({
    type: z.literal("SEND_SMS_TEMPLATE"),
    templateId: id,
    variables: z.record(z.string(), z.string().max(1000)).optional(),
  }),
  SEND_CSAT_SURVEY: z.object({
    type: z.literal("SEND_CSAT_SURVEY"),
    templateId: id,
    /** How long a reply counts as the answer (and no second survey goes out). */
    windowHours: z
      .number()
      .int()
      .min(1)
      .max(24 * 30)
      .default(24),
  }),
} as const;

type ConditionType = keyof typeof CONDITIONS;
export type RuleCondition = { [K in ConditionType]: z.infer<(typeof CONDITIONS)[K]["shape"]> }[ConditionType];
export type RuleAction = { [K in keyof typeof ACTIONS]: z.infer<(typeof ACTIONS)[K]> }[keyof typeof ACTIONS];

/** A rule as the runner and the dry run read it. */
export interface RuleDefinition {
  id: string;
  name: string;
  trigger: RuleTrigger;
  /** Empty: every inbox. */
  inboxIds: string[];
  conditions: RuleCondition[];
  actions: RuleAction[];
  /** The admin who last saved it (rule comments are written in their name). */
  updatedById: string | null;
}

export const MAX_CONDITIONS = 20;
export const MAX_ACTIONS = 10;

function invalid(error: z.ZodError, prefix: string): InvalidInputError {
  const issue = error.issues[0]!;
  const path = [prefix, ...issue.path.map(String)].join(".");
  return new InvalidInputError(`${path}: ${issue.message}`, path);
}

function parseOne<T>(schema: z.ZodType<T>, value: unknown, field: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw invalid(result.error, field);
  return result.data;
}

function typeOf(value: unknown): string | null {
  return value && typeof value === "object" && "type" in value && typeof value.type === "string" ? value.type : null;
}

export function parseConditions(trigger: RuleTrigger, values: unknown[]): RuleCondition[] {
  if (values.length > MAX_CONDITIONS)
    throw new InvalidInputError(`A rule has at most ${MAX_CONDITIONS} conditions`, "conditions");
  return values.map((value, index) => {
    const field = `conditions.${index}`;
    const type = typeOf(value);
    if (!type || !Object.hasOwn(CONDITIONS, type))
      throw new InvalidInputError(`${field}.type: one of ${Object.keys(CONDITIONS).join(", ")}`, `${field}.type`);
    const condition = CONDITIONS[type as ConditionType];
    const triggers: readonly RuleTrigger[] | null = condition.triggers;
    if (triggers && !triggers.includes(trigger))
      throw new InvalidInputError(`${type} applies to the ${triggers.join(" or ")} trigger only`, `${field}.type`);
    return parseOne(condition.shape as z.ZodType<RuleCondition>, value, field);
  });
}

export function parseActions(values: unknown[]): RuleAction[] {
  if (values.length === 0) throw new InvalidInputError("A rule needs at least one action", "actions");
  if (values.length > MAX_ACTIONS) throw new InvalidInputError(`A rule has at most ${MAX_ACTIONS} actions`, "actions");
  return values.map((value, index) => {
    const field = `actions.${index}`;
    const type = typeOf(value);
    if (!type || !Object.hasOwn(ACTIONS, type))
      throw new InvalidInputError(`${field}.type: one of ${Object.keys(ACTIONS).join(", ")}`, `${field}.type`);
    return parseOne(ACTIONS[type as keyof typeof ACTIONS] as z.ZodType<RuleAction>, value, field);
  });
}

/** A stored rule read back: written through the parsers above, so it is read as their output. */
export function ruleDefinition(row: {
  id: string;
  name: string;
  trigger: RuleTrigger;
  inboxIds: string[];
  conditions: unknown;
  actions: unknown;
  updatedById: string | null;
}): RuleDefinition {
  return {
    id: row.id,
    name: row.name,
    trigger: row.trigger,
    inboxIds: row.inboxIds,
    conditions: (Array.isArray(row.conditions) ? row.conditions : []) as RuleCondition[],
    actions: (Array.isArray(row.actions) ? row.actions : []) as RuleAction[],
    updatedById: row.updatedById,
  };
}
