// Message templates (R4.3): reusable SMS texts with `{{variable}}` placeholders, filled in when an
// agent sends one. A template is checked when it is saved (well-formed placeholders), and again
// when it is rendered (every placeholder has a value), so an agent never sends a raw `{{…}}`.
import type { PrismaClient } from "../generated/prisma/client.ts";
import { ConflictError, InvalidInputError, NotFoundError } from "./errors.ts";
import { isUniqueViolation } from "../store/unique-violations.ts";

export const MAX_TEMPLATE_NAME_LENGTH = 100;
/** RingCentral's SMS limit (REFERENCE §4): a template longer than a message could never be sent. */
export const MAX_TEMPLATE_BODY_LENGTH = 1000;

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** The variable names a template uses, in order of first use; a malformed placeholder is an error naming `field`. */
export function templateVariables(body: string, field = "body"): string[] {
  const names: string[] = [];
  for (const match of body.matchAll(PLACEHOLDER)) {
    const name = match[1]!;
    if (!VARIABLE_NAME.test(name))
      throw new InvalidInputError(`"{{${name}}}" is not a valid variable: use letters, digits, _ and dots`, field);
    if (!names.includes(name)) names.push(name);
  }
  // Braces left after removing the placeholders are unbalanced ones ("{{name}", "{{ {{x}} }}"…).
  const rest = body.replace(PLACEHOLDER, "");
  if (rest.includes("{{") || rest.includes("}}"))
    throw new InvalidInputError("A template has an unclosed or stray {{ or }}", field);
  return names;
}

/**
 * Fills every `{{variable}}` from `values`. An unknown variable — one with no value — is an error
 * naming it, so the agent can supply it instead of sending the placeholder.
 */
export function renderTemplate(body: string, values: Record<string, string>, field = "variables"): string {
  const missing = templateVariables(body, "templateId").filter((name) => !Object.hasOwn(values, name));
  if (missing.length > 0) {
    throw new InvalidInputError(`No value for ${missing.map((name) => `{{${name}}}`).join(", ")}`, field);
  }
  return body.replace(PLACEHOLDER, (_placeholder, name: string) => values[name]!);
}

function cleanName(name: string): string {
  const trimmed = name.trim();
  if (!trimmed || trimmed.length > MAX_TEMPLATE_NAME_LENGTH) {
    throw new InvalidInputError(`A template name needs 1 to ${MAX_TEMPLATE_NAME_LENGTH} characters`, "name");
  }
  return trimmed;
}

function cleanBody(body: string): string {
  if (!body.trim()) throw new InvalidInputError("A template cannot be empty", "body");
  if (body.length > MAX_TEMPLATE_BODY_LENGTH)
    throw new InvalidInputError(`A template has at most ${MAX_TEMPLATE_BODY_LENGTH} characters`, "body");
  templateVariables(body);
  return body;
}

async function ensureNameFree(prisma: PrismaClient, name: string, exceptId?: string) {
  const taken = await prisma.messageTemplate.findUnique({ where: { name } });
  if (taken && taken.id !== exceptId) throw new ConflictError(`A template named "${name}" exists`, "name");
}

/** A concurrent save of the same name loses on the unique index: that is a conflict, not a crash. */
async function savingName<T>(name: string | undefined, save: () => Promise<T>): Promise<T> {
  try {
    return await save();
  } catch (error) {
    if (isUniqueViolation(error)) throw new ConflictError(`A template named "${name}" exists`, "name");
    throw error;
  }
}

async function requireTemplate(prisma: PrismaClient, id: string) {
  const template = await prisma.messageTemplate.findUnique({ where: { id } });
  if (!template) throw new NotFoundError("MessageTemplate");
  return template;
}

export async function createMessageTemplate(prisma: PrismaClient, input: { name: string; body: string }) {
  const name = cleanName(input.name);
  const body = cleanBody(input.body);
  await ensureNameFree(prisma, name);
  return savingName(name, () => prisma.messageTemplate.create({ data: { name, body } }));
}

export async function updateMessageTemplate(
  prisma: PrismaClient,
  id: string,
  input: { name?: string | null; body?: string | null },
) {
  await requireTemplate(prisma, id);
  const name = input.name == null ? undefined : cleanName(input.name);
  const body = input.body == null ? undefined : cleanBody(input.body);
  if (name) await ensureNameFree(prisma, name, id);
  return savingName(name, () => prisma.messageTemplate.update({ where: { id }, data: { name, body } }));
}

export async function deleteMessageTemplate(prisma: PrismaClient, id: string) {
  const template = await requireTemplate(prisma, id);
  await prisma.messageTemplate.delete({ where: { id } });
  return template;
}

export async function findMessageTemplate(prisma: PrismaClient, id: string) {
  return requireTemplate(prisma, id);
}
