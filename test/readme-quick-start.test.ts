// The README's quick start, done as a newcomer does it: a fresh copy of the repository (no node_modules, no
// build, no ./data), each command of its ```sh blocks run as written through a shell (`npm install`,
// `npx switchboard demo`, `npx switchboard start`), then the quick start's GraphQL documents sent to the
// running server with the token the README says to use. Only PORT=0 is added, so that a busy port 4000 on the
// machine running the tests cannot fail it.
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { print } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fencedBlocks, graphqlBlocks, operationsOf } from "./support/documented-operations.ts";
import { REPOSITORY, collectOutput, graphql, type SwitchboardProcess } from "./support/switchboard-process.ts";

const SECTION = "Quick start";
const TOKEN = /sb_[A-Za-z0-9_-]{43}/;

/** The quick start's shell commands, in order, without their comments; each distinct command once. */
function quickStartCommands(): string[] {
  const lines = fencedBlocks("README.md", "sh", SECTION).flatMap((block) => block.source.split("\n"));
  const commands = lines.map((line) => line.replace(/#.*$/, "").trim()).filter(Boolean);
  return [...new Set(commands)];
}

/** The quick start's GraphQL operations by name, as text. */
function quickStartOperations(): Map<string, string> {
  const quickStart = fencedBlocks("README.md", "graphql", SECTION);
  expect(quickStart.length).toBeGreaterThan(0);
  const inReadme = new Set(graphqlBlocks("README.md").map((block) => block.line));
  expect(quickStart.every((block) => inReadme.has(block.line))).toBe(true);
  return new Map(
    quickStart.flatMap(operationsOf).map(({ operation, document }) => [operation.name!.value, print(document)]),
  );
}

/** A copy of the repository as `git clone` gives it, plus uncommitted files: what the checkout holds. */
function freshCopy(): string {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), "switchboard-quick-start-"));
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: REPOSITORY,
    encoding: "utf8",
  });
  for (const file of files.split("\0").filter(Boolean)) {
    const from = path.join(REPOSITORY, file);
    if (!fs.existsSync(from)) continue; // deleted in the checkout, not yet committed
    fs.mkdirSync(path.dirname(path.join(copy, file)), { recursive: true });
    fs.copyFileSync(from, path.join(copy, file));
  }
  return copy;
}

function run(command: string, cwd: string): SwitchboardProcess {
  const child = spawn("bash", ["-c", command], {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, HOST: "127.0.0.1", PORT: "0", LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return collectOutput(child);
}

describe("the README's quick start, on a fresh copy of the repository", { timeout: 600_000 }, () => {
  const commands = quickStartCommands();
  let copy: string;
  // Copying the checkout and removing the copy (with its node_modules) take a while on a busy machine.
  beforeAll(() => {
    copy = freshCopy();
  }, 300_000);
  afterAll(() => fs.rmSync(copy, { recursive: true, force: true }), 300_000);

  it("has the commands this test runs, and only those", () => {
    expect(commands).toEqual(["npm install", "npx switchboard demo", "npx switchboard start"]);
  });

  it("npm install installs, generates the Prisma client and builds, without an engine warning", async () => {
    const install = run("npm install", copy);
    expect((await install.exited).code).toBe(0);
    expect(install.output).not.toContain("EBADENGINE");
    expect(fs.existsSync(path.join(copy, "dist", "cli.js"))).toBe(true);
  });

  it("npx switchboard demo prints tokens that the API accepts, and stops on SIGTERM", async () => {
    const demo = run("npx switchboard demo", copy);
    try {
      const [, url] = await demo.waitFor(/GraphiQL at (http:\/\/\S+)\/graphql/);
      const [, adminToken] = await demo.waitFor(/admin +\S+ +(sb_\S+)/);
      const viewer = await graphql(url!, "{ viewer { role } }", adminToken);
      expect(viewer).toEqual({ data: { viewer: { role: "ADMIN" } } });
    } finally {
      demo.child.kill("SIGTERM");
    }
    expect(await demo.exited).toEqual({ code: 0, signal: null });
    expect(fs.existsSync(path.join(copy, "data"))).toBe(false);
  });

  it("npx switchboard start prints the bootstrap token; the quick start's documents work with it", async () => {
    const operations = quickStartOperations();
    const server = run("npx switchboard start", copy);
    try {
      const [, url] = await server.waitFor(/GraphQL and GraphiQL at (http:\/\/\S+)\/graphql/);
      const [, token] = await server.waitFor(/bootstrap API token, shown only this once:\n(sb_\S+)/);
      expect(token).toMatch(TOKEN);

      type Created = { createUser: { __typename: string; user: { id: string } } };
      const created = await graphql<Created>(url!, operations.get("CreateAgent")!, token);
      expect(created.data?.createUser.__typename).toBe("UserPayload");
      type Token = { createApiToken: { token: string } };
      const agent = await graphql<Token>(url!, operations.get("CreateToken")!, token, {
        user: created.data!.createUser.user.id,
      });
      const agentToken = agent.data!.createApiToken.token;
      expect(await graphql(url!, "{ viewer { email role } }", agentToken)).toEqual({
        data: { viewer: { email: "ana@example.com", role: "AGENT" } },
      });
    } finally {
      server.child.kill("SIGTERM");
    }
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(fs.existsSync(path.join(copy, "data"))).toBe(true);
  });
});
