// DATABASE_URL → the pg driver's configuration: discrete fields (see pgConfigFromUrl), with the
// standard libpq URL parameters pg supports honoured — `?sslmode=require` used to be dropped — and
// any other parameter refused by name, so that a misspelt one cannot be silently ignored.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgConfigFromUrl } from "../src/database-url.ts";
import { ConfigError, loadConfig } from "../src/config.ts";
import { postgresUrl } from "./support/services.ts";

const BASE = "postgresql://app:s3cr%40t@db.example.com:6432/switch%20board";
let certificates: { dir: string; ca: string; cert: string; key: string };

beforeAll(() => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "switchboard-ssl-"));
  const write = (name: string, text: string) => {
    fs.writeFileSync(path.join(dir, name), text);
    return path.join(dir, name);
  };
  const ca = write("ca.pem", "CA PEM");
  certificates = { dir, ca, cert: write("client.pem", "CERT PEM"), key: write("client.key", "KEY PEM") };
});
afterAll(() => fs.rmSync(certificates.dir, { recursive: true, force: true }));

describe("pgConfigFromUrl", () => {
  it("gives discrete fields for a URL without parameters", () => {
    expect(pgConfigFromUrl(BASE)).toEqual({
      host: "db.example.com",
      port: 6432,
      database: "switch board",
      user: "app",
      password: "s3cr@t",
    });
    expect(pgConfigFromUrl("postgres://postgres@127.0.0.1/test")).toEqual({
      host: "127.0.0.1",
      port: 5432,
      database: "test",
      user: "postgres",
      password: undefined,
    });
  });

  it("honours sslmode as the pg driver reads it", () => {
    const ssl = (query: string) => pgConfigFromUrl(`${BASE}?${query}`).ssl;
    expect(ssl("sslmode=disable")).toBe(false);
    // pg treats require, prefer and verify-ca like verify-full (the certificate is verified).
    expect(ssl("sslmode=require")).toEqual({});
    expect(ssl("sslmode=verify-ca")).toEqual({});
    expect(ssl("sslmode=verify-full")).toEqual({});
    expect(ssl("sslmode=no-verify")).toEqual({ rejectUnauthorized: false });
    // libpq's own meaning of require: encrypted, not verified.
    expect(ssl("sslmode=require&uselibpqcompat=true")).toEqual({ rejectUnauthorized: false });
    expect(ssl("ssl=true")).toBe(true);
    expect(ssl("ssl=0")).toBe(false);
  });

  it("reads the certificate files sslrootcert, sslcert and sslkey name", () => {
    const { ca, cert, key } = certificates;
    const config = pgConfigFromUrl(`${BASE}?sslmode=verify-full&sslrootcert=${ca}&sslcert=${cert}&sslkey=${key}`);
    expect(config.ssl).toEqual({ ca: "CA PEM", cert: "CERT PEM", key: "KEY PEM" });
    expect(config).not.toHaveProperty("sslrootcert");
    expect(config).not.toHaveProperty("sslmode");
  });

  it("passes the session parameters and timeouts on in the driver's terms", () => {
    const query = [
      "application_name=switchboard-worker",
      "options=-c%20search_path%3Dapp",
      "connect_timeout=5",
      "statement_timeout=30000",
      "lock_timeout=2000",
      "idle_in_transaction_session_timeout=60000",
      "query_timeout=45000",
      "keepalives=1",
      "keepalives_idle=30",
    ].join("&");
    expect(pgConfigFromUrl(`${BASE}?${query}`)).toEqual({
      host: "db.example.com",
      port: 6432,
      database: "switch board",
      user: "app",
      password: "s3cr@t",
      application_name: "switchboard-worker",
      options: "-c search_path=app",
      connectionTimeoutMillis: 5000,
      statement_timeout: 30000,
      lock_timeout: 2000,
      idle_in_transaction_session_timeout: 60000,
      query_timeout: 45000,
      keepAlive: true,
      keepAliveInitialDelayMillis: 30_000,
    });
    expect(pgConfigFromUrl(`${BASE}?keepalives=0`).keepAlive).toBe(false);
  });

  it("refuses a parameter it does not know, by name, without echoing the URL", () => {
    expect(() => pgConfigFromUrl(`${BASE}?sslmod=require`)).toThrow(/unsupported parameter "sslmod"/);
    expect(() => pgConfigFromUrl(`${BASE}?sslmod=require`)).not.toThrow(/s3cr/);
    expect(() => pgConfigFromUrl(`${BASE}?connect_timeout=soon`)).toThrow(/connect_timeout must be a whole number/);
    expect(() => pgConfigFromUrl(`${BASE}?sslmode=sometimes`)).toThrow(/sslmode/);
  });

  it("is checked with the other variables when the configuration is loaded", () => {
    const load = (url: string) => () => loadConfig({ DATABASE_URL: url });
    expect(load(`${BASE}?sslmode=require&application_name=x`)).not.toThrow();
    expect(load(`${BASE}?sslmod=require`)).toThrow(ConfigError);
    expect(load(`${BASE}?sslmod=require`)).toThrow(/DATABASE_URL: unsupported parameter "sslmod"/);
    expect(load(`${BASE}?keepalives_idle=-1`)).toThrow(/DATABASE_URL: keepalives_idle must be a whole number/);
  });

  it("connects with the session parameters in effect", async () => {
    const url = new URL(postgresUrl);
    url.searchParams.set("sslmode", "disable");
    url.searchParams.set("application_name", "switchboard-url-test");
    url.searchParams.set("options", "-c statement_timeout=1234");
    const client = new pg.Client(pgConfigFromUrl(url.toString()));
    await client.connect();
    try {
      const { rows } = await client.query<{ name: string; timeout: string }>(
        "SELECT current_setting('application_name') AS name, current_setting('statement_timeout') AS timeout",
      );
      expect(rows[0]).toEqual({ name: "switchboard-url-test", timeout: "1234ms" });
    } finally {
      await client.end();
    }
  });
});
