// queueStatus (issue 16): a wallboard's subscription on one API instance follows calls ingested by
// another (Redis, the event log's channel): a call starting to wait, being answered, ending, and a
// call abandoned — each awaited as the pushed value, no timing thresholds.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, subscribe, type TestApi } from "./support/api.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { seedInbox } from "./support/seed.ts";
import { readmeOperation } from "./support/documented-operations.ts";
import { notificationsOf, type CallSpec } from "./support/call-timelines.ts";
import { ingestTelephonyNotification, type TelephonyNotification } from "../src/domain/calls.ts";

const VOICE = "+18005550333";

let database: TestDatabase;
let writer: TestApi;
let reader: TestApi;
let agent: Awaited<ReturnType<TestApi["createUser"]>>;
let inbox: { id: string; globalId: string };
const directory = { extension: (id: string) => (id === "401" ? { id, type: "User", email: agent.email } : undefined) };

beforeAll(async () => {
  database = await createTestDatabase();
  writer = await startTestApi({ database });
  reader = await startTestApi({ database });
  agent = await writer.createUser("AGENT", "wallboard-agent");
  inbox = await seedInbox(writer.app, "Support");
  await writer.app.db.prisma.inboxMember.create({ data: { inboxId: inbox.id, userId: agent.id } });
  await writer.app.db.prisma.channel.create({ data: { type: "VOICE", phoneNumber: VOICE, inboxId: inbox.id } });
}, 60_000);
afterAll(async () => {
  await reader?.close();
  await writer?.close();
  await database?.drop();
});

const ingest = async (notifications: TelephonyNotification[]) => {
  for (const n of notifications) {
    await ingestTelephonyNotification({ prisma: writer.app.db.prisma, pubsub: writer.app.pubsub }, directory, n);
  }
};

function timeline(kind: CallSpec["kind"], session: string) {
  const spec: CallSpec = { inbox: "X", startMinute: 0, kind, rung: [0], waitSeconds: 3, talkSeconds: 30, seed: 0 };
  return notificationsOf(spec, session, { X: VOICE, Y: VOICE }, ["401"], Date.now() - 60_000, "+14155550444");
}

describe("queueStatus", { timeout: 60_000 }, () => {
  it("pushes a call waiting, answered, ended and an abandoned call, across API instances", async () => {
    const client = reader.wsClient(agent.token);
    const sub = subscribe<any, any>(client, readmeOperation("QueueStatus"), { inbox: inbox.globalId });
    let seen = 0;
    /** The next pushed figures that satisfy `wanted` (earlier pushes are intermediate states). */
    const pushed = async (wanted: (status: any) => boolean) => {
      for (;;) {
        const received = await sub.until(seen + 1);
        const status = received[seen++]!.data!.queueStatus;
        if (wanted(status)) return status;
      }
    };
    try {
      expect(await pushed(() => true)).toMatchObject({ waiting: 0, inProgress: 0, available: 1, answeredToday: 0 });

      const answered = timeline("ANSWERED", "s-wallboard-1");
      await ingest(answered.slice(0, 2));
      const waiting = await pushed((s) => s.waiting === 1);
      expect(waiting.longestWaitingSince).toBe(answered[0]!.eventTime.toISOString());
      expect(waiting.longestWaitSeconds).toBeGreaterThanOrEqual(60);

      await ingest(answered.slice(2, 4));
      expect(await pushed((s) => s.inProgress === 1)).toMatchObject({ waiting: 0, longestWaitingSince: null });

      await ingest(answered.slice(4));
      expect(await pushed((s) => s.answeredToday === 1)).toMatchObject({ waiting: 0, inProgress: 0 });

      const abandoned = timeline("ABANDONED", "s-wallboard-2");
      await ingest(abandoned.slice(0, 2));
      await pushed((s) => s.waiting === 1);
      await ingest(abandoned.slice(2));
      expect(await pushed((s) => s.abandonedToday === 1)).toMatchObject({ waiting: 0, answeredToday: 1 });
    } finally {
      sub.unsubscribe();
      await client.dispose();
    }
  });

  it("is refused for an inbox the agent is not a member of", async () => {
    const other = await seedInbox(writer.app, "Elsewhere");
    const client = reader.wsClient(agent.token);
    const sub = subscribe<any, any>(client, readmeOperation("QueueStatus"), { inbox: other.globalId });
    await sub.finished;
    const failure = sub.received[0]?.errors?.[0] ?? (sub.error as any)?.[0];
    expect(failure?.extensions?.code).toBe("NOT_FOUND");
    await client.dispose();
  });
});
