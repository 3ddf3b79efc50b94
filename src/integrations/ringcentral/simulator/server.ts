// The simulator's HTTP + WebSocket server: OAuth endpoints, `/restapi/v1.0/**` routes from the
// platform's own modules and the feature modules (bearer auth, `~` resolution, rate limits), the
// `/ws` gateway, and the `/__sim/` control API. Start it with `startSimulator({port: 0})`.

import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Route, RouteModule, SimAccount, SimContext, SimRequest, SimResponse, ThrottlingGroup } from "./core.ts";
import { apiError, SimHttpError } from "./core.ts";
import { addExtension, accountModule, defaultAccount, type NewExtension } from "./account.ts";
import { DEFAULT_LIFETIMES, JWT_GRANT, TokenStore, oauthError, type AuthLifetimes, type Caller } from "./auth.ts";
import { NotificationFaults } from "./faults.ts";
import { featureModules } from "./modules.ts";
import { NotificationHub, type NotificationInput } from "./notifications.ts";
import { PresenceBook, presenceModule, registerPresenceBook } from "./presence.ts";
import { DEFAULT_RATE_LIMITS, RateLimiter, type GroupLimit, type RateLimitConfig } from "./rate-limits.ts";
import { BodyTooLargeError, MalformedBodyError, parseBody, readBody } from "./request-body.ts";
import { Router } from "./router.ts";
import {
  DEFAULT_SUBSCRIPTION_LIMITS,
  SubscriptionStore,
  subscriptionModule,
  type SubscriptionLimits,
} from "./subscriptions.ts";
import { DEFAULT_WEBHOOK_OPTIONS, WebhookDeliverer, type WebhookOptions } from "./webhooks.ts";
import {
  DEFAULT_WEBSOCKET_OPTIONS,
  WebSocketGateway,
  type WsClientRequest,
  type WebSocketOptions,
} from "./websocket.ts";
import { controlModule } from "./control.ts";
import type { ControllablePlatform, SimulatorCredentials } from "./platform.ts";
import { RequestHolds } from "./request-holds.ts";
import { RequestLog } from "./request-log.ts";

export interface SimulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Seed the default account (default true). */
  seed?: boolean;
  /** Token lifetimes in seconds. */
  auth?: Partial<AuthLifetimes>;
  webSocket?: Partial<WebSocketOptions>;
  webhooks?: Partial<WebhookOptions>;
  rateLimits?: Partial<Record<ThrottlingGroup, Partial<GroupLimit>>>;
  subscriptions?: Partial<SubscriptionLimits>;
  /** Feature modules to mount (default: `featureModules` from ./modules.ts). */
  modules?: RouteModule[];
}

export interface Simulator {
  url: string;
  port: number;
  ctx: SimContext;
  /** The default account (or the first one when not seeded). */
  account(): SimAccount;
  credentials(): SimulatorCredentials;
  /** Same as POST /__sim/notifications. */
  publish(input: NotificationInput): void;
  close(): Promise<void>;
  /** The platform's parts, for tests that need to look inside. */
  platform: SimulatorPlatform;
}

function mergeRateLimits(overrides: SimulatorOptions["rateLimits"]): RateLimitConfig {
  const merged = { ...DEFAULT_RATE_LIMITS };
  for (const group of Object.keys(merged) as ThrottlingGroup[])
    merged[group] = { ...merged[group], ...(overrides?.[group] ?? {}) };
  return merged;
}

/** Everything the simulator holds; control.ts drives it, server.ts routes to it. */
export class SimulatorPlatform implements ControllablePlatform {
  readonly accounts = new Map<string, SimAccount>();
  readonly tokens: TokenStore;
  readonly rateLimiter: RateLimiter;
  readonly subscriptions: SubscriptionStore;
  readonly webhooks: WebhookDeliverer;
  readonly gateway: WebSocketGateway;
  readonly hub: NotificationHub;
  readonly presence = new PresenceBook();
  readonly requestLog = new RequestLog();
  readonly holds = new RequestHolds();
  readonly ctx: SimContext;
  readonly modules: RouteModule[];
  private readonly apiRouter = new Router<Route>();
  private readonly controlRouter = new Router<Route>();
  private idCounter = 100_000;
  url = "http://127.0.0.1";

  constructor(readonly options: SimulatorOptions) {
    const now = () => new Date();
    this.tokens = new TokenStore({ ...DEFAULT_LIFETIMES, ...options.auth });
    this.rateLimiter = new RateLimiter(mergeRateLimits(options.rateLimits));
    this.subscriptions = new SubscriptionStore({ ...DEFAULT_SUBSCRIPTION_LIMITS, ...options.subscriptions }, now);
    this.webhooks = new WebhookDeliverer({ ...DEFAULT_WEBHOOK_OPTIONS, ...options.webhooks }, now);
    this.gateway = new WebSocketGateway(
      this.tokens,
      this.subscriptions,
      (request, caller, wsSessionId) => this.dispatchWsRequest(request, caller, wsSessionId),
      { ...DEFAULT_WEBSOCKET_OPTIONS, ...options.webSocket },
    );
    this.hub = new NotificationHub(
      this.subscriptions,
      { WebSocket: this.gateway, WebHook: this.webhooks },
      new NotificationFaults(),
      now,
    );
    this.ctx = {
      accounts: this.accounts,
      publish: (event, body) => void this.hub.publish({ event, body }),
      baseUrl: () => this.url,
      now,
      newId: (prefix) => (prefix ? `${prefix}${randomUUID().replace(/-/g, "")}` : `${this.idCounter++}016`),
    };
    registerPresenceBook(this.ctx, this.presence);
    const platformModules = [
      accountModule,
      presenceModule(this.presence),
      subscriptionModule(
        { store: this.subscriptions, validateWebhook: (address) => this.webhooks.validate(address) },
        now,
      ),
      controlModule(this),
    ];
    this.modules = [...platformModules, ...(options.modules ?? featureModules)];
    for (const module of this.modules) for (const route of module.routes) this.mount(route);
    if (options.seed !== false) this.seed();
  }

  /** Routes under `/__sim/` are control routes: no bearer token, no rate limit, `req.auth` null. */
  private mount(route: Route): void {
    if (route.path.startsWith("/__sim/")) this.controlRouter.add(route);
    else this.apiRouter.add(route);
  }

  /** (Re)creates the default account and a JWT credential for each of its users. */
  seed(): void {
    const account = defaultAccount();
    this.accounts.set(account.id, account);
    for (const extension of account.extensions) {
      if (extension.type === "User" && !this.tokens.jwtFor(extension.id))
        this.tokens.createJwtCredential(account.id, extension.id);
    }
  }

  defaultAccount(): SimAccount {
    const first = this.accounts.values().next().value;
    if (!first) throw new Error("the simulator has no account");
    return first;
  }

  addExtension(account: SimAccount, input: NewExtension) {
    const extension = addExtension(account, input, this.ctx);
    const jwt = extension.type === "User" ? this.tokens.createJwtCredential(account.id, extension.id) : undefined;
    return { extension, jwt };
  }

  credentials(): SimulatorCredentials {
    const account = this.defaultAccount();
    const admin =
      account.extensions.find((e) => e.admin && e.type === "User") ?? account.extensions.find((e) => e.type === "User");
    const jwt = admin ? this.tokens.jwtFor(admin.id) : undefined;
    return { server: this.url, clientId: this.tokens.clientId, clientSecret: this.tokens.clientSecret, jwt: jwt ?? "" };
  }

  /** Control API reset: account data back to the seed, no subscriptions, faults, logs or module state. */
  reset(options: { tokens?: boolean } = {}): void {
    this.gateway.reset();
    this.subscriptions.clear();
    this.webhooks.reset();
    this.hub.reset();
    this.rateLimiter.reset();
    this.requestLog.clear();
    this.holds.clear();
    this.presence.reset();
    if (options.tokens) this.tokens.reset();
    for (const module of this.modules) module.reset?.(this.ctx);
    this.accounts.clear();
    this.seed();
  }

  // ---- HTTP

  /** The request URL; `//x` is a path here, not a protocol-relative URL. */
  private requestUrl(raw: string | undefined): URL {
    const target = raw ?? "/";
    try {
      return target.startsWith("/") ? new URL(`${this.url}${target}`) : new URL(target);
    } catch {
      return new URL(`${this.url}/__invalid__`);
    }
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = this.requestUrl(req.url);
    const method = (req.method ?? "GET").toUpperCase();
    let response: SimResponse;
    let body: unknown;
    try {
      const raw = await readBody(req);
      body = parseBody(raw, req.headers["content-type"]);
      response = await this.route(method, url, req, raw, body);
    } catch (error) {
      response = this.errorResponse(error);
    }
    if (!url.pathname.startsWith("/__sim/")) {
      this.requestLog.record({
        method,
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body,
        status: response.status,
      });
    }
    writeResponse(res, response);
  }

  private errorResponse(error: unknown): SimResponse {
    if (error instanceof SimHttpError) return error.response;
    if (error instanceof MalformedBodyError)
      return apiError(400, "CMN-101", `Request body is invalid: ${error.message}`, "body");
    if (error instanceof BodyTooLargeError) return apiError(413, "CMN-113", "Request entity too large");
    console.error("[simulator] handler failed:", error);
    return apiError(500, "CMN-500", "Internal server error");
  }

  private async route(
    method: string,
    url: URL,
    req: IncomingMessage,
    raw: Buffer,
    body: unknown,
  ): Promise<SimResponse> {
    const path = url.pathname;
    if (path.startsWith("/__sim/") || path === "/__sim") return this.routeControl(method, url, req, raw, body);
    await this.holds.pass(path);
    if (path.startsWith("/restapi/oauth/")) return this.routeOAuth(method, path, req, body);
    if (path.startsWith("/restapi/")) {
      const caller = this.tokens.authenticate(req.headers.authorization, url.searchParams.get("access_token"));
      if ("status" in caller) return caller;
      return this.routeApi(
        { method, path, query: url.searchParams, headers: req.headers, body, rawBody: raw },
        caller,
        undefined,
      );
    }
    return apiError(404, "AGW-404", `Resource not found: ${path}`);
  }

  private async routeControl(
    method: string,
    url: URL,
    req: IncomingMessage,
    raw: Buffer,
    body: unknown,
  ): Promise<SimResponse> {
    const match = this.controlRouter.match(method, url.pathname, null);
    if (match === "methodMismatch")
      return apiError(405, "CMN-405", `Method ${method} is not allowed for ${url.pathname}`);
    if (!match) return apiError(404, "AGW-404", `Resource not found: ${url.pathname}`);
    const request: SimRequest = {
      method,
      path: url.pathname,
      params: match.params,
      query: url.searchParams,
      headers: req.headers,
      body,
      rawBody: raw,
      auth: null,
    };
    return match.route.handler(request, this.ctx);
  }

  private routeOAuth(method: string, path: string, req: IncomingMessage, body: unknown): SimResponse {
    if (method !== "POST") return apiError(405, "CMN-405", `Method ${method} is not allowed for ${path}`);
    if (path === "/restapi/oauth/wstoken") {
      const caller = this.tokens.authenticate(req.headers.authorization, null);
      if ("status" in caller) return caller;
      const limit = this.rateLimiter.check(caller.extensionId, "Light");
      if (limit.rejection) return limit.rejection;
      const wsUri = `${this.url.replace(/^http/, "ws")}/ws`;
      return withHeaders(this.tokens.issueWsToken(caller, wsUri), limit.headers);
    }
    if (path !== "/restapi/oauth/token" && path !== "/restapi/oauth/revoke")
      return apiError(404, "AGW-404", `Resource not found: ${path}`);
    const clientProblem = this.tokens.checkClient(req.headers.authorization);
    if (clientProblem) return clientProblem;
    const form = body && typeof body === "object" && !Array.isArray(body) ? (body as Record<string, string>) : {};
    // The Auth group is counted per user, like the others; unknown users share the app's bucket.
    const limit = this.rateLimiter.check(this.tokens.userOfGrant(form) ?? this.tokens.clientId, "Auth");
    if (limit.rejection) return limit.rejection;
    if (path === "/restapi/oauth/revoke") return withHeaders(this.tokens.revoke(form), limit.headers);
    const grantType = form.grant_type;
    const response =
      grantType === JWT_GRANT
        ? this.tokens.jwtGrant(form)
        : grantType === "refresh_token"
          ? this.tokens.refreshGrant(form)
          : grantType
            ? oauthError(400, "unsupported_grant_type", "OAU-125", `Unsupported grant type [${grantType}]`)
            : oauthError(400, "invalid_request", "OAU-101", "Parameter [grant_type] is missing");
    return withHeaders(response, limit.headers);
  }

  private async routeApi(
    request: Omit<SimRequest, "params" | "auth">,
    caller: Caller,
    wsSessionId: string | undefined,
  ): Promise<SimResponse> {
    const match = this.apiRouter.match(request.method, request.path, caller);
    if (match === "methodMismatch")
      return apiError(405, "CMN-405", `Method ${request.method} is not allowed for ${request.path}`);
    if (!match) return apiError(404, "AGW-404", `Resource not found: ${request.path}`);
    if (match.params.accountId !== undefined && match.params.accountId !== caller.accountId) {
      return apiError(404, "CMN-102", "Resource for parameter [accountId] is not found", "accountId");
    }
    const group = match.route.throttlingGroup;
    const limit = group ? this.rateLimiter.check(caller.extensionId, group) : { headers: {} };
    if (limit.rejection) return limit.rejection;
    const simRequest: SimRequest = {
      ...request,
      params: match.params,
      auth: { accountId: caller.accountId, extensionId: caller.extensionId },
    };
    if (wsSessionId) simRequest.wsSessionId = wsSessionId;
    try {
      return withHeaders(await match.route.handler(simRequest, this.ctx), limit.headers);
    } catch (error) {
      return withHeaders(this.errorResponse(error), limit.headers);
    }
  }

  /** REST over the WebSocket (`ClientRequest` frames) goes through the same routes and limits. */
  private async dispatchWsRequest(request: WsClientRequest, caller: Caller, wsSessionId: string): Promise<SimResponse> {
    const url = this.requestUrl(request.path.startsWith("/") ? request.path : `/${request.path}`);
    for (const [name, value] of Object.entries(request.query)) {
      if (value !== undefined && value !== null) url.searchParams.append(name, String(value));
    }
    const body = request.body;
    const rawBody = Buffer.from(body === undefined ? "" : JSON.stringify(body));
    const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), String(v)]));
    let response: SimResponse;
    try {
      response = await this.routeApi(
        { method: request.method, path: url.pathname, query: url.searchParams, headers, body, rawBody },
        caller,
        wsSessionId,
      );
    } catch (error) {
      response = this.errorResponse(error);
    }
    this.requestLog.record({
      method: request.method,
      path: url.pathname,
      query: url.searchParams,
      headers,
      body,
      status: response.status,
      via: "websocket",
    });
    return response;
  }
}

function withHeaders(response: SimResponse, headers: Record<string, string>): SimResponse {
  return { ...response, headers: { ...headers, ...(response.headers ?? {}) } };
}

function writeResponse(res: ServerResponse, response: SimResponse): void {
  const headers: Record<string, string> = { RCRequestId: randomUUID(), ...(response.headers ?? {}) };
  let payload: Buffer | string = "";
  if (response.json !== undefined) {
    headers["Content-Type"] ??= "application/json; charset=utf-8";
    payload = JSON.stringify(response.json);
  } else if (response.body !== undefined) {
    payload = response.body;
  }
  // As RingCentral does: clients (and Switchboard's downloads) learn the content's length.
  if (response.status !== 204) headers["Content-Length"] ??= String(Buffer.byteLength(payload));
  res.writeHead(response.status, headers);
  res.end(payload);
}

// ---------------------------------------------------------------------------------------------

/** Builds the simulator without listening (use `listen` or `startSimulator`). */
export function createSimulator(options: SimulatorOptions = {}): { platform: SimulatorPlatform; server: Server } {
  const platform = new SimulatorPlatform(options);
  const server = createServer((req, res) => {
    // handle() answers every error itself; this only catches a client that vanished mid-write.
    platform.handle(req, res).catch(() => res.destroy());
  });
  platform.gateway.attach(server);
  return { platform, server };
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const { platform, server } = createSimulator(options);
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(":") ? `[${host}]` : host === "0.0.0.0" ? "127.0.0.1" : host;
  platform.url = `http://${urlHost}:${port}`;
  return {
    url: platform.url,
    port,
    ctx: platform.ctx,
    account: () => platform.defaultAccount(),
    credentials: () => platform.credentials(),
    publish: (input) => void platform.hub.publish(input),
    platform,
    close: async () => {
      platform.gateway.close();
      platform.hub.reset();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** `switchboard simulator --port <n>`: starts the simulator and prints how to point the SDK at it. */
export async function runSimulatorCli(options: { port?: number; host?: string } = {}): Promise<Simulator> {
  const simulator = await startSimulator({ port: options.port ?? 0, host: options.host ?? "127.0.0.1" });
  const { clientId, clientSecret, jwt } = simulator.credentials();
  const account = simulator.account();
  const lines = [
    `RingCentral simulator listening on ${simulator.url}`,
    `  server (RINGCENTRAL_SERVER_URL): ${simulator.url}`,
    `  client id:     ${clientId}`,
    `  client secret: ${clientSecret}   (fake; generated for this run)`,
    `  JWT (admin):   ${jwt}`,
    `  account ${account.id}, main number ${account.mainNumber}`,
    ...account.extensions.map(
      (e) =>
        `    ext ${e.extensionNumber.padEnd(6)} ${e.type.padEnd(10)} ` +
        `${e.name}${e.email ? ` <${e.email}>` : ""}${e.admin ? " (admin)" : ""}`,
    ),
    `  control API: ${simulator.url}/__sim/account (see docs/simulator.md)`,
  ];
  console.log(lines.join("\n"));
  return simulator;
}
