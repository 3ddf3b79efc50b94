// Users (R1.1): email unique case-insensitively (stored lower-cased), a name and a role.
import { z } from "zod";
import type { AgentStatus, PrismaClient, Role } from "../generated/prisma/client.ts";
import { ConflictError, InvalidInputError, NotFoundError } from "./errors.ts";
import { inTransaction, type Deps } from "./event-log.ts";
import { lockAgentStatus } from "../store/locks.ts";

const emailSchema = z.email();

export function normalizeEmail(email: string): string {
  const normalized = email.trim().toLowerCase();
  if (!emailSchema.safeParse(normalized).success)
    throw new InvalidInputError(`"${email}" is not an email address`, "email");
  return normalized;
}

function requireName(name: string): string {
  const trimmed = name.trim();
  if (!trimmed || trimmed.length > 200) throw new InvalidInputError("A name needs 1 to 200 characters", "name");
  return trimmed;
}

export async function createUser(prisma: PrismaClient, input: { email: string; name: string; role: Role }) {
  const email = normalizeEmail(input.email);
  const name = requireName(input.name);
  const existing = await prisma.user.findUnique({ where: { email }, select: { id: true } });
  if (existing) throw new ConflictError(`A user with email ${email} already exists`, "email");
  return prisma.user.create({ data: { email, name, role: input.role } });
}

export async function updateUserPreferences(
  prisma: PrismaClient,
  userId: string,
  input: { muteIncomingCallBanner?: boolean | null; name?: string | null },
) {
  return prisma.user.update({
    where: { id: userId },
    data: {
      ...(input.muteIncomingCallBanner != null ? { muteIncomingCallBanner: input.muteIncomingCallBanner } : {}),
      ...(input.name != null ? { name: requireName(input.name) } : {}),
    },
  });
}

/**
 * A manual status change; published to the user's teammates' dashboards (R3.13). While Do Not
 * Disturb is on in RingCentral the agent cannot be AVAILABLE here: RingCentral would not ring them.
 */
export async function setUserStatus(deps: Deps, userId: string, status: AgentStatus) {
  return inTransaction(deps, async (tx, log) => {
    await lockAgentStatus(tx, userId);
    const user = await tx.user.findUnique({ where: { id: userId }, include: { memberships: true } });
    if (!user) throw new NotFoundError("User");
    if (status === "AVAILABLE" && user.ringCentralDnd)
      throw new ConflictError("Do Not Disturb is on in RingCentral: turn it off there to be AVAILABLE", "status");
    const updated = await tx.user.update({
      where: { id: userId },
      data: { status, statusBeforeCall: null, statusBeforeDnd: null },
    });
    log.append({
      type: "AGENT_STATUS_CHANGED",
      userIds: [userId],
      inboxIds: user.memberships.map((m) => m.inboxId),
      payload: { userId, status, previousStatus: user.status },
    });
    return updated;
  });
}
