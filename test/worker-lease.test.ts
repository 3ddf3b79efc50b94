// R2.4 with several processes: exactly one worker runs a RingCentral connection; when it stops, a
// standby takes over. Leases are PostgreSQL advisory locks held on their own connections.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "./support/api.ts";
import { seedInbox } from "./support/seed.ts";
import { simControl, startTestSimulator, startTestWorker, workerFor, type Simulator } from "./support/simulator.ts";
import { postgresLeases } from "../src/integrations/ringcentral/lease.ts";
import { pgConfigFromUrl } from "../src/db.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";

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
  await api.app.db.prisma.channel.create({ data: { type: "VOICE", phoneNumber: "+18003151571", inboxId: inbox.id, connectionId: connection.id } });
});
afterAll(async () => {
  await api?.close();
  await database?.drop();
  await sim?.close();
});

async function activeWebSocketSubscriptions(): Promise<number> {
  const { records } = await simControl<{ records: { transportType: string; status: string }[] }>(sim, "GET", "subscriptions");
  return records.filter((s) => s.transportType === "WebSocket" && s.status === "Active").length;
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
