// The text of a message being sent: as typed, or a message template rendered with the built-in
// variables (contact, agent, channel) and the sender's own on top.
import type { PrismaClient } from "../../generated/prisma/client.ts";
import type { Viewer } from "../access.ts";
import { InvalidInputError } from "../errors.ts";
import { findMessageTemplate, renderTemplate } from "../message-templates.ts";
import type { SendTarget } from "./send-target.ts";

/** Either `text`, or `templateId` with optional `variables`. */
export interface TextOrTemplate {
  text?: string | null;
  templateId?: string | null;
  variables?: Record<string, string> | null;
}

/** Values every template can use; the sender's own `variables` come on top. */
async function builtInVariables(
  prisma: PrismaClient,
  viewer: Viewer,
  target: SendTarget,
): Promise<Record<string, string>> {
  const agent = await prisma.user.findUnique({ where: { id: viewer.id } });
  return {
    ...(target.contact?.name ? { "contact.name": target.contact.name } : {}),
    "contact.phone": target.to,
    ...(agent ? { "agent.name": agent.name, "agent.email": agent.email } : {}),
    "channel.number": target.channel.phoneNumber,
  };
}

export async function composeText(
  prisma: PrismaClient,
  viewer: Viewer,
  input: TextOrTemplate,
  target: SendTarget,
): Promise<string> {
  if (!input.templateId) {
    if (input.variables && Object.keys(input.variables).length > 0) {
      throw new InvalidInputError("Variables need a templateId", "variables");
    }
    return input.text ?? "";
  }
  if (input.text) throw new InvalidInputError("Give text or a template, not both", "templateId");
  const template = await findMessageTemplate(prisma, input.templateId);
  return renderTemplate(template.body, { ...(await builtInVariables(prisma, viewer, target)), ...input.variables });
}
