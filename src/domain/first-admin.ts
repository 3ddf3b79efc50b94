// The first admin of an empty embedded database, so that a new install can be used without running
// a second process against the data directory (which only one process may open).
import type { PrismaClient } from "../generated/prisma/client.ts";
import { createApiToken } from "./tokens.ts";
import { createUser } from "./users.ts";

export const FIRST_ADMIN = { email: "admin@example.com", name: "Admin", role: "ADMIN" } as const;

/** Creates the first admin and a token for it when there is no user at all; null otherwise. The
 * token exists only in the return value (stored hashed): the caller shows it once. */
export async function createFirstAdminIfNoUsers(
  prisma: PrismaClient,
): Promise<{ email: string; token: string } | null> {
  if ((await prisma.user.count()) > 0) return null;
  const admin = await createUser(prisma, FIRST_ADMIN);
  const { token } = await createApiToken(prisma, admin.id, "bootstrap");
  return { email: admin.email, token };
}
