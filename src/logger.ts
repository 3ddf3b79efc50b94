// Structured JSON logs (pino). Anything that could carry a secret is redacted by path, so a
// careless `log.info({ req })` cannot leak a token or a RingCentral credential.
import { pino, type Logger } from "pino";

export type { Logger };

const REDACTED_PATHS = [
  "authorization",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
  "token",
  "*.token",
  "clientSecret",
  "*.clientSecret",
  "jwt",
  "*.jwt",
  "password",
  "*.password",
  "connectionParams",
  "*.connectionParams",
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACTED_PATHS, censor: "[redacted]" }, base: { service: "switchboard" } }, destination);
}
