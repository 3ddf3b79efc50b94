// One RingCentral client per connection or agent session: an `@ringcentral/sdk` SDK with its own
// in-memory token store (token-storage.ts), JWT login, and re-login with the JWT when a refresh
// fails (the SDK never does that itself, REFERENCE §7.2). Every REST call goes through the
// process-wide per-user rate limiter (rate-limiter.ts), waits out 429s as `Retry-After` asks, and
// retries 5xx and network errors with exponential backoff when the call is idempotent
// (retry-policy.ts). Failures come out as the typed errors of src/domain/ringcentral-errors.ts.
//
// Secrets: the client secret, the JWT and the tokens are never logged or put in an error message.
import crypto from "node:crypto";
import { SDK } from "@ringcentral/sdk";
import type { Logger } from "../../logger.ts";
import { RingCentralLoginRequiredError } from "../../domain/ringcentral-errors.ts";
import type {
  AppCredentials,
  NumberInfo,
  RingCentralDirectory,
  RingCentralIdentity,
  SessionHooks,
  SessionTokens,
} from "../../domain/connections.ts";
import {
  rateLimitHeadersOf,
  rateLimiterFor,
  realSleep,
  routeKey,
  type RequestGate,
  type Sleep,
  type UserRateLimiter,
} from "./rate-limiter.ts";
import {
  DEFAULT_RETRY_POLICY,
  TOKEN_PATH,
  backoffDelayMs,
  classifyFailure,
  exhaustedError,
  isIdempotentMethod,
  type RetryPolicy,
  type SdkError,
} from "./retry-policy.ts";
import { MemoryTokenStorage } from "./token-storage.ts";
import { credentialSubject } from "./credential-subject.ts";
import {
  authzProfile,
  extensionDetails,
  listAll,
  listExtensions,
  listPhoneNumbers,
  type ExtensionDetails,
  type ExtensionSummary,
} from "./account-directory.ts";

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

export interface RequestOptions {
  query?: Record<string, string | number | boolean | string[] | undefined>;
  /** Safe to send twice: retried on 5xx/network errors. Default: GET, HEAD, PUT, DELETE. */
  idempotent?: boolean;
}

export interface RawRequestOptions extends RequestOptions {
  headers?: Record<string, string>;
  /** Error statuses that are an answer to hand back, not a failure (416 to a `Range`). */
  answerStatuses?: number[];
}

const REVOKE_PATH = "/restapi/oauth/revoke";

type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD";

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
    const subject = credentialSubject(options.jwt, options.session);
    this.limiter = rateLimiterFor(`${options.serverUrl}|${options.clientId}|${subject}`);
    this.sdk = new SDK({
      server: options.serverUrl,
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      cachePrefix: `switchboard-${crypto.randomUUID()}-`,
      localStorage: new MemoryTokenStorage() as unknown as Storage,
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
    const refreshAlone = options.hooks?.refreshAlone;
    if (refreshAlone) {
      // Every refresh the SDK makes (a token expired here, or refused by RingCentral) waits its
      // turn among the other clients' refreshes of this session, which store the result. (The
      // SDK's own callers, ensureLoggedIn, do not use the token response it would return.)
      const refreshOwn = platform.refresh.bind(platform);
      const refreshInTurn = () => this.refreshInTurn(refreshAlone, refreshOwn);
      platform.refresh = refreshInTurn as unknown as typeof platform.refresh;
    } else {
      platform.on(platform.events.refreshSuccess, () => this.persistTokens());
    }
  }

  /** A refresh in its turn: from the stored session if another client refreshed it meanwhile
   * (none needed then, unless that one expired too), else of this client's own session. */
  private async refreshInTurn(
    refreshAlone: NonNullable<SessionHooks["refreshAlone"]>,
    refreshOwn: () => Promise<unknown>,
  ): Promise<void> {
    const auth = this.sdk.platform().auth();
    await refreshAlone(async (stored) => {
      // A refresh token is spent by the refresh that replaced it: a different one stored means
      // another client refreshed. (Not the access tokens: the SDK drops its own after a 401.)
      if (stored.data.refresh_token !== (await auth.data()).refresh_token) await this.restore(stored);
      if (await auth.accessTokenValid()) return null;
      await refreshOwn();
      return this.session();
    });
  }

  get accountAndApp(): AppCredentials {
    const { serverUrl, clientId, clientSecret } = this.options;
    return { serverUrl, clientId, clientSecret };
  }

  /** Restores a stored session into the SDK (no request). */
  async restore(session: SessionTokens): Promise<void> {
    await this.sdk
      .platform()
      .auth()
      .setData(session.data as never);
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
    const refreshTokenExpiresAt = Number.isFinite(expireTime) && expireTime > 0 ? new Date(expireTime) : null;
    return { data, refreshTokenExpiresAt };
  }

  /** The SDK for @ringcentral/subscriptions: its REST calls (the WebSocket token, asked for again at
   * every reconnection) go through the limiter and wait out 429s like every other call — the
   * library would otherwise ask again 2 s after a 429 and so restart the penalty (REFERENCE §7.1). */
  subscriptionSdk(): SDK {
    const send = (options: { method?: string; url: string }) =>
      this.withRetries((options.method ?? "GET").toUpperCase(), options.url, true, () =>
        this.sdk.send(options as never),
      );
    return new Proxy(this.sdk, {
      get: (target, property, receiver) =>
        property === "send" ? send : (Reflect.get(target, property, receiver) as unknown),
    });
  }

  /** The subscription library's requests over its WebSocket (creating, renewing and deleting the
   * subscription) through the limiter: each waits for its group, its answer's rate-limit headers
   * count, and a 429 holds the group until `Retry-After` and is sent again then — instead of
   * failing the subscription and starting the connection over during the penalty. Other failures
   * are the library's to handle, unchanged. */
  readonly webSocketRequests: RequestGate = async (method, path, send, answerOf) => {
    const route = routeKey(method, path);
    for (let attempt = 0; ; attempt++) {
      await this.limiter.waitTurn(route, this.sleep);
      try {
        const result = await send();
        const answer = answerOf(result);
        if (answer) this.limiter.observe(route, rateLimitHeadersOf(answer.headers), this.policy.secondMs);
        return result;
      } catch (error) {
        const answer = answerOf(error);
        if (!answer) throw error;
        const refused = Object.assign(new Error(`RingCentral answered ${answer.status}`), {
          response: new Response(null, answer),
        });
        const context = { route, duringRefresh: false, limiter: this.limiter, policy: this.policy };
        const failure = await classifyFailure(refused, context);
        if (failure.kind !== "rate-limited" || attempt >= this.policy.maxRetries) throw error;
        const { retryAfterSeconds, group } = failure;
        this.log?.warn({ route, attempt: attempt + 1, retryAfterSeconds, group }, "RingCentral rate limit: waiting");
      }
    }
  };

  /** Ends the session at RingCentral; errors are ignored (REFERENCE §1.1: do not retry revoke). */
  async logout(): Promise<void> {
    const data = await this.sdk.platform().auth().data();
    if (!data.access_token) return;
    // A revoke sent during a 429 penalty would restart it (and delay the next login): the session
    // is left to expire instead.
    if (this.limiter.waitFor(routeKey("POST", REVOKE_PATH)) > 0) return;
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
  async request<T = unknown>(
    method: HttpMethod,
    path: string,
    body?: unknown,
    options: RequestOptions = {},
  ): Promise<T> {
    await this.ensureLoggedIn();
    const idempotent = options.idempotent ?? isIdempotentMethod(method);
    const response = await this.withRetries(method, path, idempotent, () =>
      this.sdk.platform().send({ method, url: path, query: options.query, body: body as never }),
    );
    const text = response ? await response.text() : "";
    return (text ? JSON.parse(text) : null) as T;
  }

  /** The raw response (binary content: recordings, attachments). */
  async requestRaw(method: HttpMethod, path: string, options: RawRequestOptions = {}): Promise<Response> {
    await this.ensureLoggedIn();
    const idempotent = options.idempotent ?? isIdempotentMethod(method);
    const { query, headers, answerStatuses = [] } = options;
    const response = await this.withRetries(method, path, idempotent, () =>
      this.sdk
        .platform()
        .send({ method, url: path, query, headers })
        .catch((error: SdkError) => {
          if (error.response && answerStatuses.includes(error.response.status)) return error.response;
          throw error;
        }),
    );
    return response!;
  }

  // What the account holds (account-directory.ts).

  extensionInfo(extensionId = "~"): Promise<ExtensionDetails> {
    return extensionDetails(this, extensionId);
  }

  authzProfile(): Promise<{ isAdmin: boolean; permissions: string[] }> {
    return authzProfile(this);
  }

  /** Every page of a RingCentral list. */
  listAll<T>(path: string, query: Record<string, string> = {}): Promise<T[]> {
    return listAll<T>(this, path, query);
  }

  listPhoneNumbers(): Promise<NumberInfo[]> {
    return listPhoneNumbers(this);
  }

  listExtensions(): Promise<ExtensionSummary[]> {
    return listExtensions(this);
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
        if (result instanceof Response) {
          this.limiter.observe(route, rateLimitHeadersOf(result.headers), this.policy.secondMs);
        }
        await this.persisting;
        return result;
      } catch (error) {
        const failure = await classifyFailure(error as SdkError, {
          route,
          duringRefresh: this.refreshErrors.has(error as object),
          limiter: this.limiter,
          policy: this.policy,
        });
        if (failure.kind === "final") throw failure.error;
        if (failure.kind === "session-lost") {
          if (this.options.jwt && !reloggedIn && path !== TOKEN_PATH) {
            reloggedIn = true;
            // Another call may have logged in again already (its re-login settled before this call
            // noticed): retry on that session rather than logging in once more.
            if (this.logins === loginsBefore) {
              const reason = failure.reason;
              this.log?.info({ route, reason }, "RingCentral session lost: logging in again with the JWT");
              await this.loginOnce();
            }
            continue;
          }
          throw await this.loseSession(failure.reason);
        }
        if (attempt >= this.policy.maxRetries) throw exhaustedError(failure);
        attempt++;
        if (failure.kind === "rate-limited") {
          const { retryAfterSeconds, group } = failure;
          this.log?.warn({ route, attempt, retryAfterSeconds, group }, "RingCentral rate limit: waiting");
          // The limiter holds every call of this user's group; waitTurn above waits it out.
          continue;
        }
        // A failed refresh never reached the request itself, so any request may try again.
        if (!idempotent && !this.refreshErrors.has(error as object)) throw exhaustedError(failure);
        const delay = backoffDelayMs(this.policy, attempt);
        const status = failure.status;
        this.log?.warn({ route, attempt, status, delayMs: delay }, "RingCentral unavailable: retrying");
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
}
