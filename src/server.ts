// One HTTP server: GraphQL over HTTP and over WebSocket (graphql-ws) on /graphql, plus /health,
// /ready and /metrics (R8.1, R9.2); per-token rate limits and a bound on requests in flight
// (src/overload.ts).
import http from "node:http";
import { createYoga, type GraphiQLOptions, type Plugin, type YogaServerInstance } from "graphql-yoga";
import { WebSocketServer, type WebSocket } from "ws";
import { GraphQLError, type DocumentNode, type ExecutionArgs } from "graphql";
import { EnvelopArmorPlugin } from "@escape.tech/graphql-armor";
import { usePrometheus } from "@graphql-yoga/plugin-prometheus";
import { Registry, collectDefaultMetrics } from "prom-client";
import { compiledSubscription } from "./compiled-execution.ts";
import type { Config } from "./config.ts";
import { buildContext, type Context, type Services } from "./context.ts";
import { maskErrorFor } from "./errors.ts";
import { serveGraphQLOverWebSocket } from "./graphql-ws-server.ts";
import { discardBody } from "./request-body.ts";
import {
  inFlightLimit,
  overloadMetrics,
  rateLimitByToken,
  type OverloadMetrics,
  type RequestRateLimiter,
} from "./overload.ts";
import { schema } from "./schema/index.ts";

export interface ApiServer {
  server: http.Server;
  /** Stops accepting work, closes sockets with 1001 and waits for requests in flight. */
  close(): Promise<void>;
}

/** A dependency that /ready checks (the database, pub/sub…): resolves when it answers. */
export type ReadinessCheck = () => Promise<void>;

/** An HTTP route outside GraphQL (webhooks, file downloads): true when it handled the request. */
export type HttpRoute = (req: http.IncomingMessage, res: http.ServerResponse) => Promise<boolean>;

interface ServerOptions {
  config: Pick<Config, "limits" | "overload"> & { readyTimeoutMs?: number };
  services: Services & { readiness: Record<string, ReadinessCheck> };
  routes?: HttpRoute[];
  /** Counts each token's operations (RATE_LIMIT_REQUESTS_PER_MINUTE); none: no rate limit. */
  rateLimiter?: RequestRateLimiter | null;
}

async function handledByRoute(
  routes: HttpRoute[],
  req: http.IncomingMessage,
  res: http.ServerResponse,
  log: Services["log"],
): Promise<boolean> {
  for (const route of routes) {
    try {
      if (await route(req, res)) return true;
    } catch (error) {
      log.error({ err: error, path: req.url?.split("?")[0] }, "HTTP route failed");
      if (!res.headersSent)
        res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({ error: "internal error" }));
      return true;
    }
  }
  return false;
}

type ServerContext = {
  req?: http.IncomingMessage;
  res?: http.ServerResponse;
  connectionParams?: Record<string, unknown>;
  /** The Authorization a graphql-ws subscribe message carried in `extensions.headers` (GraphiQL). */
  operationAuthorization?: string;
};

/** The value of the `authorization` key, in any case, when it is a string. */
function authorizationIn(record: unknown): string | undefined {
  if (typeof record !== "object" || record === null) return undefined;
  const entry = Object.entries(record).find(([key]) => key.toLowerCase() === "authorization");
  return typeof entry?.[1] === "string" ? entry[1] : undefined;
}

/** The bearer token of a graphql-ws operation or an HTTP request. On a WebSocket, an operation's own
 * `extensions.headers` (how GraphiQL sends its headers, after an empty connection_init) come before
 * the connection's `connectionParams`; over HTTP, only the Authorization header counts. */
function authorizationOf(context: ServerContext & { request?: Request }): string | null {
  return (
    context.operationAuthorization ??
    authorizationIn(context.connectionParams) ??
    context.request?.headers.get("authorization") ??
    null
  );
}

/** graphql-armor throws its rejections out of `validate` by default, which graphql-ws reports as an
 * internal error (closing the socket with 4500), and words them as "Syntax Error: …" without a
 * code. Instead, report them as ordinary validation errors with a code, on HTTP and WebSocket. */
const rejectWithCode = {
  propagateOnRejection: false,
  onReject: [
    (context: { reportError(error: GraphQLError): void } | null, error: GraphQLError) => {
      context?.reportError(
        new GraphQLError(error.message.replace(/^Syntax Error: /, ""), {
          extensions: { code: "GRAPHQL_VALIDATION_FAILED" },
        }),
      );
    },
  ],
};

/** The `variables` or `extensions` query parameter that is not JSON (both: for a form-encoded body). */
function malformedJsonParameter(url: string): string {
  const params = new URL(url).searchParams;
  for (const name of ["variables", "extensions"]) {
    const value = params.get(name);
    try {
      if (value) JSON.parse(value);
    } catch {
      return `"${name}" parameter is`;
    }
  }
  return `"variables" or "extensions" parameter is`;
}

function badRequest(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: "BAD_REQUEST", http: { status: 400 } } });
}

/** A request whose parameters cannot be read is the client's mistake, answered 400 whatever it
 * accepts (GraphQL over HTTP: a request that is not well-formed). yoga's GET (and form-encoded
 * POST) parser runs JSON.parse on `variables` and `extensions` bare: a malformed one threw a
 * SyntaxError, taken for a server fault (200 with INTERNAL_SERVER_ERROR, a stack in the error log).
 * And yoga answers a POST body that is not JSON with 200 under `Accept: application/json`. */
const unreadableRequestsAreBadRequests: Plugin = {
  onRequestParse({ request, requestParser, setRequestParser }) {
    if (!requestParser) return;
    setRequestParser(async (parsing) => {
      try {
        return await requestParser(parsing);
      } catch (error) {
        if (error instanceof SyntaxError)
          throw badRequest(`The ${malformedJsonParameter(request.url)} not valid JSON: ${error.message}`);
        if (error instanceof GraphQLError && error.extensions?.code === "BAD_REQUEST") throw badRequest(error.message);
        throw error;
      }
    });
  },
};

/** Marks responses that stream until the client goes away (subscriptions over SSE, @defer/@stream). */
function trackStreams(
  streams: Set<http.ServerResponse>,
  onStream: (res: http.ServerResponse) => void,
): Plugin<Record<string, unknown>, ServerContext> {
  return {
    onResponse({ response, serverContext }) {
      const res = serverContext?.res;
      if (!res || !/^(text\/event-stream|multipart\/mixed)/.test(response.headers.get("content-type") ?? "")) return;
      streams.add(res);
      res.on("close", () => streams.delete(res));
      onStream(res);
    },
  };
}

interface HandlerParts {
  streams: Set<http.ServerResponse>;
  /** Called with a response once it is known to stream until the client leaves. */
  onStream: (res: http.ServerResponse) => void;
  registry: Registry;
  metrics: OverloadMetrics;
}

function createGraphQLHandler(
  { config, services, rateLimiter }: ServerOptions,
  { streams, onStream, registry, metrics }: HandlerParts,
) {
  const subscribeCompiled = compiledSubscription({
    compileAfter: 10,
    onCompiled: (operation, compiled) => services.log.debug({ operation, compiled }, "subscription document compiled"),
  });
  const plugins: Plugin[] = [
    EnvelopArmorPlugin({
      maxDepth: { n: config.limits.maxDepth, ...rejectWithCode },
      // Linear in depth (objects 2, scalars 1), multiplied by `first`/`last`: the cost approximates
      // the number of fields a response can hold. Armor's default depth factor of 1.5 grew
      // exponentially with nesting and refused ordinary inbox pages.
      costLimit: {
        maxCost: config.limits.maxCost,
        objectCost: 2,
        scalarCost: 1,
        depthCostFactor: 1,
        ...rejectWithCode,
      },
      maxAliases: { n: config.limits.maxAliases, ...rejectWithCode },
      blockFieldSuggestion: { enabled: false },
    }),
    unreadableRequestsAreBadRequests,
    trackStreams(streams, onStream) as Plugin,
    // Subscriptions run their selection once per event per subscriber: each event is executed by
    // the operation's selection compiled with graphql-jit once its document has run 10 events
    // (src/compiled-execution.ts): far less CPU per delivered message than graphql-js, which itself
    // cost less than @graphql-tools/executor's per-event path (bench/fan-out.ts; figures in
    // BENCHMARKS.md). Queries and mutations keep yoga's executor: compiled, the inbox page was not
    // measurably faster.
    { onSubscribe: ({ setSubscribeFn }) => setSubscribeFn(subscribeCompiled as never) },
    usePrometheus({
      endpoint: "/metrics",
      registry,
      metrics: {
        graphql_envelop_request: true,
        graphql_envelop_request_duration: true,
        graphql_envelop_error_result: true,
        graphql_yoga_http_duration: true,
      },
    }),
    ...(rateLimiter ? [rateLimitByToken(rateLimiter, metrics)] : []),
  ];
  return createYoga<ServerContext, Context>({
    schema,
    graphqlEndpoint: "/graphql",
    landingPage: false,
    graphiql: { title: "Switchboard", subscriptionsProtocol: "WS" },
    renderGraphiQL: renderGraphiQLOffline,
    healthCheckEndpoint: "/health",
    // Past it: 413 before execution, from Content-Length or while a chunked body streams in.
    maxRequestBodySize: config.limits.maxRequestBodyBytes,
    logging: {
      debug: (...args) => services.log.debug(args.map(String).join(" ")),
      info: (...args) => services.log.info(args.map(String).join(" ")),
      warn: (...args) => services.log.warn(args.map(String).join(" ")),
      // yoga reports every error a client caused here (FORBIDDEN, validation…); the unexpected ones
      // are logged with their stack by maskError, so these are only worth a debug line.
      error: (...args) => services.log.debug(args.map(String).join(" ")),
    },
    maskedErrors: { maskError: maskErrorFor(services.log) },
    plugins,
    context: (initial) => buildContext(services, authorizationOf(initial)),
  });
}

let graphiqlPage: Promise<string> | undefined;

/** yoga's own GraphiQL page loads its scripts, styles and editor workers from a CDN: a blank page
 * without internet. This one, from @graphql-yoga/render-graphiql, has them inlined (about 9 MB),
 * so it is imported on the first visit and rendered once (the options never change). */
function renderGraphiQLOffline(options?: GraphiQLOptions): Promise<string> {
  graphiqlPage ??= import("@graphql-yoga/render-graphiql").then(({ renderGraphiQL }) => renderGraphiQL(options));
  return graphiqlPage;
}

/**
 * The close code of a WebSocket whose API token was revoked (issue 13): graphql-ws' own "Forbidden".
 * Every WebSocket with an operation authenticated by the token closes with it, on every instance.
 */
const TOKEN_REVOKED_CLOSE = { code: 4403, reason: "Forbidden: API token revoked" } as const;

function tooManySubscriptions(limit: number): GraphQLError[] {
  return [
    new GraphQLError(`At most ${limit} subscriptions per connection`, {
      extensions: { code: "TOO_MANY_SUBSCRIPTIONS" },
    }),
  ];
}

function attachWebSocket(
  server: http.Server,
  yoga: YogaServerInstance<ServerContext, Context>,
  options: ServerOptions,
) {
  const maskError = maskErrorFor(options.services.log);
  // Upgrades are routed here by hand (noServer): attached with `server`, ws would re-emit the HTTP
  // server's own errors (EADDRINUSE…) as "internal errors" of graphql-ws. A message is bounded as a
  // request body is (MAX_REQUEST_BODY_BYTES): ws closes with 1009 past it.
  const wsServer = new WebSocketServer({ noServer: true, maxPayload: options.config.limits.maxRequestBodyBytes });
  server.on("upgrade", (req, socket, head) => {
    if (new URL(req.url ?? "/", "http://localhost").pathname !== yoga.graphqlEndpoint) {
      socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
      return;
    }
    wsServer.handleUpgrade(req, socket, head, (client) => wsServer.emit("connection", client, req));
  });
  type EnvelopedRoot = { execute: (args: ExecutionArgs) => unknown; subscribe: (args: ExecutionArgs) => unknown };
  /** Per socket (graphql-ws' context), per operation id: stops following the operation's viewer. */
  const followed = new WeakMap<object, Map<string, () => void>>();
  const unfollow = (ctx: object, id?: string) => {
    const operations = followed.get(ctx);
    for (const [operationId, stop] of operations ?? []) {
      if (id !== undefined && operationId !== id) continue;
      stop();
      operations!.delete(operationId);
    }
  };
  serveGraphQLOverWebSocket(
    {
      onComplete: (ctx, id) => unfollow(ctx, id),
      onClose: (ctx) => unfollow(ctx),
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args) as never,
      subscribe: (args) => (args.rootValue as EnvelopedRoot).subscribe(args) as never,
      onSubscribe: async (ctx, id, payload) => {
        // graphql-ws registers this operation's id before calling onSubscribe: it is already counted.
        if (Object.keys(ctx.subscriptions).length > options.config.limits.maxSubscriptionsPerSocket) {
          return tooManySubscriptions(options.config.limits.maxSubscriptionsPerSocket);
        }
        const extensions = payload.extensions as { headers?: unknown } | undefined;
        const operationAuthorization = authorizationIn(extensions?.headers);
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params: payload,
          ...(operationAuthorization === undefined ? {} : { operationAuthorization }),
        });
        let document: DocumentNode;
        try {
          document = parse(payload.query);
        } catch (error) {
          return [new GraphQLError((error as Error).message, { extensions: { code: "GRAPHQL_PARSE_FAILED" } })];
        }
        let errors: readonly GraphQLError[];
        try {
          errors = validate(schema, document);
        } catch (error) {
          // A validation rule that throws (rather than reports) must not become a 4500 close.
          errors = [error instanceof GraphQLError ? error : new GraphQLError((error as Error).message)];
        }
        if (errors.length > 0) {
          return errors.map(
            (e: GraphQLError) =>
              new GraphQLError(e.message, {
                nodes: e.nodes,
                extensions: { code: e.extensions?.code ?? "GRAPHQL_VALIDATION_FAILED" },
              }),
          );
        }
        let contextValue: Awaited<ReturnType<typeof contextFactory>>;
        try {
          contextValue = await contextFactory();
        } catch (error) {
          return [maskError(error) as GraphQLError];
        }
        const access = options.services.access;
        if (access) {
          const socket = ctx.extra.socket;
          const stop = access.follow(contextValue, (change) => {
            if (change === "REVOKED") socket.close(TOKEN_REVOKED_CLOSE.code, TOKEN_REVOKED_CLOSE.reason);
          });
          const operations = followed.get(ctx) ?? new Map<string, () => void>();
          operations.get(id)?.();
          followed.set(ctx, operations.set(id, stop));
        }
        return {
          schema,
          operationName: payload.operationName,
          document,
          variableValues: payload.variables,
          contextValue,
          rootValue: { execute, subscribe },
        };
      },
    },
    wsServer,
    options.services.log,
  );
  return { wsServer };
}

const DEFAULT_READY_TIMEOUT_MS = 2000;

/** Runs every check, each bounded by `timeoutMs` (a dependency that does not answer — e.g. Redis
 * while ioredis retries its connection — is as unready as one that fails). */
async function readiness(options: ServerOptions): Promise<{ ok: boolean; body: string }> {
  const { services } = options;
  const timeoutMs = options.config.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const entries = await Promise.all(
    Object.entries(services.readiness).map(async ([name, check]): Promise<[string, string]> => {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      });
      const running = check();
      running.catch(() => {}); // may reject after the timeout has already answered
      try {
        await Promise.race([running, timedOut]);
        return [name, "ok"];
      } catch (error) {
        services.log.warn({ err: error, check: name }, "readiness check failed");
        return [name, "unavailable"];
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const checks = Object.fromEntries(entries);
  const ok = entries.every(([, state]) => state === "ok");
  return { ok, body: JSON.stringify({ status: ok ? "ready" : "unavailable", checks }) };
}

export function createApiServer(options: ServerOptions): ApiServer {
  const streams = new Set<http.ServerResponse>();
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = overloadMetrics(registry);
  const limit = inFlightLimit(options.config.overload.maxInFlightRequests, metrics);
  const yoga = createGraphQLHandler(options, { streams, onStream: limit.release, registry, metrics });
  /** Responses being written; on shutdown each must end its connection instead of keeping it alive. */
  const inFlight = new Set<http.ServerResponse>();
  let shuttingDown = false;
  const endConnectionAfter = (res: http.ServerResponse) => {
    // A subscription over HTTP never finishes by itself: end it, as WebSockets are closed.
    if (streams.has(res)) res.destroy();
    else if (!res.headersSent) res.setHeader("connection", "close");
  };
  const server = http.createServer(async (req, res) => {
    inFlight.add(res);
    res.on("close", () => inFlight.delete(res));
    if (shuttingDown) endConnectionAfter(res);
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (!limit.admit(path, res)) return;
    if (path === "/ready") {
      const { ok, body } = await readiness(options);
      res.writeHead(ok ? 200 : 503, { "content-type": "application/json", "cache-control": "no-store" }).end(body);
      return;
    }
    if (await handledByRoute(options.routes ?? [], req, res, options.services.log)) return;
    // yoga refuses a body over the limit from its Content-Length alone (413): receive it first, so
    // that the answer reaches a client still sending it (src/request-body.ts).
    if (Number(req.headers["content-length"]) > options.config.limits.maxRequestBodyBytes) await discardBody(req);
    yoga(req, res);
  });
  const ws = attachWebSocket(server, yoga, options);
  let closing: Promise<void> | undefined;
  return {
    server,
    close: () => {
      closing ??= (async () => {
        shuttingDown = true;
        for (const client of ws.wsServer.clients) (client as WebSocket).close(1001, "Going away");
        await new Promise<void>((resolve) => ws.wsServer.close(() => resolve()));
        // Requests in flight finish; their keep-alive connections close with them.
        for (const res of inFlight) endConnectionAfter(res);
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
      })();
      return closing;
    },
  };
}
