// One RingCentral client per connection or agent session: an `@ringcentral/sdk` SDK with its own
// in-memory token store (a unique cachePrefix on a private storage — the SDK's default store is one
// module-level object shared by every instance, REFERENCE §1.3), JWT login, and re-login with the
// JWT when a refresh fails (the SDK never does that itself, §7.2). Every REST call goes through the
// process-wide per-user rate limiter (rate-limiter.ts), waits out 429s as `Retry-After` asks, and
// retries 5xx and network errors with exponential backoff when the call is idempotent. Failures
// come out as the typed errors of src/domain/ringcentral-errors.ts.
//
// Secrets: the client secret, the JWT and the tokens are never logged or put in an error message.
import crypto from "node:crypto";
import { SDK } from "@ringcentral/sdk";
import type { Logger } from "../../logger.ts";
import {
  RingCentralAuthError,
  RingCentralLoginRequiredError,
  RingCentralPermissionError,
  RingCentralRateLimitError,
  RingCentralRequestError,
  RingCentralUnavailableError,
} from "../../domain/ringcentral-errors.ts";
import type {
  AgentLogin,
  AppCredentials,
  ConnectionCredentials,
  NumberInfo,
  RingCentralDirectory,
  RingCentralGateway,
  RingCentralIdentity,
  SessionHooks,
  SessionTokens,
} from "../../domain/connections.ts";
import { toE164 } from "../../domain/phone-numbers.ts";
import { rateLimitHeadersOf, rateLimiterFor, realSleep, retryAfterSecondsOf, routeKey, type Sleep, type UserRateLimiter } from "./rate-limiter.ts";

export interface RetryPolicy {
  /** Retries after the first attempt, for 429s and (idempotent calls) 5xx/network errors. */
  maxRetries: number;
  /** First backoff for 5xx/network errors; doubles each retry up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Milliseconds per second of `Retry-After` and `X-Rate-Limit-Window` (1000; tests shrink it). */
  secondMs: number;
  /** When a 429 has no `Retry-After` (RingCentral: wait at least 30 s; the SDK assumes 60). */
  defaultRetryAfterSeconds: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRetries: 3,
  baseDelayMs: 500,
  maxDelayMs: 10_000,
  secondMs: 1000,
  defaultRetryAfterSeconds: 60,
};

type ClientLog = Pick<Logger, "warn" | "info" | "debug">;

export interface RingCentralClientOptions extends AppCredentials {
  /** JWT credential: logs in with it, and again whenever a refresh fails. */
  jwt?: string;
  /** A session to resume instead (agent sessions); without a JWT it cannot be renewed once lost. */
  session?: SessionTokens;
  hooks?: Partial<SessionHooks>;
  retry?: Partial<RetryPolicy>;
  /** How to wait (tests observe the waits). */
  sleep?: Sleep;
  log?: ClientLog;
  /** Ask for shorter token lifetimes (seconds), e.g. in tests. */
  accessTokenTtlSeconds?: number;
  refreshTokenTtlSeconds?: number;
}

export interface ExtensionInfo {
  id: string;
  accountId: string;
  extensionNumber: string;
  name: string;
  email: string | null;
  type: string;
}

export interface ExtensionSummary {
  id: string;
  extensionNumber: string;
  name: string;
  email: string | null;
  type: string;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | string[] | undefined>;
  /** Safe to send twice: retried on 5xx/network errors. Default: GET, HEAD, PUT, DELETE. */
  idempotent?: boolean;
}

type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD";

/** The SDK's errors carry the fetch Response (ApiError). */
interface SdkError extends Error {
  response?: Response | null;
}

/** Storage the SDK keeps its tokens in: one per client, in memory, never localStorage. */
class MemoryStorage {
  private readonly items = new Map<string, string>();
  get length() {
    return this.items.size;
  }
  getItem(key: string) {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    this.items.set(key, String(value));
  }
  removeItem(key: string) {
    this.items.delete(key);
  }
  clear() {
    this.items.clear();
  }
  key(index: number) {
    return [...this.items.keys()][index] ?? null;
  }
  keys() {
    return [...this.items.keys()];
  }
}

const TOKEN_PATH = "/restapi/oauth/token";
const IDEMPOTENT_METHODS = new Set(["GET", "HEAD", "PUT", "DELETE"]);

/** Who the credential is, without logging in: a JWT credential's `sub` (else a fingerprint). */
function credentialSubject(jwt: string | undefined, session: SessionTokens | undefined): string {
  const owner = session?.data.owner_id;
  if (typeof owner === "string" && owner) return owner;
  if (!jwt) return "anonymous";
  try {
    const payload = JSON.parse(Buffer.from(jwt.split(".")[1] ?? "", "base64url").toString("utf8")) as { sub?: unknown };
    if (typeof payload.sub === "string" || typeof payload.sub === "number") return String(payload.sub);
  } catch {
    // Not a readable JWT: fall through to the fingerprint.
  }
  return `jwt:${crypto.createHash("sha256").update(jwt).digest("hex").slice(0, 16)}`;
}

async function errorBodyOf(response: Response): Promise<{ errorCode: string | null; message: string | null }> {
  try {
    const body = (await response.clone().json()) as Record<string, unknown>;
    const errors = Array.isArray(body.errors) ? (body.errors as Record<string, unknown>[]) : [];
    const errorCode = (body.errorCode ?? errors[0]?.errorCode ?? body.error ?? null) as string | null;
    const message = (body.message ?? body.error_description ?? errors[0]?.message ?? null) as string | null;
    return { errorCode, message };
  } catch {
    return { errorCode: null, message: null };
  }
}

type Failure =
  | { kind: "rate-limited"; retryAfterSeconds: number; group: string | null }
  | { kind: "session-lost"; reason: string }
  | { kind: "unavailable"; status: number | null; reason: string }
  | { kind: "final"; error: Error };

export class RingCentralClient implements RingCentralDirectory {
  readonly sdk: SDK;
  private readonly policy: RetryPolicy;
  private readonly sleep: Sleep;
  private readonly limiter: UserRateLimiter;
  private readonly log: ClientLog | undefined;
  /** Errors the SDK raised while refreshing (told apart from the request's own errors). */
  private readonly refreshErrors = new WeakSet<object>();
  private relogin: Promise<void> | null = null;
  /** Successful logins so far: a call that failed on a session replaced since it was sent retries. */
  private logins = 0;
  /** Token writes in flight (agent sessions): a call returns only after they are stored. */
  private persisting: Promise<void> = Promise.resolve();
  private sessionLost = false;

  constructor(private readonly options: RingCentralClientOptions) {
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.sleep = options.sleep ?? realSleep;
    this.log = options.log;
    this.limiter = rateLimiterFor(`${options.serverUrl}|${options.clientId}|${credentialSubject(options.jwt, options.session)}`);
    this.sdk = new SDK({
      server: options.serverUrl,
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      cachePrefix: `switchboard-${crypto.randomUUID()}-`,
      localStorage: new MemoryStorage() as unknown as Storage,
      // We wait out 429s ourselves (the SDK would sleep 60 s and retry once, outside the limiter).
      handleRateLimit: false,
      // Keep tokens on a failed refresh: a 429 on refresh must not throw the session away; a dead
      // session is replaced by the JWT re-login (or reported lost).
      clearCacheOnRefreshError: false,
      refreshDelayMs: 0,
      appName: "switchboard",
    });
    const platform = this.sdk.platform();
    platform.on(platform.events.refreshError, (error: unknown) => {
      if (error && typeof error === "object") this.refreshErrors.add(error);
    });
    platform.on(platform.events.refreshSuccess, () => this.persistTokens());
  }

  get accountAndApp(): AppCredentials {
    return { serverUrl: this.options.serverUrl, clientId: this.options.clientId, clientSecret: this.options.clientSecret };
  }

  /** Restores a stored session into the SDK (no request). */
  async restore(session: SessionTokens): Promise<void> {
    await this.sdk.platform().auth().setData(session.data as never);
  }

  /** Logs in with the JWT (through the limiter, with retries). */
  async login(): Promise<void> {
    const jwt = this.options.jwt;
    if (!jwt) throw new RingCentralLoginRequiredError();
    await this.withRetries("POST", TOKEN_PATH, true, () =>
      this.sdk.platform().login({
        jwt,
        ...(this.options.accessTokenTtlSeconds ? { access_token_ttl: this.options.accessTokenTtlSeconds } : {}),
        ...(this.options.refreshTokenTtlSeconds ? { refresh_token_ttl: this.options.refreshTokenTtlSeconds } : {}),
      }),
    );
    this.logins += 1;
    this.sessionLost = false;
    this.persistTokens();
    await this.persisting;
  }

  /** Logs in unless a session is held already. */
  async ensureLoggedIn(): Promise<void> {
    const data = await this.sdk.platform().auth().data();
    if (!data.access_token && !data.refresh_token) await this.login();
  }

  /** Refreshes now if the access token is (locally) expired; a dead session throws. */
  async ensureSession(): Promise<void> {
    await this.withRetries("POST", TOKEN_PATH, true, async () => {
      await this.sdk.platform().ensureLoggedIn();
      return null;
    });
  }

  /** The current session, for storing. */
  async session(): Promise<SessionTokens> {
    const data = (await this.sdk.platform().auth().data()) as Record<string, unknown>;
    const expireTime = Number(data.refresh_token_expire_time);
    return { data, refreshTokenExpiresAt: Number.isFinite(expireTime) && expireTime > 0 ? new Date(expireTime) : null };
  }

  /** Ends the session at RingCentral; errors are ignored (REFERENCE §1.1: do not retry revoke). */
  async logout(): Promise<void> {
    const data = await this.sdk.platform().auth().data();
    if (!data.access_token) return;
    await this.sdk
      .platform()
      .logout()
      .catch(() => {});
  }

  /** Done with this client: ends its session at RingCentral so sessions do not pile up (RingCentral
   * allows about 5 per user). */
  async close(): Promise<void> {
    await this.logout();
  }

  /** Any REST call; resolves to the parsed JSON body (null when there is none). */
  async request<T = unknown>(method: HttpMethod, path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
    await this.ensureLoggedIn();
    const idempotent = options.idempotent ?? IDEMPOTENT_METHODS.has(method);
    const response = await this.withRetries(method, path, idempotent, () =>
      this.sdk.platform().send({ method, url: path, query: options.query, body: body as never }),
    );
    const text = response ? await response.text() : "";
    return (text ? JSON.parse(text) : null) as T;
  }

  /** The raw response (binary content: recordings, attachments). */
  async requestRaw(method: HttpMethod, path: string, options: RequestOptions = {}): Promise<Response> {
    await this.ensureLoggedIn();
    const idempotent = options.idempotent ?? IDEMPOTENT_METHODS.has(method);
    const response = await this.withRetries(method, path, idempotent, () => this.sdk.platform().send({ method, url: path, query: options.query }));
    return response!;
  }

  async extensionInfo(extensionId = "~"): Promise<ExtensionInfo> {
    const json = await this.request<RawExtension & { account?: { id?: unknown } }>("GET", `/restapi/v1.0/account/~/extension/${extensionId}`);
    return { ...toExtensionSummary(json), accountId: String(json.account?.id ?? "") };
  }

  /** The extension's permissions; `isAdmin` when it holds account administration. */
  async authzProfile(): Promise<{ isAdmin: boolean; permissions: string[] }> {
    const json = await this.request<{ permissions?: { permission?: { id?: string } }[] }>("GET", "/restapi/v1.0/account/~/extension/~/authz-profile");
    const permissions = (json.permissions ?? []).map((p) => p.permission?.id).filter((id): id is string => typeof id === "string");
    return { isAdmin: permissions.includes("AccountAdministration"), permissions };
  }

  /** Every page of a RingCentral list. */
  async listAll<T>(path: string, query: Record<string, string> = {}): Promise<T[]> {
    const records: T[] = [];
    for (let page = 1; ; page++) {
      const json = await this.request<{ records?: T[]; paging?: { page?: number; totalPages?: number }; navigation?: { nextPage?: unknown } }>("GET", path, undefined, {
        query: { ...query, page, perPage: 1000 },
      });
      records.push(...(json.records ?? []));
      const totalPages = json.paging?.totalPages;
      if (!json.navigation?.nextPage || (totalPages !== undefined && page >= totalPages) || (json.records ?? []).length === 0) return records;
    }
  }

  /**
   * The account's numbers: the account-level list (every number, with usage type and owner) plus
   * the logged-in extension's own list, and SMS capability from each owning extension's list
   * (only extension-level records carry `features`).
   */
  async listPhoneNumbers(): Promise<NumberInfo[]> {
    const accountNumbers = await this.listAll<RawPhoneNumber>("/restapi/v1.0/account/~/phone-number");
    const ownNumbers = await this.listAll<RawPhoneNumber>("/restapi/v1.0/account/~/extension/~/phone-number");
    const owners = new Set(accountNumbers.map((n) => n.extension?.id).filter((id) => id !== undefined && id !== null).map(String));
    const features = new Map<string, string[]>();
    for (const number of ownNumbers) features.set(String(number.id), number.features ?? []);
    for (const extensionId of owners) {
      for (const number of await this.listAll<RawPhoneNumber>(`/restapi/v1.0/account/~/extension/${extensionId}/phone-number`)) {
        features.set(String(number.id), number.features ?? []);
      }
    }
    const byId = new Map<string, NumberInfo>();
    for (const raw of [...accountNumbers, ...ownNumbers]) {
      const phoneNumber = typeof raw.phoneNumber === "string" ? toE164(raw.phoneNumber) : null;
      if (!phoneNumber || byId.has(String(raw.id))) continue;
      byId.set(String(raw.id), {
        id: String(raw.id),
        phoneNumber,
        label: raw.label ?? null,
        usageType: raw.usageType ?? "Unknown",
        canSendSms: (features.get(String(raw.id)) ?? []).includes("SmsSender"),
        extensionId: raw.extension?.id != null ? String(raw.extension.id) : null,
      });
    }
    return [...byId.values()];
  }

  async listExtensions(): Promise<ExtensionSummary[]> {
    const records = await this.listAll<RawExtension>("/restapi/v1.0/account/~/extension");
    return records.map(toExtensionSummary);
  }

  // RingCentralDirectory (the domain's view).

  async verify(): Promise<RingCentralIdentity> {
    const info = await this.extensionInfo();
    const { isAdmin } = await this.authzProfile();
    return { accountId: info.accountId, extensionId: info.id, isAdmin, email: info.email };
  }

  phoneNumbers(): Promise<NumberInfo[]> {
    return this.listPhoneNumbers();
  }

  // The retry loop.

  private async withRetries<R>(method: string, path: string, idempotent: boolean, send: () => Promise<R>): Promise<R> {
    const route = routeKey(method, path);
    let attempt = 0;
    let reloggedIn = false;
    for (;;) {
      await this.limiter.waitTurn(route, this.sleep);
      const loginsBefore = this.logins;
      try {
        const result = await send();
        if (result instanceof Response) this.limiter.observe(route, rateLimitHeadersOf(result.headers), this.policy.secondMs);
        await this.persisting;
        return result;
      } catch (error) {
        const failure = await this.classify(error as SdkError, route);
        if (failure.kind === "final") throw failure.error;
        if (failure.kind === "session-lost") {
          if (this.options.jwt && !reloggedIn && path !== TOKEN_PATH) {
            reloggedIn = true;
            // Another call may have logged in again already (its re-login settled before this call
            // noticed): retry on that session rather than logging in once more.
            if (this.logins === loginsBefore) {
              this.log?.info({ route, reason: failure.reason }, "RingCentral session lost: logging in again with the JWT");
              await this.loginOnce();
            }
            continue;
          }
          throw await this.loseSession(failure.reason);
        }
        if (attempt >= this.policy.maxRetries) throw this.exhausted(failure);
        attempt++;
        if (failure.kind === "rate-limited") {
          this.log?.warn({ route, attempt, retryAfterSeconds: failure.retryAfterSeconds, group: failure.group }, "RingCentral rate limit: waiting");
          // The limiter holds every call of this user's group; waitTurn above waits it out.
          continue;
        }
        // A failed refresh never reached the request itself, so any request may try again.
        if (!idempotent && !this.refreshErrors.has(error as object)) throw this.exhausted(failure);
        const delay = Math.min(this.policy.maxDelayMs, this.policy.baseDelayMs * 2 ** (attempt - 1));
        this.log?.warn({ route, attempt, status: failure.status, delayMs: delay }, "RingCentral unavailable: retrying");
        await this.sleep(delay);
      }
    }
  }

  /** One re-login at a time however many calls noticed the lost session. */
  private loginOnce(): Promise<void> {
    this.relogin ??= this.login().finally(() => {
      this.relogin = null;
    });
    return this.relogin;
  }

  private async loseSession(reason: string): Promise<Error> {
    if (!this.sessionLost) {
      this.sessionLost = true;
      this.log?.warn({ reason }, "RingCentral session can no longer be refreshed");
      await this.options.hooks?.onSessionLost?.();
    }
    return new RingCentralLoginRequiredError("The RingCentral login expired: connect it again");
  }

  private persistTokens(): void {
    const onTokens = this.options.hooks?.onTokens;
    if (!onTokens) return;
    this.persisting = this.persisting
      .then(async () => onTokens(await this.session()))
      .catch((error: unknown) => this.log?.warn({ err: error }, "could not store refreshed RingCentral tokens"));
  }

  private async classify(error: SdkError, route: string): Promise<Failure> {
    const response = error.response ?? null;
    const duringRefresh = this.refreshErrors.has(error);
    if (!response) {
      // The SDK's own refresh checks fail without a response ("Refresh token is missing/has expired").
      if (duringRefresh && /^Refresh token/i.test(error.message)) return { kind: "session-lost", reason: error.message };
      if (error instanceof RingCentralLoginRequiredError || error instanceof RingCentralAuthError) return { kind: "final", error };
      return { kind: "unavailable", status: null, reason: error.message };
    }
    const status = response.status;
    const headers = rateLimitHeadersOf(response.headers);
    // A refresh's answer is about the token endpoint, not the request that triggered it.
    const answered = duringRefresh ? routeKey("POST", TOKEN_PATH) : route;
    this.limiter.observe(answered, headers, this.policy.secondMs);
    if (status === 429) {
      const retryAfterSeconds = retryAfterSecondsOf(response.headers) ?? this.policy.defaultRetryAfterSeconds;
      this.limiter.penalize(answered, headers.group, retryAfterSeconds * this.policy.secondMs);
      return { kind: "rate-limited", retryAfterSeconds, group: headers.group };
    }
    if (status >= 500) return { kind: "unavailable", status, reason: `HTTP ${status}` };
    const body = await errorBodyOf(response);
    const message = body.message ?? `RingCentral answered ${status}`;
    if (duringRefresh && (status === 400 || status === 401)) return { kind: "session-lost", reason: body.errorCode ?? `HTTP ${status}` };
    if (status === 401 || (status === 400 && route.endsWith(TOKEN_PATH))) {
      return { kind: "final", error: new RingCentralAuthError(`RingCentral refused the credentials: ${message}`, body.errorCode) };
    }
    if (status === 403) return { kind: "final", error: new RingCentralPermissionError(`RingCentral denied the request: ${message}`, body.errorCode) };
    return { kind: "final", error: new RingCentralRequestError(`RingCentral rejected the request: ${message}`, status, body.errorCode) };
  }

  private exhausted(failure: Extract<Failure, { kind: "rate-limited" | "unavailable" }>): Error {
    if (failure.kind === "rate-limited") {
      return new RingCentralRateLimitError(`RingCentral is rate limiting this user: try again in ${failure.retryAfterSeconds} s`, failure.retryAfterSeconds);
    }
    return new RingCentralUnavailableError(
      failure.status ? `RingCentral is unavailable (HTTP ${failure.status})` : "RingCentral could not be reached",
      failure.status,
    );
  }
}

interface RawPhoneNumber {
  id: string | number;
  phoneNumber?: string;
  label?: string;
  usageType?: string;
  features?: string[];
  extension?: { id?: string | number };
}

interface RawExtension {
  id: string | number;
  extensionNumber?: string;
  name?: string;
  type?: string;
  contact?: { email?: string };
}

function toExtensionSummary(raw: RawExtension): ExtensionSummary {
  return {
    id: String(raw.id),
    extensionNumber: raw.extensionNumber ?? "",
    name: raw.name ?? "",
    email: raw.contact?.email?.toLowerCase() ?? null,
    type: raw.type ?? "Unknown",
  };
}

/** Options every client of the app gets (retry policy, log). */
export type ClientDefaults = Pick<RingCentralClientOptions, "retry" | "sleep" | "log" | "accessTokenTtlSeconds" | "refreshTokenTtlSeconds">;

/** How many logged-in connection clients a gateway keeps (one per distinct set of credentials). */
const CACHED_DIRECTORIES = 8;

/** The domain's gateway to RingCentral, made of RingCentralClients. */
export function ringCentralGateway(defaults: ClientDefaults = {}): RingCentralGateway<RingCentralClient> {
  // Connection clients are kept and reused: a JWT login per request would spend RingCentral's Auth
  // group (5 a minute per user) and open a new session each time (about 5 may be open per user).
  const directories = new Map<string, RingCentralClient>();
  const directory = (credentials: ConnectionCredentials): RingCentralClient => {
    const key = crypto
      .createHash("sha256")
      .update(JSON.stringify([credentials.serverUrl, credentials.clientId, credentials.clientSecret, credentials.jwt]))
      .digest("hex");
    const cached = directories.get(key);
    if (cached) {
      directories.delete(key); // most recently used last
      directories.set(key, cached);
      return cached;
    }
    const client = new RingCentralClient({ ...defaults, ...credentials });
    directories.set(key, client);
    for (const [oldKey, old] of directories) {
      if (directories.size <= CACHED_DIRECTORIES) break;
      directories.delete(oldKey);
      void old.close();
    }
    return client;
  };
  return {
    directory,
    async agentLogin(app, jwt): Promise<AgentLogin> {
      const client = new RingCentralClient({ ...defaults, ...app, jwt });
      await client.login();
      const identity = await client.verify();
      return { identity, session: await client.session() };
    },
    async resumeSession(app, session, hooks) {
      const client = new RingCentralClient({ ...defaults, ...app, session, hooks });
      await client.restore(session);
      // Refresh now if due, so a dead session is found (and marked) before the caller acts.
      await client.ensureSession();
      return client;
    },
    async endSession(app, session) {
      const client = new RingCentralClient({ ...defaults, ...app, session });
      await client.restore(session);
      await client.logout();
    },
  };
}
