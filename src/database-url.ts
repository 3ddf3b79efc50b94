// DATABASE_URL → the pg driver's configuration. The standard libpq URL parameters that pg supports
// are honoured; any other parameter is refused by name (a misspelt `sslmod=` must not be ignored).
import type pg from "pg";
import { parseIntoClientConfig } from "pg-connection-string";

/** The query parameters of a DATABASE_URL that are honoured: libpq's names, as pg supports them. */
const URL_PARAMETERS = new Set([
  // SSL: read by pg-connection-string into pg's `ssl` option (certificate files are read from disk).
  "ssl",
  "sslmode",
  "sslcert",
  "sslkey",
  "sslrootcert",
  "sslnegotiation",
  "uselibpqcompat",
  // Overrides of the URL's own parts (e.g. `host=/var/run/postgresql` for a Unix socket).
  "host",
  "port",
  "user",
  "password",
  // Sent to the server at startup.
  "application_name",
  "fallback_application_name",
  "options",
  "replication",
  "statement_timeout",
  "lock_timeout",
  "idle_in_transaction_session_timeout",
  // Enforced by pg on each query.
  "query_timeout",
  // libpq names pg does not read itself: mapped to its own options (driverOptions).
  "connect_timeout",
  "keepalives",
  "keepalives_idle",
]);

const SSL_MODES = new Set(["disable", "prefer", "require", "verify-ca", "verify-full", "no-verify"]);

/** Read by pg-connection-string into `ssl`; not options of pg itself. */
const SSL_SOURCE_PARAMETERS = ["sslmode", "sslcert", "sslkey", "sslrootcert", "uselibpqcompat"] as const;

/** libpq names pg does not read: driverOptions gives them in pg's terms. */
const MAPPED_PARAMETERS = ["connect_timeout", "keepalives", "keepalives_idle"] as const;

/** Timeouts in milliseconds, as libpq gives them: passed as numbers, so a bad value fails at start. */
const MILLISECOND_PARAMETERS = [
  "statement_timeout",
  "lock_timeout",
  "idle_in_transaction_session_timeout",
  "query_timeout",
] as const;

export class DatabaseUrlError extends Error {}

function wholeNumber(parameters: URLSearchParams, name: string): number | undefined {
  const value = parameters.get(name);
  if (value === null) return undefined;
  const number = Number(value);
  if (value.trim() === "" || !Number.isInteger(number) || number < 0) {
    throw new DatabaseUrlError(`DATABASE_URL: ${name} must be a whole number`);
  }
  return number;
}

/** What is wrong with the URL's parameters, or null (config.ts reports it with the other variables). */
export function databaseUrlProblem(url: string): string | null {
  try {
    const parameters = new URL(url).searchParams;
    checkParameters(parameters);
    driverOptions(parameters);
    return null;
  } catch (error) {
    if (error instanceof DatabaseUrlError) return error.message.replace(/^DATABASE_URL: /, "");
    return "must be a valid URL";
  }
}

function checkParameters(parameters: URLSearchParams): void {
  for (const name of parameters.keys()) {
    if (!URL_PARAMETERS.has(name)) {
      const supported = [...URL_PARAMETERS].join(", ");
      throw new DatabaseUrlError(`DATABASE_URL: unsupported parameter "${name}" (supported: ${supported})`);
    }
  }
  const sslMode = parameters.get("sslmode");
  if (sslMode !== null && !SSL_MODES.has(sslMode)) {
    throw new DatabaseUrlError(`DATABASE_URL: sslmode must be one of ${[...SSL_MODES].join(", ")}`);
  }
}

/** libpq's connect_timeout (seconds) and keepalives (0/1, idle seconds) in pg's own option names. */
function driverOptions(parameters: URLSearchParams): pg.ClientConfig {
  const options: pg.ClientConfig = {};
  const connectTimeout = wholeNumber(parameters, "connect_timeout");
  if (connectTimeout !== undefined) options.connectionTimeoutMillis = connectTimeout * 1000;
  const keepalives = wholeNumber(parameters, "keepalives");
  if (keepalives !== undefined) options.keepAlive = keepalives !== 0;
  const keepalivesIdle = wholeNumber(parameters, "keepalives_idle");
  if (keepalivesIdle !== undefined) options.keepAliveInitialDelayMillis = keepalivesIdle * 1000;
  for (const name of MILLISECOND_PARAMETERS) {
    const value = wholeNumber(parameters, name);
    if (value !== undefined) options[name] = value;
  }
  return options;
}

/**
 * Discrete fields, not a connection string: pg lets a connection string override `database`, which
 * would point the schema engine's shadow database at the main one. The URL's parameters are read
 * by pg's own parser (pg-connection-string: sslmode and the certificate files become `ssl`, as pg
 * itself would read the URL); a parameter pg cannot honour is an error rather than ignored.
 */
export function pgConfigFromUrl(url: string): pg.ClientConfig {
  const parameters = new URL(url).searchParams;
  checkParameters(parameters);
  const parsed: Record<string, unknown> = { ...parseIntoClientConfig(url) };
  for (const name of [...SSL_SOURCE_PARAMETERS, ...MAPPED_PARAMETERS]) delete parsed[name];
  return {
    ...parsed,
    port: typeof parsed.port === "number" ? parsed.port : 5432,
    // The whole path, decoded as a URL component (pg's parser leaves e.g. %23 encoded).
    database: decodeURIComponent(new URL(url).pathname.slice(1)),
    password: typeof parsed.password === "string" && parsed.password ? parsed.password : undefined,
    ...driverOptions(parameters),
  };
}
