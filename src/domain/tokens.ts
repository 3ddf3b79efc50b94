// API tokens (R1.1): random, shown once, stored as SHA-256 hashes, revocable. A revocation is
// published (src/domain/access.ts), so the token's live WebSockets close on every API instance.
import { createHash, randomBytes } from "node:crypto";
import type { Prisma, PrismaClient } from "../generated/prisma/client.ts";
import type { Viewer } from "./access.ts";
import { NotFoundError } from "./errors.ts";
import type { Deps } from "./event-log.ts";

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

export async function revokeApiToken(deps: Deps, tokenId: string, viewer?: Viewer) {
  const record = isUuid(tokenId) ? await deps.prisma.apiToken.findUnique({ where: { id: tokenId } }) : null;
  // Agents may revoke only their own tokens; someone else's looks missing.
  if (!record || (viewer && viewer.role !== "ADMIN" && record.userId !== viewer.id)) throw new NotFoundError("Token");
  return revoke(deps, record);
}

/** Revokes by the token's own value (CLI `token revoke <token>`). */
export async function revokeApiTokenByValue(deps: Deps, token: string) {
  const record = await deps.prisma.apiToken.findUnique({ where: { hash: hashToken(token) } });
  if (!record) throw new NotFoundError("Token");
  return revoke(deps, record);
}

async function revoke(deps: Deps, record: { id: string; userId: string; revokedAt: Date | null }) {
  const revoked = await deps.prisma.apiToken.update({
    where: { id: record.id },
    data: { revokedAt: record.revokedAt ?? new Date() },
  });
  // Also when it was revoked already: a notice that was lost then is not lost twice.
  deps.pubsub.publish("access", "*", { type: "TOKEN_REVOKED", tokenId: record.id, userId: record.userId });
  return revoked;
}

const VIEWER_OF_TOKEN = {
  id: true,
  revokedAt: true,
  user: { select: { id: true, role: true, memberships: { select: { inboxId: true } } } },
} satisfies Prisma.ApiTokenSelect;

function viewerOfToken(record: Prisma.ApiTokenGetPayload<{ select: typeof VIEWER_OF_TOKEN }> | null): Viewer | null {
  if (!record || record.revokedAt) return null;
  const { user } = record;
  return {
    id: user.id,
    role: user.role,
    inboxIds: user.role === "ADMIN" ? null : user.memberships.map((m) => m.inboxId),
    tokenId: record.id,
  };
}

/** The viewer a bearer token stands for, or null when it is unknown or revoked. */
export async function authenticate(prisma: PrismaClient, token: string): Promise<Viewer | null> {
  return viewerOfToken(
    await prisma.apiToken.findUnique({ where: { hash: hashToken(token) }, select: VIEWER_OF_TOKEN }),
  );
}

/** The viewer each token (by id) stands for now, in one query; null for a revoked or deleted one. */
export async function viewersOfTokens(prisma: PrismaClient, tokenIds: string[]): Promise<Map<string, Viewer | null>> {
  const records = await prisma.apiToken.findMany({ where: { id: { in: tokenIds } }, select: VIEWER_OF_TOKEN });
  const viewers = new Map<string, Viewer | null>(tokenIds.map((id) => [id, null]));
  for (const record of records) viewers.set(record.id, viewerOfToken(record));
  return viewers;
}

export function bearerToken(header: string | null | undefined): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return match ? match[1]! : null;
}
