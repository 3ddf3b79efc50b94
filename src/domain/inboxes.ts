// Inboxes and their members. A membership change is published (src/domain/access.ts): the
// member's live subscriptions on every API instance follow it at once.
import { Prisma, type PrismaClient } from "../generated/prisma/client.ts";
import { ConflictError, InvalidInputError, NotFoundError } from "./errors.ts";
import type { Deps } from "./event-log.ts";
import { parseBusinessHours } from "./rules/business-hours.ts";

export async function createInbox(prisma: PrismaClient, input: { name: string }) {
  const name = input.name.trim();
  if (!name || name.length > 100) throw new InvalidInputError("An inbox name needs 1 to 100 characters", "name");
  if (await prisma.inbox.findUnique({ where: { name } }))
    throw new ConflictError(`An inbox named "${name}" exists`, "name");
  return prisma.inbox.create({ data: { name } });
}

export async function renameInbox(prisma: PrismaClient, inboxId: string, name: string) {
  const trimmed = name.trim();
  if (!trimmed || trimmed.length > 100) throw new InvalidInputError("An inbox name needs 1 to 100 characters", "name");
  await requireInbox(prisma, inboxId);
  const clash = await prisma.inbox.findUnique({ where: { name: trimmed } });
  if (clash && clash.id !== inboxId) throw new ConflictError(`An inbox named "${trimmed}" exists`, "name");
  return prisma.inbox.update({ where: { id: inboxId }, data: { name: trimmed } });
}

async function requireInbox(prisma: PrismaClient, inboxId: string) {
  const inbox = await prisma.inbox.findUnique({ where: { id: inboxId } });
  if (!inbox) throw new NotFoundError("Inbox");
  return inbox;
}

async function requireUser(prisma: PrismaClient, userId: string) {
  const user = await prisma.user.findUnique({ where: { id: userId } });
  if (!user) throw new NotFoundError("User");
  return user;
}

export async function addInboxMember({ prisma, pubsub }: Deps, inboxId: string, userId: string) {
  const inbox = await requireInbox(prisma, inboxId);
  await requireUser(prisma, userId);
  await prisma.inboxMember.upsert({
    where: { inboxId_userId: { inboxId, userId } },
    create: { inboxId, userId },
    update: {},
  });
  pubsub.publish("access", "*", { type: "MEMBERSHIP_CHANGED", userId });
  return inbox;
}

export async function removeInboxMember({ prisma, pubsub }: Deps, inboxId: string, userId: string) {
  const inbox = await requireInbox(prisma, inboxId);
  await prisma.inboxMember.deleteMany({ where: { inboxId, userId } });
  pubsub.publish("access", "*", { type: "MEMBERSHIP_CHANGED", userId });
  return inbox;
}

/** Sets the inbox's business hours (rules' BUSINESS_HOURS condition): a weekly schedule (null: always
 * open) in a time zone, and closed dates. */
export async function setInboxBusinessHours(
  prisma: PrismaClient,
  inboxId: string,
  input: { timeZone: string; schedule: unknown[] | null; holidays: string[] },
) {
  const hours = parseBusinessHours(input);
  await requireInbox(prisma, inboxId);
  return prisma.inbox.update({
    where: { id: inboxId },
    data: { timeZone: hours.timeZone, businessHours: hours.schedule ?? Prisma.DbNull, holidays: hours.holidays },
  });
}
