// Connecting a RingCentral account (R2.1, R2.2). An admin gives the app's client id and secret, a
// JWT credential and the server URL; they are verified by logging in (the RingCentral extension must
// be an admin there too), then stored encrypted and reused for everything after — listing numbers
// again and connecting further channels never asks for them again.
//
// The domain does not talk to RingCentral itself: it is handed a `RingCentralGateway` (implemented
// by src/integrations/ringcentral/gateway.ts) and a `SecretBox` (src/secrets.ts).
import type { PrismaClient, RingCentralConnection } from "../generated/prisma/client.ts";
import type { SecretBox } from "../secrets.ts";
import { ConflictError, InvalidInputError } from "./errors.ts";
import { RingCentralNotConnectedError, RingCentralPermissionError } from "./ringcentral-errors.ts";

/** A phone number of the RingCentral account, as the product needs it. */
export interface NumberInfo {
  /** RingCentral's phone-number id. */
  id: string;
  /** E.164. */
  phoneNumber: string;
  label: string | null;
  /** MainCompanyNumber, DirectNumber, CompanyNumber, ContactCenterNumber… */
  usageType: string;
  /** RingCentral allows sending SMS from it (feature `SmsSender`). */
  canSendSms: boolean;
  /** The extension it belongs to (its message store carries the number's SMS); null for company numbers. */
  extensionId?: string | null;
}

/** Who a set of credentials logs in as. */
export interface RingCentralIdentity {
  accountId: string;
  extensionId: string;
  /** The extension holds RingCentral's account-administration permission. */
  isAdmin: boolean;
  /** The extension's contact email (links it to a Switchboard user, R1.3). */
  email: string | null;
}

/** What the domain needs from a logged-in RingCentral client. */
export interface RingCentralDirectory {
  /** Logs in (JWT) if needed and tells who the credentials belong to. */
  verify(): Promise<RingCentralIdentity>;
  /** The account's numbers (account and extension level). */
  phoneNumbers(): Promise<NumberInfo[]>;
}

export interface AppCredentials {
  serverUrl: string;
  clientId: string;
  clientSecret: string;
}

export interface ConnectionCredentials extends AppCredentials {
  jwt: string;
}

/** An agent's own login, just made (R2.5): who it is and the session to keep. */
export interface AgentLogin {
  identity: RingCentralIdentity;
  session: SessionTokens;
}

/** An OAuth session as stored: opaque token data and when it can no longer be refreshed. */
export interface SessionTokens {
  data: Record<string, unknown>;
  refreshTokenExpiresAt: Date | null;
}

/** One refresh of a session: given the session as stored now, the session to store (null: none). */
export type SessionRefresh = (stored: SessionTokens) => Promise<SessionTokens | null>;

export interface SessionHooks {
  /** Tokens were refreshed: store them (a refresh token is single-use). */
  onTokens(session: SessionTokens): Promise<void>;
  /** The session cannot be refreshed any more. */
  onSessionLost(): Promise<void>;
  /**
   * Runs `refresh` alone among every process's refreshes of this session and stores what it
   * returns before the next may start. RingCentral's refresh token is single-use: two clients
   * refreshing with the same one, the second would lose the session. The stored session may be
   * newer than the client's (another process refreshed it): the client starts from it.
   */
  refreshAlone?(refresh: SessionRefresh): Promise<void>;
}

/** How the domain reaches RingCentral. `Client` is whatever the integration hands back for use. */
export interface RingCentralGateway<Client = unknown> {
  directory(credentials: ConnectionCredentials): RingCentralDirectory;
  agentLogin(app: AppCredentials, jwt: string): Promise<AgentLogin>;
  resumeSession(app: AppCredentials, session: SessionTokens, hooks: SessionHooks): Promise<Client>;
  /** Ends a session at RingCentral (best effort). */
  endSession(app: AppCredentials, session: SessionTokens): Promise<void>;
}

export interface RingCentralDeps<Client = unknown> {
  prisma: PrismaClient;
  secrets: SecretBox;
  gateway: RingCentralGateway<Client>;
}

/** Binds ciphertexts to their column (see src/secrets.ts). */
export const CONNECTION_SECRET_PURPOSE = "ringcentral-connection";

interface StoredCredentials {
  clientSecret: string;
  jwt: string;
}

function requireText(value: string, field: string, max = 10_000): string {
  const trimmed = value.trim();
  if (!trimmed || trimmed.length > max) throw new InvalidInputError(`${field} is required`, field);
  return trimmed;
}

function requireServerUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new InvalidInputError(`"${value}" is not a URL`, "serverUrl");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new InvalidInputError("The server URL must be http(s)", "serverUrl");
  // RingCentral's server is an origin; the SDK appends /restapi/... to it.
  return url.origin;
}

export function parseCredentials(input: ConnectionCredentials): ConnectionCredentials {
  return {
    serverUrl: requireServerUrl(input.serverUrl),
    clientId: requireText(input.clientId, "clientId", 200),
    clientSecret: requireText(input.clientSecret, "clientSecret", 1_000),
    jwt: requireText(input.jwt, "jwt"),
  };
}

/** Numbers with the channel types already connected on each. */
export interface ListedNumber extends NumberInfo {
  connectedTypes: ("VOICE" | "SMS")[];
}

async function withConnectedTypes(prisma: PrismaClient, numbers: NumberInfo[]): Promise<ListedNumber[]> {
  const channels = await prisma.channel.findMany({
    where: { phoneNumber: { in: numbers.map((n) => n.phoneNumber) }, disconnectedAt: null },
    select: { phoneNumber: true, type: true },
  });
  return numbers.map((number) => ({
    ...number,
    connectedTypes: channels
      .filter((c) => c.phoneNumber === number.phoneNumber)
      .map((c) => c.type)
      .sort(),
  }));
}

/**
 * R2.1: logs in with the credentials, requires a RingCentral admin, lists the numbers, and saves the
 * connection encrypted (R2.2). Nothing is stored when any step fails.
 */
export async function verifyCredentials(deps: RingCentralDeps, input: ConnectionCredentials) {
  const credentials = parseCredentials(input);
  const directory = deps.gateway.directory(credentials);
  const identity = await directory.verify();
  if (!identity.isAdmin) {
    throw new RingCentralPermissionError(
      "This RingCentral extension is not an account administrator: use an admin's JWT credential",
    );
  }
  const numbers = await directory.phoneNumbers();
  const connection = await saveConnection(deps, credentials, identity);
  return { connection, numbers: await withConnectedTypes(deps.prisma, numbers) };
}

async function saveConnection(
  deps: RingCentralDeps,
  credentials: ConnectionCredentials,
  identity: RingCentralIdentity,
) {
  const stored: StoredCredentials = { clientSecret: credentials.clientSecret, jwt: credentials.jwt };
  const encryptedCredentials = await deps.secrets.seal(stored, CONNECTION_SECRET_PURPOSE);
  const data = {
    serverUrl: credentials.serverUrl,
    clientId: credentials.clientId,
    encryptedCredentials,
    accountId: identity.accountId,
    ownerExtensionId: identity.extensionId,
  };
  // Switchboard serves one RingCentral account. Switching to another is allowed only once no
  // channel of the old one is connected (their numbers would otherwise route nowhere).
  const existing = await deps.prisma.ringCentralConnection.findFirst({ orderBy: { createdAt: "asc" } });
  if (!existing) return deps.prisma.ringCentralConnection.create({ data });
  if (existing.accountId !== identity.accountId) {
    const connected = await deps.prisma.channel.count({ where: { connectionId: existing.id, disconnectedAt: null } });
    if (connected > 0) {
      throw new ConflictError(
        `RingCentral account ${existing.accountId} still has ${connected} connected channel(s): disconnect ` +
          "them before connecting another account",
        "jwt",
      );
    }
  }
  return deps.prisma.ringCentralConnection.update({ where: { id: existing.id }, data });
}

/** The saved connection, or null. */
export function currentConnection(prisma: PrismaClient): Promise<RingCentralConnection | null> {
  return prisma.ringCentralConnection.findFirst({ orderBy: { createdAt: "asc" } });
}

export async function requireConnection(prisma: PrismaClient): Promise<RingCentralConnection> {
  const connection = await currentConnection(prisma);
  if (!connection) throw new RingCentralNotConnectedError();
  return connection;
}

/** The saved credentials, decrypted: for the integration only, never for the API or logs. */
export async function savedCredentials(
  deps: Pick<RingCentralDeps, "secrets">,
  connection: RingCentralConnection,
): Promise<ConnectionCredentials> {
  const stored = await deps.secrets.open<StoredCredentials>(connection.encryptedCredentials, CONNECTION_SECRET_PURPOSE);
  return {
    serverUrl: connection.serverUrl,
    clientId: connection.clientId,
    clientSecret: stored.clientSecret,
    jwt: stored.jwt,
  };
}

/** A directory logged in with the saved credentials (R2.2: no second prompt). */
export async function savedDirectory(
  deps: RingCentralDeps,
): Promise<{ connection: RingCentralConnection; directory: RingCentralDirectory }> {
  const connection = await requireConnection(deps.prisma);
  return { connection, directory: deps.gateway.directory(await savedCredentials(deps, connection)) };
}

/** The account's numbers again, with the saved credentials; empty when nothing is connected yet. */
export async function listAccountNumbers(deps: RingCentralDeps): Promise<ListedNumber[]> {
  if (!(await currentConnection(deps.prisma))) return [];
  const { directory } = await savedDirectory(deps);
  return withConnectedTypes(deps.prisma, await directory.phoneNumbers());
}

/** Where the connection stands, as `ringCentralConnection.status` reports it. */
export type ConnectionStatus = "VERIFIED" | "SUBSCRIBED" | "SUBSCRIPTION_PROBLEM";

/**
 * What the worker stores in `subscriptionState`: "Active" while events flow (a webhook stores
 * RingCentral's own status word, which is "Active" when healthy), "Lost" while it repairs the
 * subscription, null when no subscription runs.
 */
export const SUBSCRIPTION_ACTIVE = "Active";
export const SUBSCRIPTION_LOST = "Lost";

export function connectionStatus(connection: Pick<RingCentralConnection, "subscriptionState">): ConnectionStatus {
  if (!connection.subscriptionState) return "VERIFIED";
  return connection.subscriptionState.toLowerCase() === "active" ? "SUBSCRIBED" : "SUBSCRIPTION_PROBLEM";
}

/** The worker's record of how its event subscription stands (see SUBSCRIPTION_ACTIVE). */
export async function recordSubscriptionState(
  prisma: PrismaClient,
  connectionId: string,
  mode: "WEBSOCKET" | "WEBHOOK",
  state: typeof SUBSCRIPTION_ACTIVE | typeof SUBSCRIPTION_LOST | null,
): Promise<void> {
  await prisma.ringCentralConnection.updateMany({
    where: { id: connectionId },
    data: { subscriptionMode: mode, subscriptionState: state },
  });
}
