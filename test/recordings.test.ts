// R3.12 call recordings end to end: the simulator records a call (`record: true`), the worker sees
// the recording announced on the answering party (PENDING), reads the call log once the call
// ended and makes it AVAILABLE; a recording RingCentral announced but did not keep (no licence,
// feature off, too short — the call log lists the call without it) becomes UNAVAILABLE. Clients
// observe all of it only through GraphQL (HTTP and graphql-ws), and the audio streams through the
// download endpoint with the conversation's access rules (R1.2).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SDK } from "@ringcentral/sdk";
import { ingestTelephonyNotification } from "../src/domain/calls.ts";
import { applyCallRecordings } from "../src/domain/recordings/call-recordings.ts";
import type { subscribe, TestApi } from "./support/api.ts";
import type { seedInbox } from "./support/seed.ts";
import { simControl, type startTestWorker, type Simulator } from "./support/simulator.ts";
import {
  contentOf,
  eventsOf,
  type startDownloadServer,
  startRecordedLine,
  waitForEvent,
} from "./support/recordings.ts";

const AGENT_EXTENSION = "62264425016"; // Alice Agent, +16505550111 (simulator default account)
const DIRECT_NUMBER = "+16505550111";

let line: Awaited<ReturnType<typeof startRecordedLine>>;
let sim: Simulator;
let api: TestApi;
let worker: Awaited<ReturnType<typeof startTestWorker>>["worker"];
let sdk: SDK;
let downloads: Awaited<ReturnType<typeof startDownloadServer>>;
let insider: Awaited<ReturnType<TestApi["createUser"]>>;
let outsider: Awaited<ReturnType<TestApi["createUser"]>>;
let admin: Awaited<ReturnType<TestApi["createUser"]>>;
let inbox: Awaited<ReturnType<typeof seedInbox>>;
let events: ReturnType<typeof subscribe>;

beforeAll(async () => {
  line = await startRecordedLine("rec", DIRECT_NUMBER);
  ({ sim, api, worker, sdk, downloads, insider, outsider, admin, inbox, events } = line);
});
afterAll(() => line?.close());

const CALL_RECORDINGS =
  `query($inbox: ID!) { node(id: $inbox) { ... on Inbox { conversations(first: 20) { edges ` +
  `{ node {
  calls(first: 5) { edges { node { id status fromNumber
    recordings { id kind state durationSeconds contentType downloadUrl } } } }
} } } } } }`;

type RecordingView = {
  id: string;
  kind: string;
  state: string;
  durationSeconds: number | null;
  contentType: string | null;
  downloadUrl: string | null;
};
type CallView = { id: string; status: string; fromNumber: string; recordings: RecordingView[] };

async function callFrom(caller: string, token = insider.token): Promise<CallView | undefined> {
  const result = await api.request<any, any>(CALL_RECORDINGS, { inbox: inbox.globalId }, token);
  expect(result.errors).toBeUndefined();
  const calls: CallView[] = result.data.node.conversations.edges.flatMap((c: any) =>
    c.node.calls.edges.map((e: any) => e.node),
  );
  return calls.find((c) => c.fromNumber === caller);
}

/** The database id inside a Relay global id (what download paths carry). */
const databaseId = (globalId: string) => Buffer.from(globalId, "base64").toString("utf8").split(":")[1]!;

type Scenario = {
  id: string;
  telephonySessionId: string;
  finished: boolean;
  parties: { partyId: string; extensionId: string | null; status: string }[];
};

describe("call recordings end to end (R3.12)", () => {
  const RECORDED_CALLER = "+14155550142";
  let recorded: RecordingView;
  let recordedSession: string;

  it("makes a recorded call's recording AVAILABLE once the call ended, with its duration and type", async () => {
    const scenario = await simControl<Scenario>(sim, "POST", "scenarios", {
      type: "inbound",
      extensionId: AGENT_EXTENSION,
      from: RECORDED_CALLER,
      record: true,
    });
    recordedSession = scenario.telephonySessionId;
    const available = await waitForEvent(
      events,
      (e) => e.type.startsWith("RECORDING_") && e.payload.state === "AVAILABLE",
    );
    expect(available.payload).toMatchObject({ kind: "CALL" });
    await worker.idle();

    const call = (await callFrom(RECORDED_CALLER))!;
    expect(call.status).toBe("ENDED");
    expect(call.recordings).toHaveLength(1);
    recorded = call.recordings[0]!;
    expect(recorded).toMatchObject({
      kind: "CALL",
      state: "AVAILABLE",
      durationSeconds: 2,
      contentType: "audio/x-wav",
    });
    expect(recorded.downloadUrl).toBe(`/files/recordings/${databaseId(recorded.id)}`);

    // It is the recording RingCentral's call log holds for this call.
    const log = await (
      await sdk
        .platform()
        .get("/restapi/v1.0/account/~/call-log", { telephonySessionId: scenario.telephonySessionId, view: "Detailed" })
    ).json();
    expect(log.records[0].recording.id).toBeDefined();
  });

  it("streams the audio to the inbox's members and admins (bytes as RingCentral serves them); others get 404, no token 401", async () => {
    const log = await (
      await sdk
        .platform()
        .get("/restapi/v1.0/account/~/call-log", { telephonySessionId: recordedSession, view: "Detailed" })
    ).json();
    const { bytes: expected, contentLength } = await contentOf(sdk, log.records[0].recording.contentUri);
    expect(expected.subarray(0, 4).toString("ascii")).toBe("RIFF");
    expect(expected.length).toBeGreaterThan(44);

    for (const token of [insider.token, admin.token]) {
      const response = await downloads.get(recorded.downloadUrl!, token);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("audio/x-wav");
      expect(response.headers.get("content-length")).toBe(contentLength); // RingCentral's, passed through
      expect(Buffer.from(await response.arrayBuffer()).equals(expected)).toBe(true);
    }

    const outside = await downloads.get(recorded.downloadUrl!, outsider.token);
    const missing = await downloads.get(`/files/recordings/${crypto.randomUUID()}`, insider.token);
    const notAnId = await downloads.get(`/files/recordings/not-a-uuid`, insider.token);
    for (const response of [outside, missing, notAnId]) expect(response.status).toBe(404);
    const bodies = await Promise.all([outside.json(), missing.json(), notAnId.json()]);
    expect(bodies[0]).toEqual(bodies[1]);
    expect(bodies[1]).toEqual(bodies[2]);

    const anonymous = await downloads.get(recorded.downloadUrl!);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toBe("Bearer");
    expect((await downloads.get(recorded.downloadUrl!, "sb_not-a-real-token")).status).toBe(401);

    // GraphQL hides it the same way.
    const lookup = (token: string) =>
      api.request<any, any>(`query($id: ID!) { node(id: $id) { id } }`, { id: recorded.id }, token);
    expect((await lookup(insider.token)).data.node).toEqual({ id: recorded.id });
    expect((await lookup(outsider.token)).data.node).toBeNull();
  });

  it("shows a recording RingCentral announced but did not keep as PENDING during the call, then UNAVAILABLE (409 to download)", async () => {
    const caller = "+14155550143";
    const scenario = await simControl<Scenario>(sim, "POST", "scenarios", {
      type: "inbound",
      extensionId: AGENT_EXTENSION,
      from: caller,
      mode: "step",
      hold: true,
    });
    let current = scenario;
    const agentOf = (s: Scenario) => s.parties.find((p) => p.extensionId === AGENT_EXTENSION);
    while (agentOf(current)?.status !== "Answered")
      current = await simControl<Scenario>(sim, "POST", `scenarios/${scenario.id}/step`);
    await waitForEvent(
      events,
      (e) =>
        e.type === "CALL_UPDATED" &&
        e.payload.telephonySessionId === scenario.telephonySessionId &&
        e.payload.status === "IN_PROGRESS",
    );

    // RingCentral reports the agent's leg recording (as an account with automatic recording would),
    // but — no recording licence — never keeps it: the call log will list the call without it.
    const published = await simControl<{ records: { event: string; body: any }[] }>(sim, "GET", "notifications");
    const answered = published.records.find(
      (n) =>
        n.body?.telephonySessionId === scenario.telephonySessionId &&
        n.body.parties?.[0]?.extensionId === AGENT_EXTENSION &&
        n.body.parties[0].status.code === "Answered",
    )!;
    const withRecording = {
      ...answered.body,
      parties: [{ ...answered.body.parties[0], recordings: [{ id: "990000000001", active: true }] }],
    };
    await simControl(sim, "POST", "notifications", { event: answered.event, body: withRecording });

    // The next step (hold) is applied after the recording notice: once it shows, the notice is in.
    await simControl(sim, "POST", `scenarios/${scenario.id}/step`);
    await waitForEvent(
      events,
      (e) =>
        e.type === "CALL_UPDATED" &&
        e.payload.telephonySessionId === scenario.telephonySessionId &&
        e.payload.status === "ON_HOLD",
    );
    const live = (await callFrom(caller))!;
    expect(live.recordings).toEqual([expect.objectContaining({ kind: "CALL", state: "PENDING", downloadUrl: null })]);
    const pendingPath = `/files/recordings/${databaseId(live.recordings[0]!.id)}`;
    const pending = await downloads.get(pendingPath, insider.token);
    expect(pending.status).toBe(409);
    expect(await pending.json()).toMatchObject({
      errors: [{ extensions: { code: "RECORDING_NOT_AVAILABLE", state: "PENDING" } }],
    });
    expect((await downloads.get(pendingPath, outsider.token)).status).toBe(404);

    await simControl(sim, "POST", `scenarios/${scenario.id}/run`);
    const unavailable = await waitForEvent(
      events,
      (e) => e.type === "RECORDING_UPDATED" && e.payload.state === "UNAVAILABLE",
    );
    expect(unavailable.payload).toMatchObject({ kind: "CALL", recordingId: databaseId(live.recordings[0]!.id) });
    await worker.idle();

    const ended = (await callFrom(caller))!;
    expect(ended.status).toBe("ENDED");
    expect(ended.recordings).toEqual([
      expect.objectContaining({ kind: "CALL", state: "UNAVAILABLE", downloadUrl: null }),
    ]);
    const gone = await downloads.get(pendingPath, insider.token);
    expect(gone.status).toBe(409);
    expect(await gone.json()).toMatchObject({
      errors: [{ extensions: { code: "RECORDING_NOT_AVAILABLE", state: "UNAVAILABLE" } }],
    });
    expect((await downloads.get(pendingPath, outsider.token)).status).toBe(404);

    // The recorded call is untouched by this one, and each state change was told once.
    expect((await callFrom(RECORDED_CALLER))!.recordings[0]!.state).toBe("AVAILABLE");
    expect(
      eventsOf(events).filter((e) => e.type === "RECORDING_UPDATED" && e.payload.state === "UNAVAILABLE"),
    ).toHaveLength(1);
  });
});

describe("applyCallRecordings (domain, real database)", () => {
  const deps = () => ({ prisma: api.app.db.prisma, pubsub: api.app.pubsub });
  const noDirectory = { extension: () => undefined };

  async function callWithAnnouncedRecording(recordingId: string) {
    const telephonySessionId = `s-domain-${crypto.randomUUID()}`;
    await ingestTelephonyNotification(deps(), noDirectory, {
      uuid: crypto.randomUUID(),
      telephonySessionId,
      sequence: 2,
      eventTime: new Date(),
      parties: [
        {
          partyId: `p-${telephonySessionId}-1`,
          direction: "Outbound",
          extensionId: null,
          fromNumber: "+14155550190",
          toNumber: DIRECT_NUMBER,
          statusCode: "Disconnected",
          reason: null,
          missedCall: false,
          queueCall: false,
          muted: false,
          peerTelephonySessionId: null,
          recordingIds: [recordingId],
        },
      ],
    });
    const call = await api.app.db.prisma.call.findUniqueOrThrow({ where: { telephonySessionId } });
    return { telephonySessionId, call };
  }

  const recordingEvents = (conversationId: string) =>
    api.app.db.prisma.event.count({
      where: { conversationId, type: { in: ["RECORDING_ADDED", "RECORDING_UPDATED"] } },
    });
  const stateOf = async (ringCentralId: string) =>
    (await api.app.db.prisma.recording.findUniqueOrThrow({ where: { ringCentralId } })).state;

  it("keeps a recording PENDING while the call log lacks the call, and UNAVAILABLE once it has it without the recording — once", async () => {
    const { telephonySessionId, call } = await callWithAnnouncedRecording("880000000001");
    expect(await stateOf("880000000001")).toBe("PENDING");
    expect(await applyCallRecordings(deps(), telephonySessionId, [], false)).toEqual({
      call: true,
      available: 0,
      unavailable: 0,
      pending: 1,
    });
    expect(await stateOf("880000000001")).toBe("PENDING");
    expect(await recordingEvents(call.conversationId)).toBe(0);
    expect(await applyCallRecordings(deps(), telephonySessionId, [], true)).toEqual({
      call: true,
      available: 0,
      unavailable: 1,
      pending: 0,
    });
    expect(await applyCallRecordings(deps(), telephonySessionId, [], true)).toEqual({
      call: true,
      available: 0,
      unavailable: 0,
      pending: 0,
    });
    expect(await stateOf("880000000001")).toBe("UNAVAILABLE");
    expect(await recordingEvents(call.conversationId)).toBe(1);
  });

  it("makes listed recordings AVAILABLE (adding ones the telephony events never named), idempotently", async () => {
    const { telephonySessionId, call } = await callWithAnnouncedRecording("880000000002");
    const listed = [
      {
        ringCentralId: "880000000002",
        contentUri: "https://media.example/rec/2/content",
        contentType: "audio/mpeg",
        durationSeconds: 31,
      },
      {
        ringCentralId: "880000000003",
        contentUri: "https://media.example/rec/3/content",
        contentType: null,
        durationSeconds: null,
      },
    ];
    expect(await applyCallRecordings(deps(), telephonySessionId, listed, true)).toEqual({
      call: true,
      available: 2,
      unavailable: 0,
      pending: 0,
    });
    expect(await applyCallRecordings(deps(), telephonySessionId, listed, true)).toEqual({
      call: true,
      available: 0,
      unavailable: 0,
      pending: 0,
    });
    const rows = await api.app.db.prisma.recording.findMany({
      where: { callId: call.id },
      orderBy: { ringCentralId: "asc" },
    });
    expect(rows.map((r) => [r.ringCentralId, r.kind, r.state, r.contentType, r.durationSeconds])).toEqual([
      ["880000000002", "CALL", "AVAILABLE", "audio/mpeg", 31],
      ["880000000003", "CALL", "AVAILABLE", null, null],
    ]);
    expect(await recordingEvents(call.conversationId)).toBe(2);
  });

  it("ignores sessions that are not calls here", async () => {
    expect(await applyCallRecordings(deps(), "s-unknown", [], true)).toEqual({
      call: false,
      available: 0,
      unavailable: 0,
      pending: 0,
    });
  });
});
