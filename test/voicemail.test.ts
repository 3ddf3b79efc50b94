// R3.5 voicemail: the join rule (unit), and end to end — the simulator plays a call that goes to
// voicemail, the worker receives it over the real WebSocket subscription, and clients see the call
// end as VOICEMAIL with the recording, its duration and (once RingCentral finishes it) the
// transcription, only through GraphQL; the audio streams through the download endpoint with the
// inbox's access rules; replays change nothing; a voicemail that arrives before its call's
// telephony events is joined when they come.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SDK } from "@ringcentral/sdk";
import { ingestTelephonyNotification } from "../src/domain/calls.ts";
import { ingestVoicemail } from "../src/domain/recordings/voicemail.ts";
import { pickVoicemailCall, type VoicemailCallCandidate } from "../src/domain/recordings/voicemail-join.ts";
import { revokeApiTokenByValue, createApiToken } from "../src/domain/tokens.ts";
import type { subscribe, TestApi } from "./support/api.ts";
import type { seedInbox } from "./support/seed.ts";
import { simControl, type startTestWorker, type Simulator } from "./support/simulator.ts";
import {
  contentOf,
  eventsOf,
  type startDownloadServer,
  startRecordedLine,
  waitForEvent,
  type ConversationEvent,
} from "./support/recordings.ts";

// ---------------------------------------------------------------------------------------------
// The join rule

const T = (minutes: number) => new Date(Date.UTC(2026, 0, 1, 12, 0, 0) + minutes * 60_000);
const candidate = (callId: string, over: Partial<VoicemailCallCandidate> = {}): VoicemailCallCandidate => ({
  callId,
  fromNumber: "+14083388064",
  startedAt: T(0),
  endedAt: T(1),
  voicemailAt: T(0.5),
  hasVoicemail: false,
  ...over,
});

describe("pickVoicemailCall (REFERENCE §3.3 D: mailbox, caller and time)", () => {
  const message = { fromNumber: "+14083388064", createdAt: T(1) };

  it("joins the call from the same caller that went to voicemail just before", () => {
    expect(pickVoicemailCall([candidate("a")], message)).toBe("a");
  });

  it("compares numbers in E.164, whatever their format", () => {
    expect(
      pickVoicemailCall([candidate("a", { fromNumber: "+14083388064" })], { ...message, fromNumber: "(408) 338-8064" }),
    ).toBe("a");
  });

  it("never joins another caller's call", () => {
    expect(pickVoicemailCall([candidate("a", { fromNumber: "+16505550100" })], message)).toBeNull();
  });

  it("joins by mailbox and time alone when the caller is anonymous", () => {
    expect(pickVoicemailCall([candidate("a", { fromNumber: null })], message)).toBe("a");
    expect(pickVoicemailCall([candidate("a")], { ...message, fromNumber: null })).toBe("a");
  });

  it("skips a call that already has its voicemail", () => {
    expect(
      pickVoicemailCall(
        [
          candidate("a", { hasVoicemail: true }),
          candidate("b", { startedAt: T(-20), voicemailAt: T(-19.5), endedAt: T(-19) }),
        ],
        message,
      ),
    ).toBeNull();
    expect(
      pickVoicemailCall([candidate("a", { hasVoicemail: true }), candidate("b", { voicemailAt: T(0.2) })], message),
    ).toBe("b");
  });

  it("picks the nearest in time among several calls from the caller", () => {
    const early = candidate("early", { startedAt: T(-8), voicemailAt: T(-7.5), endedAt: T(-7) });
    const late = candidate("late", { startedAt: T(0), voicemailAt: T(0.5), endedAt: T(0.9) });
    expect(pickVoicemailCall([early, late], message)).toBe("late");
    expect(pickVoicemailCall([late, early], message)).toBe("late");
  });

  it("prefers a call seen going to voicemail over a nearer one that was not", () => {
    const answered = candidate("answered", { voicemailAt: null, endedAt: T(1) });
    const toVoicemail = candidate("voicemail", { startedAt: T(-3), voicemailAt: T(-2.5), endedAt: T(-2) });
    expect(pickVoicemailCall([answered, toVoicemail], message)).toBe("voicemail");
  });

  it("joins a call whose telephony events are still partial (no voicemail or end seen yet)", () => {
    expect(pickVoicemailCall([candidate("a", { voicemailAt: null, endedAt: null, startedAt: T(0.5) })], message)).toBe(
      "a",
    );
  });

  it("refuses calls outside the window: started after the message, or long before it", () => {
    expect(
      pickVoicemailCall([candidate("a", { startedAt: T(3), voicemailAt: null, endedAt: null })], message),
    ).toBeNull();
    expect(
      pickVoicemailCall([candidate("a", { startedAt: T(-30), voicemailAt: T(-29), endedAt: T(-28) })], message),
    ).toBeNull();
    // A long message: written ten minutes after the call reached voicemail is still this call's.
    expect(
      pickVoicemailCall([candidate("a", { voicemailAt: T(-9), startedAt: T(-9.5), endedAt: T(0.5) })], message),
    ).toBe("a");
  });
});

// ---------------------------------------------------------------------------------------------
// End to end

const MAILBOX = "809646016"; // TESTER Babji, +19043014558 (simulator default account)
const DIRECT_NUMBER = "+19043014558";
const CALLER = "+14083388064";
const TRANSCRIPTION = "Hi, this is Dana — please call me back about order 4711. Merci! 📞";

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
  line = await startRecordedLine("vm", DIRECT_NUMBER);
  ({ sim, api, worker, sdk, downloads, insider, outsider, admin, inbox, events } = line);
});
afterAll(() => line?.close());

const CONVERSATIONS = `query($inbox: ID!) { node(id: $inbox) { ... on Inbox { conversations(first: 20) { edges { node {
  id contact { phoneNumbers { number } }
  calls(first: 5) { edges { node { id status fromNumber
    recordings { id kind state durationSeconds contentType transcription downloadUrl } } } }
} } } } } }`;

type RecordingView = {
  id: string;
  kind: string;
  state: string;
  durationSeconds: number | null;
  contentType: string | null;
  transcription: string | null;
  downloadUrl: string | null;
};
type CallView = { id: string; status: string; fromNumber: string; recordings: RecordingView[] };

async function callsOf(token: string): Promise<(CallView & { conversationId: string })[]> {
  const result = await api.request<any, any>(CONVERSATIONS, { inbox: inbox.globalId }, token);
  expect(result.errors).toBeUndefined();
  return result.data.node.conversations.edges.flatMap((c: any) =>
    c.node.calls.edges.map((e: any) => ({ ...e.node, conversationId: c.node.id })),
  );
}

const isRecordingEvent = (e: ConversationEvent) => e.type === "RECORDING_ADDED" || e.type === "RECORDING_UPDATED";

/** The simulator's voicemail messages of the mailbox, newest first (REST message store). */
async function storedVoicemails(): Promise<
  { id: number; from: { phoneNumber: string }; attachments: { type: string; uri: string }[] }[]
> {
  const response = await sdk
    .platform()
    .get(`/restapi/v1.0/account/~/extension/${MAILBOX}/message-store`, { messageType: "VoiceMail", perPage: 100 });
  return ((await response.json()) as { records: never[] }).records;
}

/** Waits until the worker has applied everything published so far: a marker call's first event. */
async function afterMarkerCall(from: string) {
  const scenario = await simControl<{ telephonySessionId: string }>(sim, "POST", "scenarios", {
    type: "missed",
    extensionId: MAILBOX,
    from,
  });
  await waitForEvent(
    events,
    (e) =>
      e.type === "CALL_UPDATED" &&
      e.payload.telephonySessionId === scenario.telephonySessionId &&
      e.payload.status === "MISSED",
  );
}

describe("voicemail end to end (R3.5)", () => {
  let voicemail: RecordingView;
  let call: CallView & { conversationId: string };

  it("ends the call as VOICEMAIL with the recording AVAILABLE, its duration, and the transcription once it completes", async () => {
    await simControl(sim, "POST", "scenarios", {
      type: "voicemail",
      extensionId: MAILBOX,
      from: CALLER,
      voicemailSeconds: 4,
      transcription: TRANSCRIPTION,
    });
    const added = await waitForEvent(events, (e) => e.type === "RECORDING_ADDED");
    expect(added.payload).toMatchObject({ kind: "VOICEMAIL", state: "AVAILABLE" });
    await waitForEvent(events, (e) => isRecordingEvent(e) && e.payload.transcribed === true);
    await worker.idle();

    const calls = await callsOf(insider.token);
    expect(calls).toHaveLength(1);
    call = calls[0]!;
    expect(call).toMatchObject({ status: "VOICEMAIL", fromNumber: CALLER });
    expect(call.recordings).toHaveLength(1);
    voicemail = call.recordings[0]!;
    expect(voicemail).toMatchObject({
      kind: "VOICEMAIL",
      state: "AVAILABLE",
      durationSeconds: 4,
      contentType: "audio/x-wav",
      transcription: TRANSCRIPTION,
    });
    expect(voicemail.downloadUrl).toMatch(/^\/files\/recordings\/[0-9a-f-]{36}$/);
    expect(added.conversation?.id).toBe(call.conversationId);
  });

  it("streams the audio to members of the inbox (bytes as RingCentral serves them), and to nobody else", async () => {
    const [message] = await storedVoicemails();
    const { bytes: expected, contentLength } = await contentOf(
      sdk,
      message!.attachments.find((a) => a.type === "AudioRecording")!.uri,
    );
    expect(expected.subarray(0, 4).toString("ascii")).toBe("RIFF");

    for (const token of [insider.token, admin.token]) {
      const response = await downloads.get(voicemail.downloadUrl!, token);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("audio/x-wav");
      expect(response.headers.get("content-length")).toBe(contentLength); // RingCentral's, passed through
      expect(Buffer.from(await response.arrayBuffer()).equals(expected)).toBe(true);
    }

    const outside = await downloads.get(voicemail.downloadUrl!, outsider.token);
    const missing = await downloads.get(`/files/recordings/${crypto.randomUUID()}`, outsider.token);
    expect(outside.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(await outside.json()).toEqual(await missing.json()); // a denied recording looks missing

    expect((await downloads.get(voicemail.downloadUrl!)).status).toBe(401);
    const { token: revoked } = await createApiToken(api.app.db.prisma, insider.id, "revoked");
    expect((await downloads.get(voicemail.downloadUrl!, revoked)).status).toBe(200);
    await revokeApiTokenByValue({ prisma: api.app.db.prisma, pubsub: api.app.pubsub }, revoked);
    expect((await downloads.get(voicemail.downloadUrl!, revoked)).status).toBe(401);

    // The outsider cannot see it through GraphQL either.
    const node = await api.request<any, any>(
      `query($id: ID!) { node(id: $id) { id } }`,
      { id: voicemail.id },
      outsider.token,
    );
    expect(node.data?.node).toBeNull();
  });

  it("changes nothing when RingCentral delivers the voicemail notification again (same uuid or a new one)", async () => {
    const recordingEventsBefore = eventsOf(events).filter(isRecordingEvent).length;
    const published = await simControl<{ records: { uuid: string; event: string; body: unknown }[] }>(
      sim,
      "GET",
      "notifications",
    );
    const original = published.records.find((n) => n.event.endsWith("/voicemail"))!;
    expect(original).toBeDefined();
    await simControl(sim, "POST", "notifications", [
      { uuid: original.uuid, event: original.event, body: original.body },
      { event: original.event, body: original.body },
    ]);
    await afterMarkerCall("+16505550177");

    expect(eventsOf(events).filter(isRecordingEvent)).toHaveLength(recordingEventsBefore);
    const again = (await callsOf(insider.token)).find((c) => c.id === call.id)!;
    expect(again.status).toBe("VOICEMAIL");
    expect(again.recordings).toEqual([voicemail]); // the replay (taken before transcription) did not erase it
  });

  it("joins a voicemail that arrives before its call's telephony events once they come (R3.14)", async () => {
    // Count what a voicemail call publishes, then have the simulator deliver the next one in reverse:
    // the voicemail first, then the call's telephony events newest first.
    const caller = "+16505550123";
    const published = async () =>
      (await simControl<{ records: { uuid: string }[] }>(sim, "GET", "notifications")).records.map((n) => n.uuid);
    const before = new Set(await published());
    const addedBefore = eventsOf(events).filter((e) => e.type === "RECORDING_ADDED").length;
    await simControl(sim, "POST", "scenarios", { type: "voicemail", extensionId: MAILBOX, from: caller });
    await waitForEvent(
      events,
      () => eventsOf(events).filter((e) => e.type === "RECORDING_ADDED").length === addedBefore + 1,
    );
    const count = (await published()).filter((uuid) => !before.has(uuid)).length;

    await simControl(sim, "POST", "faults/notifications", { type: "reorder", count });
    await simControl(sim, "POST", "scenarios", {
      type: "voicemail",
      extensionId: MAILBOX,
      from: caller,
      voicemailSeconds: 6,
    });
    await afterMarkerCall("+16505550178"); // published after the reversed batch: everything before it is applied

    const calls = await callsOf(insider.token);
    const late = calls.find((c) => c.recordings.some((r) => r.durationSeconds === 6))!;
    expect(late).toBeDefined();
    expect(late.status).toBe("VOICEMAIL");
    expect(late.recordings).toHaveLength(1);
    expect(late.recordings[0]).toMatchObject({ kind: "VOICEMAIL", state: "AVAILABLE" });
    const probeCall = calls.find((c) => c.fromNumber === caller && c.id !== late.id)!;
    expect(probeCall.recordings).toHaveLength(1); // each voicemail on its own call
    expect(probeCall.status).toBe("VOICEMAIL");
  });
});

describe("ingestVoicemail (domain, real database)", () => {
  const deps = () => ({ prisma: api.app.db.prisma, pubsub: api.app.pubsub });
  const directory = { extension: () => undefined };
  const caller = "+14155550191";

  const voicemailInput = (messageId: string, createdAt: Date, transcription: string | null = null) => ({
    ringCentralMessageId: messageId,
    fromNumber: caller,
    toExtensionId: "62264426016",
    createdAt,
    durationSeconds: 12,
    contentUri:
      "https://platform.example/restapi/v1.0/account/1/extension/62264426016" +
      `/message-store/${messageId}/content/${messageId}`,
    contentType: "audio/mpeg",
    transcription,
    transcriptionStatus: transcription ? "Completed" : "InProgress",
  });

  async function ringThenVoicemail(telephonySessionId: string, at: Date) {
    const party = (
      partyId: string,
      extensionId: string | null,
      direction: "Inbound" | "Outbound",
      statusCode: string,
    ) => ({
      partyId,
      direction,
      extensionId,
      fromNumber: caller,
      toNumber: DIRECT_NUMBER,
      statusCode,
      reason: null,
      missedCall: extensionId !== null,
      queueCall: false,
      muted: false,
      peerTelephonySessionId: null,
    });
    const notify = (sequence: number, parties: ReturnType<typeof party>[]) =>
      ingestTelephonyNotification(deps(), directory, {
        uuid: crypto.randomUUID(),
        telephonySessionId,
        sequence,
        eventTime: new Date(at.getTime() + sequence * 1000),
        parties,
      });
    await notify(2, [party(`${telephonySessionId}-1`, null, "Outbound", "Setup")]);
    await notify(3, [party(`${telephonySessionId}-2`, "62264426016", "Inbound", "Proceeding")]);
    return notify;
  }

  it("keeps a voicemail without a call unmatched, joins it once the call exists, and fills the transcription later without events for replays", async () => {
    const at = new Date();
    expect(await ingestVoicemail(deps(), directory, voicemailInput("770000000001", at))).toBe("unmatched");
    expect(await api.app.db.prisma.recording.count({ where: { ringCentralId: "770000000001" } })).toBe(0);

    const telephonySessionId = `s-vm-${crypto.randomUUID()}`;
    await ringThenVoicemail(telephonySessionId, new Date(at.getTime() - 30_000));
    const call = await api.app.db.prisma.call.findUniqueOrThrow({ where: { telephonySessionId } });
    expect(call.status).toBe("RINGING");

    expect(await ingestVoicemail(deps(), directory, voicemailInput("770000000001", at))).toBe("added");
    const joined = await api.app.db.prisma.call.findUniqueOrThrow({
      where: { id: call.id },
      include: { recordings: true },
    });
    expect(joined.status).toBe("VOICEMAIL"); // the telephony events have not said so yet
    expect(joined.recordings.map((r) => [r.kind, r.state, r.durationSeconds, r.transcription])).toEqual([
      ["VOICEMAIL", "AVAILABLE", 12, null],
    ]);

    const eventsOfCall = () =>
      api.app.db.prisma.event.findMany({
        where: { conversationId: call.conversationId, type: { startsWith: "RECORDING_" } },
        orderBy: { sequence: "asc" },
      });
    expect(await ingestVoicemail(deps(), directory, voicemailInput("770000000001", at))).toBe("unchanged");
    expect(await ingestVoicemail(deps(), directory, voicemailInput("770000000001", at, "Call me back"))).toBe(
      "updated",
    );
    // a late replay without it
    expect(await ingestVoicemail(deps(), directory, voicemailInput("770000000001", at))).toBe("unchanged");
    expect(
      (await api.app.db.prisma.recording.findUniqueOrThrow({ where: { ringCentralId: "770000000001" } })).transcription,
    ).toBe("Call me back");
    expect((await eventsOfCall()).map((e) => e.type)).toEqual(["RECORDING_ADDED", "RECORDING_UPDATED"]);

    // A second message from the same caller finds no other call: it is not attached to this one.
    expect(
      await ingestVoicemail(deps(), directory, voicemailInput("770000000002", new Date(at.getTime() + 5_000))),
    ).toBe("unmatched");
  });
});
