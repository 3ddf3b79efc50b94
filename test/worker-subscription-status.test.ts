// `ringCentralConnection.status` in the default WebSocket mode, and the worker acting on channel
// changes at once (issue #12, points 5 and 10): connecting a channel through the API starts the
// subscription without waiting for the worker's timer (an hour here), the status says SUBSCRIBED,
// SUBSCRIPTION_PROBLEM while the WebSocket is down, SUBSCRIBED once it recovered, and VERIFIED
// once the last channel is disconnected. Observed through GraphQL over HTTP.
import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "./support/api.ts";
import { seedInbox } from "./support/seed.ts";
import { simControl, startTestSimulator, workerFor, type Simulator } from "./support/simulator.ts";

let sim: Simulator;
let api: TestApi;
let admin: Awaited<ReturnType<TestApi["createUser"]>>;
let inbox: Awaited<ReturnType<typeof seedInbox>>;
let worker: ReturnType<typeof workerFor>;
let channelId: string;

const MAIN_NUMBER = "+18003151571";
/** Bounds the waits below: far shorter than the worker's reconcile timer, far longer than any step. */
const WAIT = { timeout: 20_000, interval: 50 };

beforeAll(async () => {
  sim = await startTestSimulator();
  api = await startTestApi({ env: { ENCRYPTION_KEY: crypto.randomBytes(32).toString("hex") } });
  admin = await api.createUser("ADMIN", "boss");
  inbox = await seedInbox(api.app, "Main line", [admin.id]);
  worker = workerFor(api.app, sim, { reconcileIntervalMs: 3_600_000 });
  await worker.idle(); // its first pass is done (nothing to run yet) and it listens for changes
});
afterAll(async () => {
  await simControl(sim, "POST", "faults/socket", { action: "accept" }).catch(() => {});
  await worker?.close();
  await api?.close();
  await sim?.close();
});

async function request(query: string, variables: Record<string, unknown> = {}) {
  const result = await api.request<any, any>(query, variables, admin.token);
  expect(result.errors).toBeUndefined();
  return result.data;
}

async function status(): Promise<string | undefined> {
  return (await request("{ ringCentralConnection { status } }")).ringCentralConnection?.status;
}

async function activeWebSocketSubscriptions(): Promise<number> {
  const { records } = await simControl<{ records: { transportType: string; status: string }[] }>(
    sim,
    "GET",
    "subscriptions",
  );
  return records.filter((s) => s.transportType === "WebSocket" && s.status === "Active").length;
}

describe("the RingCentral connection's status with a WebSocket subscription", () => {
  it("is VERIFIED once credentials are saved, SUBSCRIBED as soon as a channel is connected", async () => {
    const { clientId, clientSecret, jwt } = sim.credentials();
    const verified = await request(
      `mutation($serverUrl: String!, $clientId: String!, $clientSecret: String!, $jwt: String!) {
        verifyRingCentralCredentials(serverUrl: $serverUrl, clientId: $clientId, clientSecret: $clientSecret,
          jwt: $jwt) { __typename }
      }`,
      { serverUrl: sim.url, clientId, clientSecret, jwt },
    );
    expect(verified.verifyRingCentralCredentials.__typename).toBe("VerifyRingCentralCredentialsPayload");
    expect(await status()).toBe("VERIFIED");

    const connected = await request(
      `mutation($inbox: ID!) {
        connectChannel(number: "${MAIN_NUMBER}", type: VOICE, inboxId: $inbox) {
          __typename ... on ChannelPayload { channel { id } }
        }
      }`,
      { inbox: inbox.globalId },
    );
    expect(connected.connectChannel.__typename).toBe("ChannelPayload");
    channelId = connected.connectChannel.channel.id;
    // The worker's timer would not come for an hour: the API told it.
    await expect.poll(status, WAIT).toBe("SUBSCRIBED");
    expect(await activeWebSocketSubscriptions()).toBe(1);
  });

  it("is SUBSCRIPTION_PROBLEM while the WebSocket is down, and SUBSCRIBED again once it recovered", async () => {
    // A gateway outage: the socket drops and reconnection attempts are refused until it ends.
    await simControl(sim, "POST", "faults/socket", { action: "refuse" });
    expect(await simControl(sim, "POST", "faults/socket", { action: "drop" })).toEqual({ affected: 1 });
    await expect.poll(status, WAIT).toBe("SUBSCRIPTION_PROBLEM");
    // The worker tries to reconnect and is refused: still a problem.
    const refused = async () =>
      (await simControl<{ webSocketOutage: { refused: number } }>(sim, "GET", "faults")).webSocketOutage.refused;
    await expect.poll(refused, WAIT).toBeGreaterThan(0);
    expect(await status()).toBe("SUBSCRIPTION_PROBLEM");

    await simControl(sim, "POST", "faults/socket", { action: "accept" });
    await expect.poll(status, WAIT).toBe("SUBSCRIBED");
    expect(await activeWebSocketSubscriptions()).toBe(1);
  });

  it("is VERIFIED again as soon as the last channel is disconnected (no subscription runs)", async () => {
    const disconnected = await request(
      `mutation($channel: ID!) { disconnectChannel(channelId: $channel) { __typename } }`,
      { channel: channelId },
    );
    expect(disconnected.disconnectChannel.__typename).toBe("ChannelPayload");
    await expect.poll(status, WAIT).toBe("VERIFIED");
    expect(await activeWebSocketSubscriptions()).toBe(0);
  });
});
