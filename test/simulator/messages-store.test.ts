// Inbound SMS (instant + message-store notifications), the message store (list, get, update,
// delete, attachment content), message sync (FSync then ISync returns what changed), and
// voicemail with audio and a transcription that completes later.

import type { SDK } from "@ringcentral/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Simulator } from "../../src/integrations/ringcentral/simulator/index.ts";
import { expectMatchesOpenApi } from "./openapi.ts";
import { startTestSimulator } from "./platform-harness.ts";
import { control, loggedInSdk, seeded, startScenario, subscribe, type NotificationInbox } from "./feature-support.ts";

let sim: Simulator;
let sdk: SDK;
let inbox: NotificationInbox;

const STORE = "/restapi/v1.0/account/~/extension/~/message-store";
const STORE_TEMPLATE = "/restapi/v1.0/account/{accountId}/extension/{extensionId}/message-store";
const SYNC = "/restapi/v1.0/account/~/extension/~/message-sync";

beforeAll(async () => {
  sim = await startTestSimulator();
  sdk = await loggedInSdk(sim);
  inbox = await subscribe(sdk, [
    "/restapi/v1.0/account/~/extension/~/message-store/instant?type=SMS",
    "/restapi/v1.0/account/~/extension/~/message-store",
    "/restapi/v1.0/account/~/extension/~/voicemail",
  ]);
});

afterAll(async () => {
  await inbox.revoke();
  await sim.close();
});

async function get(path: string): Promise<any> {
  return (await sdk.platform().get(path)).json();
}

async function inboundSms(text: string, from = "+14155550100"): Promise<any> {
  const response = await control(sim, "POST", "/__sim/sms/inbound", { from, to: seeded.adminNumber, text });
  expect(response.status).toBe(201);
  return response.json;
}

describe("inbound SMS", () => {
  it("arrives as an instant notification with the full message, then a message-store change", async () => {
    const stored = await inboundSms("Is anyone there?");
    const instant = await inbox.next(
      (n) => n.event.includes("/message-store/instant") && n.body.id === String(stored.id),
    );
    expect(instant.event).toBe(
      `/restapi/v1.0/account/${seeded.admin}/extension/${seeded.admin}/message-store/instant?type=SMS`,
    );
    expect(instant.body).toMatchObject({
      type: "SMS",
      direction: "Inbound",
      messageStatus: "Received",
      readStatus: "Unread",
      subject: "Is anyone there?",
      from: { phoneNumber: "+14155550100" },
      to: [{ phoneNumber: seeded.adminNumber, target: true }],
      conversation: { id: expect.any(String) },
      ownerId: seeded.admin,
      attachments: [{ type: "Text", contentType: "text/plain" }],
    });
    const change = await inbox.next(
      (n) => n.event.endsWith("/message-store") && n.body.changes[0].newMessageIds?.includes(stored.id),
    );
    expect(change.body).toMatchObject({
      extensionId: seeded.admin,
      changes: [{ type: "SMS", newCount: 1, updatedCount: 0 }],
    });

    const text = await sdk.platform().get(instant.body.attachments[0].uri);
    expect(await text.text()).toBe("Is anyone there?");
  });

  it("a reply to the same number continues the same conversation", async () => {
    const incoming = await inboundSms("ping", "+14155550155");
    const reply = await (
      await sdk.platform().post("/restapi/v1.0/account/~/extension/~/sms", {
        from: { phoneNumber: seeded.adminNumber },
        to: [{ phoneNumber: "+14155550155" }],
        text: "pong",
      })
    ).json();
    expect(reply.conversation.id).toBe(incoming.conversation.id);
    expect(reply.conversationId).toBe(incoming.conversationId);
  });

  it("rejects a number nobody owns", async () => {
    const response = await control(sim, "POST", "/__sim/sms/inbound", {
      from: "+14155550100",
      to: "+15555550000",
      text: "hi",
    });
    expect(response.status).toBe(400);
    expect(response.json).toMatchObject({ errorCode: "CMN-101", errors: [{ parameterName: "to" }] });
  });
});

describe("message store", () => {
  it("lists, filters, reads, marks read and deletes, in the OpenAPI shapes", async () => {
    const stored = await inboundSms("read me");
    const list = await get(`${STORE}?messageType=SMS&direction=Inbound&perPage=2`);
    expectMatchesOpenApi("GET", STORE_TEMPLATE, 200, list);
    expect(list.records[0].id).toBe(stored.id);
    expect(list.records.every((m: any) => m.direction === "Inbound" && m.type === "SMS")).toBe(true);
    expect(list.paging).toMatchObject({ page: 1, perPage: 2 });

    const one = await get(`${STORE}/${stored.id}`);
    expectMatchesOpenApi("GET", `${STORE_TEMPLATE}/{messageId}`, 200, one);
    const read = await (await sdk.platform().put(`${STORE}/${stored.id}`, { readStatus: "Read" })).json();
    expectMatchesOpenApi("PUT", `${STORE_TEMPLATE}/{messageId}`, 200, read);
    expect(read.readStatus).toBe("Read");
    expect((await sdk.platform().delete(`${STORE}/${stored.id}`)).status).toBe(204);
    const gone = await sdk
      .platform()
      .get(`${STORE}/${stored.id}`)
      .catch((e) => e.response);
    expect(gone.status).toBe(404);
    expect((await gone.json()).errorCode).toBe("CMN-102");
  });
});

describe("message sync", () => {
  it("FSync returns the store and a token; ISync returns only what changed since", async () => {
    await inboundSms("before the sync");
    const full = await get(`${SYNC}?syncType=FSync&messageType=SMS`);
    expectMatchesOpenApi("GET", "/restapi/v1.0/account/{accountId}/extension/{extensionId}/message-sync", 200, full);
    expect(full.syncInfo).toMatchObject({ syncType: "FSync", syncToken: expect.any(String), olderRecordsExist: false });
    expect(full.records.length).toBeGreaterThan(0);

    const unchanged = await get(`${SYNC}?syncType=ISync&syncToken=${encodeURIComponent(full.syncInfo.syncToken)}`);
    expect(unchanged.records).toEqual([]);

    const fresh = await inboundSms("after the sync");
    const incremental = await get(
      `${SYNC}?syncType=ISync&syncToken=${encodeURIComponent(unchanged.syncInfo.syncToken)}`,
    );
    expect(incremental.syncInfo.syncType).toBe("ISync");
    expect(incremental.records.map((m: any) => m.id)).toEqual([fresh.id]);

    await sdk.platform().put(`${STORE}/${fresh.id}`, { readStatus: "Read" });
    const afterUpdate = await get(
      `${SYNC}?syncType=ISync&syncToken=${encodeURIComponent(incremental.syncInfo.syncToken)}`,
    );
    expect(afterUpdate.records.map((m: any) => [m.id, m.readStatus])).toEqual([[fresh.id, "Read"]]);

    const bad = await sdk
      .platform()
      .get(`${SYNC}?syncType=ISync&syncToken=garbage`)
      .catch((e) => e.response);
    expect(bad.status).toBe(400);
    expect((await bad.json()).errors[0].parameterName).toBe("syncToken");
  });
});

describe("voicemail", () => {
  it("a voicemail scenario leaves audio and a transcription that completes later", async () => {
    const scenario = await startScenario(sim, {
      type: "voicemail",
      extensionId: seeded.admin,
      transcription: "Please call me back",
    });
    const voicemail = await inbox.next((n) => n.event.endsWith(`/extension/${seeded.admin}/voicemail`));
    expect(voicemail.body).toMatchObject({ type: "VoiceMail", vmTranscriptionStatus: "InProgress" });
    const id = Number(voicemail.body.id);
    await inbox.next(
      (n) =>
        n.event.endsWith("/message-store") &&
        n.body.changes[0].type === "VoiceMail" &&
        n.body.changes[0].updatedCount === 1,
    );

    const message = await get(`${STORE}/${id}`);
    expectMatchesOpenApi("GET", `${STORE_TEMPLATE}/{messageId}`, 200, message);
    expect(message.vmTranscriptionStatus).toBe("Completed");
    const audio = message.attachments.find((a: any) => a.type === "AudioRecording");
    const transcript = message.attachments.find((a: any) => a.type === "AudioTranscription");
    const wav = Buffer.from(await (await sdk.platform().get(audio.uri)).arrayBuffer());
    expect(wav.subarray(0, 4).toString()).toBe("RIFF");
    expect(wav.subarray(8, 12).toString()).toBe("WAVE");
    expect(await (await sdk.platform().get(transcript.uri)).text()).toBe("Please call me back");

    const log = await get(`/restapi/v1.0/account/~/call-log?telephonySessionId=${scenario.telephonySessionId}`);
    expect(log.records[0]).toMatchObject({ result: "Voicemail", message: { id: String(id), type: "VoiceMail" } });
  });
});
