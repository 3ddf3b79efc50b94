// Each agent's own RingCentral login (R2.5), used to place and control their calls. The agent gives
// a JWT credential once; it is used to log in as their extension (with the connection's app
// credentials) and is then forgotten: only the resulting OAuth session is kept, encrypted. When that
// session can no longer be refreshed it is EXPIRED and the agent must connect again — call actions
// fail with RINGCENTRAL_LOGIN_REQUIRED meanwhile.
import type { AgentRingCentralSession, AgentSessionState, PrismaClient } from "../generated/prisma/client.ts";
import { InvalidInputError, NotFoundError } from "./errors.ts";
import { RingCentralLoginRequiredError } from "./ringcentral-errors.ts";
import {
  requireConnection,
  savedCredentials,
  type AppCredentials,
  type RingCentralDeps,
  type SessionRefresh,
  type SessionTokens,
} from "./connections.ts";
import { whileRefreshingAgentSession } from "../store/locks.ts";

export const AGENT_SESSION_SECRET_PURPOSE = "ringcentral-agent-session";

export type RingCentralLoginState = AgentSessionState | "NOT_CONNECTED";

/** What the API shows: a CONNECTED session whose refresh token has run out is EXPIRED already. */
export function loginStateOf(
  session: Pick<AgentRingCentralSession, "state" | "expiresAt"> | null | undefined,
  now = new Date(),
): RingCentralLoginState {
  if (!session) return "NOT_CONNECTED";
  if (session.state === "CONNECTED" && session.expiresAt && session.expiresAt <= now) return "EXPIRED";
  return session.state;
}

interface StoredSession {
  extensionId: string;
  tokens: Record<string, unknown>;
}

async function appCredentials(deps: RingCentralDeps): Promise<AppCredentials> {
  const { serverUrl, clientId, clientSecret } = await savedCredentials(deps, await requireConnection(deps.prisma));
  return { serverUrl, clientId, clientSecret };
}

/** Where sessions are stored: the database, or a transaction on it. */
type SessionStore = { agentRingCentralSession: PrismaClient["agentRingCentralSession"] };

async function storeSession(
  deps: { prisma: SessionStore; secrets: RingCentralDeps["secrets"] },
  userId: string,
  extensionId: string,
  session: SessionTokens,
) {
  const stored: StoredSession = { extensionId, tokens: session.data };
  const encryptedTokens = await deps.secrets.seal(stored, AGENT_SESSION_SECRET_PURPOSE);
  const fields = { encryptedTokens, state: "CONNECTED" as const, expiresAt: session.refreshTokenExpiresAt };
  await deps.prisma.agentRingCentralSession.upsert({
    where: { userId },
    create: { userId, ...fields },
    update: fields,
  });
}

/**
 * Logs in as the agent's extension with `jwt` and keeps the session. The extension must be of the
 * connected account and have the agent's email (R1.3), so nobody drives someone else's phone.
 */
export async function connectAgentLogin(deps: RingCentralDeps, userId: string, jwt: string) {
  const user = await deps.prisma.user.findUnique({ where: { id: userId } });
  if (!user) throw new NotFoundError("User");
  if (!jwt.trim()) throw new InvalidInputError("jwt is required", "jwt");
  const connection = await requireConnection(deps.prisma);
  const app = await appCredentials(deps);
  const login = await deps.gateway.agentLogin(app, jwt.trim());
  const { identity } = login;
  // A refused login must not leave a live session behind at RingCentral.
  const refuse = async (message: string) => {
    await deps.gateway.endSession(app, login.session).catch(() => {});
    return new InvalidInputError(message, "jwt");
  };
  if (identity.accountId !== connection.accountId) {
    throw await refuse(
      `This JWT belongs to another RingCentral account than the connected one (${connection.accountId})`,
    );
  }
  if (identity.email?.toLowerCase() !== user.email.toLowerCase()) {
    throw await refuse(`This JWT logs in as a RingCentral extension whose email is not ${user.email}`);
  }
  await storeSession(deps, userId, identity.extensionId, login.session);
  return user;
}

/** Forgets the agent's session and ends it at RingCentral (best effort). */
export async function disconnectAgentLogin(deps: RingCentralDeps, userId: string) {
  const user = await deps.prisma.user.findUnique({ where: { id: userId } });
  if (!user) throw new NotFoundError("User");
  const session = await deps.prisma.agentRingCentralSession.findUnique({ where: { userId } });
  if (session) {
    await deps.prisma.agentRingCentralSession.delete({ where: { userId } });
    await endStoredSession(deps, session).catch(() => {});
  }
  return user;
}

async function endStoredSession(deps: RingCentralDeps, session: AgentRingCentralSession) {
  if (loginStateOf(session) !== "CONNECTED") return;
  const stored = await deps.secrets.open<StoredSession>(session.encryptedTokens, AGENT_SESSION_SECRET_PURPOSE);
  await deps.gateway.endSession(await appCredentials(deps), {
    data: stored.tokens,
    refreshTokenExpiresAt: session.expiresAt,
  });
}

async function markExpired(prisma: PrismaClient, userId: string) {
  await prisma.agentRingCentralSession.updateMany({ where: { userId }, data: { state: "EXPIRED" } });
}

/**
 * A client acting as the agent's own extension, for call control. Throws
 * RingCentralLoginRequiredError when there is no session or it expired. The session's refreshed
 * tokens are stored as they change; when a refresh fails the session becomes EXPIRED (and the
 * failing call throws RingCentralLoginRequiredError too).
 */
export async function agentSession<Client>(deps: RingCentralDeps<Client>, userId: string): Promise<Client> {
  const session = await deps.prisma.agentRingCentralSession.findUnique({ where: { userId } });
  const state = loginStateOf(session);
  if (!session || state === "NOT_CONNECTED") throw new RingCentralLoginRequiredError();
  if (state === "EXPIRED") {
    await markExpired(deps.prisma, userId);
    throw new RingCentralLoginRequiredError("Your RingCentral login expired: connect it again");
  }
  const stored = await deps.secrets.open<StoredSession>(session.encryptedTokens, AGENT_SESSION_SECRET_PURPOSE);
  return deps.gateway.resumeSession(
    await appCredentials(deps),
    { data: stored.tokens, refreshTokenExpiresAt: session.expiresAt },
    {
      onTokens: (tokens) => storeSession(deps, userId, stored.extensionId, tokens),
      onSessionLost: () => markExpired(deps.prisma, userId),
      refreshAlone: (refresh) => refreshAlone(deps, userId, refresh),
    },
  );
}

/**
 * One refresh of the agent's session at a time, whichever process or client asks (RingCentral's
 * refresh token is single-use). Under the lock, the refresh starts from the session as stored — a
 * refresh that went before has stored its tokens — and its result is stored before the lock goes.
 * A session disconnected or expired meanwhile is not refreshed back to life.
 */
async function refreshAlone(deps: RingCentralDeps, userId: string, refresh: SessionRefresh): Promise<void> {
  await whileRefreshingAgentSession(deps.prisma, userId, async (tx) => {
    const row = await tx.agentRingCentralSession.findUnique({ where: { userId } });
    if (!row || loginStateOf(row) !== "CONNECTED") throw new RingCentralLoginRequiredError();
    const stored = await deps.secrets.open<StoredSession>(row.encryptedTokens, AGENT_SESSION_SECRET_PURPOSE);
    const refreshed = await refresh({ data: stored.tokens, refreshTokenExpiresAt: row.expiresAt });
    if (refreshed) await storeSession({ prisma: tx, secrets: deps.secrets }, userId, stored.extensionId, refreshed);
  });
}
