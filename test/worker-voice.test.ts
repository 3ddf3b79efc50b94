// End to end: the simulator plays calls, the worker receives them over a real RingCentral
// WebSocket subscription (unmodified SDK), and clients see them only through GraphQL (HTTP and
// graphql-ws) — R2.4, R3.1–R3.4, R3.13.
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { resolveNodes, startTestApi, subscribe, type TestApi } from "./support/api.ts";
import { seedInbox } from "./support/seed.ts";
import { simControl, startTestSimulator, startTestWorker, type Simulator } from "./support/simulator.ts";
import { createLogger } from "../src/logger.ts";

let sim: Simulator;
let api: TestApi;
let worker: Awaited<ReturnType<typeof startTestWorker>>["worker"];
let admin: Awaited<ReturnType<TestApi["createUser"]>>;
let inbox: Awaited<ReturnType<typeof seedInbox>>;
/** The worker's warnings and errors, printed if the test fails. */
const workerLog: string[] = [];

const MAIN_NUMBER = "+18003151571";

beforeAll(async () => {
  sim = await startTestSimulator();
  api = await startTestApi();
  admin = await api.createUser("ADMIN", "babji");
  // Linked to the simulator's admin extension 809646016 by email (R1.3).
  await api.app.db.prisma.user.update({ where: { id: admin.id }, data: { email: "admin@switchboard.test" } });
  inbox = await seedInbox(api.app, "Main line", [admin.id]);
  ({ worker } = await startTestWorker(api.app, sim, {
    log: createLogger("warn", { write: (line: string) => void workerLog.push(line) }),
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

const CALL_QUERY = `query($inbox: ID!) { node(id: $inbox) { ... on Inbox { conversations(first: 5) { edges { node {
  id status assignee { email } contact { phoneNumbers { number } }
  calls(first: 5) { edges { node { id direction status talkSeconds answeredBy { email } parties { status } } } }
  timeline(first: 20) { edges { node { __typename ... on Activity { type data } } } }
} } } } } }`;

describe("voice calls end to end", () => {
  it("rings the agent on incomingCall, assigns the call to them when they answer, and ends it with the talk time", async () => {
    const rings = subscribe(
      api.wsClient(admin.token),
      `subscription { incomingCall(after: "0") { cursor callerNumber call { id status } conversation { id } } }`,
    );
    const updates = subscribe(
      api.wsClient(admin.token),
      `subscription($inbox: ID!) { callUpdated(inboxId: $inbox, after: "0") { call { status } } }`,
      { inbox: inbox.globalId },
    );
    // If it fails: what each subscription received, what was stored, what the worker warned about.
    onTestFailed(async () => {
      const calls = await api.app.db.prisma.call.findMany({
        select: { status: true, telephonySessionId: true, conversationId: true },
      });
      console.error(
        "worker-voice diagnostics",
        JSON.stringify({
          rings: rings.received,
          updates: updates.received,
          ringsError: rings.error,
          updatesError: updates.error,
          calls,
          workerLog,
        }),
      );
    });
    await simControl(sim, "POST", "scenarios", {
      type: "ivr",
      extensionId: "809646016",
      hold: true,
      from: "+14083388064",
    });
    const [ring] = await rings.until(1);
    expect(ring!.data).toMatchObject({ incomingCall: { callerNumber: "+14083388064" } });
    // Every update may already be here (the call takes milliseconds): look before waiting for another.
    const statuses = () => updates.received.map((e) => (e.data as any).callUpdated.call.status);
    while (!statuses().includes("ENDED")) await updates.until(updates.received.length + 1);
    await worker.idle();

    const result = await api.request<any, any>(CALL_QUERY, { inbox: inbox.globalId }, admin.token);
    expect(result.errors).toBeUndefined();
    const conversation = result.data.node.conversations.edges[0].node;
    expect(result.data.node.conversations.edges).toHaveLength(1);
    expect(conversation).toMatchObject({
      status: "OPEN",
      assignee: { email: "admin@switchboard.test" },
      contact: { phoneNumbers: [{ number: "+14083388064" }] },
    });
    const call = conversation.calls.edges[0].node;
    expect(call).toMatchObject({
      direction: "INBOUND",
      status: "ENDED",
      answeredBy: { email: "admin@switchboard.test" },
    });
    expect(call.talkSeconds).toBeGreaterThanOrEqual(0);
    const activities = conversation.timeline.edges
      .map((e: any) => e.node)
      .filter((n: any) => n.__typename === "Activity");
    expect(activities.map((a: any) => a.type)).toEqual(expect.arrayContaining(["ASSIGNED", "CALL_ENDED"]));
    // The ids in an activity's data are global ids: node(id:) resolves them to the call and the agent.
    const assigned = activities.find((a: any) => a.type === "ASSIGNED").data;
    const ended = activities.find((a: any) => a.type === "CALL_ENDED").data;
    expect(ended).toEqual({ callId: call.id, status: "ENDED", talkSeconds: call.talkSeconds });
    expect(assigned).toEqual({ assigneeId: admin.globalId, callId: call.id });
    expect(await resolveNodes(api, admin.token, [assigned.assigneeId, assigned.callId, ended.callId])).toEqual([
      { __typename: "User", id: admin.globalId },
      { __typename: "Call", id: call.id },
      { __typename: "Call", id: call.id },
    ]);
    rings.unsubscribe();
    updates.unsubscribe();
  });

  it("sends callUpdated RINGING as the call starts ringing, then each later state once", async () => {
    const updates = subscribe(
      api.wsClient(admin.token),
      `subscription($inbox: ID!) { callUpdated(inboxId: $inbox, after: "0") { status call { fromNumber } } }`,
      { inbox: inbox.globalId },
    );
    const statusesOf = (caller: string) =>
      updates.received
        .map((e) => (e.data as any).callUpdated)
        .filter((event) => event.call.fromNumber === caller)
        .map((event) => event.status);
    const statuses = () => statusesOf("+14083388065");
    const scenario = await simControl<{ id: string }>(sim, "POST", "scenarios", {
      type: "ivr",
      extensionId: "809646016",
      mode: "step",
      from: "+14083388065",
    });
    await simControl(sim, "POST", `scenarios/${scenario.id}/step`); // the caller dials: the call rings
    await expect.poll(statuses, { timeout: 15_000 }).toEqual(["RINGING"]);

    await simControl(sim, "POST", `scenarios/${scenario.id}/run`);
    while (!statuses().includes("ENDED")) await updates.until(updates.received.length + 1);
    // Anything more about that call would arrive before the next call's first update (one inbox's
    // events come in order): ring another one and wait for it.
    await simControl(sim, "POST", "scenarios", { type: "ivr", extensionId: "809646016", from: "+14083388066" });
    while (statusesOf("+14083388066").length === 0) await updates.until(updates.received.length + 1);
    expect(statuses()).toEqual(["RINGING", "IN_PROGRESS", "ENDED"]);
    updates.unsubscribe();
  });
});
