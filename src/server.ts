// One HTTP server: GraphQL over HTTP and over WebSocket (graphql-ws) on /graphql, plus /health,
// /ready and /metrics (R8.1, R9.2).
import http from "node:http";
import { createYoga, type Plugin, type YogaServerInstance } from "graphql-yoga";
import { WebSocketServer, type WebSocket } from "ws";
import { useServer } from "graphql-ws/use/ws";
import { GraphQLError, type ExecutionArgs } from "graphql";
import { EnvelopArmorPlugin } from "@escape.tech/graphql-armor";
import { usePrometheus } from "@graphql-yoga/plugin-prometheus";
import { Registry, collectDefaultMetrics } from "prom-client";
import type { Config } from "./config.ts";
import { buildContext, type Context, type Services } from "./context.ts";
import { maskErrorFor } from "./errors.ts";
import { schema } from "./schema/index.ts";

export interface ApiServer {
  server: http.Server;
  /** Stops accepting work, closes sockets with 1001 and waits for requests in flight. */
  close(): Promise<void>;
}

interface ServerOptions {
  config: Pick<Config, "limits">;
  services: Services & { ready(): Promise<void> };
}

type ServerContext = { req?: http.IncomingMessage; connectionParams?: Record<string, unknown> };

function authorizationOf(connectionParams: Record<string, unknown> | undefined, request: Request | undefined): string | null {
  const fromParams = connectionParams?.authorization ?? connectionParams?.Authorization;
  if (typeof fromParams === "string") return fromParams;
  return request?.headers.get("authorization") ?? null;
}

function createGraphQLHandler({ config, services }: ServerOptions) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const plugins: Plugin[] = [
    EnvelopArmorPlugin({
      maxDepth: { n: config.limits.maxDepth },
      costLimit: { maxCost: config.limits.maxCost },
      maxAliases: { n: config.limits.maxAliases },
      blockFieldSuggestion: { enabled: false },
    }),
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
  ];
  return createYoga<ServerContext, Context>({
    schema,
    graphqlEndpoint: "/graphql",
    landingPage: false,
    graphiql: { title: "Switchboard", subscriptionsProtocol: "WS" },
    healthCheckEndpoint: "/health",
    logging: {
      debug: (...args) => services.log.debug(args.map(String).join(" ")),
      info: (...args) => services.log.info(args.map(String).join(" ")),
      warn: (...args) => services.log.warn(args.map(String).join(" ")),
      error: (...args) => services.log.error(args.map(String).join(" ")),
    },
    maskedErrors: { maskError: maskErrorFor(services.log) },
    plugins,
    context: ({ request, connectionParams }) => buildContext(services, authorizationOf(connectionParams, request)),
  });
}

function tooManySubscriptions(limit: number): GraphQLError[] {
  return [new GraphQLError(`At most ${limit} subscriptions per connection`, { extensions: { code: "TOO_MANY_SUBSCRIPTIONS" } })];
}

function attachWebSocket(server: http.Server, yoga: YogaServerInstance<ServerContext, Context>, options: ServerOptions) {
  const wsServer = new WebSocketServer({ server, path: yoga.graphqlEndpoint });
  type EnvelopedRoot = { execute: (args: ExecutionArgs) => unknown; subscribe: (args: ExecutionArgs) => unknown };
  const handle = useServer(
    {
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args) as never,
      subscribe: (args) => (args.rootValue as EnvelopedRoot).subscribe(args) as never,
      onSubscribe: async (ctx, _id, payload) => {
        if (Object.keys(ctx.subscriptions).length >= options.config.limits.maxSubscriptionsPerSocket) {
          return tooManySubscriptions(options.config.limits.maxSubscriptionsPerSocket);
        }
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params: payload,
        });
        let document;
        try {
          document = parse(payload.query);
        } catch (error) {
          return [new GraphQLError((error as Error).message, { extensions: { code: "GRAPHQL_PARSE_FAILED" } })];
        }
        const errors = validate(schema, document);
        if (errors.length > 0) {
          return errors.map((e: GraphQLError) => new GraphQLError(e.message, { nodes: e.nodes, extensions: { code: e.extensions?.code ?? "GRAPHQL_VALIDATION_FAILED" } }));
        }
        return {
          schema,
          operationName: payload.operationName,
          document,
          variableValues: payload.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
      },
    },
    wsServer,
  );
  return { wsServer, dispose: () => handle.dispose() };
}

async function readiness(services: ServerOptions["services"]): Promise<{ ok: boolean; body: string }> {
  try {
    await services.ready();
    return { ok: true, body: JSON.stringify({ status: "ready" }) };
  } catch (error) {
    services.log.warn({ err: error }, "readiness check failed");
    return { ok: false, body: JSON.stringify({ status: "unavailable" }) };
  }
}

export function createApiServer(options: ServerOptions): ApiServer {
  const yoga = createGraphQLHandler(options);
  const server = http.createServer(async (req, res) => {
    if (req.url === "/ready") {
      const { ok, body } = await readiness(options.services);
      res.writeHead(ok ? 200 : 503, { "content-type": "application/json" }).end(body);
      return;
    }
    yoga(req, res);
  });
  const ws = attachWebSocket(server, yoga, options);
  let closing: Promise<void> | undefined;
  return {
    server,
    close: () => {
      closing ??= (async () => {
        for (const client of ws.wsServer.clients) (client as WebSocket).close(1001, "Going away");
        await new Promise<void>((resolve) => ws.wsServer.close(() => resolve()));
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
      })();
      return closing;
    },
  };
}
