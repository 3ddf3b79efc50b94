// R2.4 with several processes: exactly one worker runs a RingCentral connection; when it stops, a
// standby takes over. Leases are PostgreSQL advisory locks held on their own connections. The SMS
// inactivity sweep (R4.2) runs the same way: in one worker, taken over when it stops.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startTestApi, type TestApi } from "./support/api.ts";
import { seedInbox } from "./support/seed.ts";
import { simControl, startTestSimulator, startTestWorker, workerFor, type Simulator } from "./support/simulator.ts";
import { postgresLeases } from "../src/integrations/ringcentral/lease.ts";
import { pgConfigFromUrl } from "../src/db.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { ingestInboundMessage } from "../src/domain/sms/inbound.ts";
import type { SweepSchedule } from "../src/integrations/ringcentral/worker.ts";

let sim: Simulator;
let database: TestDatabase;
let api: TestApi;

beforeAll(async () => {
  sim = await startTestSimulator();
  database = await createTestDatabase();
  api = await startTestApi({ database });
  const inbox = await seedInbox(api.app, "Main line");
  const { worker } = await startTestWorker(api.app, sim);
  await worker.close(); // only the connection row is wanted here
  const connection = await api.app.db.prisma.ringCentralConnection.findFirstOrThrow();
  await api.app.db.prisma.channel.create({
    data: { type: "VOICE", phoneNumber: "+18003151571", inboxId: inbox.id, connectionId: connection.id },
  });
});
afterAll(async () => {
  await api?.close();
  await database?.drop();
  await sim?.close();
});

async function activeWebSocketSubscriptionIds(): Promise<string[]> {
  const { records } = await simControl<{ records: { id: string; transportType: string; status: string }[] }>(
    sim,
    "GET",
    "subscriptions",
  );
  return records.filter((s) => s.transportType === "WebSocket" && s.status === "Active").map((s) => s.id);
}

async function activeWebSocketSubscriptions(): Promise<number> {
  return (await activeWebSocketSubscriptionIds()).length;
}

/** Ends every session holding an advisory lock in the test database, as a PostgreSQL restart would. */
async function terminateLeaseConnections(): Promise<number> {
  const client = new pg.Client(pgConfigFromUrl(database.url));
  await client.connect();
  try {
    const { rowCount } = await client.query(
      `SELECT pg_terminate_backend(pid) FROM pg_locks
        WHERE locktype = 'advisory' AND granted
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    return rowCount ?? 0;
  } finally {
    await client.end();
  }
}

describe("one worker per connection", () => {
  it("lets only one of two processes run the connection, and the other take over when it stops", async () => {
    const leases = () => postgresLeases(pgConfigFromUrl(database.url));
    const first = workerFor(api.app, sim, { leases: leases() });
    const second = workerFor(api.app, sim, { leases: leases() });
    await Promise.all([first.reconcile(), second.reconcile()]);
    expect(await activeWebSocketSubscriptions()).toBe(1);

    await first.close();
    await second.reconcile();
    expect(await activeWebSocketSubscriptions()).toBe(1);
    await second.close();
    expect(await activeWebSocketSubscriptions()).toBe(0);
  });
});

describe("a lease whose database connection breaks", () => {
  it("stops the connection, takes the lease again and subscribes afresh, without stopping the process", async () => {
    const worker = workerFor(api.app, sim, { leases: postgresLeases(pgConfigFromUrl(database.url)) });
    await worker.reconcile();
    const [before] = await activeWebSocketSubscriptionIds();
    expect(before).toBeDefined();

    // The connection's lease and the inactivity sweep's: both connections end, and the locks with them.
    expect(await terminateLeaseConnections()).toBe(2);
    await vi.waitFor(
      async () => {
        const now = await activeWebSocketSubscriptionIds();
        expect(now).toHaveLength(1);
        expect(now[0]).not.toBe(before);
      },
      { timeout: 20_000, interval: 50 },
    );
    await worker.close();
    expect(await activeWebSocketSubscriptions()).toBe(0);
  });
});

/** A sweep schedule the test ticks by hand: `tick()` resolves once the worker's sweep has run. */
function manualSchedule() {
  let sweep: (() => Promise<void>) | null = null;
  const schedule: SweepSchedule = (run) => {
    sweep = run;
    return () => (sweep = null);
  };
  return { schedule, tick: () => sweep!() };
}

describe("the SMS inactivity sweep", () => {
  it("runs only in the worker holding its lease, and in the standby once that worker stops", async () => {
    const prisma = api.app.db.prisma;
    const inbox = await prisma.inbox.findFirstOrThrow();
    const channel = await prisma.channel.create({
      data: { type: "SMS", phoneNumber: "+14155559001", inboxId: inbox.id, closeAfterSeconds: 3600 },
    });
    const deps = { prisma, pubsub: api.app.pubsub };
    const staleConversation = async (from: string) => {
      const createdAt = new Date(Date.now() - 2 * 3600_000);
      const message = { channelNumber: channel.phoneNumber, from, text: "Hi", attachments: [], createdAt };
      return (await ingestInboundMessage(deps, { ...message, ringCentralId: crypto.randomUUID() }))!.conversationId;
    };
    const statusOf = async (id: string) => (await prisma.conversation.findUniqueOrThrow({ where: { id } })).status;
    const leases = () => postgresLeases(pgConfigFromUrl(database.url));

    const holderSchedule = manualSchedule();
    const standbySchedule = manualSchedule();
    const holder = workerFor(api.app, sim, { leases: leases(), sweepSchedule: holderSchedule.schedule });
    await holder.reconcile();
    const standby = workerFor(api.app, sim, { leases: leases(), sweepSchedule: standbySchedule.schedule });
    await standby.reconcile();

    const first = await staleConversation("+16505550190");
    await standbySchedule.tick();
    expect(await statusOf(first)).toBe("OPEN");
    await holderSchedule.tick();
    expect(await statusOf(first)).toBe("ARCHIVED");

    const second = await staleConversation("+16505550191");
    await holder.close();
    await standbySchedule.tick(); // not yet: the standby takes the sweep over at its next reconcile
    expect(await statusOf(second)).toBe("OPEN");
    await standby.reconcile();
    await standbySchedule.tick();
    expect(await statusOf(second)).toBe("ARCHIVED");
    const archivedActivities = { conversationId: { in: [first, second] }, type: "AUTO_ARCHIVED" };
    expect(await prisma.activity.count({ where: archivedActivities })).toBe(2);
    await standby.close();
  });
});
