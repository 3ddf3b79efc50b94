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

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACTED_PATHS, censor: "[redacted]" }, base: { service: "switchboard" } }, destination);
}
