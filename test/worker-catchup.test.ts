// R9.3/R9.4 and R3.14 under faults: with the simulator dropping the socket, stalling it past the
// recovery window, and the worker restarting mid-call, every call still ends up right, none twice.
// Observed only through GraphQL.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, subscribe, type TestApi } from "./support/api.ts";
import { seedInbox } from "./support/seed.ts";
import {
  simControl,
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

beforeAll(async () => {
  // A short recovery window, so "stalled past the window" takes a moment, not three minutes.
  sim = await startTestSimulator({ webSocket: { recoveryTimeoutSeconds: 0.5 } });
  api = await startTestApi();
  admin = await api.createUser("ADMIN", "babji");
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

const CALLS = `query($inbox: ID!) { node(id: $inbox) { ... on Inbox { conversations(first: 50) { edges { node {
  id assignee { email }
  calls(first: 5) { edges { node { status talkSeconds direction fromNumber } } }
  timeline(first: 50) { edges { node { __typename ... on Activity { type } } } }
} } } } } }`;

async function conversations() {
  const result = await api.request<any, any>(CALLS, { inbox: inbox.globalId }, admin.token);
  expect(result.errors).toBeUndefined();
  return result.data.node.conversations.edges.map((e: any) => e.node);
}

/** Resolves when a CALL_UPDATED event says the call with this caller ended (any terminal status). */
function endedCalls(count: number) {
  const events = subscribe(
    api.wsClient(admin.token),
    `subscription($inbox: ID!) { callUpdated(inboxId: $inbox, after: "0") { call { id status fromNumber } } }`,
    {
      inbox: inbox.globalId,
    },
  );
  const terminal = new Set(["ENDED", "MISSED", "ABANDONED", "VOICEMAIL"]);
  return (async () => {
    for (let seen = 1; ; seen += 1) {
      const received = await events.until(seen);
      const ended = new Set(
        received
          .map((e) => (e.data as any).callUpdated.call)
          .filter((c: any) => terminal.has(c.status))
          .map((c: any) => c.id),
      );
      if (ended.size >= count) {
        events.unsubscribe();
        return ended;
      }
    }
  })();
}

async function callLogSyncs(): Promise<number> {
  return (await simControl<{ records: unknown[] }>(sim, "GET", "requests?path=call-log-sync")).records.length;
}

function expectEachCallOnce(list: any[], caller: string) {
  const matching = list.filter((c) => c.calls.edges.some((e: any) => e.node.fromNumber === caller));
  expect(matching).toHaveLength(1);
  const [conversation] = matching;
  expect(conversation.calls.edges).toHaveLength(1);
  const ended = conversation.timeline.edges.filter((e: any) => e.node.type === "CALL_ENDED");
  expect(ended).toHaveLength(1);
  return conversation;
}

describe("catch-up", () => {
  it("recovers a dropped socket and applies the replayed events once", async () => {
    const done = endedCalls(1);
    const scenario = await simControl<{ id: string }>(sim, "POST", "scenarios", {
      type: "ivr",
      extensionId: "809646016",
      mode: "step",
      from: "+14155550101",
    });
    await simControl(sim, "POST", `scenarios/${scenario.id}/step`, { count: 2 });
    await simControl(sim, "POST", "faults/socket", { action: "drop" });
    await simControl(sim, "POST", `scenarios/${scenario.id}/run`);
    await done;
    const conversation = expectEachCallOnce(await conversations(), "+14155550101");
    expect(conversation.calls.edges[0].node.status).toBe("ENDED");
    expect(conversation.assignee).toEqual({ email: "admin@switchboard.test" });
  });

  it("finishes a call from the call log after the socket stalled past the recovery window", async () => {
    const syncsBefore = await callLogSyncs();
    const done = endedCalls(2);
    await simControl(sim, "POST", "faults/socket", { action: "stall", closeAfterMs: 700 });
    // The whole call happens while nothing is delivered; recovery then fails and the worker catches up.
    await simControl(sim, "POST", "scenarios", { type: "ivr", extensionId: "809646016", from: "+14155550102" });
    await done;
    const conversation = expectEachCallOnce(await conversations(), "+14155550102");
    expect(conversation.calls.edges[0].node).toMatchObject({ status: "ENDED", direction: "INBOUND" });
    // It came from the call log: the failed recovery made the worker sync it.
    expect(await callLogSyncs()).toBeGreaterThan(syncsBefore);
    expect(conversation.assignee).toEqual({ email: "admin@switchboard.test" });
  });

  it("finishes a call that was half-seen when the worker restarted, and one it never saw", async () => {
    const done = endedCalls(4);
    const halfSeen = await simControl<{ id: string }>(sim, "POST", "scenarios", {
      type: "ivr",
      extensionId: "809646016",
      mode: "step",
      from: "+14155550103",
    });
    await simControl(sim, "POST", `scenarios/${halfSeen.id}/step`, { count: 3 });
    await running.worker.idle();
    await running.worker.close();
    await simControl(sim, "POST", `scenarios/${halfSeen.id}/run`);
    await simControl(sim, "POST", "scenarios", {
      type: "missed",
      extensionId: "809646016",
      to: MAIN_NUMBER,
      from: "+14155550104",
    });
    running = { worker: workerFor(api.app, sim) };
    await running.worker.reconcile();
    await done;
    const list = await conversations();
    expect(expectEachCallOnce(list, "+14155550103").calls.edges[0].node.status).toBe("ENDED");
    expect(expectEachCallOnce(list, "+14155550104").calls.edges[0].node.status).toMatch(/MISSED|ABANDONED/);
  });
});

describe("a dead RingCentral session", () => {
  it("restarts the connection with a fresh JWT login when recovery cannot continue, and catches up what it missed", async () => {
    const done = endedCalls(5);
    // The session dies (as after a password change) and the socket drops: recovery needs a
    // WebSocket token the dead session cannot get.
    await simControl(sim, "POST", "faults/tokens", { action: "revoke" });
    await simControl(sim, "POST", "faults/socket", { action: "drop" });
    await simControl(sim, "POST", "scenarios", { type: "ivr", extensionId: "809646016", from: "+14155550105" });
    await done;
    expect(expectEachCallOnce(await conversations(), "+14155550105").calls.edges[0].node.status).toBe("ENDED");
  });

  it("recovers when every token expired while the socket was down (the library cannot refresh)", async () => {
    const done = endedCalls(6);
    await simControl(sim, "POST", "faults/tokens", { action: "expire", kind: "all" });
    await simControl(sim, "POST", "faults/socket", { action: "drop" });
    await simControl(sim, "POST", "scenarios", { type: "ivr", extensionId: "809646016", from: "+14155550106" });
    await done;
    expect(expectEachCallOnce(await conversations(), "+14155550106").calls.edges[0].node.status).toBe("ENDED");
  });
});
