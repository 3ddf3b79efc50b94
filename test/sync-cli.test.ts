// R9.4: `switchboard sync` catches up by hand — a call that happened while no worker ran shows up
// after it, and the command reports its progress and what it read.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "./support/api.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { simControl, startTestSimulator, type Simulator } from "./support/simulator.ts";

const CLI = new URL("../bin/switchboard.js", import.meta.url).pathname;
const KEY = "c".repeat(64);

let sim: Simulator;
let database: TestDatabase;
let api: TestApi;
let admin: Awaited<ReturnType<TestApi["createUser"]>>;
let inboxId: string;

beforeAll(async () => {
  sim = await startTestSimulator();
  database = await createTestDatabase();
  api = await startTestApi({ database, env: { ENCRYPTION_KEY: KEY } });
  admin = await api.createUser("ADMIN", "babji");
  await api.app.db.prisma.user.update({ where: { id: admin.id }, data: { email: "admin@switchboard.test" } });
  const { clientId, clientSecret, jwt } = sim.credentials();
  const gql = (query: string, variables: Record<string, unknown>) =>
    api.request<any, any>(query, variables, admin.token);
  await gql(
    "mutation($s: String!, $i: String!, $c: String!, $j: String!) { verifyRingCentralCredentials(serverUrl: " +
      "$s, clientId: $i, clientSecret: $c, jwt: $j) { __typename } }",
    { s: sim.url, i: clientId, c: clientSecret, j: jwt },
  );
  inboxId = (await gql(`mutation { createInbox(name: "Main") { ... on InboxPayload { inbox { id } } } }`, {})).data
    .createInbox.inbox.id;
  await gql(
    `mutation($inbox: ID!) { connectChannel(number: "+18003151571", type: VOICE, inboxId: $inbox) { __typename } }`,
    { inbox: inboxId },
  );
});
afterAll(async () => {
  await api?.close();
  await database?.drop();
  await sim?.close();
});

describe("switchboard sync", { timeout: 60_000 }, () => {
  it("imports a call that happened while no worker was running, with progress", async () => {
    await simControl(sim, "POST", "scenarios", { type: "ivr", extensionId: "809646016", from: "+14155550501" });
    const child = spawn(process.execPath, [CLI, "sync"], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: database.url, ENCRYPTION_KEY: KEY },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    const [code] = (await once(child, "close")) as [number | null];
    expect(code).toBe(0);
    expect(output).toMatch(/call-log \[/);
    expect(output).toMatch(/caught up: [1-9]\d* call-log records/);

    const result = await api.request<any, any>(
      "query($inbox: ID!) { node(id: $inbox) { ... on Inbox { conversations(first: 5) { edges { node { " +
        "assignee { email } lastCall { status fromNumber } } } } } } }",
      { inbox: inboxId },
      admin.token,
    );
    expect(result.data.node.conversations.edges.map((e: any) => e.node)).toEqual([
      { assignee: { email: "admin@switchboard.test" }, lastCall: { status: "ENDED", fromNumber: "+14155550501" } },
    ]);
  });
});
