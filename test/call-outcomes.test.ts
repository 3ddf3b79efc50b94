// Issue 13, point 4: a call's outcome, once settled, never flips when the worker restarts and
// reconciles with RingCentral's call log; and the call log completes calls whose first
// notifications were lost. The simulator plays the calls; the worker is restarted as in production;
// everything is observed through GraphQL.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, subscribe, type TestApi } from "./support/api.ts";
import { seedInbox } from "./support/seed.ts";
import {
  simControl,
  simulatorClient,
  startTestSimulator,
  connectVoiceChannel,
  startTestWorker,
  workerFor,
  type Simulator,
} from "./support/simulator.ts";

let sim: Simulator;
let api: TestApi;
let admin: Awaited<ReturnType<TestApi["createUser"]>>;
let inbox: Awaited<ReturnType<typeof seedInbox>>;
let running: { worker: ReturnType<typeof workerFor> };

const MAIN_NUMBER = "+18003151571";
const AGENT_EXTENSION = "809646016";
const TERMINAL = new Set(["ENDED", "MISSED", "ABANDONED", "VOICEMAIL"]);

beforeAll(async () => {
  sim = await startTestSimulator();
  api = await startTestApi();
  admin = await api.createUser("ADMIN", "outcomes");
  await api.app.db.prisma.user.update({ where: { id: admin.id }, data: { email: "admin@switchboard.test" } });
  inbox = await seedInbox(api.app, "Main line", [admin.id]);
  running = await startTestWorker(api.app, sim);
  await connectVoiceChannel(api.app, running.worker, MAIN_NUMBER, inbox.id);
});
afterAll(async () => {
  await running?.worker.close();
  await api?.close();
  await sim?.close();
});

/**
 * An inbound call to the agent, stepped through dial, ring and answer with every notification of those
 * lost on the way to the worker; the caller's hang-up is still to come (`run`).
 */
async function callWithLostAnswer(caller: string) {
  const scenario = await simControl<{ id: string; telephonySessionId: string }>(sim, "POST", "scenarios", {
    type: "inbound",
    extensionId: AGENT_EXTENSION,
    to: MAIN_NUMBER,
    from: caller,
    hangup: "caller",
    mode: "step",
  });
  await simControl(sim, "POST", "faults/notifications", { type: "drop", count: 1000 });
  await simControl(sim, "POST", `scenarios/${scenario.id}/step`, { count: 3 });
  await simControl(sim, "DELETE", "faults");
  return scenario;
}

const CALLS = `query($inbox: ID!) { node(id: $inbox) { ... on Inbox { conversations(first: 50) { edges { node {
  calls(first: 5) { edges { node { id status talkSeconds answeredAt fromNumber answeredBy { email } } } }
  timeline(first: 50) { edges { node { __typename ... on Activity { type data } } } }
} } } } } }`;

async function callFrom(caller: string) {
  const result = await api.request<any, any>(CALLS, { inbox: inbox.globalId }, admin.token);
  expect(result.errors).toBeUndefined();
  const conversations = result.data.node.conversations.edges
    .map((e: any) => e.node)
    .filter((c: any) => c.calls.edges.some((e: any) => e.node.fromNumber === caller));
  expect(conversations).toHaveLength(1);
  const [conversation] = conversations;
  expect(conversation.calls.edges).toHaveLength(1);
  const ended = conversation.timeline.edges.filter((e: any) => e.node.type === "CALL_ENDED");
  expect(ended).toHaveLength(1);
  return { ...conversation.calls.edges[0].node, callEnded: ended[0].node.data };
}

/** Every `callUpdated` of the inbox from now on, and a wait for the call from `caller` to end. */
function callUpdates() {
  const events = subscribe(
    api.wsClient(admin.token),
    `subscription($inbox: ID!) { callUpdated(inboxId: $inbox) { call { id status fromNumber } } }`,
    { inbox: inbox.globalId },
  );
  const calls = () => events.received.map((e) => (e.data as any).callUpdated.call);
  return {
    calls,
    until: (count: number) => events.until(count),
    async ended(caller: string) {
      for (let seen = 1; ; seen += 1) {
        await events.until(seen);
        const call = calls().find((c: any) => c.fromNumber === caller && TERMINAL.has(c.status));
        if (call) return call;
      }
    },
    close: () => events.unsubscribe(),
  };
}

/** Stops the worker and starts another, as a deploy or crash does; it catches up from the call log. */
async function restartWorker(): Promise<void> {
  await running.worker.idle();
  await running.worker.close();
  const syncs = await callLogSyncs();
  running = { worker: workerFor(api.app, sim) };
  await running.worker.reconcile(); // returns once the connection started, its catch-up included
  expect(await callLogSyncs()).toBeGreaterThan(syncs);
}

async function callLogSyncs(): Promise<number> {
  return (await simControl<{ records: unknown[] }>(sim, "GET", "requests?path=call-log-sync")).records.length;
}

/** The simulator's call-log record of the session, read as the worker reads it. */
async function callLogRecord(telephonySessionId: string): Promise<any> {
  const client = await simulatorClient(sim)();
  try {
    const response = await client.rest.get("/restapi/v1.0/account/~/call-log", {
      telephonySessionId,
      view: "Detailed",
    });
    const body = (await response.json()) as { records: any[] };
    expect(body.records).toHaveLength(1);
    return body.records[0];
  } finally {
    await client.close();
  }
}

describe("call outcomes across reconciliation with the call log", () => {
  it("keeps ABANDONED (caller hung up while ringing, seen live) when the call log says Missed", async () => {
    const caller = "+14155550701";
    const updates = callUpdates();
    const scenario = await simControl<{ telephonySessionId: string }>(sim, "POST", "scenarios", {
      type: "abandoned",
      extensionId: AGENT_EXTENSION,
      to: MAIN_NUMBER,
      from: caller,
    });
    expect((await updates.ended(caller)).status).toBe("ABANDONED");
    // The premise of the issue: RingCentral's call log records this call as Missed.
    expect((await callLogRecord(scenario.telephonySessionId)).result).toBe("Missed");

    await restartWorker();
    await running.worker.idle();
    const call = await callFrom(caller);
    expect(call).toMatchObject({ status: "ABANDONED", talkSeconds: null, answeredBy: null });
    expect(call.callEnded).toMatchObject({ status: "ABANDONED" });
    // No update ever reported another outcome for it.
    const outcomes = updates.calls().filter((c: any) => c.id === call.id && TERMINAL.has(c.status));
    expect(new Set(outcomes.map((c: any) => c.status))).toEqual(new Set(["ABANDONED"]));
    updates.close();
  });

  it("completes from the call log at once, with no restart, a call whose answer was lost", async () => {
    const caller = "+14155550703";
    const updates = callUpdates();
    const scenario = await callWithLostAnswer(caller);
    await simControl(sim, "POST", `scenarios/${scenario.id}/run`); // the hang-ups arrive
    // Live, the hang-ups alone look like a caller giving up; the call log, read at once, says answered.
    for (let seen = 1; ; seen += 1) {
      const ended = updates.calls().find((c: any) => c.fromNumber === caller && c.status === "ENDED");
      if (ended) break;
      await updates.until(seen);
    }
    const record = await callLogRecord(scenario.telephonySessionId);
    const agentLeg = record.legs.find((l: any) => String(l.extension?.id) === AGENT_EXTENSION);
    await running.worker.idle();
    const call = await callFrom(caller);
    expect(call).toMatchObject({ status: "ENDED", talkSeconds: agentLeg.duration, answeredAt: agentLeg.startTime });
    expect(call.callEnded).toMatchObject({ status: "ENDED" });
    updates.close();
  });

  it("ends ENDED, with the call log's talk time, a call whose first notifications were lost", async () => {
    const caller = "+14155550702";
    const updates = callUpdates();
    const scenario = await callWithLostAnswer(caller);
    // The call lasts over a second, so its talk time is not 0 (there is no event to wait for).
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await simControl(sim, "POST", `scenarios/${scenario.id}/run`); // the caller hangs up
    // Live, the worker saw only the hang-ups.
    await updates.ended(caller);

    await restartWorker();
    await running.worker.idle();
    const record = await callLogRecord(scenario.telephonySessionId);
    expect(record.result).toBe("Accepted");
    const agentLeg = record.legs.find((l: any) => String(l.extension?.id) === AGENT_EXTENSION);
    expect(agentLeg.result).toBe("Accepted");
    expect(agentLeg.duration).toBeGreaterThan(0);
    const call = await callFrom(caller);
    expect(call).toMatchObject({
      status: "ENDED",
      talkSeconds: agentLeg.duration,
      answeredAt: agentLeg.startTime,
      answeredBy: { email: "admin@switchboard.test" },
    });
    expect(call.callEnded).toMatchObject({ status: "ENDED", talkSeconds: agentLeg.duration });
    updates.close();
  });
});
