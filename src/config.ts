// Environment → typed configuration, validated once at start (R9.2). A bad value stops the process
// with a message that names the variable; secrets are never echoed back.
import { z } from "zod";
import { isSupportedCountry, type CountryCode } from "libphonenumber-js/max";
import { databaseUrlProblem } from "./database-url.ts";

const optionalUrl = (protocols: string[]) =>
  z
    .string()
    .trim()
    .optional()
    .transform((value) => (value ? value : undefined))
    .refine((value) => value === undefined || protocols.some((p) => value.startsWith(p)), {
      message: `must start with ${protocols.join(" or ")}`,
    });

/** A whole number from the environment; unset or empty means the default. */
const integer = (fallback: number, min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === "") return fallback;
      const number = Number(value.trim());
      if (!Number.isInteger(number) || number < min || number > max) {
        ctx.addIssue({
          code: "custom",
          message: `must be a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? " up" : ` to ${max}`}`,
        });
        return z.NEVER;
      }
      return number;
    });

/** How the RingCentral worker applies queued call notifications (src/integrations/ringcentral/dispatcher.ts). */
export interface IngestLimits {
  /** The most telephony notifications applied in one transaction (SWITCHBOARD_INGEST_BATCH). */
  maxBatch: number;
  /** Bursts in flight at once, each holding a database connection (SWITCHBOARD_INGEST_CONCURRENCY). */
  maxConcurrentBursts: number;
}

export const DEFAULT_INGEST_LIMITS: IngestLimits = { maxBatch: 500, maxConcurrentBursts: 4 };

/** 2 MB: a multipart request carrying an MMS's largest attachments (1,500,000 bytes in all) fits. */
const DEFAULT_MAX_REQUEST_BODY_BYTES = 2_000_000;

/** Overload protection (src/overload.ts); 0 turns either off. */
export interface OverloadLimits {
  /** GraphQL operations per API token per minute, counted across instances (RATE_LIMIT_REQUESTS_PER_MINUTE). */
  requestsPerMinutePerToken: number;
  /** HTTP requests in flight per instance before new ones get 503 (MAX_IN_FLIGHT_REQUESTS). */
  maxInFlightRequests: number;
}

// 1200 a minute is 20 a second sustained for one client, far above an agent's app or a dashboard;
// 64 in flight is a few times the database pool, so a full instance answers 503 within the time
// of a few queries rather than queueing for seconds.
const DEFAULT_OVERLOAD_LIMITS: OverloadLimits = { requestsPerMinutePerToken: 1200, maxInFlightRequests: 64 };

const configSchema = z.object({
  PORT: integer(4000, 0, 65535),
  HOST: z.string().default("0.0.0.0"),
  DATABASE_URL: optionalUrl(["postgres://", "postgresql://"]).superRefine((value, ctx) => {
    const problem = value === undefined ? null : databaseUrlProblem(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  }),
  DATA_DIR: z.string().min(1).default("./data"),
  /** Statements each PostgreSQL connection keeps prepared; 0 behind a pooler that cannot keep them
   * (PgBouncer in transaction mode before 1.21). */
  DATABASE_PREPARED_STATEMENTS: integer(200, 0, 10_000),
  REDIS_URL: optionalUrl(["redis://", "rediss://"]),
  LOG_LEVEL: z
    .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"], {
      error: "must be one of fatal, error, warn, info, debug, trace, silent",
    })
    .default("info"),
  /** 32 bytes, base64 or hex: encrypts RingCentral credentials at rest (R2.2). */
  ENCRYPTION_KEY: z
    .string()
    .optional()
    .refine((value) => value === undefined || decodeKey(value) !== null, {
      message: "must be 32 bytes encoded as 64 hex characters or base64",
    }),
  PUBLIC_URL: optionalUrl(["http://", "https://"]),
  RINGCENTRAL_EVENTS: z.enum(["websocket", "webhook"]).default("websocket"),
  MAX_QUERY_DEPTH: integer(12, 1),
  MAX_QUERY_COST: integer(50_000, 1),
  MAX_ALIASES: integer(30, 1),
  MAX_SUBSCRIPTIONS_PER_SOCKET: integer(50, 1),
  /** The largest HTTP request body and graphql-ws message; room for an MMS's 1,500,000 bytes of files. */
  MAX_REQUEST_BODY_BYTES: integer(DEFAULT_MAX_REQUEST_BODY_BYTES, 1024),
  /** GraphQL operations each API token may start per minute, on all instances together; 0: no limit. */
  RATE_LIMIT_REQUESTS_PER_MINUTE: integer(DEFAULT_OVERLOAD_LIMITS.requestsPerMinutePerToken, 0),
  /** HTTP requests one instance works on at once; beyond it, 503 at once. 0: no bound. */
  MAX_IN_FLIGHT_REQUESTS: integer(DEFAULT_OVERLOAD_LIMITS.maxInFlightRequests, 0),
  SHUTDOWN_GRACE_MS: integer(10_000, 0),
  /** How long /ready waits for each dependency before calling it unavailable. */
  READY_TIMEOUT_MS: integer(2000, 1),
  /** How often live operations' tokens and memberships are checked against the database, should a
   * notice of a change have been lost (src/live-access.ts). */
  ACCESS_RECHECK_MS: integer(60_000, 1),
  /** Where national phone numbers are read when no channel applies (contacts, their search). */
  DEFAULT_REGION: z
    .string()
    .trim()
    .toUpperCase()
    .default("US")
    .refine((value) => isSupportedCountry(value), { message: "must be a two-letter country code, like US, GB or DE" })
    .transform((value) => value as CountryCode),
  SWITCHBOARD_INGEST_BATCH: integer(DEFAULT_INGEST_LIMITS.maxBatch, 1),
  SWITCHBOARD_INGEST_CONCURRENCY: integer(DEFAULT_INGEST_LIMITS.maxConcurrentBursts, 1),
});

export function decodeKey(value: string): Buffer | null {
  const hex = /^[0-9a-f]{64}$/i.test(value) ? Buffer.from(value, "hex") : null;
  const key = hex ?? Buffer.from(value, "base64");
  return key.length === 32 ? key : null;
}

export interface Config {
  port: number;
  host: string;
  databaseUrl?: string;
  /** How many distinct statements each PostgreSQL connection keeps prepared (0: none). */
  preparedStatements: number;
  dataDir: string;
  redisUrl?: string;
  logLevel: z.infer<typeof configSchema>["LOG_LEVEL"];
  encryptionKey?: Buffer;
  publicUrl?: string;
  /** How RingCentral delivers events (R9.3): a WebSocket subscription, or webhooks to PUBLIC_URL. */
  ringCentralEvents: "websocket" | "webhook";
  limits: {
    maxDepth: number;
    maxCost: number;
    maxAliases: number;
    maxSubscriptionsPerSocket: number;
    /** Bytes: a larger HTTP request body is refused with 413, a larger graphql-ws message with 1009. */
    maxRequestBodyBytes: number;
  };
  overload: OverloadLimits;
  shutdownGraceMs: number;
  readyTimeoutMs: number;
  accessRecheckMs: number;
  ingest: IngestLimits;
  /** The installation's region: national numbers are read in it where no channel's country applies. */
  defaultRegion: CountryCode;
}

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  if (e.RINGCENTRAL_EVENTS === "webhook" && !e.PUBLIC_URL) {
    throw new ConfigError(
      "Invalid configuration:\n  RINGCENTRAL_EVENTS: webhook needs PUBLIC_URL, the address RingCentral can reach",
    );
  }
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    preparedStatements: e.DATABASE_PREPARED_STATEMENTS,
    dataDir: e.DATA_DIR,
    redisUrl: e.REDIS_URL,
    logLevel: e.LOG_LEVEL,
    encryptionKey: e.ENCRYPTION_KEY ? (decodeKey(e.ENCRYPTION_KEY) ?? undefined) : undefined,
    publicUrl: e.PUBLIC_URL,
    ringCentralEvents: e.RINGCENTRAL_EVENTS,
    limits: {
      maxDepth: e.MAX_QUERY_DEPTH,
      maxCost: e.MAX_QUERY_COST,
      maxAliases: e.MAX_ALIASES,
      maxSubscriptionsPerSocket: e.MAX_SUBSCRIPTIONS_PER_SOCKET,
      maxRequestBodyBytes: e.MAX_REQUEST_BODY_BYTES,
    },
    overload: {
      requestsPerMinutePerToken: e.RATE_LIMIT_REQUESTS_PER_MINUTE,
      maxInFlightRequests: e.MAX_IN_FLIGHT_REQUESTS,
    },
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    readyTimeoutMs: e.READY_TIMEOUT_MS,
    accessRecheckMs: e.ACCESS_RECHECK_MS,
    ingest: { maxBatch: e.SWITCHBOARD_INGEST_BATCH, maxConcurrentBursts: e.SWITCHBOARD_INGEST_CONCURRENCY },
    defaultRegion: e.DEFAULT_REGION,
  };
}
