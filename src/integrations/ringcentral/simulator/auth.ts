// OAuth as RingCentral does it ([REFERENCE] §1): the JWT bearer grant, single-use refresh tokens,
// revoke (which kills the whole OAuth session), WebSocket tokens, and bearer checks for
// `/restapi/v1.0/**`. Tokens are opaque random strings; every token belongs to an OAuth session,
// and a refresh keeps the session (WS session recovery depends on that, §2.1).

import { randomBytes, timingSafeEqual } from "node:crypto";
import type { SimResponse } from "./core.ts";
import { apiError } from "./core.ts";

export const JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer";

export interface AuthLifetimes {
  /** Access-token lifetime in seconds (RingCentral: 3600). */
  accessTokenTtlSeconds: number;
  /** Refresh-token lifetime in seconds (RingCentral: 604800); also the cap for `refresh_token_ttl`. */
  refreshTokenTtlSeconds: number;
  /** `expires_in` of `/restapi/oauth/wstoken` (RingCentral: 30, 60 or 600). */
  wsTokenTtlSeconds: number;
}

export const DEFAULT_LIFETIMES: AuthLifetimes = {
  accessTokenTtlSeconds: 3600,
  refreshTokenTtlSeconds: 604800,
  wsTokenTtlSeconds: 600,
};

/** The longest `access_token_ttl` RingCentral grants. It also allows less than its 600 s floor here, for fast tests. */
const MAX_ACCESS_TOKEN_TTL = 3600;

export interface Caller {
  accountId: string;
  extensionId: string;
  /** The OAuth session the token belongs to (refreshes keep it, a new login makes a new one). */
  sessionId: string;
}

interface OAuthSession extends Caller {
  revoked: boolean;
  accessTtl: number;
  refreshTtl: number;
}

interface IssuedToken {
  sessionId: string;
  expiresAt: number;
  /** Access tokens die when their session refreshes; refresh tokens when used once. */
  dead: boolean;
}

interface JwtCredential {
  accountId: string;
  extensionId: string;
}

export interface TokenResponse {
  access_token: string;
  token_type: "bearer";
  expires_in: number;
  refresh_token: string;
  refresh_token_expires_in: number;
  scope: string;
  owner_id: string;
  endpoint_id: string;
  session_id: string;
}

const SCOPE = [
  "ReadAccounts",
  "ReadCallLog",
  "ReadCallRecording",
  "ReadMessages",
  "ReadPresence",
  "EditPresence",
  "CallControl",
  "RingOut",
  "SMS",
  "EditMessages",
  "Subscriptions",
  "WebSocketsSubscriptions",
  "WebSocket",
].join(" ");

/** An OAuth error: RFC 6749's `{error, error_description}` plus RingCentral's `errors[]` with its errorCode. */
export function oauthError(
  status: number,
  error: string,
  errorCode: string,
  description: string,
  headers?: Record<string, string>,
): SimResponse {
  const json = { error, error_description: description, errors: [{ errorCode, message: description }] };
  return headers ? { status, json, headers } : { status, json };
}

function opaqueToken(prefix: string): string {
  return prefix + randomBytes(24).toString("base64url");
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export class TokenStore {
  readonly clientId = `sim-client-${randomBytes(6).toString("hex")}`;
  readonly clientSecret = `sim-secret-${randomBytes(12).toString("hex")}`;
  private readonly jwtCredentials = new Map<string, JwtCredential>();
  private readonly sessions = new Map<string, OAuthSession>();
  private readonly accessTokens = new Map<string, IssuedToken>();
  private readonly refreshTokens = new Map<string, IssuedToken>();
  private readonly wsTokens = new Map<string, IssuedToken>();

  constructor(
    readonly lifetimes: AuthLifetimes,
    private readonly now: () => number = Date.now,
  ) {}

  /** A JWT credential (what the Developer Console issues) for a user extension. */
  createJwtCredential(accountId: string, extensionId: string): string {
    const header = base64url({ alg: "RS256", typ: "JWT" });
    const payload = base64url({
      aud: "sim",
      sub: extensionId,
      iss: this.clientId,
      iat: Math.floor(this.now() / 1000),
      jti: randomBytes(8).toString("hex"),
    });
    const jwt = `${header}.${payload}.${randomBytes(32).toString("base64url")}`;
    this.jwtCredentials.set(jwt, { accountId, extensionId });
    return jwt;
  }

  jwtFor(extensionId: string): string | undefined {
    for (const [jwt, credential] of this.jwtCredentials) if (credential.extensionId === extensionId) return jwt;
    return undefined;
  }

  /** Checks `Authorization: Basic base64(clientId:clientSecret)`; returns the error response when wrong. */
  checkClient(authorization: string | undefined): SimResponse | undefined {
    if (!authorization || !/^basic /i.test(authorization)) {
      return oauthError(401, "invalid_client", "OAU-123", "Client authentication is required");
    }
    const decoded = Buffer.from(authorization.slice(6), "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    const id = colon < 0 ? decoded : decoded.slice(0, colon);
    const secret = colon < 0 ? "" : decoded.slice(colon + 1);
    if (id !== this.clientId || !sameSecret(secret, this.clientSecret)) {
      return oauthError(401, "invalid_client", "OAU-153", "Invalid client credentials");
    }
    return undefined;
  }

  /** The extension a token-endpoint request speaks for (JWT assertion, refresh or revoked token), if known. */
  userOfGrant(form: Record<string, string>): string | undefined {
    if (form.assertion) return this.jwtCredentials.get(form.assertion)?.extensionId;
    const token = form.refresh_token ?? form.token;
    const issued = token ? (this.refreshTokens.get(token) ?? this.accessTokens.get(token)) : undefined;
    return issued ? this.sessions.get(issued.sessionId)?.extensionId : undefined;
  }

  /** `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<jwt>`. */
  jwtGrant(form: Record<string, string>): SimResponse {
    const assertion = form.assertion;
    if (!assertion) return oauthError(400, "invalid_request", "OAU-101", "Parameter [assertion] is missing");
    const credential = this.jwtCredentials.get(assertion);
    if (!credential) return oauthError(400, "invalid_grant", "OAU-140", "Invalid resource owner credentials");
    const ttls = this.requestedLifetimes(form, undefined);
    if ("status" in ttls) return ttls;
    const session: OAuthSession = {
      ...credential,
      sessionId: opaqueToken(""),
      revoked: false,
      accessTtl: ttls.access,
      refreshTtl: ttls.refresh,
    };
    this.sessions.set(session.sessionId, session);
    return { status: 200, json: this.issuePair(session) };
  }

  /** `grant_type=refresh_token&refresh_token=...`: single use; kills the session's previous access tokens. */
  refreshGrant(form: Record<string, string>): SimResponse {
    const token = form.refresh_token;
    if (!token) return oauthError(400, "invalid_request", "OAU-101", "Parameter [refresh_token] is missing");
    const issued = this.refreshTokens.get(token);
    const session = issued && this.sessions.get(issued.sessionId);
    if (!issued || !session || session.revoked || issued.dead) {
      return oauthError(400, "invalid_grant", "OAU-211", "Token is revoked");
    }
    if (issued.expiresAt <= this.now()) return oauthError(400, "invalid_grant", "OAU-212", "Token is expired");
    const ttls = this.requestedLifetimes(form, session);
    if ("status" in ttls) return ttls;
    issued.dead = true;
    for (const access of this.accessTokens.values()) if (access.sessionId === session.sessionId) access.dead = true;
    session.accessTtl = ttls.access;
    session.refreshTtl = ttls.refresh;
    return { status: 200, json: this.issuePair(session) };
  }

  /** `token=<access or refresh token>`: revoking one token ends the whole OAuth session. */
  revoke(form: Record<string, string>): SimResponse {
    const token = form.token;
    if (!token) return oauthError(400, "invalid_request", "OAU-101", "Parameter [token] is missing");
    const issued = this.accessTokens.get(token) ?? this.refreshTokens.get(token);
    const session = issued && this.sessions.get(issued.sessionId);
    if (session) session.revoked = true;
    return { status: 200, body: "" };
  }

  /** `/restapi/oauth/wstoken` for an authenticated caller. */
  issueWsToken(caller: Caller, wsUri: string): SimResponse {
    const token = opaqueToken("SIMWS-");
    const ttl = this.lifetimes.wsTokenTtlSeconds;
    this.wsTokens.set(token, { sessionId: caller.sessionId, expiresAt: this.now() + ttl * 1000, dead: false });
    return { status: 200, json: { uri: wsUri, ws_access_token: token, expires_in: ttl } };
  }

  /** The caller behind a bearer access token, or RingCentral's 401 body. */
  authenticate(authorization: string | undefined, queryToken: string | null): Caller | SimResponse {
    // Schemes are case-insensitive (RFC 7235); the SDK sends its token_type, "bearer".
    const bearer = authorization && /^bearer /i.test(authorization) ? authorization.slice(7).trim() : queryToken;
    if (!bearer) return apiError(401, "AGW-401", "Authorization header is not specified");
    const issued = this.accessTokens.get(bearer);
    const session = issued && this.sessions.get(issued.sessionId);
    if (!issued || !session || session.revoked || issued.dead) {
      return apiError(401, "OAU-129", "Access token corrupted");
    }
    if (issued.expiresAt <= this.now()) return apiError(401, "OAU-128", "Access token expired");
    return { accountId: session.accountId, extensionId: session.extensionId, sessionId: session.sessionId };
  }

  /** The caller behind a WebSocket token (reuse is allowed until it expires, as @rc-ex/ws expects). */
  authenticateWs(token: string | null): Caller | undefined {
    const issued = token ? this.wsTokens.get(token) : undefined;
    const session = issued && this.sessions.get(issued.sessionId);
    if (!issued || !session || session.revoked || issued.expiresAt <= this.now()) return undefined;
    return { accountId: session.accountId, extensionId: session.extensionId, sessionId: session.sessionId };
  }

  /** Fault injection: make access and/or refresh tokens expire now (optionally one extension's only). */
  expireTokens(kind: "access" | "refresh" | "all", extensionId?: string): number {
    let expired = 0;
    const expire = (tokens: Map<string, IssuedToken>) => {
      for (const token of tokens.values()) {
        const session = this.sessions.get(token.sessionId);
        if (extensionId && session?.extensionId !== extensionId) continue;
        token.expiresAt = Math.min(token.expiresAt, this.now());
        expired++;
      }
    };
    if (kind !== "refresh") expire(this.accessTokens);
    if (kind !== "access") expire(this.refreshTokens);
    return expired;
  }

  /** Fault injection: revoke every OAuth session (optionally one extension's only). */
  revokeSessions(extensionId?: string): number {
    let revoked = 0;
    for (const session of this.sessions.values()) {
      if (extensionId && session.extensionId !== extensionId) continue;
      if (!session.revoked) revoked++;
      session.revoked = true;
    }
    return revoked;
  }

  /** Forget every issued token (control API reset); credentials stay valid. */
  reset(): void {
    this.sessions.clear();
    this.accessTokens.clear();
    this.refreshTokens.clear();
    this.wsTokens.clear();
  }

  private requestedLifetimes(
    form: Record<string, string>,
    session: OAuthSession | undefined,
  ): { access: number; refresh: number } | SimResponse {
    const parse = (name: string, fallback: number, max: number): number => {
      const raw = form[name];
      if (raw === undefined || raw === "") return fallback;
      const value = Number(raw);
      // The SDK sends `-1` when the caller gave no lifetime; RingCentral treats that as "default".
      if (!Number.isInteger(value) || value <= 0) return fallback;
      return Math.min(value, max);
    };
    const access = parse(
      "access_token_ttl",
      session?.accessTtl ?? this.lifetimes.accessTokenTtlSeconds,
      MAX_ACCESS_TOKEN_TTL,
    );
    const refresh = parse(
      "refresh_token_ttl",
      session?.refreshTtl ?? this.lifetimes.refreshTokenTtlSeconds,
      this.lifetimes.refreshTokenTtlSeconds,
    );
    return { access, refresh };
  }

  private issuePair(session: OAuthSession): TokenResponse {
    const access = opaqueToken("SIMAT-");
    const refresh = opaqueToken("SIMRT-");
    const now = this.now();
    this.accessTokens.set(access, {
      sessionId: session.sessionId,
      expiresAt: now + session.accessTtl * 1000,
      dead: false,
    });
    this.refreshTokens.set(refresh, {
      sessionId: session.sessionId,
      expiresAt: now + session.refreshTtl * 1000,
      dead: false,
    });
    return {
      access_token: access,
      token_type: "bearer",
      expires_in: session.accessTtl,
      refresh_token: refresh,
      refresh_token_expires_in: session.refreshTtl,
      scope: SCOPE,
      owner_id: session.extensionId,
      endpoint_id: "sim-endpoint",
      session_id: session.sessionId,
    };
  }
}
