// R9.4 and R3.14 when the recovery buffer overflows: RingCentral keeps only the last
// `recoveryBufferSize` notifications of a stalled WebSocket session and still answers the
// reconnection with `recoveryState: "Successful"`; the notifications before those are gone, and
// only the jump in `wsc.sequence` tells. The worker must see the jump and catch up at once; a
// recovery within the buffer needs no catch-up. Through the simulator, the unmodified SDK and
// GraphQL.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, subscribe, type TestApi } from "./support/api.ts";
import { seedInbox } from "./support/seed.ts";
import {
  simControl,
  startTestSimulator,
  connectVoiceChannel,
  startTestWorker,
  type Simulator,
} from "./support/simulator.ts";
import { createLogger } from "../src/logger.ts";
import { SessionSequence } from "../src/integrations/ringcentral/subscription.ts";

/** Small, so a few calls overflow it. */
const RECOVERY_BUFFER_SIZE = 30;
const MAIN_NUMBER = "+18003151571";

let sim: Simulator;
let api: TestApi;
let admin: Awaited<ReturnType<TestApi["createUser"]>>;
let inbox: Awaited<ReturnType<typeof seedInbox>>;
let running: Awaited<ReturnType<typeof startTestWorker>>;
const workerLog: Array<{ msg: string; reason?: string; missed?: number }> = [];

beforeAll(async () => {
  sim = await startTestSimulator({ webSocket: { recoveryBufferSize: RECOVERY_BUFFER_SIZE } });
  api = await startTestApi();
  admin = await api.createUser("ADMIN", "gaps");
  await api.app.db.prisma.user.update({ where: { id: admin.id }, data: { email: "admin@switchboard.test" } });
  inbox = await seedInbox(api.app, "Main line", [admin.id]);
  running = await startTestWorker(api.app, sim, {
    log: createLogger("info", { write: (line: string) => void workerLog.push(JSON.parse(line)) }),
  });
  await connectVoiceChannel(api.app, running.worker, MAIN_NUMBER, inbox.id);
  await running.worker.idle();
});
afterAll(async () => {
  await running?.worker.close();
  await api?.close();
  await sim?.close();
});

const CALLS = `query($inbox: ID!) { node(id: $inbox) { ... on Inbox { conversations(first: 50) { edges { node {
  assignee { email }
  calls(first: 5) { edges { node { status direction fromNumber } } }
  timeline(first: 50) { edges { node { __typename ... on Activity { type } } } }
} } } } } }`;

async function conversations() {
  const result = await api.request<any, any>(CALLS, { inbox: inbox.globalId }, admin.token);
  expect(result.errors).toBeUndefined();
  return result.data.node.conversations.edges.map((e: any) => e.node);
}

/** Resolves once CALL_UPDATED events said that every one of these callers' calls ended. */
function callsEnded(callers: string[]) {
  const events = subscribe(
    api.wsClient(admin.token),
    `subscription($inbox: ID!) { callUpdated(inboxId: $inbox, after: "0") { call { status fromNumber } } }`,
    { inbox: inbox.globalId },
  );
  const terminal = new Set(["ENDED", "MISSED", "ABANDONED", "VOICEMAIL"]);
  return (async () => {
    for (let seen = 1; ; seen += 1) {
      const received = await events.until(seen);
      const ended = new Set(
        received
          .map((e) => (e.data as any).callUpdated.call)
          .filter((c: any) => terminal.has(c.status))
          .map((c: any) => c.fromNumber),
      );
      if (callers.every((caller) => ended.has(caller))) {
        events.unsubscribe();
        return;
      }
    }
  })();
}

function expectAnsweredCallOnce(list: any[], caller: string) {
  const matching = list.filter((c) => c.calls.edges.some((e: any) => e.node.fromNumber === caller));
  expect(matching, caller).toHaveLength(1);
  const [conversation] = matching;
  expect(conversation.calls.edges).toHaveLength(1);
  expect(conversation.calls.edges[0].node).toMatchObject({ status: "ENDED", direction: "INBOUND" });
  expect(conversation.timeline.edges.filter((e: any) => e.node.type === "CALL_ENDED")).toHaveLength(1);
  expect(conversation.assignee).toEqual({ email: "admin@switchboard.test" });
}

async function callLogSyncs(): Promise<number> {
  return (await simControl<{ records: unknown[] }>(sim, "GET", "requests?path=call-log-sync")).records.length;
}

/** The worker's WebSocket session at the simulator: its last sequence and what it buffers. */
async function wsSession(): Promise<{ sequence: number; buffered: number }> {
  const { records } = await simControl<{ records: Array<{ sequence: number; buffered: number }> }>(
    sim,
    "GET",
    "ws/sessions",
  );
  expect(records).toHaveLength(1);
  return records[0]!;
}

const gapLogs = () => workerLog.filter((line) => line.msg.includes("sequence gap"));
const catchUpLogs = () => workerLog.filter((line) => line.msg === "catching up from RingCentral");

/** Stalls the socket, plays inbound IVR calls (all of them, to the end) while nothing is
 * delivered, then drops the socket so the worker recovers; returns how many notifications the
 * worker missed. */
async function playWhileStalled(callers: string[]): Promise<number> {
  const before = (await wsSession()).sequence;
  await simControl(sim, "POST", "faults/socket", { action: "stall" });
  for (const from of callers)
    await simControl(sim, "POST", "scenarios", { type: "ivr", extensionId: "809646016", from });
  const missed = (await wsSession()).sequence - before;
  await simControl(sim, "POST", "faults/socket", { action: "drop" });
  return missed;
}

describe("recovery of a stalled WebSocket", () => {
  it("replays a stall within the recovery buffer and runs no extra catch-up", async () => {
    const syncsBefore = await callLogSyncs();
    const catchUpsBefore = catchUpLogs().length;
    const callers = ["+14155550201"];
    const ended = callsEnded(callers);
    const missed = await playWhileStalled(callers);
    expect(missed).toBeLessThanOrEqual(RECOVERY_BUFFER_SIZE);
    await ended;
    await running.worker.idle();
    expectAnsweredCallOnce(await conversations(), "+14155550201");
    expect(gapLogs()).toEqual([]);
    expect(catchUpLogs().length).toBe(catchUpsBefore);
    expect(await callLogSyncs()).toBe(syncsBefore);
  });

  it("catches up at once when more notifications arrived than the recovery buffer holds", async () => {
    const syncsBefore = await callLogSyncs();
    const callers = ["+14155550301", "+14155550302", "+14155550303", "+14155550304", "+14155550305"];
    const ended = callsEnded(callers);
    const missed = await playWhileStalled(callers);
    // The recovery is "Successful", but only the last RECOVERY_BUFFER_SIZE are replayed.
    expect(missed).toBeGreaterThan(RECOVERY_BUFFER_SIZE);
    await ended;
    await running.worker.idle();
    const list = await conversations();
    for (const caller of callers) expectAnsweredCallOnce(list, caller);
    expect(gapLogs()).toEqual([expect.objectContaining({ missed: missed - RECOVERY_BUFFER_SIZE })]);
    expect(catchUpLogs().at(-1)).toMatchObject({ reason: "sequence gap" });
    expect(await callLogSyncs()).toBeGreaterThan(syncsBefore);
  });
});

describe("the session's sequence", () => {
  const frame = (type: string, sequence: number, body: unknown) =>
    JSON.stringify([{ type, wsc: { token: "t", sequence } }, body]);
  const notification = (sequence: number) => frame("ServerNotification", sequence, { uuid: `u${sequence}` });

  it("reports numbers skipped between notifications, and nothing for replies, repeats or a new session", () => {
    const sequence = new SessionSequence();
    expect(sequence.observe(frame("ConnectionDetails", 1, {}))).toBeUndefined();
    expect(sequence.observe(frame("ClientRequest", 1, { id: "subscription" }))).toBeUndefined();
    expect(sequence.observe(notification(2))).toBeUndefined();
    expect(sequence.observe(notification(3))).toBeUndefined();
    expect(sequence.observe(notification(6))).toEqual({ lastSeen: 3, next: 6, missed: 2 });
    // A successful recovery goes on from the last notification seen: a replay that repeats it, then
    // follows on, shows no gap.
    expect(sequence.observe(frame("ConnectionDetails", 5, { recoveryState: "Successful" }))).toBeUndefined();
    expect(sequence.observe(notification(6))).toBeUndefined();
    expect(sequence.observe(notification(7))).toBeUndefined();
    // A failed recovery starts a new session (the library reports that loss itself).
    expect(sequence.observe(frame("ConnectionDetails", 1, { recoveryState: "Failed" }))).toBeUndefined();
    expect(sequence.observe(notification(2))).toBeUndefined();
    expect(sequence.observe("--Boundary not json")).toBeUndefined();
  });
});
