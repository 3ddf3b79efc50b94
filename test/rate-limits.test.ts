// Issue 13, point 2: a 429 from RingCentral holds up only the REST work it refused, never call
// ingest. Through the simulator (its `faults/rate-limit` 429s) with the unmodified SDK and the
// production client, watched through the API's conversationEvents:
// - while a call-log read waits out a 429 (the client's wait is held open by the test, so "while"
//   is an ordering, not a timing), calls keep being stored with their outcomes;
// - property: any sequence of 429s in any rate group — at login, subscription and ingest — ends with
//   every call stored with its outcome and every recording fetched.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, subscribe, type TestApi } from "./support/api.ts";
import { seedInbox } from "./support/seed.ts";
import { simControl, startTestSimulator, workerFor, type Simulator } from "./support/simulator.ts";
import { CONVERSATION_EVENTS, eventsOf, waitForEvent, type ConversationEvent } from "./support/recordings.ts";
import {
  asConnectionClient,
  type ConnectionClientFactory,
  type RingCentralWorker,
} from "../src/integrations/ringcentral/worker.ts";
import { RingCentralClient } from "../src/integrations/ringcentral/client.ts";
import { realSleep, type Sleep } from "../src/integrations/ringcentral/rate-limiter.ts";
import { SUBSCRIPTION_ACTIVE } from "../src/domain/connections.ts";

const AGENT_EXTENSION = "62264425016"; // Alice Agent, +16505550111 (simulator default account)
const DIRECT_NUMBER = "+16505550111";

let sim: Simulator;
let api: TestApi;
let events: ReturnType<typeof subscribe>;

beforeAll(async () => {
  sim = await startTestSimulator();
  api = await startTestApi();
  const agent = await api.createUser("AGENT", "rate-agent");
  const inbox = await seedInbox(api.app, "Rate-limited line", [agent.id]);
  const account = sim.account() as { id: string };
  const connection = await api.app.db.prisma.ringCentralConnection.create({
    data: {
      serverUrl: sim.url,
      clientId: sim.credentials().clientId,
      encryptedCredentials: "test",
      accountId: String(account.id),
      ownerExtensionId: "809646016",
    },
  });
  await api.app.db.prisma.channel.create({
    data: { type: "VOICE", phoneNumber: DIRECT_NUMBER, inboxId: inbox.id, connectionId: connection.id },
  });
  events = subscribe(api.wsClient(agent.token), CONVERSATION_EVENTS, { inbox: inbox.globalId });
});
afterAll(async () => {
  events?.unsubscribe();
  await api?.close();
  await sim?.close();
});

/** Production clients (limiter, retries, re-login) whose waits go through `sleep`; a RingCentral
 * "second" is 1 ms, so a Retry-After of whole seconds is waited out quickly. */
function clientsWaitingWith(sleep: Sleep): ConnectionClientFactory {
  return async () => {
    const client = new RingCentralClient({
      serverUrl: sim.url,
      ...sim.credentials(),
      retry: { maxRetries: 3, baseDelayMs: 1, maxDelayMs: 20, secondMs: 1, defaultRetryAfterSeconds: 60 },
      sleep,
    });
    await client.login();
    return asConnectionClient(client);
  };
}

const FAST_REST_RETRIES = { baseDelayMs: 1, maxDelayMs: 20 };

/** No fault pending, no request logged; a `sleep` that really waits and remembers each wait. */
async function withoutFaultsOrRequests(): Promise<{ waits: number[]; sleep: Sleep }> {
  await simControl(sim, "DELETE", "faults");
  await fetch(`${sim.url}/__sim/requests`, { method: "DELETE" });
  const waits: number[] = [];
  const sleep: Sleep = (ms) => {
    waits.push(ms);
    return realSleep(ms);
  };
  return { waits, sleep };
}

type Outcome = "ENDED" | "MISSED" | "VOICEMAIL" | "ABANDONED";
const SCENARIO_OF: Record<Outcome, string> = {
  ENDED: "inbound",
  MISSED: "missed",
  VOICEMAIL: "voicemail",
  ABANDONED: "abandoned",
};

let callers = 0;
/** Plays a call to the agent's direct number; returns its session. */
async function playCall(outcome: Outcome, record = false): Promise<string> {
  callers += 1;
  const scenario = await simControl<{ telephonySessionId: string }>(sim, "POST", "scenarios", {
    type: SCENARIO_OF[outcome],
    extensionId: AGENT_EXTENSION,
    from: `+1415555${String(1000 + callers).padStart(4, "0")}`,
    ...(record ? { record: true } : {}),
  });
  return scenario.telephonySessionId;
}

const callSettled = (session: string, outcome: Outcome) => (e: ConversationEvent) =>
  e.type === "CALL_UPDATED" && e.payload.telephonySessionId === session && e.payload.status === outcome;

async function storedCall(session: string) {
  return api.app.db.prisma.call.findUniqueOrThrow({
    where: { telephonySessionId: session },
    select: { id: true, status: true, recordings: { select: { state: true } } },
  });
}

/** Starts a worker and returns once its subscription is active (retrying a start a 429 failed). */
async function subscribedWorker(clients: ConnectionClientFactory): Promise<RingCentralWorker> {
  const worker = workerFor(api.app, sim, {
    clients,
    restWork: FAST_REST_RETRIES,
    recordings: { callLogRetryDelaysMs: [20, 100, 500, 2000] },
  });
  const active = async () =>
    (await api.app.db.prisma.ringCentralConnection.findFirstOrThrow()).subscriptionState === SUBSCRIPTION_ACTIVE;
  do await worker.reconcile();
  while (!(await active()));
  return worker;
}

describe("a 429 holds up REST work, never call ingest (issue 13, point 2)", () => {
  it("stores calls with their outcomes while a call-log read waits out a 429 on the Heavy group", async () => {
    // The client's waits are held open until the test lets them go.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let heldOnce!: () => void;
    const held = new Promise<void>((resolve) => (heldOnce = resolve));
    let holding = true;
    const sleep: Sleep = async (ms) => {
      if (!holding) return realSleep(ms);
      heldOnce();
      await released;
    };
    const worker = await subscribedWorker(clientsWaitingWith(sleep));
    await worker.idle(); // the start's catch-up done
    await fetch(`${sim.url}/__sim/requests`, { method: "DELETE" });
    await simControl(sim, "POST", "faults/rate-limit", { group: "Heavy", count: 1, retryAfterSeconds: 4 });

    const recorded = await playCall("ENDED", true);
    await held; // its call-log read got the 429 and waits out the penalty

    // Recorded calls fill every ingest slot the dispatcher has, a voicemail sits between them and
    // the rest: none of it may wait for the call-log read.
    const more: [string, Outcome][] = [];
    for (const outcome of ["ENDED", "VOICEMAIL", "MISSED", "ABANDONED", "ENDED"] as Outcome[])
      more.push([await playCall(outcome, outcome === "ENDED"), outcome]);
    for (const [session, outcome] of [[recorded, "ENDED"] as const, ...more])
      await waitForEvent(events, callSettled(session, outcome));

    // All that while, RingCentral's Heavy group saw the one refused request and nothing else, and
    // the recording is still PENDING.
    const callLogReads = await simControl<{ records: { status: number }[] }>(
      sim,
      "GET",
      `requests?path=${encodeURIComponent("/call-log")}`,
    );
    expect(callLogReads.records.map((r) => r.status)).toEqual([429]);
    expect((await storedCall(recorded)).recordings).toEqual([{ state: "PENDING" }]);
    expect(eventsOf(events).some((e) => e.type.startsWith("RECORDING_") && e.payload.state === "AVAILABLE")).toBe(
      false,
    );

    holding = false;
    release();
    await worker.idle();
    for (const [session, outcome] of [[recorded, "ENDED"] as const, ...more]) {
      const call = await storedCall(session);
      expect(call.status).toBe(outcome);
      if (outcome === "ENDED") expect(call.recordings).toEqual([{ state: "AVAILABLE" }]);
    }
    await worker.close();
  });

  it("a 429 on the WebSocket token is waited out as Retry-After asks: no new login, no revoke, then subscribed", async () => {
    const { waits, sleep } = await withoutFaultsOrRequests();
    // The worker's first Light request is the WebSocket token (login is Auth, extensions Medium).
    await simControl(sim, "POST", "faults/rate-limit", { group: "Light", count: 2, retryAfterSeconds: 7 });
    const worker = await subscribedWorker(clientsWaitingWith(sleep));
    const oauth = await simControl<{ records: { path: string; status: number; body?: Record<string, string> }[] }>(
      sim,
      "GET",
      `requests?path=${encodeURIComponent("/restapi/oauth/")}`,
    );
    expect(oauth.records.map((r) => `${r.path.replace("/restapi/oauth/", "")}:${r.status}`)).toEqual([
      "token:200",
      "wstoken:429",
      "wstoken:429",
      "wstoken:200",
    ]);
    // Each retry waited out the penalty (7 RingCentral seconds of 1 ms), not less.
    expect(waits.filter((ms) => ms > 0).length).toBeGreaterThanOrEqual(2);
    expect(Math.max(...waits)).toBeLessThanOrEqual(7);
    await worker.close();
  });

  it("a 429 on creating the subscription over the WebSocket is waited out in the limiter: subscribed at the first start, one login", async () => {
    const { waits, sleep } = await withoutFaultsOrRequests();
    const clients = clientsWaitingWith(sleep);
    // After the extensions are read, the worker's next Medium request is the subscription's
    // creation, which @ringcentral/subscriptions sends over the WebSocket.
    const refusingTheSubscription: ConnectionClientFactory = async (connectionId) => {
      const client = await clients(connectionId);
      const listExtensions = async () => {
        const extensions = await client.listExtensions();
        await simControl(sim, "POST", "faults/rate-limit", { group: "Medium", count: 2, retryAfterSeconds: 9 });
        return extensions;
      };
      return { ...client, listExtensions };
    };
    const worker = workerFor(api.app, sim, { clients: refusingTheSubscription, restWork: FAST_REST_RETRIES });
    await worker.reconcile();
    const connection = await api.app.db.prisma.ringCentralConnection.findFirstOrThrow();
    expect(connection.subscriptionState).toBe(SUBSCRIPTION_ACTIVE);
    const created = await simControl<{ records: { method: string; status: number; via: string }[] }>(
      sim,
      "GET",
      `requests?method=POST&path=${encodeURIComponent("/restapi/v1.0/subscription")}`,
    );
    expect(created.records.map((r) => `${r.via}:${r.status}`)).toEqual([
      "websocket:429",
      "websocket:429",
      "websocket:200",
    ]);
    const logins = await simControl<{ records: unknown[] }>(sim, "GET", "requests?path=/restapi/oauth/token");
    expect(logins.records).toHaveLength(1);
    // Each retry waited out the penalty (9 RingCentral seconds of 1 ms), no more.
    expect(waits.filter((ms) => ms > 0).length).toBeGreaterThanOrEqual(2);
    expect(Math.max(...waits)).toBeLessThanOrEqual(9);
    await worker.close();
  });

  it("property: any sequence of 429s in any rate group ends with every call stored and recording fetched", async () => {
    const fault = fc.record({
      group: fc.constantFrom("Light", "Medium", "Heavy", "Auth"),
      count: fc.integer({ min: 1, max: 4 }),
      retryAfterSeconds: fc.integer({ min: 1, max: 60 }),
    });
    const call = fc.record({
      outcome: fc.constantFrom<Outcome>("ENDED", "MISSED", "VOICEMAIL", "ABANDONED"),
      record: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fault, { minLength: 1, maxLength: 5 }),
        fc.array(fault, { maxLength: 5 }),
        fc.array(call, { minLength: 1, maxLength: 4 }),
        async (atStart, duringCalls, calls) => {
          await simControl(sim, "DELETE", "faults");
          // 429s for the worker's start (login, extensions, WebSocket token, catch-up) …
          for (const f of atStart) await simControl(sim, "POST", "faults/rate-limit", f);
          const worker = await subscribedWorker(clientsWaitingWith(realSleep));
          try {
            // … and for what the calls ask of RingCentral's REST API.
            for (const f of duringCalls) await simControl(sim, "POST", "faults/rate-limit", f);
            const played: { session: string; outcome: Outcome; record: boolean }[] = [];
            for (const c of calls) {
              const record = c.record && c.outcome === "ENDED";
              played.push({ session: await playCall(c.outcome, record), outcome: c.outcome, record });
            }
            for (const { session, outcome, record } of played) {
              await waitForEvent(events, callSettled(session, outcome));
              const stored = await storedCall(session);
              expect(stored.status).toBe(outcome);
              if (!record) continue;
              await waitForEvent(
                events,
                (e) =>
                  e.type === "RECORDING_UPDATED" && e.payload.callId === stored.id && e.payload.state === "AVAILABLE",
              );
            }
            await worker.idle();
          } finally {
            await worker.close();
          }
        },
      ),
      { numRuns: 6 },
    );
  }, 120_000);
});
