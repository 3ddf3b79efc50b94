// R9.3 webhook mode end to end: the worker registers a webhook subscription, the simulator runs
// RingCentral's validation handshake against the API, calls arrive as deliveries carrying the
// verification token; unsigned or malformed bodies are refused and store nothing; a blacklisted
// subscription is recreated and what it missed is caught up. Observed through GraphQL.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, subscribe, type TestApi } from "./support/api.ts";
import { seedInbox } from "./support/seed.ts";
import { simControl, startTestSimulator, startTestWorker, type Simulator } from "./support/simulator.ts";

let sim: Simulator;
let api: TestApi;
let admin: Awaited<ReturnType<TestApi["createUser"]>>;
let inbox: Awaited<ReturnType<typeof seedInbox>>;
let worker: Awaited<ReturnType<typeof startTestWorker>>["worker"];

const MAIN_NUMBER = "+18003151571";

beforeAll(async () => {
  sim = await startTestSimulator();
  api = await startTestApi();
  admin = await api.createUser("ADMIN", "babji");
  await api.app.db.prisma.user.update({ where: { id: admin.id }, data: { email: "admin@switchboard.test" } });
  inbox = await seedInbox(api.app, "Main line", [admin.id]);
  ({ worker } = await startTestWorker(api.app, sim, {
    webhook: { address: `${api.url}/webhooks/ringcentral`, maintainIntervalMs: 3_600_000, expiresInSeconds: 3600 },
  }));
  const connection = await api.app.db.prisma.ringCentralConnection.findFirstOrThrow();
  await api.app.db.prisma.channel.create({
    data: { type: "VOICE", phoneNumber: MAIN_NUMBER, inboxId: inbox.id, connectionId: connection.id },
  });
  await worker.reconcile();
});
afterAll(async () => {
  await worker?.close();
  await api?.close();
  await sim?.close();
});

/** Resolves with the ids of calls that reached a terminal status, once there are `count`. */
function endedCalls(count: number) {
  const events = subscribe(
    api.wsClient(admin.token),
    `subscription($inbox: ID!) { callUpdated(inboxId: $inbox, after: "0") { call { id status fromNumber } } }`,
    {
      inbox: inbox.globalId,
    },
  );
  return (async () => {
    for (let seen = 1; ; seen += 1) {
      const received = await events.until(seen);
      const ended = received.map((e) => (e.data as any).callUpdated.call).filter((c: any) => c.status === "ENDED");
      const callers = new Set(ended.map((c: any) => c.fromNumber));
      if (callers.size >= count) {
        events.unsubscribe();
        return callers;
      }
    }
  })();
}

describe("webhook mode", () => {
  it("registers a webhook subscription that passed RingCentral's validation handshake", async () => {
    const connection = await api.app.db.prisma.ringCentralConnection.findFirstOrThrow();
    expect(connection).toMatchObject({ subscriptionMode: "WEBHOOK", subscriptionState: "Active" });
    const subscriptions = await simControl<{
      records: { id: string; transportType: string; address: string; verificationToken: string; status: string }[];
    }>(sim, "GET", "subscriptions");
    const ours = subscriptions.records.find((s) => s.id === connection.subscriptionId)!;
    expect(ours).toMatchObject({
      transportType: "WebHook",
      address: `${api.url}/webhooks/ringcentral`,
      verificationToken: connection.webhookVerificationToken,
    });
    // RingCentral (and the simulator) create a webhook subscription only after the address echoed
    // the Validation-Token: an Active subscription is one that passed the handshake.
    expect(ours).toMatchObject({ status: "Active" });
  });

  it("renews the subscription before it expires", async () => {
    const before = await api.app.db.prisma.ringCentralConnection.findFirstOrThrow();
    // Created for an hour: within the renewal margin, so upkeep renews it (same subscription, later expiry).
    await worker.maintainWebhooks();
    const after = await api.app.db.prisma.ringCentralConnection.findFirstOrThrow();
    expect(after.subscriptionId).toBe(before.subscriptionId);
    expect(after.subscriptionExpiresAt!.getTime()).toBeGreaterThan(before.subscriptionExpiresAt!.getTime());
    const renewals = await simControl<{ records: unknown[] }>(
      sim,
      "GET",
      `requests?path=/restapi/v1.0/subscription/${before.subscriptionId}/renew`,
    );
    expect(renewals.records).toHaveLength(1);
  });

  it("applies calls delivered by webhook", async () => {
    const done = endedCalls(1);
    await simControl(sim, "POST", "scenarios", { type: "ivr", extensionId: "809646016", from: "+14155550201" });
    expect(await done).toContain("+14155550201");
  });

  it("refuses deliveries without the verification token, or not JSON, and stores nothing", async () => {
    const connection = await api.app.db.prisma.ringCentralConnection.findFirstOrThrow();
    const before = await api.app.db.prisma.processedNotification.count();
    const envelope = JSON.stringify({
      uuid: "forged-1",
      event: "/restapi/v1.0/account/~/telephony/sessions",
      body: {},
    });
    const post = (headers: Record<string, string>, body: string) =>
      fetch(`${api.url}/webhooks/ringcentral`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body,
      });
    expect((await post({}, envelope)).status).toBe(401);
    expect((await post({ "verification-token": "wrong" }, envelope)).status).toBe(401);
    expect((await post({ "verification-token": connection.webhookVerificationToken! }, "{not json")).status).toBe(400);
    expect(await api.app.db.prisma.processedNotification.count()).toBe(before);
  });

  it("recreates a blacklisted subscription and catches up the calls it missed", async () => {
    const before = (await api.app.db.prisma.ringCentralConnection.findFirstOrThrow()).subscriptionId;
    await simControl(sim, "POST", "faults/webhooks", { failNext: 100 });
    await simControl(sim, "POST", "scenarios", { type: "ivr", extensionId: "809646016", from: "+14155550202" });
    const blacklisted = await simControl<{ records: { id: string; status: string }[] }>(sim, "GET", "subscriptions");
    expect(blacklisted.records.find((s) => s.id === before)?.status).toBe("Blacklisted");
    await simControl(sim, "DELETE", "faults");
    const done = endedCalls(2);
    await worker.maintainWebhooks();
    expect(await done).toContain("+14155550202");
    expect((await api.app.db.prisma.ringCentralConnection.findFirstOrThrow()).subscriptionId).not.toBe(before);
  });
});
