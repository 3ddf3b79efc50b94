// Analytics from outside (issue 16): `switchboard analytics rebuild` (spawned) fills the figures with
// a progress bar; the README's Dashboard query over HTTP; GET /analytics.csv with the bearer token;
// an agent's figures (GraphQL and CSV) leave out inboxes they are not a member of.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, globalId, type TestApi } from "./support/api.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { seedInbox } from "./support/seed.ts";
import { readmeOperation } from "./support/documented-operations.ts";
import { runSwitchboard } from "./support/switchboard-process.ts";
import { notificationsOf, type CallSpec } from "./support/call-timelines.ts";
import { ingestTelephonyNotification } from "../src/domain/calls.ts";

const VOICE_X = "+18005550111";
const VOICE_Y = "+18005550222";
/** 2026-10-25 09:00 UTC: the day Europe/Berlin leaves daylight saving (a 25-hour day). */
const START = Date.UTC(2026, 9, 25, 9);

let database: TestDatabase;
let api: TestApi;
let admin: Awaited<ReturnType<TestApi["createUser"]>>;
let agent: Awaited<ReturnType<TestApi["createUser"]>>;
let inboxX: { id: string; globalId: string };
let inboxY: { id: string; globalId: string };

beforeAll(async () => {
  database = await createTestDatabase();
  api = await startTestApi({ database, redis: null });
  admin = await api.createUser("ADMIN", "analytics-admin");
  agent = await api.createUser("AGENT", "analytics-member");
  inboxX = await seedInbox(api.app, "Sales", [agent.id]);
  inboxY = await seedInbox(api.app, "HR");
  await api.app.db.prisma.channel.createMany({
    data: [
      { type: "VOICE", phoneNumber: VOICE_X, inboxId: inboxX.id },
      { type: "VOICE", phoneNumber: VOICE_Y, inboxId: inboxY.id },
    ],
  });
  const directory = {
    extension: (id: string) => (id === "301" ? { id, type: "User", email: agent.email } : undefined),
  };
  await api.app.db.prisma.user.update({ where: { id: agent.id }, data: { ringCentralExtensionId: "301" } });
  const calls: CallSpec[] = [
    {
      inbox: "X",
      startMinute: 0,
      kind: "ANSWERED",
      rung: [0],
      waitSeconds: 12,
      talkSeconds: 300,
      holdSeconds: 45,
      seed: 1,
    },
    { inbox: "Y", startMinute: 0, kind: "ABANDONED", rung: [0], waitSeconds: 40, talkSeconds: 1, seed: 2 },
  ];
  for (const [i, spec] of calls.entries()) {
    const notifications = notificationsOf(
      spec,
      `s-api-${i}`,
      { X: VOICE_X, Y: VOICE_Y },
      ["301"],
      START,
      "+14155550999",
    );
    for (const n of notifications) {
      await ingestTelephonyNotification({ prisma: api.app.db.prisma, pubsub: api.app.pubsub }, directory, n);
    }
  }
}, 60_000);
afterAll(async () => {
  await api?.close();
  await database?.drop();
});

const range = {
  from: new Date(START - 9 * 3_600_000).toISOString(),
  to: new Date(START + 15 * 3_600_000).toISOString(),
};

describe("analytics from outside", { timeout: 60_000 }, () => {
  it("switchboard analytics rebuild recounts the stored calls, with a progress bar", async () => {
    expect(await api.app.db.prisma.analyticsCall.count()).toBe(0);
    const run = await runSwitchboard(["analytics", "rebuild"], { DATABASE_URL: database.url });
    expect(run.code).toBe(0);
    expect(run.output).toMatch(/rebuild \[[^\]]*\] \d+\/\d+ rows/);
    expect(run.lastLine).toMatch(/^analytics rebuilt: \d+ rows in [\d.]+ s$/);
    expect(await api.app.db.prisma.analyticsCall.count()).toBe(2);
  });

  it("the README's Dashboard query: an admin counts both inboxes, an agent only theirs", async () => {
    const asAdmin = await api.request<any, any>(readmeOperation("Dashboard"), range, admin.token);
    expect(asAdmin.errors).toBeUndefined();
    const totals = asAdmin.data.analytics.totals.voice;
    expect(totals).toMatchObject({ inbound: 2, answered: 1, abandoned: 1, answerRate: 0.5 });
    expect(totals.wait).toEqual({ averageSeconds: 12, medianSeconds: 12, p90Seconds: 12 });
    // The answered call's agent held the caller for 45 s; the abandoned call has no hold time.
    expect(totals.hold).toEqual({ count: 1, averageSeconds: 45, medianSeconds: 45, p90Seconds: 45 });
    // Berlin's 25-hour Sunday is one bucket.
    const day = asAdmin.data.analytics.series.find((b: any) => b.start === "2026-10-24T22:00:00.000Z");
    expect(day).toMatchObject({ end: "2026-10-25T23:00:00.000Z", figures: { voice: { inbound: 2 } } });
    expect(asAdmin.data.analytics.byInbox.map((r: any) => r.inbox.name).sort()).toEqual(["HR", "Sales"]);

    const asAgent = await api.request<any, any>(readmeOperation("Dashboard"), range, agent.token);
    expect(asAgent.data.analytics.totals.voice).toMatchObject({ inbound: 1, answered: 1, abandoned: 0 });
    expect(asAgent.data.analytics.byInbox.map((r: any) => r.inbox.name)).toEqual(["Sales"]);
    expect(
      asAgent.data.analytics.byAgent.find((r: any) => r.agent?.name === agent.email.split("@")[0])?.figures.voice,
    ).toMatchObject({ agentRung: 1, agentAnswered: 1, agentMissed: 0 });
  });

  it("refuses a range that is not whole hours", async () => {
    const result = await api.request<any, any>(
      readmeOperation("Dashboard"),
      { ...range, from: "2026-10-25T09:30:00Z" },
      admin.token,
    );
    expect(result.errors?.[0]).toMatchObject({
      message: "Must be a whole hour",
      extensions: { code: "BAD_USER_INPUT" },
    });
    expect(result.data).toBeNull();
  });

  const csv = (query: string, token?: string) =>
    fetch(`${api.url}/analytics.csv?${query}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const rowsOf = (text: string) => {
    const [header, ...lines] = text
      .trimEnd()
      .split("\n")
      .map((l) => l.split(","));
    return lines.map((cells) => Object.fromEntries(header!.map((h, i) => [h, cells[i]])));
  };

  it("GET /analytics.csv: the same figures, an agent's without the hidden inbox, even when asked for", async () => {
    const query = `from=${range.from}&to=${range.to}&granularity=DAY&timeZone=Europe/Berlin`;
    const asAdmin = await csv(query, admin.token);
    expect(asAdmin.status).toBe(200);
    expect(asAdmin.headers.get("content-type")).toMatch(/^text\/csv/);
    const adminRows = rowsOf(await asAdmin.text());
    expect(adminRows.find((r) => r.group === "total")).toMatchObject({
      "voice.inbound": "2",
      "voice.abandoned": "1",
      "voice.hold.count": "1",
      "voice.hold.averageSeconds": "45",
      "voice.hold.medianSeconds": "45",
      "voice.hold.p90Seconds": "45",
    });
    expect(
      adminRows
        .filter((r) => r.group === "inbox")
        .map((r) => r.id)
        .sort(),
    ).toEqual([inboxX.globalId, inboxY.globalId].sort());

    const asked = `${query}&inboxes=${inboxX.globalId},${inboxY.globalId}`;
    const agentRows = rowsOf(await (await csv(asked, agent.token)).text());
    expect(agentRows.find((r) => r.group === "total")).toMatchObject({ "voice.inbound": "1", "voice.abandoned": "0" });
    expect(agentRows.filter((r) => r.group === "inbox").map((r) => r.id)).toEqual([inboxX.globalId]);
    expect(agentRows.some((r) => r.id === globalId("Inbox", inboxY.id))).toBe(false);
  });

  it("GET /analytics.csv without a token is 401; with a bad parameter 400 naming it", async () => {
    expect((await csv(`from=${range.from}&to=${range.to}`)).status).toBe(401);
    const bad = await csv(`from=${range.from}&to=yesterday`, admin.token);
    expect(bad.status).toBe(400);
    expect((await bad.json()).errors[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "to" });
  });
});
