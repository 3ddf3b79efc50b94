// Message sync (R9.4): an incremental sync that RingCentral refuses (its token is not valid) starts
// over with a full sync over the window; one that failed for any other reason (rate limited,
// RingCentral away) is not given up on: it fails, keeps its token, and the REST work queue tries it
// again later — a full sync would re-read the whole window and miss what is older than it.
import { afterAll, beforeAll, expect, it } from "vitest";
import { RingCentralClient } from "../src/integrations/ringcentral/client.ts";
import { restApiOf } from "../src/integrations/ringcentral/rest.ts";
import { syncMessages, type MessageSyncStore } from "../src/integrations/ringcentral/messaging.ts";
import { createLogger } from "../src/logger.ts";
import { startTestApi, type TestApi } from "./support/api.ts";
import { simControl, startTestSimulator, type Simulator } from "./support/simulator.ts";

const EXTENSION = "809646016";

let sim: Simulator;
let api: TestApi;
let client: RingCentralClient;

beforeAll(async () => {
  sim = await startTestSimulator();
  api = await startTestApi();
  // Retries wait no real time: only what RingCentral was asked matters here.
  client = new RingCentralClient({ serverUrl: sim.url, ...sim.credentials(), retry: { maxRetries: 1, secondMs: 0 } });
  await client.login();
});
afterAll(async () => {
  await client?.close();
  await api?.close();
  await sim?.close();
});

function memoryStore(token: string | null): MessageSyncStore & { saved: string | null } {
  const store = {
    saved: token,
    token: async () => store.saved,
    save: async (_extensionId: string, next: string) => {
      store.saved = next;
    },
  };
  return store;
}

function sync(store: MessageSyncStore) {
  return syncMessages(
    {
      prisma: api.app.db.prisma,
      pubsub: api.app.pubsub,
      log: createLogger("silent"),
      platform: restApiOf(client),
      store,
      since: new Date(Date.now() - 24 * 3600_000),
    },
    EXTENSION,
  );
}

async function syncTypesAsked(): Promise<string[]> {
  const { records } = await simControl<{ records: { query: Record<string, string> }[] }>(
    sim,
    "GET",
    "requests?path=message-sync",
  );
  return records.map((record) => record.query.syncType!);
}

it("starts over with a full sync when RingCentral refuses the incremental sync's token", async () => {
  await simControl(sim, "DELETE", "requests");
  const store = memoryStore("not-a-token-ringcentral-gave");
  await sync(store);
  expect(await syncTypesAsked()).toEqual(["ISync", "FSync"]);
  expect(store.saved).not.toBe("not-a-token-ringcentral-gave");
});

it("keeps the token and fails, without a full sync, when the incremental sync is rate limited", async () => {
  const store = memoryStore(null);
  await sync(store);
  const token = store.saved;
  await simControl(sim, "DELETE", "requests");
  await simControl(sim, "POST", "faults/rate-limit", { group: "Light", count: 2, retryAfterSeconds: 1 });
  await expect(sync(store)).rejects.toMatchObject({ code: "RINGCENTRAL_RATE_LIMITED" });
  expect(await syncTypesAsked()).toEqual(["ISync", "ISync"]);
  expect(store.saved).toBe(token);
  // Tried again once RingCentral answers: incremental, from the same token.
  await sync(store);
  expect((await syncTypesAsked()).at(-1)).toBe("ISync");
});
