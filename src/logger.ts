// Structured JSON logs (pino). Anything that could carry a secret is redacted by path, so a
// careless `log.info({ req })` cannot leak a token or a RingCentral credential.
import { pino, type Logger } from "pino";

export type { Logger };

/** Keys that hold secrets, in the spellings they come in (HTTP headers, RingCentral token
 * responses, our own config). Redaction paths are case-sensitive and match exact depths. */
const SECRET_KEYS = [
  "authorization",
  "Authorization",
  "cookie",
  "Cookie",
  "token",
  "accessToken",
  "refreshToken",
  "access_token",
  "refresh_token",
  "clientSecret",
  "client_secret",
  "jwt",
  "password",
  "connectionParams",
  "encryptionKey",
  "databaseUrl",
  "redisUrl",
  "verificationToken",
];

/** Up to three levels deep: `{ token }`, `{ session: { token } }`, `{ err: { headers: { Authorization } } }`. */
const REDACTED_PATHS = SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`, `*.*.*.${key}`]);

/**
 * Errors keep their type, message, stack and codes only. pino's standard serializer copies every
 * own property, and SDK errors carry live request/response objects whose getters throw while the
 * redaction walks them (and could hold tokens).
 */
function serializeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { type: typeof error, message: String(error) };
  const { code, errorCode, status } = error as Error & { code?: unknown; errorCode?: unknown; status?: unknown };
  return {
    type: error.constructor?.name ?? error.name,
    message: error.message,
    stack: error.stack,
    ...(code !== undefined ? { code } : {}),
    ...(errorCode !== undefined ? { errorCode } : {}),
    ...(typeof status === "number" ? { status } : {}),
    ...(error.cause !== undefined ? { cause: serializeError(error.cause) } : {}),
  };
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
      serializers: { err: serializeError, error: serializeError },
      base: { service: "switchboard" },
    },
    destination,
  );
}
