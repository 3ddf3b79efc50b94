// A newcomer's first run on the embedded database, through spawned processes as the README has them:
// the first admin's token comes from `start` itself, a second process can never open the same
// DATA_DIR (it is told who holds it and what to do instead), nothing is lost, and SIGTERM through
// `npx switchboard start` shuts the server down gracefully.
import { spawn } from "node:child_process";
import { once } from "node:events";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { graphql, runSwitchboard, startSwitchboardServer } from "./support/switchboard-process.ts";

const VIEWER = "{ viewer { email role } }";
const ADMIN = { viewer: { email: "admin@example.com", role: "ADMIN" } };
const AGENT = { viewer: { email: "ana@example.com", role: "AGENT" } };
const viewerOf = async (url: string, token: string) => (await graphql(url, VIEWER, token)).data;
const BOOTSTRAP_TOKEN = /bootstrap API token, shown only this once:\n(sb_\S+)/;

const CREATE_AGENT = `mutation($email: String!) {
  createUser(email: $email, name: "Ana", role: AGENT) { __typename ... on UserPayload { user { id } } }
}`;
const CREATE_TOKEN = `mutation($user: ID!) {
  createApiToken(userId: $user, name: "laptop") { __typename ... on CreateApiTokenPayload { token } }
}`;

/** The pid of a process that has exited: a lock file naming it was left behind by a crash. */
async function pidOfAnExitedProcess(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""]);
  await once(child, "exit");
  return child.pid!;
}

describe("first run on the embedded database", { timeout: 300_000 }, () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "switchboard-first-run-"));
  const env = { DATA_DIR: dataDir };
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  let bootstrapToken: string;
  let agentToken: string;

  it("start prints a one-time bootstrap admin token; a second process is refused, naming the holder", async () => {
    // A crashed earlier run left its lock behind: it does not stop this start.
    fs.writeFileSync(path.join(dataDir, "switchboard.pid"), `${await pidOfAnExitedProcess()}\n`);
    const server = await startSwitchboardServer("start", env);
    try {
      bootstrapToken = (await server.waitFor(BOOTSTRAP_TOKEN))[1]!;
      expect(await viewerOf(server.url, bootstrapToken)).toEqual(ADMIN);

      const second = await runSwitchboard(["user", "create", "--email", "ana@example.com", "--name", "Ana"], env);
      expect(second.code).toBe(1);
      expect(second.output).toContain(`in use by another switchboard process (pid ${server.child.pid})`);
      expect(second.output).toContain("createUser, createApiToken");
      expect(second.output).not.toMatch(/\n\s+at /);
      const secondServer = await runSwitchboard(["serve"], { ...env, PORT: "0", HOST: "127.0.0.1" });
      expect(secondServer.code).toBe(1);
      expect(secondServer.output).toContain(`(pid ${server.child.pid})`);

      // The documented way while the server runs: GraphQL, as the bootstrap admin.
      type Created = { createUser: { user: { id: string } } };
      const created = await graphql<Created>(server.url, CREATE_AGENT, bootstrapToken, { email: "ana@example.com" });
      const token = await graphql<{ createApiToken: { token: string } }>(server.url, CREATE_TOKEN, bootstrapToken, {
        user: created.data!.createUser.user.id,
      });
      agentToken = token.data!.createApiToken.token;
      expect(await viewerOf(server.url, agentToken)).toEqual(AGENT);
    } finally {
      server.child.kill("SIGTERM");
    }
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(fs.existsSync(path.join(dataDir, "switchboard.pid"))).toBe(false);
    // Only the bootstrap token was ever printed, once.
    expect(server.output.match(/sb_[A-Za-z0-9_-]{43}/g)).toEqual([bootstrapToken, bootstrapToken]);
  });

  it("after a restart nothing is lost, no new token is printed, and the CLI works while no server runs", async () => {
    const cli = await runSwitchboard(["token", "create", "--email", "ana@example.com"], env);
    expect(cli.code).toBe(0);
    const server = await startSwitchboardServer("start", env);
    try {
      expect(await viewerOf(server.url, bootstrapToken)).toEqual(ADMIN);
      expect(await viewerOf(server.url, agentToken)).toEqual(AGENT);
      expect(await viewerOf(server.url, cli.lastLine)).toEqual(AGENT);
    } finally {
      server.child.kill("SIGTERM");
    }
    expect((await server.exited).code).toBe(0);
    expect(server.output).not.toContain("bootstrap API token");
    expect(server.output).not.toMatch(/sb_[A-Za-z0-9_-]{43}/);
  });
});

describe("npx switchboard start", { timeout: 300_000 }, () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "switchboard-sigterm-"));
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it("shuts down gracefully on SIGTERM sent to npx, and exits 0", async () => {
    const server = await startSwitchboardServer("start", { DATA_DIR: dataDir }, "npx");
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    server.child.kill("SIGTERM");
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.output).toMatch(/"signal":"SIGTERM","msg":"shutting down"/);
    expect(server.output).toContain('"msg":"shut down cleanly"');
    expect(fs.existsSync(path.join(dataDir, "switchboard.pid"))).toBe(false);
  });
});
