// The `switchboard` command (bin/switchboard.js) as an operator runs it: migrate an empty
// PostgreSQL database, create users and tokens, revoke them — and the API honours the result.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "./support/api.ts";
import { databaseUrl } from "./support/services.ts";
import { adminSql } from "./support/database.ts";

const CLI = new URL("../bin/switchboard.js", import.meta.url).pathname;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  lastLine: string;
}

async function switchboard(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const [code] = (await once(child, "close")) as [number | null];
  return { code, stdout, stderr, lastLine: stdout.trimEnd().split("\n").at(-1) ?? "" };
}

const VIEWER = "{ viewer { email name role } }";

// Each run pays tsx start-up (~2 s, more when the whole suite runs in parallel).
describe("switchboard CLI", { timeout: 90_000 }, () => {
  // An empty database (not cloned from the migrated template): `migrate` has real work to do.
  const name = `switchboard_cli_${crypto.randomUUID().replaceAll("-", "")}`;
  const env = { DATABASE_URL: databaseUrl(name) };
  let api: TestApi | undefined;

  beforeAll(() => adminSql(`CREATE DATABASE "${name}"`));
  afterAll(async () => {
    await api?.close();
    await adminSql(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  });

  it("--help lists the commands", async () => {
    const run = await switchboard(["--help"]);
    expect(run.code).toBe(0);
    for (const command of ["start", "serve", "migrate", "user", "token"])
      expect(run.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, "m"));
  });

  it("migrate applies the migrations to an empty database and exits 0", async () => {
    const run = await switchboard(["migrate"], env);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.lastLine).toBe("database is up to date");
  });

  let adminToken: string;
  it("user create prints a token as its last line, and the API accepts it", async () => {
    const run = await switchboard(["user", "create", "--email", "A@x.com", "--name", "A", "--role", "ADMIN"], env);
    expect(run.code).toBe(0);
    adminToken = run.lastLine;
    expect(adminToken).toMatch(/^sb_[A-Za-z0-9_-]{43}$/);
    expect(run.stdout).toContain("created ADMIN a@x.com");

    api = await startTestApi({ database: { url: env.DATABASE_URL, drop: async () => {} } });
    expect(await api.request(VIEWER, undefined, adminToken)).toEqual({
      data: { viewer: { email: "a@x.com", name: "A", role: "ADMIN" } },
    });
  });

  it("refuses a duplicate email (any case), an unknown role, an unknown user; prints a token for a known one", async () => {
    const [duplicate, boss, unknown, created] = await Promise.all([
      switchboard(["user", "create", "--email", "a@X.COM", "--name", "Again"], env),
      switchboard(["user", "create", "--email", "b@x.com", "--name", "B", "--role", "BOSS"], env),
      switchboard(["token", "create", "--email", "nobody@x.com"], env),
      switchboard(["token", "create", "--email", "A@X.com", "--name", "laptop"], env),
    ]);
    expect(duplicate.code).not.toBe(0);
    expect(duplicate.stderr).toMatch(/^CONFLICT: .*a@x\.com/m);
    expect(duplicate.stderr).not.toMatch(/\n\s+at /);

    expect(boss.code).not.toBe(0);
    expect(boss.stderr).toMatch(/--role.*BOSS.*ADMIN, AGENT/);

    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/^NOT_FOUND: /m);

    expect(created.code).toBe(0);
    expect(created.lastLine).toMatch(/^sb_/);
    expect(created.lastLine).not.toBe(adminToken);
    expect((await api!.request(VIEWER, undefined, created.lastLine)).data).toEqual({
      viewer: { email: "a@x.com", name: "A", role: "ADMIN" },
    });

    // Nothing was written for the refused commands.
    const users = await api!.app.db.prisma.user.findMany({ select: { email: true } });
    expect(users).toEqual([{ email: "a@x.com" }]);
  });

  it("token revoke makes the token fail with UNAUTHENTICATED; other tokens keep working", async () => {
    const spare = await switchboard(["token", "create", "--email", "a@x.com"], env);
    const revoke = await switchboard(["token", "revoke", spare.lastLine], env);
    expect(revoke.code).toBe(0);
    expect(revoke.lastLine).toBe("revoked");

    const refused = await api!.request(VIEWER, undefined, spare.lastLine);
    expect(refused.data ?? null).toBeNull();
    expect(refused.errors?.map((e) => e.extensions?.code)).toEqual(["UNAUTHENTICATED"]);
    expect((await api!.request(VIEWER, undefined, adminToken)).data).toEqual({
      viewer: { email: "a@x.com", name: "A", role: "ADMIN" },
    });
  });

  it("fails with a clear message and no stack trace when the database does not exist", async () => {
    const run = await switchboard(["migrate"], { DATABASE_URL: databaseUrl(`${name}_missing`) });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(`${name}_missing`);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("switchboard simulator", { timeout: 60_000 }, () => {
  it("serves the simulated RingCentral account at the printed URL, and stops on SIGTERM", async () => {
    const child = spawn(process.execPath, [CLI, "simulator", "--port", "0"], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (chunk) => {
        stdout += chunk;
        const match = /listening on (http:\/\/\S+)/.exec(stdout);
        if (match) resolve(match[1]!);
      });
      child.once("exit", (code) => reject(new Error(`simulator exited early (${code}): ${stdout}`)));
    });
    const account = (await (await fetch(`${url}/__sim/account`)).json()) as { clientId: string; extensions: unknown[] };
    expect(account.clientId).toMatch(/^sim-client-/);
    expect(account.extensions.length).toBeGreaterThan(3);
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
  });

  it("rejects a port that is not a number", async () => {
    const run = await switchboard(["simulator", "--port", "abc"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--port");
  });
});
