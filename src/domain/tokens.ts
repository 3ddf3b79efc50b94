// API tokens (R1.1): random, shown once, stored as SHA-256 hashes, revocable.
import { createHash, randomBytes } from "node:crypto";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { Viewer } from "./access.ts";
import { NotFoundError } from "./errors.ts";

const TOKEN_PREFIX = "sb_";

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString("base64url");
}

export async function createApiToken(prisma: PrismaClient, userId: string, name = "default") {
  const token = generateToken();
  const record = await prisma.apiToken.create({ data: { userId, name, hash: hashToken(token) } });
  return { token, record };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (value: string) => UUID.test(value);

export async function revokeApiToken(prisma: PrismaClient, tokenId: string, viewer?: Viewer) {
  const record = isUuid(tokenId) ? await prisma.apiToken.findUnique({ where: { id: tokenId } }) : null;
  // Agents may revoke only their own tokens; someone else's looks missing.
  if (!record || (viewer && viewer.role !== "ADMIN" && record.userId !== viewer.id)) throw new NotFoundError("Token");
  return prisma.apiToken.update({ where: { id: tokenId }, data: { revokedAt: record.revokedAt ?? new Date() } });
}

/** Revokes by the token's own value (CLI `token revoke <token>`). */
export async function revokeApiTokenByValue(prisma: PrismaClient, token: string) {
  const record = await prisma.apiToken.findUnique({ where: { hash: hashToken(token) } });
  if (!record) throw new NotFoundError("Token");
  return prisma.apiToken.update({ where: { id: record.id }, data: { revokedAt: record.revokedAt ?? new Date() } });
}

/** The viewer a bearer token stands for, or null when it is unknown or revoked. */
export async function authenticate(prisma: PrismaClient, token: string): Promise<Viewer | null> {
  const record = await prisma.apiToken.findUnique({
    where: { hash: hashToken(token) },
    select: { revokedAt: true, user: { select: { id: true, role: true, memberships: { select: { inboxId: true } } } } },
  });
  if (!record || record.revokedAt) return null;
  const { user } = record;
  return {
    id: user.id,
    role: user.role,
    inboxIds: user.role === "ADMIN" ? null : user.memberships.map((m) => m.inboxId),
  };
}

export function bearerToken(header: string | null | undefined): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return match ? match[1]! : null;
}
