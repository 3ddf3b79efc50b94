// Issue 17, point 7: recordings in a browser. `GET /files/recordings/<id>` of the running API
// answers HTTP Range requests — 206 with Content-Range, Accept-Ranges on every answer, 416 for a
// range outside the audio — with the same access rules as without one, so an <audio> element can
// seek. A voicemail's audio comes from RingCentral's message store, which serves ranges itself
// (the Range is forwarded); a call recording's content is served whole by RingCentral, and the
// range is cut from the stream. Observed through GraphQL, HTTP and the simulator's request log.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { subscribe } from "./support/api.ts";
import { seedInbox } from "./support/seed.ts";
import { simControl, startTestSimulator, workerFor, type Simulator } from "./support/simulator.ts";
import { startSmsTestApi, type SmsTestApi } from "./support/sms.ts";
import { CONVERSATION_EVENTS, waitForEvent } from "./support/recordings.ts";

const MAILBOX = "809646016"; // its direct number below; the simulator records and takes voicemail for it
const DIRECT_NUMBER = "+19043014558";

let sim: Simulator;
let api: SmsTestApi;
let worker: ReturnType<typeof workerFor>;
let insider: Awaited<ReturnType<SmsTestApi["createUser"]>>;
let outsider: Awaited<ReturnType<SmsTestApi["createUser"]>>;
/** Download paths of the call recording and the voicemail, and their whole audio. */
const audio: Record<"CALL" | "VOICEMAIL", { url: string; bytes: Buffer }> = {} as never;

const RECORDINGS = `query($inbox: ID!) { node(id: $inbox) { ... on Inbox { conversations(first: 10) { edges { node {
  calls(first: 5) { edges { node { recordings { kind state downloadUrl } } } } } } } } } }`;

beforeAll(async () => {
  sim = await startTestSimulator();
  api = await startSmsTestApi({ sim });
  insider = await api.createUser("AGENT", "ranges-insider");
  outsider = await api.createUser("AGENT", "ranges-outsider");
  const inbox = await seedInbox(api.app, "Recorded line", [insider.id]);
  await seedInbox(api.app, "Elsewhere", [outsider.id]);
  const connection = await api.app.db.prisma.ringCentralConnection.findFirstOrThrow();
  await api.app.db.prisma.channel.create({
    data: { type: "VOICE", phoneNumber: DIRECT_NUMBER, inboxId: inbox.id, connectionId: connection.id },
  });
  worker = workerFor(api.app, sim);
  await worker.reconcile();
  const events = subscribe(api.wsClient(insider.token), CONVERSATION_EVENTS, { inbox: inbox.globalId });
  await simControl(sim, "POST", "scenarios", {
    type: "inbound",
    extensionId: MAILBOX,
    from: "+14155550191",
    record: true,
  });
  await simControl(sim, "POST", "scenarios", { type: "voicemail", extensionId: MAILBOX, from: "+14155550192" });
  for (const kind of ["CALL", "VOICEMAIL"])
    await waitForEvent(
      events,
      (e) => e.type.startsWith("RECORDING_") && e.payload.kind === kind && e.payload.state === "AVAILABLE",
    );
  events.unsubscribe();
  const result = await api.request<any, any>(RECORDINGS, { inbox: inbox.globalId }, insider.token);
  const recordings = result.data.node.conversations.edges.flatMap((c: any) =>
    c.node.calls.edges.flatMap((e: any) => e.node.recordings),
  );
  for (const kind of ["CALL", "VOICEMAIL"] as const) {
    const url = `${api.url}${recordings.find((r: any) => r.kind === kind).downloadUrl}`;
    const whole = await download(url, insider.token);
    expect(whole.status).toBe(200);
    audio[kind] = { url, bytes: Buffer.from(await whole.arrayBuffer()) };
  }
});
afterAll(async () => {
  await worker?.close();
  await api?.close();
  await sim?.close();
});

function download(url: string, token?: string, range?: string, method = "GET") {
  return fetch(url, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(range ? { range } : {}) },
  });
}

describe.each(["CALL", "VOICEMAIL"] as const)("byte ranges of a %s recording", (kind) => {
  const whole = () => audio[kind].bytes;
  const get = (range?: string, token = insider.token, method = "GET") =>
    download(audio[kind].url, token, range, method);

  it("says it serves ranges, and serves the whole audio without one", async () => {
    const response = await get();
    expect(response.status).toBe(200);
    expect(response.headers.get("accept-ranges")).toBe("bytes");
    expect(Number(response.headers.get("content-length"))).toBe(whole().length);
    expect(whole().length).toBeGreaterThan(200);
  });

  it("answers 206 with exactly the bytes asked for: a span, from an offset to the end, the last n", async () => {
    const length = whole().length;
    const cases: [string, number, number][] = [
      ["bytes=10-99", 10, 99],
      [`bytes=${length - 30}-`, length - 30, length - 1],
      ["bytes=-16", length - 16, length - 1],
      // A span running past the end ends at the end.
      [`bytes=100-${length + 500}`, 100, length - 1],
    ];
    for (const [range, start, end] of cases) {
      const response = await get(range);
      expect(response.status, range).toBe(206);
      expect(response.headers.get("content-range"), range).toBe(`bytes ${start}-${end}/${length}`);
      expect(response.headers.get("content-length"), range).toBe(String(end - start + 1));
      expect(response.headers.get("accept-ranges")).toBe("bytes");
      expect(Buffer.from(await response.arrayBuffer()).equals(whole().subarray(start, end + 1)), range).toBe(true);
    }
  });

  it("answers 416 with the audio's length for a range outside it or ending before it starts", async () => {
    const length = whole().length;
    for (const range of [`bytes=${length}-`, `bytes=${length + 10}-${length + 20}`, "bytes=50-10", "bytes=-0"]) {
      const response = await get(range);
      expect(response.status, range).toBe(416);
      expect(response.headers.get("content-range"), range).toBe(`bytes */${length}`);
      expect((await response.json()).errors[0].extensions.code).toBe("RANGE_NOT_SATISFIABLE");
    }
  });

  it("serves the whole audio for ranges it does not serve: several at once, another unit, malformed", async () => {
    for (const range of ["bytes=0-1,5-6", "items=0-5", "bytes=abc"]) {
      const response = await get(range);
      expect(response.status, range).toBe(200);
      expect(Buffer.from(await response.arrayBuffer()).equals(whole()), range).toBe(true);
    }
  });

  it("answers HEAD with a range's headers and no body", async () => {
    const response = await get("bytes=0-9", insider.token, "HEAD");
    expect(response.status).toBe(206);
    expect(response.headers.get("content-range")).toBe(`bytes 0-9/${whole().length}`);
    expect(await response.text()).toBe("");
  });

  it("keeps the access rules: a range of someone else's recording is 404, without a token 401", async () => {
    const hidden = await get("bytes=0-9", outsider.token);
    expect(hidden.status).toBe(404);
    expect((await hidden.json()).errors[0].extensions.code).toBe("NOT_FOUND");
    expect((await get(`bytes=${whole().length}-`, outsider.token)).status).toBe(404);
    expect((await download(audio[kind].url, undefined, "bytes=0-9")).status).toBe(401);
  });
});

describe("where the range is cut", () => {
  it("forwards the Range to RingCentral's message store for a voicemail; asks for a call recording whole", async () => {
    await fetch(`${sim.url}/__sim/requests`, { method: "DELETE" });
    expect((await download(audio.VOICEMAIL.url, insider.token, "bytes=20-29")).status).toBe(206);
    expect((await download(audio.CALL.url, insider.token, "bytes=20-29")).status).toBe(206);
    const log = await simControl<{ records: { path: string; status: number; headers: Record<string, string> }[] }>(
      sim,
      "GET",
      "requests?path=content",
    );
    const voicemail = log.records.find((r) => r.path.includes("/message-store/"))!;
    expect(voicemail).toMatchObject({ status: 206, headers: { range: "bytes=20-29" } });
    const recording = log.records.find((r) => r.path.includes("/recording/"))!;
    expect(recording.status).toBe(200); // RingCentral sent it all; Switchboard passed on 10 bytes of it
  });
});
