// Who a credential belongs to, known without logging in: the rate limiter is shared by every client
// of the same user, so it is keyed by this.
import crypto from "node:crypto";
import type { SessionTokens } from "../../domain/connections.ts";

/** A session's owner, else a JWT credential's `sub`, else a fingerprint of the JWT. */
export function credentialSubject(jwt: string | undefined, session: SessionTokens | undefined): string {
  const owner = session?.data.owner_id;
  if (typeof owner === "string" && owner) return owner;
  if (!jwt) return "anonymous";
  try {
    const claims = Buffer.from(jwt.split(".")[1] ?? "", "base64url").toString("utf8");
    const payload = JSON.parse(claims) as { sub?: unknown };
    if (typeof payload.sub === "string" || typeof payload.sub === "number") return String(payload.sub);
  } catch {
    // Not a readable JWT: fall through to the fingerprint.
  }
  return `jwt:${crypto.createHash("sha256").update(jwt).digest("hex").slice(0, 16)}`;
}
