// Overload protection (issue 13, point 9): 200 clients at once made everyone wait seconds. Two
// bounds answer at once instead: a per-token request rate (shared by every instance through Redis)
// and a bound on the HTTP requests one instance works on at a time. /metrics counts both.
import type http from "node:http";
import { GraphQLError } from "graphql";
import type { Plugin } from "graphql-yoga";
import { Redis } from "ioredis";
import { Counter, Gauge, type Registry } from "prom-client";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { Context } from "./context.ts";
import { WEBHOOK_PATH } from "./integrations/ringcentral/webhooks.ts";
import type { Logger } from "./logger.ts";
import { reportConnectionState } from "./pubsub.ts";

export type RateLimitDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** Counts operations per API token over fixed one-minute windows. */
export interface RequestRateLimiter {
  /** Counts one operation for `key` (an API token's id) and says whether it may run. */
  consume(key: string): Promise<RateLimitDecision>;
  close(): Promise<void>;
}

const WINDOW_SECONDS = 60;
const KEY_PREFIX = "switchboard:rate-limit";

/**
 * RATE_LIMIT_REQUESTS_PER_MINUTE per token, counted in Redis when there is one (so two instances
 * share a token's allowance), in memory otherwise. While Redis is away, each instance counts in
 * memory (rate-limiter-flexible's insurance limiter) rather than refusing or waiting. Resolves once
 * Redis answered (or failed to), so that the first requests are already counted there.
 */
export async function createRequestRateLimiter(options: {
  requestsPerMinute: number;
  redisUrl?: string;
  log: Logger;
}): Promise<RequestRateLimiter | null> {
  if (options.requestsPerMinute === 0) return null;
  const limits = { points: options.requestsPerMinute, duration: WINDOW_SECONDS, keyPrefix: KEY_PREFIX };
  const memory = new RateLimiterMemory(limits);
  let redis: Redis | undefined;
  let limiter: RateLimiterAbstract = memory;
  if (options.redisUrl) {
    redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 1 });
    reportConnectionState(redis, "rate-limit", options.log);
    const client = redis;
    await new Promise<void>((resolve) => {
      client.once("ready", resolve);
      client.once("error", () => resolve());
    });
    limiter = new RateLimiterRedis({
      ...limits,
      storeClient: redis,
      // Not ready (reconnecting): count in memory at once instead of queueing the request.
      rejectIfRedisNotReady: true,
      insuranceLimiter: memory,
    });
  }
  return {
    async consume(key) {
      try {
        await limiter.consume(key);
        return { allowed: true };
      } catch (outcome) {
        // Over the limit, the library rejects with the window's state; anything else is a failure.
        if (!(outcome instanceof RateLimiterRes)) throw outcome;
        return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(outcome.msBeforeNext / 1000)) };
      }
    },
    async close() {
      if (redis) await redis.quit().catch(() => redis?.disconnect());
    },
  };
}

/**
 * Counts every GraphQL operation against its API token's allowance once the token is known (context
 * building), before anything runs: over HTTP one per request, on a WebSocket one per operation
 * started (events of a running subscription are not counted). Over the limit, the operation fails
 * with RATE_LIMITED; over HTTP with status 429 and Retry-After, on a WebSocket as the operation's
 * error result (the socket stays open). Requests without a valid token are not counted: they fail
 * with UNAUTHENTICATED before any resolver runs, and take no allowance from anyone.
 */
export function rateLimitByToken(limiter: RequestRateLimiter, metrics: OverloadMetrics): Plugin {
  return {
    onContextBuilding:
      () =>
      async ({ context }) => {
        const tokenId = (context as Partial<Context>).viewer?.tokenId;
        if (!tokenId) return;
        const decision = await limiter.consume(tokenId);
        if (decision.allowed) return;
        // yoga's HTTP context carries the Fetch request; a graphql-ws operation's does not.
        const overHttp = "request" in context;
        metrics.rateLimited.inc({ transport: overHttp ? "http" : "websocket" });
        const seconds = decision.retryAfterSeconds;
        throw new GraphQLError(`Too many requests with this API token: retry in ${seconds} s`, {
          extensions: {
            code: "RATE_LIMITED",
            ...(overHttp ? { http: { status: 429, headers: { "retry-after": String(seconds) } } } : {}),
          },
        });
      },
  };
}

/** What /metrics shows of both bounds. */
export interface OverloadMetrics {
  rateLimited: Counter<"transport">;
  overloadRejections: Counter;
  inFlight: Gauge;
}

export function overloadMetrics(registry: Registry): OverloadMetrics {
  return {
    rateLimited: new Counter({
      name: "switchboard_rate_limited_requests_total",
      help: "GraphQL operations refused because their API token was over RATE_LIMIT_REQUESTS_PER_MINUTE",
      labelNames: ["transport"] as const,
      registers: [registry],
    }),
    overloadRejections: new Counter({
      name: "switchboard_overload_rejections_total",
      help: "HTTP requests answered 503 because MAX_IN_FLIGHT_REQUESTS were already in flight",
      registers: [registry],
    }),
    inFlight: new Gauge({
      name: "switchboard_in_flight_requests",
      help: "HTTP requests this instance is working on (operations endpoints and streams excluded)",
      registers: [registry],
    }),
  };
}

/** Paths never refused for overload: a busy instance must still say how it is, and RingCentral's
 * webhook deliveries must not fail (it blacklists a webhook that keeps failing). */
const EXEMPT_PATHS = new Set(["/health", "/ready", "/metrics", WEBHOOK_PATH]);

/**
 * MAX_IN_FLIGHT_REQUESTS: a request beyond the bound is answered 503 with Retry-After at once
 * (another instance, or a moment later, can serve it) instead of queueing behind the others.
 * Responses that stream until the client leaves (subscriptions over SSE) are released as soon as
 * they are known to stream: they are bounded per socket, not here.
 */
export function inFlightLimit(maxInFlight: number, metrics: OverloadMetrics) {
  const counted = new WeakSet<http.ServerResponse>();
  let inFlight = 0;
  const release = (res: http.ServerResponse) => {
    if (!counted.delete(res)) return;
    inFlight--;
    metrics.inFlight.set(inFlight);
  };
  return {
    /** True when the request may go on (and is counted until its response closes); false when it
     * was answered 503. */
    admit(path: string, res: http.ServerResponse): boolean {
      if (EXEMPT_PATHS.has(path)) return true;
      if (maxInFlight > 0 && inFlight >= maxInFlight) {
        metrics.overloadRejections.inc();
        res.writeHead(503, { "content-type": "application/json", "retry-after": "1", "cache-control": "no-store" }).end(
          JSON.stringify({
            errors: [{ message: "The server is busy: retry in a moment", extensions: { code: "OVERLOADED" } }],
          }),
        );
        return false;
      }
      counted.add(res);
      inFlight++;
      metrics.inFlight.set(inFlight);
      res.on("close", () => release(res));
      return true;
    },
    release,
  };
}
