// Environment → typed configuration, validated once at start (R9.2). A bad value stops the process
// with a message that names the variable; secrets are never echoed back.
import { z } from "zod";

const optionalUrl = (protocols: string[]) =>
  z
    .string()
    .trim()
    .optional()
    .transform((value) => (value ? value : undefined))
    .refine((value) => value === undefined || protocols.some((p) => value.startsWith(p)), {
      message: `must start with ${protocols.join(" or ")}`,
    });

const configSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().default("0.0.0.0"),
  DATABASE_URL: optionalUrl(["postgres://", "postgresql://"]),
  DATA_DIR: z.string().min(1).default("./data"),
  REDIS_URL: optionalUrl(["redis://", "rediss://"]),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** 32 bytes, base64 or hex: encrypts RingCentral credentials at rest (R2.2). */
  ENCRYPTION_KEY: z
    .string()
    .optional()
    .refine((value) => value === undefined || decodeKey(value) !== null, {
      message: "must be 32 bytes encoded as 64 hex characters or base64",
    }),
  PUBLIC_URL: optionalUrl(["http://", "https://"]),
  MAX_QUERY_DEPTH: z.coerce.number().int().min(1).default(12),
  MAX_QUERY_COST: z.coerce.number().int().min(1).default(5000),
  MAX_ALIASES: z.coerce.number().int().min(1).default(30),
  MAX_SUBSCRIPTIONS_PER_SOCKET: z.coerce.number().int().min(1).default(50),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
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
  dataDir: string;
  redisUrl?: string;
  logLevel: z.infer<typeof configSchema>["LOG_LEVEL"];
  encryptionKey?: Buffer;
  publicUrl?: string;
  limits: { maxDepth: number; maxCost: number; maxAliases: number; maxSubscriptionsPerSocket: number };
  shutdownGraceMs: number;
}

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR,
    redisUrl: e.REDIS_URL,
    logLevel: e.LOG_LEVEL,
    encryptionKey: e.ENCRYPTION_KEY ? (decodeKey(e.ENCRYPTION_KEY) ?? undefined) : undefined,
    publicUrl: e.PUBLIC_URL,
    limits: {
      maxDepth: e.MAX_QUERY_DEPTH,
      maxCost: e.MAX_QUERY_COST,
      maxAliases: e.MAX_ALIASES,
      maxSubscriptionsPerSocket: e.MAX_SUBSCRIPTIONS_PER_SOCKET,
    },
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
  };
}
